"""Workbooks (.xlsx, .xls, .xlsb, .ods, read by python-calamine) and the HTML tables that web
systems save under an .xls name."""
from __future__ import annotations

import codecs
import math
import re
import zipfile
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from python_calamine import CalamineWorkbook

from .errors import FileError
from .read_csv import decode
from .read_grid import Grid, column_index, column_letter, column_title
from .schema import Table
from .values import match_key

BOOK_SUFFIXES = (".xlsx", ".xls", ".xlsb", ".ods")


def read_book(path: Path, table: Table) -> Grid:
    if _is_markup(path):
        return read_html(path, table)
    # python-calamine (Rust) reads a workbook about 11x faster than openpyxl (BENCHMARKS.md).
    # Read from the open file, calamine tells the format by content: systems name an .xlsx
    # «.xls» (and the reverse) as often as they save HTML so.
    try:
        with open(path, "rb") as handle:
            book = CalamineWorkbook.from_filelike(handle)
    except Exception as exc:  # calamine raises several types for a damaged file
        raise FileError("unreadable-file", str(path),
                        f"not a readable {path.suffix} workbook ({exc.__class__.__name__})") from None
    try:
        title = find_sheet(book.sheet_names, table, path)
        try:
            rows = book.get_sheet_by_name(title).to_python(skip_empty_area=False)
        except Exception as exc:
            raise FileError("unreadable-file", str(path), f"sheet «{title}» cannot be read ({exc.__class__.__name__})", title) from None
    finally:
        book.close()
    cells = [[cell_value(cell) for cell in row] for row in rows]
    formulas = _formulas_without_value(path, title)
    _put_formulas(cells, formulas)
    if not cells:
        raise FileError("missing-column", str(path), "the sheet is empty", table.sheet)
    grid = Grid(path.name, title, cells[0], list(enumerate(cells[1:], start=2)))
    grid.formulas = [(row, column) for row, column, _ in formulas if row > 1]
    for row, column, formula in formulas:
        where = f"خانه‌ی {column_letter(column)}{row}"
        grid.warn(row, column_title(cells[0], column), "formula-without-value",
                  f"{where} فرمول «{formula}» است و مقدار ذخیره‌شده ندارد؛ متن فرمول به جای مقدار خوانده شد"
                  if formula.startswith("=") else
                  f"{where} به جای مقدار خطای «{formula}» را دارد؛ متن خطا به جای مقدار خوانده شد")
    return grid


