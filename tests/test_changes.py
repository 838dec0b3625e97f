"""The change log between publications, the dated snapshot and the other download formats.

Publications are made with the functions ``pipeline.publish`` calls (``build.prepare`` and
``changes.commit_state``), without Pelican, so that these tests stay fast.
"""
from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pytest

from factory import property_, ruling, violation, write_exports
from pipeline import build, changes, settings
from pipeline.schema import TABLES_BY_NAME

CITY = settings.load()
ATOM = "{http://www.w3.org/2005/Atom}"


def first_exports(folder: Path) -> Path:
    return write_exports(
        folder,
        rulings=[ruling(ruling_no="1402/3/100"),
                 ruling(ruling_no="1402/3/101", case_no="۵۵۱۰۱", owner_name="کاوه صادقی"),
                 ruling(ruling_no="1402/3/102", case_no="۵۵۱۰۲", owner_name="نسرین فرهادی")],
        violations=[violation(ruling_no="1402/3/100"), violation(ruling_no="1402/3/101"),
                    violation(ruling_no="1402/3/102")],
        properties=[property_(property_code="P-05-0001"), property_(property_code="P-05-0002", title="انبار")])


def second_exports(folder: Path) -> Path:
    """Unchanged 100; 101 with a new text, total and violation fine; 102 gone; 103 new;
    P-05-0001 now rented; P-05-0002 gone; P-07-0003 new."""
    return write_exports(
        folder,
        rulings=[ruling(ruling_no="1402/3/100"),
                 ruling(ruling_no="1402/3/101", case_no="۵۵۱۰۱", owner_name="کاوه صادقی",
                        ruling_text="اضافه بنا در طبقه سوم.", total_fine_rial="۱۵۰٬۰۰۰٬۰۰۰"),
                 ruling(ruling_no="1402/9/103", case_no="۵۵۱۰۳", ruling_date="۱۴۰۲/۰۹/۰۱", owner_name="رضا امینی")],
        violations=[violation(ruling_no="1402/3/100"),
                    violation(ruling_no="1402/3/101", fine_rial="150000000"),
                    violation(ruling_no="1402/9/103")],
        properties=[property_(property_code="P-05-0001", occupancy="اجاره"),
                    property_(property_code="P-07-0003", district="7", title="پارکینگ")])


def publish(exports: Path, state: Path, date: str) -> build.Publication:
    publication = build.prepare(exports, CITY, date, state)
    changes.commit_state(state, publication.change_log, changes.load_state(state)["published"])
    return publication


@pytest.fixture
def two_publications(tmp_path):
    state = tmp_path / "state"
    first = publish(first_exports(tmp_path / "a"), state, "2026-11-21")
    second = publish(second_exports(tmp_path / "b"), state, "2026-11-28")
    return first, second, state


EXPECTED_LOG = """\ufeffpublished,dataset,key,slug,change,fields\r
2026-11-28,rulings,1402/9/103,1402-9-103,added,\r
2026-11-28,rulings,1402/3/101,1402-3-101,changed,ruling_text total_fine_rial violations\r
2026-11-28,rulings,1402/3/102,,withdrawn,\r
2026-11-28,properties,P-07-0003,p-07-0003,added,\r
2026-11-28,properties,P-05-0001,p-05-0001,changed,occupancy\r
2026-11-28,properties,P-05-0002,,withdrawn,\r
2026-11-21,rulings,1402/3/100,1402-3-100,added,\r
2026-11-21,rulings,1402/3/101,1402-3-101,added,\r
2026-11-21,rulings,1402/3/102,1402-3-102,added,\r
2026-11-21,properties,P-05-0001,p-05-0001,added,\r
2026-11-21,properties,P-05-0002,p-05-0002,added,\r
"""


def test_two_publications_give_the_exact_change_log(two_publications):
    _first, second, state = two_publications
    assert second.files["changes.csv"].decode("utf-8") == EXPECTED_LOG
    dated = second.files["2026-11-28/changes.csv"].decode("utf-8")
    assert dated.splitlines() == EXPECTED_LOG.splitlines()[:7]
    history = json.loads(second.files["changes.json"])["publications"]
    assert [p["published"] for p in history] == ["2026-11-28", "2026-11-21"]
    assert history[0]["baseline"] == "2026-11-21" and history[1]["baseline"] is None
    assert history[0]["counts"] == {"rulings": {"added": 1, "changed": 1, "withdrawn": 1},
                                    "properties": {"added": 1, "changed": 1, "withdrawn": 1}}
    # The state now holds exactly what was published.
    assert (state / "changes.json").read_bytes() == second.files["changes.json"]
    assert json.loads((state / "published.json").read_text("utf-8"))["published"] == "2026-11-28"
    assert json.loads((state / "previous.json").read_text("utf-8"))["published"] == "2026-11-21"


def test_unchanged_exports_change_nothing(tmp_path):
    state = tmp_path / "state"
    exports = first_exports(tmp_path / "a")
    publish(exports, state, "2026-11-21")
    again = publish(exports, state, "2026-11-28")
    assert again.change_log.changes == []
    assert [p["published"] for p in again.change_log.history] == ["2026-11-28", "2026-11-21"]


def test_publishing_twice_on_one_day_replaces_that_day(tmp_path):
    """The second run of the day compares with the day before, so its entry holds both runs'
    changes and no record is listed twice or lost."""
    state = tmp_path / "state"
    publish(first_exports(tmp_path / "a"), state, "2026-11-21")
    publish(first_exports(tmp_path / "a"), state, "2026-11-28")   # nothing changed yet
    later = publish(second_exports(tmp_path / "b"), state, "2026-11-28")
    assert later.files["changes.csv"].decode("utf-8") == EXPECTED_LOG
    assert later.change_log.baseline == "2026-11-21"


