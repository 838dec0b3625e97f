"""What the personal-data gate reads of the dated snapshots of earlier publications
(``gates.snapshot_published``, ``gates.snapshot_numbers``): what the whole files give, each
file read alone and only the columns looked at (a year of weekly snapshots at 100k rulings
would be gigabytes of data frames)."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

from pipeline import gates
from pipeline.schema import TABLES

DATES = ("2026-11-16", "2026-11-23", "2026-11-30")
AMOUNTS = ("1250000", "1250000.0", "1,250", "", "۱۲۵۰۰۰۰", "0499370899", "12.5")


def _cell(table, field, row: int, week: int) -> str:
    if field.published_when is not None or any(f.published_when and f.published_when.field == field.name
                                                 for f in table.fields):
        condition = next((f.published_when for f in table.fields
                          if f.published_when and f.published_when.field == field.name), None)
        if condition is not None:
            return condition.equals if row % 2 else "حقیقی"
    if field.kind.spec.privacy in gates._NUMBERS:
        return AMOUNTS[(row + week) % len(AMOUNTS)]
    return f"مقدار {field.name} شماره {row + week * 3}"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    for week, date in enumerate(DATES):
        folder = tmp_path / "data" / date
        folder.mkdir(parents=True)
        for table in TABLES:
            with (folder / f"{table.name}.csv").open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow([f.name for f in table.fields])
                for row in range(6):
                    writer.writerow([_cell(table, f, row, week) for f in table.fields])
    return tmp_path / "data"


def _whole_published(data: Path) -> set[tuple[str, ...]]:
    """The reference: every snapshot of a table, all columns, in one frame (as before)."""
    frames = []
    for table in TABLES:
        read = [pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
                for path in sorted(data.glob(f"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]/{table.name}.csv"))]
        frames.append((table, pd.concat(read, ignore_index=True) if read else pd.DataFrame()))
    return gates._published_elsewhere(frames)


def _whole_numbers(data: Path) -> set[str]:
    columns = {f.name for t in TABLES for f in t.public_fields if f.kind.spec.privacy in gates._NUMBERS}
    numbers: set[str] = set()
    for path in sorted(data.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]/*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                for name in columns & row.keys():
                    value = row[name] or ""
                    digits = re.sub(r"\D", "", value.split(".")[0] if re.fullmatch(r"\d+\.0+", value) else value)
                    if digits:
                        numbers.add(digits)
    return numbers


def test_the_published_values_of_the_snapshots_are_those_of_the_whole_files(data):
    found = gates.snapshot_published(data)
    assert found == _whole_published(data) and found


def test_each_snapshot_is_read_alone_and_only_the_columns_looked_at(data, monkeypatch):
    read = []
    real = pd.read_csv

    def read_csv(path, **kwargs):
        frame = real(path, **kwargs)
        read.append((Path(path).name, list(frame.columns)))
        return frame
    monkeypatch.setattr(pd, "read_csv", read_csv)
    gates.snapshot_published(data)
    assert len(read) == len(DATES) * len([t for t in TABLES if any(f.public_identity or f.published_when
                                                                     for f in t.fields)])
    for name, columns in read:
        table = next(t for t in TABLES if f"{t.name}.csv" == name)
        looked_at = {f.name for f in table.fields if f.public_identity}
        looked_at |= {n for f in table.fields if f.published_when for n in (f.name, f.published_when.field)}
        assert set(columns) <= looked_at and len(columns) < len(table.fields)


def test_the_published_numbers_of_the_snapshots_are_those_of_every_row(data):
    found = gates.snapshot_numbers(data)
    assert found == _whole_numbers(data) and "1250000" in found and "1250" in found


def test_a_snapshot_of_an_older_schema_without_a_deciding_column_is_read(data):
    """A conditional field whose deciding column an older snapshot lacks: withheld there, as
    when every snapshot was read into one frame."""
    for table in TABLES:
        for field in (f for f in table.fields if f.published_when):
            path = data / DATES[0] / f"{table.name}.csv"
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            frame.drop(columns=[field.published_when.field]).to_csv(path, index=False, encoding="utf-8-sig")
    assert gates.snapshot_published(data) == _whole_published(data)
