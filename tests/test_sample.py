"""The committed sample: regenerated from its seed, and everything it plants is handled."""
from __future__ import annotations

import hashlib

import pytest

from conftest import SAMPLE
from tools.make_sample_exports import generate


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("sample"))


def test_committed_sample_is_what_the_seeded_generator_makes(planted):
    for name, described in planted["files"].items():
        assert hashlib.sha256((SAMPLE / name).read_bytes()).hexdigest() == described["sha256"], name


def test_every_planted_bad_row_is_rejected_with_its_code(planted, sample_site):
    import csv
    with open(sample_site.reports / "rejections.csv", encoding="utf-8-sig", newline="") as handle:
        reported = {(r["file"], r["sheet"], int(r["row"]), r["code"]) for r in csv.DictReader(handle)}
    expected = {(p.file, p.sheet or "", p.row, p.code) for p in planted["bad_rows"]}
    assert expected <= reported
    assert {(f, s, r) for f, s, r, _ in reported} == {(f, s, r) for f, s, r, _ in expected}


def test_planted_personal_data_reaches_no_output_file(planted, sample_site):
    personal = ("owner-name-in-text", "national-id-in-text", "mobile-in-text", "postal-code-in-text",
                "postal-code-in-address")
    secrets = {p.note for p in planted["text_plantings"] if p.code in personal}
    secrets |= {p.note for p in planted["text_plantings"] if p.note.startswith("+98")}   # a phone as a formula
    assert len(secrets) > 10
    found = []
    for path in sample_site.output.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".csv", ".xml", ".txt", ".js", ".md"):
            text = path.read_text("utf-8", errors="ignore")
            found += [(str(path), s) for s in secrets if s in text]
    assert not found, found[:5]


def test_an_invalid_ten_digit_number_is_left_in_the_text(planted, sample_site):
    number = next(p.note for p in planted["text_plantings"] if p.code == "invalid-id-like-number")
    assert number in (sample_site.output / "data" / "rulings.csv").read_text("utf-8-sig")


def test_planted_markup_is_never_live_html(planted, sample_site):
    pages = [p.read_text("utf-8") for p in (sample_site.output / "rulings").glob("*/index.html")]
    for planting in planted["text_plantings"]:
        if planting.code in ("html-script", "html-tag", "markdown-link", "markdown-bold"):
            live = {"html-script": "<script>alert", "html-tag": "<b>", "markdown-link": 'href="javascript:',
                    "markdown-bold": "<strong>توجه"}[planting.code]
            assert not any(live in page for page in pages), planting.code


def test_the_flag_edges_are_planted_in_a_registry_where_every_commercial_group_is_let():
    """At 50k rulings (10k properties) every district held a let property of each of the first
    four land uses the edges look for, and `make bench` died generating its exports. The edges
    then go to groups no property is let in, where the planted medians are the only ones."""
    from tools import make_sample_exports as m

    props = [{"district": d, "land_use": lu, "occupancy": m.OCC_RENTED, "neighbourhood": f"محله {d}"}
             for d in range(1, 13) for lu in m.LAND_USES if lu not in (m.LU_RELIGIOUS, m.LU_GREEN)]
    edges = m._flag_edges(props, published=m.CAL.to_ordinal(1405, 8, 1))
    groups = {(p["district"], p["land_use"]) for p, _ in edges}
    assert len(groups) == 2
    assert not groups & {(p["district"], p["land_use"]) for p in props}
    assert {column for _, cases in edges for _, column, _ in cases} == {
        "flag_lease_expired", "flag_low_rent", "flag_no_contract"}