def cell_value(value):
    """Cells as openpyxl gave them: calamine reads every number as a float and an empty cell
    as ''; a whole number must stay an integer (a code or an ID, not «12.0»)."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def find_sheet(titles: list[str], table: Table, path: Path) -> str:
    wanted = match_key(table.sheet)
    matching = [title for title in titles if match_key(title) == wanted]
    if len(matching) > 1:
        # Names that differ only by invisible characters, spacing or letter variants look
        # alike to staff: reading one would drop the other's rows without a word.
        names = "، ".join(f"«{title}»" for title in matching)
        raise FileError("ambiguous-export", str(path), f"{len(matching)} sheets are named «{table.sheet}»: {names}",
                        table.sheet)
    if matching:
        return matching[0]
    if table.workbook == "properties" and len(titles) == 1:
        return titles[0]
    names = "، ".join(titles)
    raise FileError("missing-sheet", str(path), f"no sheet named «{table.sheet}» (sheets: {names})", table.sheet)


# --- formulas a script wrote without computing them -------------------------------------

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _put_formulas(cells: list[list], formulas: list[tuple[int, int, str]]) -> None:
    """calamine reads a formula cell without a cached value as empty (or not at all, past the
    range of cells with values): put the formula's text there instead, so that nothing is
    lost and a required cell is not called empty."""
    if not formulas:
        return
    for row, column, formula in formulas:
        while len(cells) < row:
            cells.append([])
        line = cells[row - 1]
        line.extend([None] * (column + 1 - len(line)))
        line[column] = formula
    width = max((len(line) for line in cells), default=0)
    for line in cells:
        line.extend([None] * (width - len(line)))


def _formulas_without_value(path: Path, title: str) -> list[tuple[int, int, str]]:
    """(row, column index, "=formula") of every formula cell of the sheet with no value, and
    (row, column index, "#N/A") of every cell whose value is an error: calamine reads both as
    empty, and an empty cell would say nothing of what was there."""
    if not zipfile.is_zipfile(path):
        return []  # .xls and .xlsb store every formula's value
    try:
        with zipfile.ZipFile(path) as package:
            if "xl/workbook.xml" not in package.namelist():
                return []  # an .ods: LibreOffice always stores values
            member = _sheet_member(package, title)
            if member is None or not _mentions_formula(package, member):
                return []
            return _scan_formulas(package, member)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        return []  # calamine read the values; a package it accepts but we cannot walk has none to add


def _sheet_member(package: zipfile.ZipFile, title: str) -> str | None:
    workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_PACKAGE_REL}Relationship")}
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        if sheet.get("name") == title:
            target = targets.get(sheet.get(f"{_REL}id"), "")
            return target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    return None


def _mentions_formula(package: zipfile.ZipFile, member: str) -> bool:
    """A cheap pass first: most exports hold no formula at all. Every formula sheet has an
    «</f>» (a shared formula's later cells follow its first one), and a two-byte search is
    the fastest; a stray «f>» in a text only costs the full scan. An error cell is marked
    «t="e"» (searched with the few bytes before a chunk, where it may be cut)."""
    tail = b""
    with package.open(member) as stream:
        while chunk := stream.read(1 << 20):
            window = tail + chunk
            if b"f>" in window or b't="e"' in window:
                return True
            tail = chunk[-4:]
    return False


def _scan_formulas(package: zipfile.ZipFile, member: str) -> list[tuple[int, int, str]]:
    found, shared = [], {}
    row, column = 0, -1
    with package.open(member) as stream:
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            if event == "start":
                # «r» is optional in the format: without it a row or cell follows the last one.
                if element.tag == f"{_MAIN}row":
                    row, column = int(element.get("r") or row + 1), -1
                elif element.tag == f"{_MAIN}c":
                    row, column = _position(element.get("r"), row, column + 1)
                continue
            if element.tag == f"{_MAIN}row":
                element.clear()
            elif element.tag == f"{_MAIN}c":
                formula = _formula_without_value(element, shared)
                if formula is not None:
                    found.append((row, column, formula))
    return found


def _position(reference: str | None, row: int, column: int) -> tuple[int, int]:
    match = re.fullmatch(r"([A-Z]{1,3})(\d+)", reference or "")
    return (int(match.group(2)), column_index(match.group(1))) if match else (row, column)


def _formula_without_value(cell, shared: dict) -> str | None:
    formula, value = cell.find(f"{_MAIN}f"), cell.find(f"{_MAIN}v")
    error = cell.get("t") == "e" and value is not None and value.text
    if formula is None:
        return value.text if error else None
    text = formula.text or ""
    if formula.get("t") == "shared":
        # Later cells of a shared formula carry only its index; show the first one's text.
        text = shared.setdefault(formula.get("si"), text) or text
    if value is not None and value.text and not error:
        return None
    return f"={text}"


# --- HTML tables under an .xls name -------------------------------------------------------

def _is_markup(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise FileError("unreadable-file", str(path), exc.strerror or str(exc)) from None
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head.startswith(b"<"):
        return False
    if b"<html" in head or b"<table" in head or b"<!doctype html" in head:
        return True
    raise FileError("unreadable-file", str(path),
                    "a markup document that is no HTML table (an Excel 2003 XML file?): save it as .xlsx")


def read_html(path: Path, table: Table) -> Grid:
    data = path.read_bytes()
    parser = _Tables()
    parser.feed(_decode_html(path, data))
    parser.close()
    title, rows = _pick_table(parser.tables, table, path)
    if not rows:
        raise FileError("missing-column", str(path), "the table is empty", table.sheet)
    return Grid(path.name, title, rows[0], list(enumerate(rows[1:], start=2)))


def _decode_html(path: Path, data: bytes) -> str:
    declared = re.search(rb"""charset\s*=\s*["']?([\w-]+)""", data[:4096], re.I)
    if declared:
        try:
            return data.decode(codecs.lookup(declared.group(1).decode("ascii")).name)
        except (LookupError, UnicodeDecodeError):
            raise FileError("unreadable-file", str(path),
                            f"the page says it is {declared.group(1).decode('ascii', 'replace')} but is not") from None
    return decode(path, data)


def _pick_table(tables: list[tuple[str, list]], table: Table, path: Path) -> tuple[str, list]:
    """An HTML export names no sheets reliably: the table is the one whose first row holds
    every required header of ``table``."""
    keys = {f.name: {match_key(h) for h in f.headers} for f in table.fields if f.required == "required"}
    matching = [(title, rows) for title, rows in tables
                if rows and all(keys[name] & {match_key(str(c or "")) for c in rows[0]} for name in keys)]
    if len(matching) == 1:
        title, rows = matching[0]
        # An office suite heads each table «Sheet 1: آرا» (or not at all, for one sheet):
        # the report then names the sheet as usual.
        named = not title or match_key(table.sheet) in match_key(title)
        return (table.sheet if named else title), rows
    if not matching and table.workbook == "properties" and len(tables) == 1:
        return tables[0]
    if matching:
        raise FileError("ambiguous-export", str(path), f"{len(matching)} tables hold the columns of «{table.sheet}»", table.sheet)
    raise FileError("missing-sheet", str(path), f"no table holds the columns of «{table.sheet}» ({len(tables)} tables)", table.sheet)


_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_DATE_CODES = re.compile(r"[YyDd]")
_SPREADSHEET_EPOCH = datetime(1899, 12, 30)


class _Tables(HTMLParser):
    """Every <table> of a page as (the heading or caption above it, rows of cells)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[str, list]] = []
        self._open: list[list] = []       # rows of the tables being read (nested ones too)
        self._spans: list[dict] = []      # per open table: column -> rows a cell above still covers
        self._outer: list[tuple] = []     # per open table: the cell (and attributes) it was opened in
        self._cell: list | None = None    # text pieces of the open cell; None is a <br>
        self._attrs: dict = {}
        self._heading: list[str] | None = None
        self._title = ""

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            rows: list = []
            self.tables.append((self._title, rows))
            self._open.append(rows)
            self._spans.append({})
            # A table inside a cell is a table of its own; the cell goes on after it.
            self._outer.append((self._cell, self._attrs))
            self._cell = None
        elif tag == "tr" and self._open:
            if self._cell is not None:
                self._finish_cell()  # </td> may be left out (HTML allows it)
            if self._open[-1]:
                self._skip_spanned(to_the_end=True)
            self._open[-1].append([])
        elif tag in ("td", "th") and self._open:
            if self._cell is not None:
                self._finish_cell()
            if not self._open[-1]:
                self._open[-1].append([])
            self._cell, self._attrs = [], dict(attrs)
        elif tag == "br" and self._cell is not None:
            self._cell.append(None)
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6", "caption"):
            self._heading = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._finish_cell()
        elif tag == "table" and self._open:
            if self._cell is not None:
                self._finish_cell()
            self._open.pop()
            self._spans.pop()
            self._cell, self._attrs = self._outer.pop()
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6", "caption") and self._heading is not None:
            self._title = _HTML_SPACE.sub(" ", "".join(self._heading)).strip()
            self._heading = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._heading is not None:
            self._heading.append(data)

    def _finish_cell(self):
        lines, line = [], []
        for piece in self._cell + [None]:
            if piece is None:
                lines.append(_HTML_SPACE.sub(" ", "".join(line)).strip())
                line = []
            else:
                line.append(piece)
        text = "\n".join(lines).strip("\n")
        self._skip_spanned()
        row = self._open[-1][-1]
        first = len(row)
        row.append(_typed(text, self._attrs))
        # HTML caps colspan at 1000; a larger one must not make a million empty cells.
        row.extend([None] * (_span(self._attrs, "colspan", 1000) - 1))
        below = _span(self._attrs, "rowspan", 65534) - 1
        if below:
            self._spans[-1].update(dict.fromkeys(range(first, len(row)), below))
        self._cell = None

    def _skip_spanned(self, to_the_end: bool = False) -> None:
        """A cell merged across rows (rowspan) has no cell in the rows below it: those rows
        get an empty cell there, as a workbook's merged cell, so that their own cells stay in
        their columns."""
        row, spans = self._open[-1][-1], self._spans[-1]
        last = max((column for column, rows in spans.items() if rows), default=-1) if to_the_end else -1
        while spans.get(len(row)) or len(row) <= last:
            if spans.get(len(row)):
                spans[len(row)] -= 1
            row.append(None)


def _span(attrs: dict, name: str, limit: int) -> int:
    value = (attrs.get(name) or "1").strip()
    return min(int(value), limit) if value.isdigit() and int(value) > 0 else 1


def _typed(text: str, attrs: dict):
    """An office suite's HTML keeps a number's value in ``sdval`` (the text is only how it was
    shown) and a date as a day count with a date format in ``sdnum``."""
    raw = attrs.get("sdval")
    if raw is None:
        return text or None
    try:
        number = float(raw)
    except ValueError:
        return text or None
    if not math.isfinite(number):
        return text or None
    style = (attrs.get("sdnum") or "").split(";", 2)[-1]
    if _DATE_CODES.search(style) and "sdnum" in attrs and style:
        try:
            moment = _SPREADSHEET_EPOCH + timedelta(days=number)
        except OverflowError:
            return text or None  # a day count no calendar holds: the shown text is validated
        return moment.date() if number.is_integer() else moment
    return cell_value(number)

