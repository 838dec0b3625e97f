"""Read the exports into raw frames: one column per schema field, cells untouched.

Every frame carries ``_file``, ``_sheet`` and ``_row`` (the spreadsheet row, header = 1; for a
CSV the record number counted the same way) so that any later rejection can name its source.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from .errors import FileError
from .schema import PROPERTIES, RULINGS, VIOLATIONS, Table
from .values import is_blank, match_key

SOURCE_COLUMNS = ["_file", "_sheet", "_row"]
CSV_ENCODINGS = ("utf-8-sig", "cp1256")


@dataclass
class RawTable:
    table: Table
    frame: pd.DataFrame
    headers: dict[str, str]          # field name -> the header as written in the file
    warnings: list[dict] = field(default_factory=list)


@dataclass
class Exports:
    rulings: RawTable
    violations: RawTable
    properties: RawTable

    def tables(self) -> list[RawTable]:
        return [self.rulings, self.violations, self.properties]


def read_exports(folder: Path) -> Exports:
    """Find and read the three tables; raise FileError if any cannot be used."""
    folder = Path(folder)
    rulings_book = folder / "rulings.xlsx"
    if rulings_book.exists():
        rulings = read_xlsx(rulings_book, RULINGS)
        violations = read_xlsx(rulings_book, VIOLATIONS)
    else:
        rulings = read_csv(_existing(folder, "rulings.csv", "rulings.xlsx"), RULINGS)
        violations = read_csv(_existing(folder, "violations.csv", "rulings.xlsx"), VIOLATIONS)
    properties_book = folder / "properties.xlsx"
    if properties_book.exists():
        properties = read_xlsx(properties_book, PROPERTIES)
    else:
        properties = read_csv(_existing(folder, "properties.csv", "properties.xlsx"), PROPERTIES)
    return Exports(rulings, violations, properties)


def _existing(folder: Path, name: str, alternative: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise FileError("missing-file", str(path), f"neither {alternative} nor {name} is in {folder}")
    return path


def read_xlsx(path: Path, table: Table) -> RawTable:
    # python-calamine (Rust) reads a workbook about 11x faster than openpyxl (BENCHMARKS.md).
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several types for a damaged file
        raise FileError("unreadable-file", str(path), f"not a readable .xlsx workbook ({exc.__class__.__name__})") from None
    try:
        title = _find_sheet(book.sheet_names, table, path)
        try:
            rows = book.get_sheet_by_name(title).to_python(skip_empty_area=False)
        except Exception as exc:
            raise FileError("unreadable-file", str(path), f"sheet «{title}» cannot be read ({exc.__class__.__name__})", title) from None
        if not rows:
            raise FileError("missing-column", str(path), "the sheet is empty", table.sheet)
        records = [(number, [_cell(cell) for cell in row]) for number, row in enumerate(rows[1:], start=2)]
        return _frame(table, path, title, [_cell(cell) for cell in rows[0]], records)
    finally:
        book.close()


def _cell(value):
    """Cells as openpyxl gave them: calamine reads every number as a float and an empty cell
    as ''; a whole number must stay an integer (a code or an ID, not «12.0»)."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _find_sheet(titles: list[str], table: Table, path: Path) -> str:
    wanted = match_key(table.sheet)
    for title in titles:
        if match_key(title) == wanted:
            return title
    if table.workbook == "properties" and len(titles) == 1:
        return titles[0]
    names = "، ".join(titles)
    raise FileError("missing-sheet", str(path), f"no sheet named «{table.sheet}» (sheets: {names})", table.sheet)


def decode(path: Path, data: bytes) -> str:
    """UTF-8 (with or without BOM) or Windows-1256, detected; anything else is an error.

    Windows-1256 maps every byte to some character, so a decode alone proves nothing: the
    result must also look like Persian text (no control characters, Arabic-script letters).
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    candidate = data.decode("cp1256")
    controls = sum(1 for ch in candidate if ord(ch) < 32 and ch not in "\t\r\n")
    arabic_script = sum(1 for ch in candidate if "\u0600" <= ch <= "\u06ff")
    if controls == 0 and arabic_script > 0:
        return candidate
    raise FileError("unreadable-file", str(path), "not UTF-8 and not Windows-1256 Persian text")


def read_csv(path: Path, table: Table) -> RawTable:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileError("unreadable-file", str(path), exc.strerror or str(exc)) from None
    reader = csv.reader(io.StringIO(decode(path, data), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise FileError("missing-column", str(path), "the file is empty")
        records = []
        # csv.reader counts physical lines; the spec counts records (header = 1).
        for number, row in enumerate(reader, start=2):
            records.append((number, row))
    except csv.Error as exc:
        raise FileError("unreadable-file", str(path), f"malformed CSV: {exc}") from None
    return _frame(table, path, "", header, records)


def _frame(table: Table, path: Path, sheet: str, header: list, records: list) -> RawTable:
    columns, headers, warnings = _match_headers(table, path, sheet, header)
    missing = [f for f in table.fields if f.required == "required" and f.name not in headers]
    if missing:
        names = "، ".join(f"«{f.header}»" for f in missing)
        raise FileError("missing-column", str(path), f"required column {names} not found", sheet or None)
    width = len(header)
    data: dict[str, list] = {name: [] for name in headers}
    rows = []
    for number, row in records:
        row = list(row) + [None] * (width - len(row))
        if all(is_blank(cell) for cell in row):
            continue  # an empty line is not a record
        rows.append(number)
        for index, name in columns:
            data[name].append(row[index])
    frame = pd.DataFrame({"_file": path.name, "_sheet": sheet, "_row": rows, **data})
    for f in table.fields:
        if f.name not in frame:
            frame[f.name] = None
    frame = frame.astype({f.name: object for f in table.fields})
    return RawTable(table, frame, headers, warnings)


def _match_headers(table: Table, path: Path, sheet: str, header: list):
    by_key = {match_key(h): f.name for f in table.fields for h in f.headers}
    columns, headers, warnings = [], {}, []
    for index, cell in enumerate(header):
        title = "" if cell is None else str(cell)
        name = by_key.get(match_key(title))
        where = {"file": path.name, "sheet": sheet, "row": 1, "column": title}
        if name is None:
            if title.strip():
                warnings.append({**where, "code": "unknown-column", "reason": f"ستون «{title}» در طرح داده نیست"})
            continue
        if name in headers:
            warnings.append({**where, "code": "duplicate-column", "reason": f"ستون «{title}» دوباره آمده است"})
            continue
        headers[name] = title
        columns.append((index, name))
    return columns, headers, warnings
