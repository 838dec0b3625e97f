"""Whole-file errors stop the run with a clear message, a non-zero exit and nothing written."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from factory import write_exports
from pipeline import build, settings
from pipeline.errors import FileError
from pipeline.schema import RULINGS

ROOT = Path(__file__).resolve().parent.parent
CITY = settings.load()


def _header_without(name: str) -> list[str]:
    return [f.header for f in RULINGS.fields if f.name != name]


def break_missing_file(folder: Path):
    (folder / "properties.xlsx").unlink()


def break_garbage_csv(folder: Path):
    (folder / "properties.csv").write_bytes(bytes(range(256)) * 4)


def break_corrupt_xlsx(folder: Path):
    (folder / "rulings.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")


def break_missing_sheet(folder: Path):
    book = openpyxl.load_workbook(folder / "rulings.xlsx")
    book["تخلفات"].title = "Sheet2"
    book.save(folder / "rulings.xlsx")


def break_empty_csv(folder: Path):
    (folder / "violations.csv").write_bytes(b"")


FILE_CASES = [
    ("missing-file", "xlsx", {}, break_missing_file, "properties"),
    ("unreadable-file", "csv", {}, break_garbage_csv, "properties.csv"),
    ("unreadable-file", "xlsx", {}, break_corrupt_xlsx, "rulings.xlsx"),
    ("missing-sheet", "xlsx", {}, break_missing_sheet, "rulings.xlsx"),
    ("missing-column", "xlsx", {"headers": {"rulings": _header_without("ruling_date")}}, None, "rulings.xlsx"),
    ("missing-column", "csv", {"headers": {"rulings": _header_without("district")}}, None, "rulings.csv"),
    ("missing-column", "csv", {}, break_empty_csv, "violations.csv"),
]


@pytest.mark.parametrize("code,fmt,options,breaker,file", FILE_CASES,
                         ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(FILE_CASES)])
def test_file_errors_are_typed(tmp_path, code, fmt, options, breaker, file):
    folder = write_exports(tmp_path / "exports", fmt=fmt, **options)
    if breaker:
        breaker(folder)
    with pytest.raises(FileError) as caught:
        build.prepare(folder, CITY)
    assert caught.value.code == code
    assert file in caught.value.file


def test_missing_column_is_named(tmp_path):
    folder = write_exports(tmp_path, headers={"rulings": _header_without("ruling_date")})
    with pytest.raises(FileError) as caught:
        build.prepare(folder, CITY)
    assert "تاریخ رأی" in str(caught.value)


def _run_pipeline(exports: Path, work: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "--exports", str(exports), "--content", str(work / "content"),
         "--output", str(work / "output"), "--reports", str(work / "reports")],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
    )


def test_cli_stops_with_non_zero_exit_and_writes_nothing(tmp_path):
    folder = write_exports(tmp_path / "exports", headers={"rulings": _header_without("stage")})
    result = _run_pipeline(folder, tmp_path / "site")
    assert result.returncode == 2
    assert "missing-column" in result.stderr and "rulings.xlsx" in result.stderr and "مرحله" in result.stderr
    assert not (tmp_path / "site").exists()


def test_cli_writes_content_datasets_and_report(tmp_path):
    folder = write_exports(tmp_path / "exports")
    result = _run_pipeline(folder, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    assert (site / "content" / "rulings" / "1402-3-100.md").exists()
    assert (site / "output" / "data" / "rulings.csv").exists()
    assert (site / "reports" / "summary.json").exists()
    assert not list((site / "output").rglob("summary.json")), "the staff report is never published"
    assert "published" in result.stdout


def test_blank_lines_are_not_records_and_row_numbers_skip_them(tmp_path):
    folder = write_exports(tmp_path)
    book = openpyxl.load_workbook(folder / "rulings.xlsx")
    sheet = book["آرا"]
    sheet.insert_rows(2)                       # an empty row 2; the ruling moves to row 3
    sheet.cell(4, 1, "1402/3/101")             # row 4: a ruling with only its number
    book.save(folder / "rulings.xlsx")
    checked = build.prepare(folder, CITY).validated.rulings
    assert checked.read == 2
    assert {p["row"] for p in checked.problems} == {4}


def test_csv_record_numbers_count_multiline_cells_once(tmp_path):
    from factory import ruling
    folder = write_exports(tmp_path, fmt="csv",
                           rulings=[ruling(ruling_text="خط یک\nخط دو\nخط سه"), ruling(ruling_no="x/1", district="99")])
    checked = build.prepare(folder, CITY).validated.rulings
    assert [p["row"] for p in checked.problems] == [3]
