"""The same exports saved by a real office suite (headless LibreOffice) as .xls, .ods, .xlsx
and an HTML table under an .xls name give the same published datasets, byte for byte.

A subset of the bundled sample (every 25th ruling, every 5th property, and every row the
sample plants to be rejected) keeps the conversions and builds short; each format is
converted once per session."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from conftest import SAMPLE
from pipeline import build, settings
from pipeline.read import read_exports
from pipeline.schema import PROPERTIES, RULINGS, VIOLATIONS
from pipeline.validate import validate

CITY = settings.load()
PUBLISHED = "2025-03-21"
FORMATS = {"xls": "xls", "ods": "ods", "xlsx": "xlsx", "html": "xls"}  # LibreOffice filter -> our suffix


def _subset(folder: Path) -> Path:
    """A small copy of the sample: a stride of its rows plus every row it rejects."""
    rejected = {(p["sheet"] or t.sheet, p["row"]) for c, t in
                zip(validate(read_exports(SAMPLE), CITY).tables(), (RULINGS, VIOLATIONS, PROPERTIES))
                for p in c.problems}
    folder.mkdir()
    source = openpyxl.load_workbook(SAMPLE / "rulings.xlsx")
    rulings = source[RULINGS.sheet]
    keep = {row for row in range(2, rulings.max_row + 1) if row % 25 == 2 or (RULINGS.sheet, row) in rejected}
    numbers = {rulings.cell(row, 1).value for row in keep}
    violations = source[VIOLATIONS.sheet]
    keep_violations = {row for row in range(2, violations.max_row + 1)
                       if violations.cell(row, 1).value in numbers or (VIOLATIONS.sheet, row) in rejected}
    _copy(source, {RULINGS.sheet: keep, VIOLATIONS.sheet: keep_violations}, folder / "rulings.xlsx")
    source = openpyxl.load_workbook(SAMPLE / "properties.xlsx")
    sheet = source.worksheets[0]
    keep = {row for row in range(2, sheet.max_row + 1) if row % 5 == 2 or (PROPERTIES.sheet, row) in rejected
            or (sheet.title, row) in rejected}
    _copy(source, {sheet.title: keep}, folder / "properties.xlsx")
    return folder


def _copy(source, rows: dict[str, set[int]], path: Path) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, keep in rows.items():
        original, copy = source[title], book.create_sheet(title)
        for row in [1, *sorted(keep)]:
            copy.append([cell.value for cell in original[row]])
            for cell, new in zip(original[row], copy[copy.max_row]):
                new.number_format = cell.number_format
    book.save(path)


def _convert(soffice: str, sources: list[Path], target: str, outdir: Path, profile: Path) -> None:
    result = subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", target,
         "--outdir", str(outdir), *map(str, sources)],
        capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="session")
def office_exports(tmp_path_factory) -> dict[str, Path]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("soffice is missing: install Debian's libreoffice-calc (.ci/run does)")
    root = tmp_path_factory.mktemp("office")
    original = _subset(root / "original")
    sources = sorted(original.glob("*.xlsx"))
    folders = {"original": original}
    for target, suffix in FORMATS.items():
        converted = root / f"converted-{target}"
        _convert(soffice, sources, target, converted, root / "profile")
        folder = root / target
        folder.mkdir()
        for path in sorted(converted.iterdir()):
            path.rename(folder / f"{path.stem}.{suffix}")   # an HTML table saved as .xls
        folders[target] = folder
    return folders


@pytest.fixture(scope="session")
def original_files(office_exports) -> dict[str, bytes]:
    return build.prepare(office_exports["original"], CITY, published=PUBLISHED).files


def test_the_html_export_is_html(office_exports):
    head = (office_exports["html"] / "rulings.xls").read_bytes()[:200].lower()
    assert b"<html" in head or b"<!doctype html" in head


@pytest.mark.parametrize("target", sorted(FORMATS))
def test_every_office_format_gives_the_same_datasets(office_exports, original_files, target):
    publication = build.prepare(office_exports[target], CITY, published=PUBLISHED)
    assert sorted(publication.files) == sorted(original_files)
    differing = [name for name in original_files if publication.files[name] != original_files[name]]
    assert differing == []
    counts = [(c.read, c.published, c.rejected) for c in publication.validated.tables()]
    assert all(read == published + rejected for read, published, rejected in counts)
    assert sum(rejected for *_, rejected in counts) > 0, "the subset keeps the sample's planted bad rows"


@pytest.mark.parametrize("target", sorted(FORMATS))
def test_every_office_format_gives_the_same_report(office_exports, target):
    def report(folder):
        validated = validate(read_exports(folder), CITY)
        return [[(p["sheet"], p["row"], p["column"], p["code"], p["reason"]) for p in c.problems]
                + [(w["sheet"], w["row"], w["column"], w["code"], w["reason"]) for w in c.warnings]
                for c in validated.tables()]
    assert report(office_exports[target]) == report(office_exports["original"])
