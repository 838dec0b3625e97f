"""CSV exports: the encoding detected (never guessed), records numbered as the spec counts them,
and rows that a stray quote merged split apart again, so that none of them vanishes."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .errors import FileError
from .read_grid import Grid, column_letter
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
    try:
        header = next(reader, None)
        if header is None:
            raise FileError("missing-column", str(path), "the file is empty")
        grid = Grid(path.name, "", header, [])
        number, first_line = 1, reader.line_num + 1
        for cells in reader:
            number += 1
            # csv.reader counts physical lines: a record spans first_line … reader.line_num.
            swallowed = _swallowed(lines[first_line:reader.line_num], len(header)) if reader.line_num > first_line else []
            if swallowed:
                number = _split_merged(grid, number, cells, lines[first_line - 1], swallowed, first_line)
            else:
                grid.records.append((number, cells))
                _check_width(grid, number, cells)
            first_line = reader.line_num + 1
    except csv.Error as exc:
        raise FileError("unreadable-file", str(path), f"malformed CSV at line {reader.line_num}: {exc}") from None
    return grid


def _swallowed(lines: list[str], width: int) -> list[tuple[int, list[str]]]:
    """The lines of a multi-line cell that are records themselves: (offset, their cells).

    A ruling text may hold line breaks, but not a line whose first cell is an identifier and
    which has as many cells as the header: that is a record an unclosed quote swallowed."""
    found = []
    for offset, line in enumerate(lines, start=1):
        if line.count(",") < width - 1:
            continue  # too few separators to be a record: the usual line of a long text
        cells = _record_cells(line, width)
        if cells is not None:
            found.append((offset, cells))
    return found


_KEY_SHAPE = re.compile(r"[\w/.\-]+")


def _record_cells(line: str, width: int) -> list[str] | None:
    line = line.rstrip("\r\n")
    # The stray quote itself is a literal character: read with quotes as plain text too.
    for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_NONE):
        cells = next(csv.reader([line], quoting=quoting), [])
        if len(cells) == width and not is_blank(cells[0]) and _KEY_SHAPE.fullmatch(key(cells[0])):
            return cells
    return None


def _split_merged(grid: Grid, number: int, merged: list[str], first: str, swallowed: list,
                  first_line: int) -> int:
    """Rejects the merged record and every record it swallowed, each with its own cells
    read by position (so that their private values are known to the publish gate)."""
    width = len(grid.header)
    column = next((i for i, cell in enumerate(merged) if "\n" in cell or "\r" in cell), 0)
    title = _title(grid.header, column)
    own = _record_cells(first, width) or merged
    merged_number = number
    grid.records.append((number, own))
    grid.bad_rows.append((number, title, "stray-quote",
                          f"گیومه‌ی بسته‌نشده در این خانه سطرهای {number + 1} تا {number + len(swallowed)} "
                          f"(سطرهای {first_line + swallowed[0][0]} تا {first_line + swallowed[-1][0]} فایل) "
                          "را در خود گرفته است"))
    for offset, cells in swallowed:
        number += 1
        grid.records.append((number, cells))
        grid.bad_rows.append((number, _title(grid.header, 0), "stray-quote",
                              f"این سطر (سطر {first_line + offset} فایل) درون خانه‌ی «{title}» سطر "
                              f"{merged_number} افتاده بود: گیومه‌ی بسته‌نشده"))
    return number


def _check_width(grid: Grid, number: int, cells: list[str]) -> None:
    """A CSV row with more or fewer cells than the header: its cells are not where the header
    says (an unquoted comma shifts every later cell), so none of them can be trusted. Empty
    cells past the header, or missing under empty trailing headers, hide nothing."""
    width = len(grid.header)
    if len(cells) == width or all(is_blank(cell) for cell in cells):
        return
    named = max((i + 1 for i, title in enumerate(grid.header) if not is_blank(title)), default=0)
    extra = [i for i in range(width, len(cells)) if not is_blank(cells[i])]
    if len(cells) < named:
        grid.bad_rows.append((number, _title(grid.header, len(cells)), "cell-count",
                              f"این سطر {len(cells)} خانه دارد و سطر عنوان {width} خانه"))
    elif extra:
        grid.bad_rows.append((number, column_letter(extra[0]), "cell-count",
                              f"این سطر {len(cells)} خانه دارد و سطر عنوان {width} خانه: "
                              f"خانه‌ی {column_letter(extra[0])} بیرون از سطر عنوان است"))


def _title(header: list, index: int) -> str:
    title = str(header[index]).strip() if index < len(header) and header[index] is not None else ""
    return title or column_letter(index)
