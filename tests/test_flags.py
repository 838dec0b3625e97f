"""The property registry's flags (pipeline/flags.py), their listings and the registry figures.

Edge cases are planted in a small export set written here (``factory``): each threshold is
met exactly on one row and crossed by the smallest step on another. On the sample site every
flag column of ``properties.csv`` is recomputed from that CSV's own columns with plain
Python (never by calling ``pipeline/flags.py``), and the listings and statistics are checked
against those recomputed values."""
import dataclasses
import json
import re
import statistics
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest

import factory
from browser_helpers import fa_int, read_csv
from pipeline import build, settings
from pipeline.urls import URLS

CITY = settings.load()
PUBLISHED = "2024-03-19"
LET, ASSIGNED, MUNICIPAL, VACANT, ILLEGAL = "اجاره", "واگذار به نهاد", "در اختیار شهرداری", "خالی", "متصرف غیرقانونی"
FLAG_COLUMNS = ("flag_lease_expired", "flag_no_contract", "flag_occupied_illegally", "flag_vacant", "flag_low_rent")
SLUGS = {"flag_lease_expired": "lease-expired", "flag_no_contract": "no-contract",
         "flag_occupied_illegally": "occupied-illegally", "flag_vacant": "vacant", "flag_low_rent": "low-rent"}
COMPUTED = (*FLAG_COLUMNS, "rent_per_m2_rial", "rent_group_rows", "rent_group_median_per_m2_rial", "rent_to_appraisal")


def let(code, district="۵", rent=None, building="100", land="500", start="2023-01-01", end="2026-01-01", **more):
    return factory.property_(property_code=code, district=district, land_use="تجاری", occupancy=LET,
                             building_area_m2=building, land_area_m2=land, contract_start=start,
                             contract_end=end, monthly_rent_rial=rent, holder_kind="حقوقی",
                             holder="شرکت نمونه", **more)


# District 5, تجاری: five let properties with a rent, per m² 49,999 / 50,000 / 100,000 /
# 100,000 / 120,000: median 100,000, and 50 % of it is 50,000 exactly.
# District 6, تجاری: four (one fewer than rent_flag_min_group), one far below the others.
PLANTED = [
    let("P-05-0001", rent="4999900", end="2024-03-18", appraisal_rial="1199976000"),  # ended the day before
    let("P-05-0002", rent="5000000", end=PUBLISHED, appraisal_rial="1200000000"),     # ends on the day
    let("P-05-0003", rent="10000000"),
    let("P-05-0004", rent="10000000", appraisal_rial="0"),
    let("P-05-0005", rent="12000000", appraisal_rial=None),
    let("P-06-0001", district="۶", rent="1000000"),
    let("P-06-0002", district="۶", rent="10000000"),
    let("P-06-0003", district="۶", rent="10000000"),
    let("P-06-0004", district="۶", rent="2000000", building="0", land="200"),  # no building: by land
    let("P-07-0001", district="۷", start=None, end=None),                       # let, no dates, no rent
    factory.property_(property_code="P-07-0002", district="۷", occupancy=ASSIGNED, holder_kind="حقوقی",
                      holder="سازمان نمونه", contract_start="2023-01-01"),    # one date: a contract
    factory.property_(property_code="P-07-0003", district="۷", occupancy=ASSIGNED, holder_kind="حقوقی",
                      holder="سازمان نمونه"),                                   # assigned, no dates
    factory.property_(property_code="P-07-0004", district="۷", occupancy=MUNICIPAL),
    factory.property_(property_code="P-07-0005", district="۷", occupancy=VACANT),
    factory.property_(property_code="P-07-0006", district="۷", occupancy=ILLEGAL),
]


def prepared(tmp_path, city=CITY) -> dict[str, dict]:
    exports = factory.write_exports(tmp_path / "exports", properties=PLANTED)
    publication = build.prepare(exports, city, PUBLISHED)
    publication.search.result()
    rows = read_csv_bytes(publication.files["properties.csv"])
    assert len(rows) == len(PLANTED)  # every planted row is published
    return {r["property_code"]: r for r in rows}


def read_csv_bytes(data: bytes) -> list[dict]:
    import csv
    import io
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return prepared(tmp_path_factory.mktemp("flags"))


@pytest.mark.parametrize("code, expected", [("P-05-0001", "true"), ("P-05-0002", "false"),
                                            ("P-05-0003", "false"), ("P-07-0001", "false")])
def test_a_lease_ends_strictly_before_the_publication_date(planted, code, expected):
    assert planted[code]["flag_lease_expired"] == expected


