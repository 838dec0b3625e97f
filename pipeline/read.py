"""Read the exports into raw frames: one column per schema field, cells untouched.

Every frame carries ``_file``, ``_sheet`` and ``_row`` (the spreadsheet row, header = 1; for a
CSV the record number counted the same way) so that any later rejection can name its source.
Rows a reader found malformed travel in ``bad_rows``: validation rejects them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import FileError
from .read_book import BOOK_SUFFIXES, read_book
from .read_csv import read_csv
from .read_grid import Grid, column_letter, column_title
from .schema import OPTIONAL, PROPERTIES, RULINGS, VIOLATIONS, Table
from .values import is_blank, match_key

SOURCE_COLUMNS = ["_file", "_sheet", "_row"]
# No spreadsheet cell can hold more (Excel's limit): a longer one is a merge or an attack.
CELL_LIMIT = 32_767


@dataclass
class RawTable:
    table: Table
    frame: pd.DataFrame
    headers: dict[str, str]          # field name -> the header as written in the file
    warnings: list[dict] = field(default_factory=list)
    bad_rows: list[tuple[int, str, str, str]] = field(default_factory=list)  # Grid.bad_rows


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
    rulings_source = _source(folder, "rulings", companion="violations.csv")
    if rulings_source.suffix == ".csv":
        rulings = read_table(rulings_source, RULINGS)
        violations_csv = folder / "violations.csv"
        if not violations_csv.is_file():
            raise FileError("missing-file", str(violations_csv), f"rulings.csv needs violations.csv next to it in {folder}")
        violations = read_table(violations_csv, VIOLATIONS)
    else:
        rulings = read_table(rulings_source, RULINGS)
        violations = read_table(rulings_source, VIOLATIONS)
    properties = read_table(_source(folder, "properties"), PROPERTIES)
    return Exports(rulings, violations, properties)


def _source(folder: Path, stem: str, companion: str | None = None) -> Path:
    """The one export of a table: a workbook in any format or a CSV. Two of them (or a
    workbook next to its CSV companion) are refused: which one is current cannot be told."""
    names = [stem + suffix for suffix in BOOK_SUFFIXES + (".csv",)]
    found = [folder / name for name in names if (folder / name).is_file()]
    if companion and (folder / companion).is_file() and any(p.suffix != ".csv" for p in found):
        found.append(folder / companion)
    if len(found) > 1:
        listed = ", ".join(p.name for p in found)
        raise FileError("ambiguous-export", str(found[0]), f"{listed} are exports of the same table: keep one")
    if not found:
        raise FileError("missing-file", str(folder / names[0]), f"none of {', '.join(names)} is in {folder}")
    return found[0]


def read_table(path: Path, table: Table) -> RawTable:
    grid = read_csv(path) if path.suffix == ".csv" else read_book(path, table)
    return _frame(table, path, grid)


def _frame(table: Table, path: Path, grid: Grid) -> RawTable:
    columns, headers, warnings = _match_headers(table, grid)
    missing = [f for f in table.fields if f.required == "required" and f.name not in headers]
    if missing:
        names = "، ".join(f"«{f.header}»" for f in missing)
        raise FileError("missing-column", str(path), f"required column {names} not found", grid.sheet or None)
    width = len(grid.header)
    flagged = {row for row, *_ in grid.bad_rows}
    kept = []
    for number, row in grid.records:
        row = list(row) + [None] * (width - len(row))
        if number in flagged or not all(is_blank(cell) for cell in row):
            kept.append((number, row))  # an empty line is not a record
    data = {name: [row[index] for _, row in kept] for index, name in columns}
    frame = pd.DataFrame({"_file": path.name, "_sheet": grid.sheet, "_row": [n for n, _ in kept], **data})
    for f in table.fields:
        if f.name not in frame:
            frame[f.name] = None
    frame = frame.astype({f.name: object for f in table.fields})
    unnamed = _unnamed_columns(grid, kept)
    bad = _uncomputed_required(table, grid, columns) + _oversized_cells(frame["_row"].tolist(), data, headers)
    return RawTable(table, frame, headers, grid.warnings + warnings + unnamed, grid.bad_rows + bad)


def _uncomputed_required(table: Table, grid: Grid, columns: list) -> list[tuple[int, str, str, str]]:
    """A required cell whose formula was never computed has no known value: its text is kept
    (and warned about) but cannot stand for the value, so the row is rejected, saying why."""
    required = {index: name for index, name in columns if table.field(name).required != OPTIONAL}
    return [(row, column_title(grid.header, column), "uncomputed-formula",
             "این خانه‌ی اجباری فرمولی است که هرگز محاسبه نشده؛ مقدارش معلوم نیست")
            for row, column in grid.formulas if column in required]


def _unnamed_columns(grid: Grid, kept: list) -> list[dict]:
    """Data under an empty header cannot be matched to a field: it is not read, but staff
    must learn that it is there (a header lost when the export was made)."""
    warnings = []
    for index, title in enumerate(grid.header):
        if not is_blank(title):
            continue
        filled = sum(1 for _, row in kept if not is_blank(row[index]))
        if filled:
            letter = column_letter(index)
            warnings.append({"file": grid.file, "sheet": grid.sheet, "row": 1, "column": letter,
                             "code": "unnamed-column",
                             "reason": f"ستون {letter} عنوان ندارد ولی {filled} سطر در آن داده دارد؛ این داده‌ها خوانده نشد"})
    return warnings


def _oversized_cells(rows: list[int], data: dict[str, list], headers: dict) -> list[tuple[int, str, str, str]]:
    bad = []
    for name, values in data.items():
        if max(map(len, [v for v in values if type(v) is str]), default=0) <= CELL_LIMIT:
            continue  # the usual case, decided without a per-cell loop in Python
        for row, value in zip(rows, values):
            if type(value) is str and len(value) > CELL_LIMIT:
                bad.append((row, headers[name], "oversized-cell",
                            f"این خانه {len(value):,} نویسه دارد؛ بیش از {CELL_LIMIT:,} نویسه‌ای که یک خانه‌ی اکسل جا دارد"))
    return sorted(bad)


def _match_headers(table: Table, grid: Grid):
    by_key = {match_key(h): f.name for f in table.fields for h in f.headers}
    columns, headers, warnings = [], {}, []
    for index, cell in enumerate(grid.header):
        title = "" if cell is None else str(cell)
        name = by_key.get(match_key(title))
        where = {"file": grid.file, "sheet": grid.sheet, "row": 1, "column": title}
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
