"""What the personal-data gate reads of the dated snapshots of earlier publications
(``gates.snapshot_published``, ``gates.snapshot_numbers``): what the whole files give, each
file read alone and only the columns looked at (a year of weekly snapshots at 100k rulings
would be gigabytes of data frames)."""
from __future__ import annotations

import csv
import json
import re
import shutil
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


# --- the record of what the snapshots gave ------------------------------------------------

def _whole(data: Path) -> tuple[set, set]:
    return gates.snapshot_published(data), gates.snapshot_numbers(data)


def _values(data: Path, record: Path, **kwargs) -> gates.SnapshotValues:
    found = gates.snapshot_values(data, record, **kwargs)
    assert (found.published, found.numbers) == _whole(data)
    return found


def test_a_snapshot_read_once_is_not_read_again(data, tmp_path):
    record = tmp_path / "cache" / "snapshot-values"
    first = _values(data, record)
    assert (first.read, first.known) == (len(list(data.glob("*/*.csv"))), 0)
    again = _values(data, record)
    assert (again.read, again.known) == (0, first.read)
    assert _values(data, record, read_record=False).read == first.read   # FULL_CHECK reads every one


def test_a_new_week_reads_only_the_files_whose_bytes_are_new(data, tmp_path):
    record = tmp_path / "snapshot-values"
    _values(data, record)
    week = data / "2026-12-07"
    week.mkdir()
    for path in (data / DATES[-1]).glob("*.csv"):   # nothing changed: last week's bytes
        (week / path.name).write_bytes(path.read_bytes())
    assert _values(data, record).read == 0
    week = data / "2026-12-14"
    shutil.copytree(data / DATES[-1], week)
    rulings = week / "rulings.csv"
    rulings.write_text(rulings.read_text(encoding="utf-8-sig").replace("شماره 6", "تازه 99"), encoding="utf-8-sig")
    found = _values(data, record)
    assert found.read == 1 and any("تازه" in word for value in found.published for word in value)


@pytest.mark.parametrize("how", ["a snapshot removed", "a file changed in place"])
def test_a_record_of_files_no_longer_there_is_not_used(data, tmp_path, how):
    """Its values were read from files the site no longer publishes: they may be let pass no longer."""
    record = tmp_path / "snapshot-values"
    properties = data / DATES[0] / "properties.csv"
    text = properties.read_text(encoding="utf-8-sig")
    properties.write_text(text.replace("شماره 0", "فقط در این هفته"), encoding="utf-8-sig")
    assert any("فقط" in " ".join(value) for value in _values(data, record).published)
    if how == "a snapshot removed":
        shutil.rmtree(data / DATES[0])
    else:
        properties.write_text(text, encoding="utf-8-sig")
    found = _values(data, record)
    assert found.known == 0 and not any("فقط" in " ".join(value) for value in found.published)


@pytest.mark.parametrize("damage", ["truncated", "not json", "other code", "a list for a set"])
def test_a_damaged_record_is_not_used(data, tmp_path, damage):
    record = tmp_path / "snapshot-values"
    _values(data, record)
    kept = json.loads(record.read_text(encoding="utf-8"))
    record.write_text({"truncated": record.read_text(encoding="utf-8")[:-40],
                       "not json": "\x00\x01",
                       "other code": json.dumps({**kept, "code": "0" * 64, "published": [["planted"]]}),
                       "a list for a set": json.dumps({**kept, "files": [kept["files"]]})}[damage], encoding="utf-8")
    found = _values(data, record)
    assert found.known == 0 and ("planted",) not in found.published