@pytest.mark.parametrize("code, expected", [("P-07-0001", "true"), ("P-07-0002", "false"), ("P-07-0003", "true"),
                                            ("P-07-0004", "false"), ("P-05-0003", "false")])
def test_occupied_without_contract_dates(planted, code, expected):
    assert planted[code]["flag_no_contract"] == expected


def test_vacant_and_illegal_occupation(planted):
    assert {c for c, r in planted.items() if r["flag_vacant"] == "true"} == {"P-07-0005"}
    assert {c for c, r in planted.items() if r["flag_occupied_illegally"] == "true"} == {"P-07-0006"}
    assert {r["flag_vacant"] for c, r in planted.items() if c != "P-07-0005"} == {"false"}


def test_low_rent_at_the_threshold_is_not_flagged_and_just_below_is(planted):
    assert planted["P-05-0001"]["rent_per_m2_rial"] == "49999"
    assert planted["P-05-0002"]["rent_per_m2_rial"] == "50000"
    assert {planted[f"P-05-000{i}"]["rent_group_median_per_m2_rial"] for i in range(1, 6)} == {"100000"}
    assert {planted[f"P-05-000{i}"]["rent_group_rows"] for i in range(1, 6)} == {"5"}
    assert planted["P-05-0001"]["flag_low_rent"] == "true"
    assert [planted[f"P-05-000{i}"]["flag_low_rent"] for i in range(2, 6)] == ["false"] * 4


def test_a_group_below_the_minimum_is_not_compared(planted):
    group = [planted[f"P-06-000{i}"] for i in range(1, 5)]
    assert {r["rent_group_rows"] for r in group} == {"4"}
    assert {r["rent_group_median_per_m2_rial"] for r in group} == {""}
    assert {r["flag_low_rent"] for r in group} == {""}  # not compared: empty, not false
    # a property with no building is measured by its land
    assert planted["P-06-0004"]["rent_per_m2_rial"] == "10000"
    # not let, or no rent: never compared
    assert planted["P-07-0001"]["flag_low_rent"] == planted["P-07-0005"]["flag_low_rent"] == ""


def test_rent_to_appraisal(planted):
    assert planted["P-05-0002"]["rent_to_appraisal"] == "0.05"
    assert planted["P-05-0004"]["rent_to_appraisal"] == ""  # appraisal 0
    assert planted["P-05-0005"]["rent_to_appraisal"] == ""  # no appraisal
    assert planted["P-07-0005"]["rent_to_appraisal"] == ""  # no rent


def test_the_settings_move_the_flags(tmp_path):
    wider = prepared(tmp_path / "a", dataclasses.replace(CITY, rent_flag_percent=51))
    assert wider["P-05-0002"]["flag_low_rent"] == "true"   # 50,000 < 51 % of 100,000
    assert wider["P-05-0003"]["flag_low_rent"] == "false"
    smaller = prepared(tmp_path / "b", dataclasses.replace(CITY, rent_flag_min_group=4))
    assert smaller["P-06-0001"]["rent_group_median_per_m2_rial"] == "55000"  # 10000, 10000, 100000, 100000
    assert smaller["P-06-0001"]["flag_low_rent"] == "true"
    assert smaller["P-06-0002"]["flag_low_rent"] == "false"


@pytest.mark.parametrize("key, value", [("rent_flag_percent", 0), ("rent_flag_percent", 101),
                                        ("rent_flag_percent", 0.5), ("rent_flag_min_group", 1),
                                        ("rent_flag_min_group", True)])
def test_a_bad_threshold_stops_the_build(key, value):
    block = {f.name: getattr(CITY, f.name) for f in dataclasses.fields(CITY)}
    good = {"rent_flag_percent": 50, "rent_flag_min_group": 5}
    assert getattr(settings.municipality_from({**block, **good}), key) == good[key]
    with pytest.raises(settings.SettingsError, match=key):
        settings.municipality_from({**block, key: value})


def test_the_flags_are_in_the_data_files_but_not_in_the_fingerprints(planted):
    from pipeline.changes import TRACKED
    from pipeline.schema import PROPERTIES
    table, fields = TRACKED["properties"]
    assert set(COMPUTED) <= {f.name for f in PROPERTIES.dataset_fields}
    assert not set(COMPUTED) & set(fields)


# --- the sample site: recomputed from properties.csv alone ------------------------------------