def test_a_build_without_publish_does_not_move_the_baseline(tmp_path):
    state = tmp_path / "state"
    publish(first_exports(tmp_path / "a"), state, "2026-11-21")
    before = {p.name: p.read_bytes() for p in state.iterdir()}
    build.prepare(second_exports(tmp_path / "b"), CITY, "2026-11-28", state)
    assert {p.name: p.read_bytes() for p in state.iterdir()} == before


@pytest.mark.parametrize("damage", ["{not json", '{"format": 99, "published": "2026-11-21"}'])
def test_a_damaged_state_stops_the_build(tmp_path, damage):
    state = tmp_path / "state"
    state.mkdir()
    (state / "published.json").write_text(damage, encoding="utf-8")
    with pytest.raises(changes.ChangesError, match="published.json"):
        build.prepare(first_exports(tmp_path / "a"), CITY, "2026-11-28", state)


def test_change_feed_is_deterministic_and_lists_every_publication(two_publications, tmp_path):
    _first, second, _state = two_publications
    feed = changes.atom_feed(second.change_log, "شفاف", "https://shafaf.example.org")
    assert feed == changes.atom_feed(second.change_log, "شفاف", "https://shafaf.example.org")
    root = ET.fromstring(feed)
    assert root.find(f"{ATOM}updated").text == "2026-11-28T00:00:00Z"
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}id").text for e in entries] == ["tag:shafaf,2024:changes/2026-11-28",
                                                           "tag:shafaf,2024:changes/2026-11-21"]
    content = entries[0].find(f"{ATOM}content").text
    assert 'href="https://shafaf.example.org/rulings/1402-9-103/"' in content
    assert "1402/3/102" not in content and "۱۴۰۲/۳/۱۰۲" in content  # withdrawn: listed, no link
    assert "rulings/1402-3-102/" not in content


def test_dated_snapshot_holds_the_same_files(two_publications):
    _first, second, _state = two_publications
    latest = {n for n in second.files if "/" not in n}
    for name in latest - {"changes.csv", "changes.json"}:
        assert second.files[f"2026-11-28/{name}"] == second.files[name], name
    catalogue = json.loads(second.files["files.json"])
    assert catalogue["published"] == "2026-11-28" and catalogue["snapshot"] == "2026-11-28/"
    import hashlib
    for dataset in catalogue["datasets"]:
        for entry in dataset["files"]:
            data = second.files[entry["path"]]
            assert (entry["bytes"], entry["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())


@pytest.mark.parametrize("name", ["rulings", "violations", "properties"])
def test_xlsx_matches_the_csv_and_is_reproducible(tmp_path, name):
    # CSV: an xlsx export would hold a real formula, which the reader sees as empty.
    exports = write_exports(tmp_path / "x", rulings=[ruling(ruling_text="=HYPERLINK(\"http://x\")")], fmt="csv")
    one = build.prepare(exports, CITY, "2026-11-28")
    two = build.prepare(exports, CITY, "2026-11-28")
    assert one.files[f"{name}.xlsx"] == two.files[f"{name}.xlsx"]
    with zipfile.ZipFile(io.BytesIO(one.files[f"{name}.xlsx"])) as package:
        assert {i.date_time for i in package.infolist()} == {(2023, 8, 3, 0, 0, 0)}  # the data's: its newest ruling, ۱۴۰۲/۰۵/۱۲
    sheet = openpyxl.load_workbook(io.BytesIO(one.files[f"{name}.xlsx"])).active
    rows = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    table = list(csv.reader(io.StringIO(one.files[f"{name}.csv"].decode("utf-8-sig"))))
    # The workbook's headers are the schema's Persian titles of the CSV's columns.
    titles = {f.name: f.header for f in TABLES_BY_NAME[name].all_fields}
    assert rows[0] == [titles[c] for c in table[0]] and len(rows) == len(table)
    for got, want in zip(rows[1:], table[1:]):
        for cell, text in zip(got, want):
            if isinstance(cell, str):
                assert cell == text.removeprefix("'") if text.startswith("'=") else cell == text
            elif hasattr(cell, "date"):
                assert cell.date().isoformat() == text
            elif isinstance(cell, bool):  # a flag (pipeline/flags.py): true/false in the CSV
                assert ("true" if cell else "false") == text
            elif cell != "":
                assert float(cell) == float(text)
    if name == "rulings":
        column = table[0].index("ruling_text")
        assert rows[1][column].startswith("=HYPERLINK")  # text, not a formula:
        raw = openpyxl.load_workbook(io.BytesIO(one.files["rulings.xlsx"])).active
        assert raw.cell(2, column + 1).data_type == "s"


def test_geojson_has_the_properties_with_coordinates(tmp_path):
    exports = write_exports(tmp_path / "x", properties=[
        property_(), property_(property_code="P-05-0002", latitude=None, longitude=None)])
    publication = build.prepare(exports, CITY, "2026-11-28")
    collection = json.loads(publication.files["properties.geojson"])
    assert collection["type"] == "FeatureCollection"
    assert [f["id"] for f in collection["features"]] == ["P-05-0001"]
    assert collection["features"][0]["geometry"] == {"type": "Point", "coordinates": [50.96, 35.83]}
