"""CSV exports: the encoding detected (never guessed), records numbered as the spec counts them,
and rows that a stray quote merged split apart again, so that none of them vanishes."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .errors import FileError
from .read_grid import Grid, column_letter, column_title
from .values import is_blank, key


def read_csv(path: Path) -> Grid:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileError("unreadable-file", str(path), exc.strerror or str(exc)) from None
    text = decode(path, data)
    # csv refuses a cell over 128 KiB and names no row; read.py rejects the row instead.
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    try:
        return _records(path, text)
    finally:
        csv.field_size_limit(limit)


def decode(path: Path, data: bytes) -> str:
    """UTF-8 (with or without BOM) or Windows-1256, detected; anything else is an error.

    Windows-1256 maps every byte to some character, so a decode alone proves nothing: the
    result must also look like Persian text (no control characters, Arabic-script letters).
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    _refuse_mixed_encodings(path, data)
    candidate = data.decode("cp1256")
    controls = sum(1 for ch in candidate if ord(ch) < 32 and ch not in "\t\r\n")
    arabic_script = sum(1 for ch in candidate if "\u0600" <= ch <= "\u06ff")
    if controls == 0 and arabic_script > 0:
        return candidate
    raise FileError("unreadable-file", str(path), "not UTF-8 and not Windows-1256 Persian text")


def _refuse_mixed_encodings(path: Path, data: bytes) -> None:
    """Rows pasted from a UTF-8 system into a Windows-1256 file (or the reverse) decode as
    mojibake under either code page; Persian in Windows-1256 is never valid UTF-8, so each
    line tells which it is."""
    first: dict[str, int] = {}
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            encoding = "UTF-8"
        except UnicodeDecodeError:
            encoding = "Windows-1256"
        first.setdefault(encoding, number)
        if len(first) == 2:
            (usual, since), (other, line_no) = sorted(first.items(), key=lambda item: item[1])
            raise FileError("mixed-encoding", str(path),
                            f"line {line_no} is {other} but line {since} is {usual}: "
                            "export the whole file in one encoding")


def _records(path: Path, text: str) -> Grid:
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines)
    spans = []  # (first line, last line, cells) of each record csv.reader found; lines from 1
    try:
        header = next(reader, None)
        if header is None:
            raise FileError("missing-column", str(path), "the file is empty")
        first = reader.line_num + 1
        for cells in reader:
            spans.append((first, reader.line_num, cells))
            first = reader.line_num + 1
    except csv.Error as exc:
        raise FileError("unreadable-file", str(path), f"malformed CSV at line {reader.line_num}: {exc}") from None
    grid = Grid(path.name, "", header, [])
    _Records(grid, lines).add(spans)
    return grid


_KEY_SHAPE = re.compile(r"[\w/.\-]+")


class _Records:
    """Numbers the records of a CSV and re-reads the stretches a stray quote broke.

    csv.reader trusts every quote: an unclosed one swallows the lines after it into one cell,
    a lone one inside a quoted text ends the cell early and splits its record in pieces. A
    record starts at a line whose first cell is an identifier; where the reader's records and
    those line starts disagree, each start is taken as one record and rejected."""

    def __init__(self, grid: Grid, lines: list[str]):
        self.grid, self.lines = grid, lines
        self.width = len(grid.header)
        self.named = max((i + 1 for i, title in enumerate(grid.header) if not is_blank(title)), default=0)
        self.number = 1

    def add(self, spans: list[tuple[int, int, list[str]]]) -> None:
        i = 0
        while i < len(spans):
            first, last, cells = spans[i]
            if not self._fits(cells):
                # The pieces that follow (lines that start no record) belong to this one.
                j = i + 1
                while j < len(spans) and not self._starts_record(spans[j][0]):
                    j += 1
                self._reread(first, spans[j - 1][1], broken=j > i + 1)
                i = j
                continue
            if last > first and self._swallows(first, last):
                self._reread(first, last, broken=True)
            else:
                self.number += 1
                self.grid.records.append((self.number, cells))
            i += 1

    def _fits(self, cells: list[str]) -> bool:
        """Empty cells past the header, or missing under empty trailing headers, hide nothing."""
        if len(cells) == self.width or all(is_blank(cell) for cell in cells):
            return True
        return self.named <= len(cells) and all(is_blank(cell) for cell in cells[self.width:])

    def _starts_record(self, line_no: int) -> bool:
        cells = next(csv.reader([self.lines[line_no - 1].rstrip("\r\n")]), [])
        return len(cells) > 1 and not is_blank(cells[0]) and _KEY_SHAPE.fullmatch(key(cells[0])) is not None

    def _swallows(self, first: int, last: int) -> bool:
        """A quoted cell may hold line breaks, but not a whole record: a line inside it that
        starts a record and reads as one, with the header's number of cells."""
        starts = [n for n in range(first + 1, last + 1)
                  if self.lines[n - 1].count(",") >= self.named - 1 and self._starts_record(n)]
        return any(len(self._cells(n, n)) == self.width for n in starts)

    def _reread(self, first: int, last: int, broken: bool) -> None:
        starts = [first] + [n for n in range(first + 1, last + 1) if self._starts_record(n)]
        pieces = list(zip(starts, [n - 1 for n in starts[1:]] + [last]))
        merged = len(pieces) > 1
        for start, end in pieces:
            cells = self._cells(start, end)
            self.number += 1
            self.grid.records.append((self.number, cells))
            where = f"سطر {start} فایل" if start == end else f"سطرهای {start} تا {end} فایل"
            if merged:
                reason = (f"گیومه‌ی بسته‌نشده سطرهای {first} تا {last} فایل را یک سطر کرده بود؛ "
                          f"این سطر ({where}) جدا خوانده و رد شد")
            elif broken:
                reason = f"گیومه‌ای در میان یک خانه این سطر ({where}) را چند تکه کرده بود"
            else:
                self._check_width(cells)
                continue
            self.grid.bad_rows.append((self.number, column_title(self.grid.header, 0), "stray-quote", reason))

    def _cells(self, first: int, last: int) -> list[str]:
        """The cells of lines first…last as one record, by position: as written, else with
        every quote taken literally, else the pieces joined as a cell's line breaks."""
        text = "".join(self.lines[first - 1:last])
        joined = []
        for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_NONE):
            records = list(csv.reader(io.StringIO(text, newline=""), quoting=quoting))
            cells = records[0] if records else []
            for more in records[1:]:
                cells = cells[:-1] + [(cells[-1] if cells else "") + "\n" + (more[0] if more else "")] + more[1:]
            if len(cells) == self.width:
                return cells
            joined = joined or cells
        return joined

    def _check_width(self, cells: list[str]) -> None:
        """A CSV row with more or fewer cells than the header: its cells are not where the
        header says (an unquoted comma shifts every later cell), so none can be trusted."""
        width = len(cells)
        extra = [i for i in range(self.width, width) if not is_blank(cells[i])]
        column = column_letter(extra[0]) if extra else column_title(self.grid.header, width)
        past = f": خانه‌ی {column} بیرون از سطر عنوان است" if extra else ""
        self.grid.bad_rows.append((self.number, column, "cell-count",
                                   f"این سطر {width} خانه دارد و سطر عنوان {self.width} خانه{past}"))