def recompute(rows: list[dict], published: str, percent: int, minimum: int) -> dict[str, dict]:
    """Every computed column of each row, as the CSV writes it, from the CSV's own columns."""
    def number(text):
        return float(text) if text != "" else None

    def written(value, digits=6):
        if value is None:
            return ""
        value = round(value, digits)
        return str(int(value)) if value == int(value) else repr(value)

    def yes(value):
        return "" if value is None else ("true" if value else "false")

    per_m2 = {}
    for r in rows:
        rent = number(r["monthly_rent_rial"])
        if r["occupancy"] == LET and rent is not None:
            building = number(r["building_area_m2"]) or 0
            per_m2[r["property_code"]] = rent / (building if building > 0 else number(r["land_area_m2"]))
    groups = defaultdict(list)
    for r in rows:
        if r["property_code"] in per_m2:
            groups[(r["district"], r["land_use"])].append(per_m2[r["property_code"]])
    out = {}
    for r in rows:
        code, occupancy = r["property_code"], r["occupancy"]
        mine = per_m2.get(code)
        group = groups[(r["district"], r["land_use"])] if mine is not None else []
        median = statistics.median(group) if len(group) >= minimum else None
        rent, appraisal = number(r["monthly_rent_rial"]), number(r["appraisal_rial"])
        out[code] = {
            "flag_lease_expired": yes(occupancy == LET and r["contract_end"] != "" and r["contract_end"] < published),
            "flag_no_contract": yes(occupancy in (LET, ASSIGNED) and not r["contract_start"] and not r["contract_end"]),
            "flag_occupied_illegally": yes(occupancy == ILLEGAL),
            "flag_vacant": yes(occupancy == VACANT),
            "rent_per_m2_rial": written(mine, 0),  # whole Rials
            "rent_group_rows": str(len(group)) if mine is not None else "",
            "rent_group_median_per_m2_rial": written(median, 0),
            "flag_low_rent": yes(None if median is None else mine * 100 < percent * median),
            "rent_to_appraisal": written(12 * rent / appraisal if rent is not None and appraisal else None),
        }
    return out


@pytest.fixture(scope="module")
def sample_properties(sample_site):
    return read_csv(sample_site.output / URLS.data_file("properties.csv"))


@pytest.fixture(scope="module")
def expected_flags(sample_site, sample_properties):
    files = json.loads((sample_site.output / URLS.data_file("files.json")).read_text("utf-8"))
    return recompute(sample_properties, files["published"], CITY.rent_flag_percent, CITY.rent_flag_min_group)


def test_the_published_flag_columns_recompute_from_the_csv(sample_properties, expected_flags):
    assert sample_properties and set(COMPUTED) <= set(sample_properties[0])
    for row in sample_properties:
        assert {c: row[c] for c in COMPUTED} == expected_flags[row["property_code"]], row["property_code"]
    # the sample holds at least one property of every flag, so every listing has rows to check
    for column in FLAG_COLUMNS:
        assert any(e[column] == "true" for e in expected_flags.values()), column


def test_the_sample_plants_every_flag_edge(sample_properties):
    from tools.make_sample_exports import generate
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        plan = generate(folder)
    edges = [p for p in plan["edge_cases"] if p.code.startswith("flag-")]
    assert {p.code for p in edges} == {
        "flag-lease-ends-on-publication", "flag-lease-ended-the-day-before", "flag-rent-at-threshold",
        "flag-rent-just-below-threshold", "flag-group-below-minimum", "flag-let-without-dates",
        "flag-assigned-with-a-start-only"}
    by_code = {r["property_code"]: r for r in sample_properties}
    for planted_edge in edges:
        assert by_code[planted_edge.value][planted_edge.column] == planted_edge.note, planted_edge


def test_the_geojson_and_json_carry_the_flags(sample_site, expected_flags):
    geo = json.loads((sample_site.output / URLS.data_file("properties.geojson")).read_text("utf-8"))
    assert geo["features"]
    for feature in geo["features"]:
        props = feature["properties"]
        for column in FLAG_COLUMNS:
            want = expected_flags[props["property_code"]][column]
            assert props[column] == (None if want == "" else want == "true")
    records = json.loads((sample_site.output / URLS.data_file("properties.json")).read_text("utf-8"))
    assert all(isinstance(r["flag_vacant"], bool) for r in records)


def test_frictionless_validates_the_flag_columns(sample_site, sample_package_report):
    package = json.loads((sample_site.output / URLS.datapackage()).read_text("utf-8"))
    fields = {f["name"]: f for r in package["resources"] if r["name"] == "properties" for f in r["schema"]["fields"]}
    assert {fields[c]["type"] for c in FLAG_COLUMNS} == {"boolean"}
    assert fields["rent_to_appraisal"]["type"] == "number"
    report = sample_package_report
    assert report["valid"], [t["errors"][:3] for t in report["tasks"] if not t["valid"]]


