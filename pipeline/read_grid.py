"""What every reader (CSV, workbook, HTML table) hands over: a header, numbered records, and
the problems it found on the way, before any header is matched to the schema."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Grid:
    file: str                           # the file's name, as the report shows it
    sheet: str                          # the sheet's title ("" for a CSV)
    header: list
    records: list[tuple[int, list]]     # (row number with the header as row 1, cells)
    # Rows the reader found malformed, rejected whatever their cells say:
    # (row, column as the report names it, code, reason).
    bad_rows: list[tuple[int, str, str, str]] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    # Cells holding the text of a formula that was never computed: (row, column index).
    formulas: list[tuple[int, int]] = field(default_factory=list)

    def warn(self, row: int, column: str, code: str, reason: str) -> None:
        self.warnings.append({"file": self.file, "sheet": self.sheet, "row": row,
                              "column": column, "code": code, "reason": reason})


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: how staff find a column in their spreadsheet."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_title(header: list, index: int) -> str:
    """The header over a column as the report names it; its letter when the header is empty."""
    title = header[index] if index < len(header) else None
    text = "" if title is None else str(title).strip()
    return text or column_letter(index)


def column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1