def test_the_dictionary_lists_the_flags(sample_site):
    html = (sample_site.output / URLS.save_as(URLS.dictionary())).read_text("utf-8")
    for column in COMPUTED:
        assert column in html


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.in_table = [], False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.in_table = True
        if tag == "a" and self.in_table:
            self.hrefs.append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_table = False


def listed(output: Path, base: str) -> list[str]:
    """The property slugs a paginated listing shows, every page followed."""
    slugs, number = [], 1
    while (output / URLS.save_as(URLS.page(base, number))).is_file():
        parser = Links()
        parser.feed((output / URLS.save_as(URLS.page(base, number))).read_text("utf-8"))
        slugs += [re.search(r"properties/([^/]+)/$", h).group(1) for h in parser.hrefs]
        number += 1
    return slugs


@pytest.mark.parametrize("column", FLAG_COLUMNS)
def test_each_flag_listing_lists_exactly_the_flagged_properties(sample_site, sample_properties, expected_flags,
                                                                column):
    want = sorted(r["slug"] for r in sample_properties if expected_flags[r["property_code"]][column] == "true")
    base = URLS.property_flag(SLUGS[column])
    assert sorted(listed(sample_site.output, base)) == want
    html = (sample_site.output / URLS.save_as(base)).read_text("utf-8")
    assert fa_int(re.search(r'data-count="(\d+)"', html).group(1)) == len(want)
    # the properties index links the listing, with its count
    index = (sample_site.output / URLS.save_as(URLS.properties())).read_text("utf-8")
    link = re.search(rf'href="\.\./{re.escape(base)}">([^<]*)</a>', index)
    assert link and fa_int(link.group(1)) == len(want)


def test_a_flagged_property_page_says_so_and_links_the_definition(sample_site, sample_properties, expected_flags):
    for row in sample_properties:
        html = (sample_site.output / URLS.save_as(URLS.property(row["slug"]))).read_text("utf-8")
        shown = set(re.findall(r'data-flag="([a-z-]+)"', html))
        assert shown == {SLUGS[c] for c in FLAG_COLUMNS if expected_flags[row["property_code"]][c] == "true"}
        for slug in shown:
            assert f'{URLS.static_page("methodology")}#flag-{slug}"' in html
            assert f'{URLS.property_flag(slug)}"' in html


def test_the_methodology_page_defines_every_flag(sample_site):
    html = (sample_site.output / URLS.save_as(URLS.static_page("methodology"))).read_text("utf-8")
    for slug in (*SLUGS.values(), "flags"):
        anchor = "flags" if slug == "flags" else f"flag-{slug}"
        assert f'id="{anchor}"' in html
    assert 'id="rent-to-appraisal"' in html
    digits = str(CITY.rent_flag_percent).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert f"{digits} درصدِ این میانه" in html  # the setting's value, stated


# --- registry figures, recomputed from properties.csv ----------------------------------------

def expected_figures(rows: list[dict]) -> dict[str, dict[tuple, dict]]:
    def area(group):
        return sum(float(r["land_area_m2"]) for r in group)

    out = {}
    by = defaultdict(list)
    for r in rows:
        by[("use", r["land_use"])].append(r)
        by[("occ", r["occupancy"])].append(r)
        by[("dist", r["district"], r["occupancy"])].append(r)
    out["properties_by_use"] = {(k[1],): {"properties": len(g), "land_area_m2": area(g)}
                                for k, g in by.items() if k[0] == "use"}
    out["properties_by_occupancy"] = {(k[1],): {"properties": len(g), "land_area_m2": area(g),
                                                "share": len(g) / len(rows), "base_rows": len(rows)}
                                      for k, g in by.items() if k[0] == "occ"}
    out["properties_by_district"] = {(k[1], k[2]): {"properties": len(g), "land_area_m2": area(g)}
                                     for k, g in by.items() if k[0] == "dist"}
    rent = defaultdict(list)
    for r in rows:
        if r["monthly_rent_rial"] != "" and r["appraisal_rial"] != "" and float(r["appraisal_rial"]) > 0:
            rent[r["district"]].append((12 * float(r["monthly_rent_rial"]), float(r["appraisal_rial"])))
    out["rent_against_appraisal"] = {
        (d,): {"base_rows": len(g), "annual_rent_rial": sum(a for a, _ in g), "appraisal_rial": sum(b for _, b in g),
               "rent_to_appraisal": sum(a for a, _ in g) / sum(b for _, b in g),
               "median": statistics.median(a / b for a, b in g)}
        for d, g in rent.items()}
    return out


KEYS = {"properties_by_use": ("land_use",), "properties_by_occupancy": ("occupancy",),
        "properties_by_district": ("district", "occupancy"), "rent_against_appraisal": ("district",)}


def close(a, b) -> bool:
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))


@pytest.mark.parametrize("name", sorted(KEYS))
def test_registry_figures_recompute_from_properties_csv(sample_site, sample_properties, name):
    want = expected_figures(sample_properties)[name]
    got = read_csv(sample_site.output / URLS.stats_file(name))
    assert {tuple(r[k] for k in KEYS[name]) for r in got} == set(want)
    for row in got:
        for column, value in want[tuple(row[k] for k in KEYS[name])].items():
            assert close(row[column], value), (name, row, column, value)
    if name == "rent_against_appraisal":
        for row in got:
            assert row["small_sample"] == str(int(row["base_rows"]) < 20)


@pytest.mark.parametrize("name", sorted(KEYS))
def test_the_statistics_page_tables_hold_the_figures(sample_site, sample_properties, name):
    want = expected_figures(sample_properties)[name]
    html = (sample_site.output / URLS.save_as(URLS.stats())).read_text("utf-8")
    table = re.search(rf'<table[^>]*data-figure="{name}".*?</table>', html, re.S).group(0)
    assert re.search(rf'<section class="figure" id="{name}".*?<svg role="img"', html, re.S)
    body = re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)
    assert len(body) == len(want)
    for row in body:
        cells = dict(re.findall(r'data-column="([a-z_0-9]+)" data-value="([^"]*)"', row))
        key = tuple(cells[k] for k in KEYS[name])
        assert key in want
        assert int(cells.get("properties", cells.get("base_rows"))) == \
            want[key].get("properties", want[key].get("base_rows"))


def test_the_registry_charts_draw_the_published_numbers(sample_site):
    import xml.etree.ElementTree as ET
    html = (sample_site.output / URLS.save_as(URLS.stats())).read_text("utf-8")
    drawn = dict(re.findall(r'<section class="figure" id="(\w+)".*?(<svg.*?</svg>)', html, re.S))
    latin = str.maketrans("۰۱۲۳۴۵۶۷۸۹٫٬", "0123456789.,")

    def marks(name):
        return [dict(part.split(": ", 1) for part in e.get("aria-label").split("; "))
                for e in ET.fromstring(drawn[name]).iter()
                if e.tag.endswith("path") and e.get("role") == "graphics-symbol" and ": " in (e.get("aria-label") or "")
                and "axis" not in e.get("aria-label").lower()]

    occupancy = [m for m in marks("properties_by_occupancy") if "properties" in m]
    assert sorted((m["occupancy"], int(m["properties"].translate(latin).replace(",", ""))) for m in occupancy) == \
        sorted((r["occupancy"], int(r["properties"])) for r in read_csv(sample_site.output / URLS.stats_file("properties_by_occupancy")))
    district = [m for m in marks("properties_by_district") if "properties" in m]
    assert sorted((fa_int(m["district_fa"]), m["occupancy"], int(m["properties"].translate(latin).replace(",", "")))
                  for m in district) == sorted((int(r["district"]), r["occupancy"], int(r["properties"]))
                                               for r in read_csv(sample_site.output / URLS.stats_file("properties_by_district")))


def test_rent_per_m2_is_in_whole_rials_so_no_decimal_reads_as_a_national_id():
    """A generated 10k publish was refused: 66,200,000 Rials over 1,012.44 m² was written
    65386.59081, whose ten digits pass the national-ID checksum. Whole Rials; the flag itself
    compares the exact values."""
    from pipeline import flags
    from pipeline.personal import find
    import pandas as pd
    row = {"occupancy": LET, "contract_start": "2021-06-27", "contract_end": "2022-06-26", "district": 3,
           "land_use": "تجاری", "monthly_rent_rial": 66200000, "building_area_m2": 1012.44, "land_area_m2": 843.7,
           "appraisal_rial": 54468000000}
    assert find("65386.59081", set(), frozenset()), "the decimal that was written passes the checksum"
    frame = flags.flag(pd.DataFrame([row] * 5), CITY, PUBLISHED)
    assert frame["rent_per_m2_rial"].tolist() == [65387] * 5
    assert frame["rent_group_median_per_m2_rial"].tolist() == [65387] * 5
