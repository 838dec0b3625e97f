"""Every row error code, from a real bad file in every accepted format and encoding."""
from __future__ import annotations

from pathlib import Path

import pytest

from factory import property_, ruling, violation, write_exports
from pipeline import build, settings
from pipeline.values import match_key

CITY = settings.load()


def _appeal(number: str, reviews: str) -> dict:
    return ruling(ruling_no=number, stage="تجدیدنظر", appealed_ruling_no=reviews, appeal_result="تأیید")

FORMATS = [("xlsx", None), ("csv", "utf-8"), ("csv", "utf-8-sig"), ("csv", "cp1256")]
FORMAT_IDS = ["xlsx", "csv-utf8", "csv-bom", "csv-cp1256"]

# (case id, exports overrides, table, spreadsheet row, column header, code)
CASES = [
    ("impossible-date", {"rulings": [ruling(ruling_date="1402/12/30")], "violations": []},
     "rulings", 2, "تاریخ رأی", "bad-date"),
    ("month-13", {"rulings": [ruling(ruling_date="1402/13/01")], "violations": []},
     "rulings", 2, "تاریخ رأی", "bad-date"),
    ("garbled-date", {"rulings": [ruling(ruling_date="دیروز")], "violations": []},
     "rulings", 2, "تاریخ رأی", "bad-date"),
    ("blank-required", {"rulings": [ruling(council_rep="   ")], "violations": []},
     "rulings", 2, "نماینده شورای شهر", "missing-required"),
    ("appeal-without-target", {"rulings": [ruling(stage="تجدیدنظر", appeal_result="تایید")], "violations": []},
     "rulings", 2, "شماره رأی بدوی", "missing-required"),
    ("district-15", {"rulings": [ruling(district="15")], "violations": []},
     "rulings", 2, "منطقه", "out-of-range"),
    ("district-0", {"properties": [property_(district="منطقه 0")]},
     "properties", 2, "منطقه", "out-of-range"),
    ("unknown-stage", {"rulings": [ruling(stage="نهایی")], "violations": []},
     "rulings", 2, "مرحله", "unknown-enum"),
    ("bad-amount", {"rulings": [ruling(total_fine_rial="صد میلیون")], "violations": []},
     "rulings", 2, "مبلغ کل جریمه (ریال)", "bad-number"),
    ("negative-amount", {"rulings": [ruling(total_fine_rial="-5")], "violations": []},
     "rulings", 2, "مبلغ کل جریمه (ریال)", "out-of-range"),
    ("unsafe-key", {"rulings": [ruling(ruling_no="<script>")], "violations": []},
     "rulings", 2, "شماره رأی", "bad-key"),
    ("duplicate-ruling", {"rulings": [ruling(), ruling(case_no="999")]},
     "rulings", 3, "شماره رأی", "duplicate-key"),
    ("orphan", {"violations": [violation(), violation(ruling_no="1402/9/9")]},
     "violations", 3, "شماره رأی", "orphan-violation"),
    ("orphan-of-rejected", {"rulings": [ruling(ruling_date="1402/12/30")]},
     "violations", 2, "شماره رأی", "orphan-of-rejected"),
    ("multiplier-5", {"violations": [violation(multiplier="5")]},
     "violations", 2, "ضریب", "out-of-range"),
    ("unknown-decision", {"violations": [violation(decision="تخریب کامل")]},
     "violations", 2, "نوع رأی", "unknown-enum"),
    ("seven-dang", {"properties": [property_(share_dang="7")]},
     "properties", 2, "سهم (دانگ)", "out-of-range"),
    ("zero-land-area", {"properties": [property_(land_area_m2="0")]},
     "properties", 2, "مساحت عرصه (مترمربع)", "out-of-range"),
    ("latitude-outside-city", {"properties": [property_(latitude="40.1")]},
     "properties", 2, "عرض جغرافیایی", "out-of-range"),
    ("contract-ends-before-start", {"properties": [property_(contract_start="1402/05/01", contract_end="1401/05/01")]},
     "properties", 2, "تاریخ پایان قرارداد", "date-order"),
    ("duplicate-property", {"properties": [property_(), property_(title="دیگری")]},
     "properties", 3, "کد ملک", "duplicate-key"),
    ("total-row", {"rulings": [ruling(), {"ruling_no": "جمع کل", "total_fine_rial": "120000000"}]},
     "rulings", 3, "تاریخ رأی", "missing-required"),
    # A key becomes a file and a folder name: 500 characters crashed the run ("file name too long").
    ("ruling-no-500-characters", {"rulings": [ruling(ruling_no="1402/" + "1" * 495)], "violations": []},
     "rulings", 2, "شماره رأی", "key-too-long"),
    ("property-code-500-characters", {"properties": [property_(property_code="P-" + "۵" * 498)]},
     "properties", 2, "کد ملک", "key-too-long"),
    ("case-no-500-characters", {"rulings": [ruling(case_no="۵" * 500)], "violations": []},
     "rulings", 2, "شماره پرونده", "key-too-long"),
    ("violation-of-a-500-character-ruling", {"violations": [violation(ruling_no="1" * 500)]},
     "violations", 2, "شماره رأی", "key-too-long"),
    # An ID or a mobile typed into a key would be published as it is (keys are never redacted).
    ("ruling-no-national-id", {"rulings": [ruling(ruling_no="001-234-5679")], "violations": []},
     "rulings", 2, "شماره رأی", "personal-data-in-key"),
    ("case-no-mobile", {"rulings": [ruling(case_no="۰۹۱۲.۱۲۳.۴۵۶۷")], "violations": []},
     "rulings", 2, "شماره پرونده", "personal-data-in-key"),
    ("property-code-national-id", {"properties": [property_(property_code="4279538158")]},
     "properties", 2, "کد ملک", "personal-data-in-key"),
    # Keys whose page would take the path of a listing page (a Pelican traceback before).
    *[(f"ruling-no-{key}", {"rulings": [ruling(ruling_no=key)], "violations": []},
       "rulings", 2, "شماره رأی", "reserved-key")
      for key in ("page", "PAGE", " Page ")],
    *[(f"property-code-{key}", {"properties": [property_(property_code=key)]},
       "properties", 2, "کد ملک", "reserved-key")
      for key in ("use", "district", "occupancy", "page", "USE", "Occupancy")],
    # Appeals that review themselves or each other in a ring.
    ("appeal-to-itself", {"rulings": [ruling(ruling_no="1402/7/200", stage="تجدیدنظر", appealed_ruling_no="1402/7/200",
                                             appeal_result="نقض")], "violations": []},
     "rulings", 2, "شماره رأی بدوی", "appeal-to-itself"),
    ("appeal-to-itself-in-persian-digits",
     {"rulings": [ruling(ruling_no="1402/7/200", stage="تجدیدنظر", appealed_ruling_no="۱۴۰۲/۷/۲۰۰",
                         appeal_result="نقض")], "violations": []},
     "rulings", 2, "شماره رأی بدوی", "appeal-to-itself"),
    ("appeal-cycle-of-two", {"rulings": [_appeal("1402/7/1", "1402/7/2"), _appeal("1402/7/2", "1402/7/1")],
                             "violations": []},
     "rulings", 3, "شماره رأی بدوی", "appeal-cycle"),
    ("appeal-cycle-of-four", {"rulings": [_appeal("1402/7/1", "1402/7/2"), _appeal("1402/7/2", "1402/7/3"),
                                          _appeal("1402/7/3", "1402/7/4"), _appeal("1402/7/4", "1402/7/1")],
                              "violations": []},
     "rulings", 5, "شماره رأی بدوی", "appeal-cycle"),
    # Dates past the horizon (today in Tehran) or before 1300/01/01.
    ("ruling-in-1499", {"rulings": [ruling(ruling_date="1499/01/01")], "violations": []},
     "rulings", 2, "تاریخ رأی", "date-out-of-range"),
    ("ruling-in-2099", {"rulings": [ruling(ruling_date="2099-01-01")], "violations": []},
     "rulings", 2, "تاریخ رأی", "date-out-of-range"),
    ("ruling-in-1910", {"rulings": [ruling(ruling_date="1910-05-05")], "violations": []},
     "rulings", 2, "تاریخ رأی", "date-out-of-range"),
    ("contract-start-in-1910", {"properties": [property_(contract_start="1910/01/01")]},
     "properties", 2, "تاریخ شروع قرارداد", "date-out-of-range"),
]


@pytest.mark.parametrize("fmt,encoding", FORMATS, ids=FORMAT_IDS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_row_is_rejected_with_its_code(tmp_path, case, fmt, encoding):
    _, overrides, table, row, column, code = case
    folder = write_exports(tmp_path, fmt=fmt, encoding=encoding or "utf-8", **overrides)
    publication = build.prepare(folder, CITY)
    checked = {c.table.name: c for c in publication.validated.tables()}[table]
    # The report names the column as the file spells it (Arabic letters in a cp1256 file).
    found = [(p["row"], match_key(p["column"]), p["code"]) for p in checked.problems]
    assert (row, match_key(column), code) in found
    expected_file = "rulings.xlsx" if fmt == "xlsx" and table != "properties" else (
        "properties.xlsx" if fmt == "xlsx" else f"{table}.csv")
    assert all(p["file"] == expected_file for p in checked.problems)
    for c in publication.validated.tables():
        assert c.read == c.published + c.rejected


@pytest.mark.parametrize("fmt,encoding", FORMATS, ids=FORMAT_IDS)
def test_valid_exports_publish_every_row(tmp_path, fmt, encoding):
    folder = write_exports(tmp_path, fmt=fmt, encoding=encoding or "utf-8")
    publication = build.prepare(folder, CITY)
    assert [(c.read, c.published, c.rejected) for c in publication.validated.tables()] == [(1, 1, 0)] * 3
    record = publication.rulings[0]
    assert record["ruling_no"] == "1402/3/100"
    assert record["ruling_date"] == "2023-08-03"
    assert record["district"] == 5
    assert record["total_fine_rial"] == 120_000_000
    assert record["interior_rep"] == "حسن رضایی"      # the Arabic yeh of a cp1256 file is folded
    assert publication.properties[0]["land_area_m2"] == 1250.5


def test_leap_year_1403_has_30_esfand(tmp_path):
    folder = write_exports(tmp_path, rulings=[ruling(ruling_date="1403/12/30")], violations=[])
    publication = build.prepare(folder, CITY)
    assert publication.rulings[0]["ruling_date"] == "2025-03-20"


def test_excel_date_cell_is_taken_as_gregorian(tmp_path):
    import datetime as dt
    folder = write_exports(tmp_path, rulings=[ruling(ruling_date=dt.datetime(2024, 1, 15))], violations=[])
    assert build.prepare(folder, CITY).rulings[0]["ruling_date"] == "2024-01-15"


def test_member_names_in_arabic_letters_are_normalised(tmp_path):
    folder = write_exports(tmp_path, rulings=[ruling(council_rep="علي  كريمي ")], violations=[])
    assert build.prepare(folder, CITY).rulings[0]["council_rep"] == "علی کریمی"


def test_first_of_duplicates_is_published(tmp_path):
    folder = write_exports(tmp_path, rulings=[ruling(case_no="111"), ruling(case_no="222")])
    publication = build.prepare(folder, CITY)
    assert [r["case_no"] for r in publication.rulings] == ["111"]


def test_violation_sequence_follows_the_export_order(tmp_path):
    folder = write_exports(tmp_path, violations=[violation(floor="اول"), violation(floor="دوم")])
    record = build.prepare(folder, CITY).rulings[0]
    assert [(v["seq"], v["floor"]) for v in record["violations"]] == [(1, "اول"), (2, "دوم")]


@pytest.mark.parametrize("case,overrides,code", [
    ("fines-do-not-add-up", {"rulings": [ruling(total_fine_rial="1000")]}, "fine-sum-mismatch"),
    ("fine-formula", {"violations": [violation(fine_rial="5")], "rulings": [ruling(total_fine_rial="5")]}, "fine-formula-mismatch"),
    ("appeal-target-missing", {"rulings": [ruling(stage="تجدیدنظر", appealed_ruling_no="1401/1/1", appeal_result="نقض")]},
     "appeal-target-missing"),
])
def test_consistency_problems_are_warnings_not_rejections(tmp_path, case, overrides, code):
    publication = build.prepare(write_exports(tmp_path, **overrides), CITY)
    warnings = [w["code"] for c in publication.validated.tables() for w in c.warnings]
    assert code in warnings
    assert all(c.rejected == 0 for c in publication.validated.tables())


def test_unknown_column_is_a_warning(tmp_path):
    from pipeline.schema import RULINGS
    header = [f.header for f in RULINGS.fields] + ["ستون اضافه"]
    folder = write_exports(tmp_path, headers={"rulings": header})
    warnings = build.prepare(folder, CITY).validated.rulings.warnings
    assert [(w["code"], w["column"]) for w in warnings] == [("unknown-column", "ستون اضافه")]


def test_headers_match_through_variants(tmp_path):
    from pipeline.schema import RULINGS
    header = [f.header for f in RULINGS.fields]
    header[0] = " شماره  راي "                 # Arabic yeh, no hamza, odd spaces
    header[1] = "کلاسه پرونده"                  # an alias
    folder = write_exports(tmp_path, headers={"rulings": header})
    assert build.prepare(folder, CITY).validated.rulings.published == 1


def test_two_numbers_that_would_share_a_page_address(tmp_path):
    folder = write_exports(tmp_path, rulings=[ruling(ruling_no="1402/3/100"), ruling(ruling_no="1402.3.100")],
                           violations=[])
    checked = build.prepare(folder, CITY).validated.rulings
    assert [(p["row"], p["code"]) for p in checked.problems] == [(3, "bad-key")]


def test_every_ruling_of_an_appeal_cycle_is_rejected_and_what_points_at_it_is_warned(tmp_path):
    rulings = [_appeal("1402/7/1", "1402/7/2"), _appeal("1402/7/2", "1402/7/3"), _appeal("1402/7/3", "1402/7/1"),
               _appeal("1402/7/9", "1402/7/1"), ruling(ruling_no="1402/3/100")]
    checked = build.prepare(write_exports(tmp_path, rulings=rulings, violations=[]), CITY).validated.rulings
    assert [(p["row"], p["code"]) for p in checked.problems] == [(2, "appeal-cycle"), (3, "appeal-cycle"),
                                                                   (4, "appeal-cycle")]
    assert "1402/7/1 → 1402/7/2 → 1402/7/3 → 1402/7/1" in checked.problems[0]["reason"]
    assert sorted(checked.frame["ruling_no"]) == ["1402/3/100", "1402/7/9"]
    assert [(w["row"], w["code"]) for w in checked.warnings] == [(5, "appeal-target-missing")]


def test_a_long_appeal_cycle_is_named_in_part_and_counted(tmp_path):
    numbers = [f"1402/7/{n}" for n in range(1, 13)]
    rulings = [_appeal(number, numbers[(i + 1) % 12]) for i, number in enumerate(numbers)]
    checked = build.prepare(write_exports(tmp_path, rulings=rulings, violations=[], fmt="csv"), CITY).validated.rulings
    assert [p["code"] for p in checked.problems] == ["appeal-cycle"] * 12
    assert checked.problems[5]["reason"].endswith("1402/7/9 → 1402/7/10 → … (12 رأی)")


def test_a_chain_of_appeals_without_a_cycle_is_published(tmp_path):
    rulings = [ruling(ruling_no="1402/3/100"), _appeal("1402/7/1", "1402/3/100"), _appeal("1402/7/2", "1402/7/1")]
    checked = build.prepare(write_exports(tmp_path, rulings=rulings, violations=[]), CITY).validated.rulings
    assert (checked.read, checked.published, checked.problems) == (3, 3, [])


@pytest.mark.parametrize("date,published", [("1403/01/01", True), ("1403/01/02", False),
                                            ("2024-03-20", True), ("2024-03-21", False)])
def test_the_horizon_is_today_in_tehran_or_shafaf_today(tmp_path, monkeypatch, date, published):
    monkeypatch.setenv("SHAFAF_TODAY", "2024-03-20")      # 1403/01/01
    checked = build.prepare(write_exports(tmp_path, rulings=[ruling(ruling_date=date)], violations=[]),
                            CITY).validated.rulings
    assert checked.published == int(published)
    assert [p["code"] for p in checked.problems] == ([] if published else ["date-out-of-range"])


def test_the_horizon_applies_to_excel_date_cells(tmp_path, monkeypatch):
    import datetime as dt
    monkeypatch.setenv("SHAFAF_TODAY", "2024-03-20")
    folder = write_exports(tmp_path, rulings=[ruling(ruling_date=dt.datetime(2024, 3, 21))], violations=[])
    assert [p["code"] for p in build.prepare(folder, CITY).validated.rulings.problems] == ["date-out-of-range"]


def test_a_contract_may_end_after_today(tmp_path, monkeypatch):
    monkeypatch.setenv("SHAFAF_TODAY", "2024-03-20")
    folder = write_exports(tmp_path, properties=[property_(contract_start="1402/01/01", contract_end="1410/01/01")])
    assert build.prepare(folder, CITY).validated.properties.published == 1


def test_a_ruling_past_the_horizon_does_not_become_the_updated_date(tmp_path):
    import json
    rulings = [ruling(), ruling(ruling_no="1402/3/101", ruling_date="1499/01/01")]
    publication = build.prepare(write_exports(tmp_path, rulings=rulings, violations=[]), CITY)
    assert json.loads(publication.files["datapackage.json"])["updated"] == "2023-08-03"


@pytest.mark.parametrize("value", ["tomorrow", "2024-13-01", "1403/01/01", " "])
def test_a_bad_shafaf_today_stops_the_run(tmp_path, monkeypatch, value):
    monkeypatch.setenv("SHAFAF_TODAY", value)
    with pytest.raises(settings.SettingsError, match="SHAFAF_TODAY"):
        build.prepare(write_exports(tmp_path), CITY)


# Each spelling looks like «علی کریمی» on screen; before, each one made a member page of its own.
INVISIBLE_SPELLINGS = [
    "علی\u2060 کریمی",            # word joiner
    "علی کر\u034fیمی",            # combining grapheme joiner
    "علی \u3164کریمی",            # Hangul filler
    "\u115fعلی کریمی\u1160",      # Hangul choseong / jungseong fillers
    "علی کریمی\U000e0041\U000e007f",  # tag characters
    "علی\ufe0f کریمی",            # variation selector
    "\ufeffعلی کریمی\u200b",      # BOM, zero-width space
    "عل\u00adی کریمی",            # soft hyphen
    "علی کریمی\u2063",            # invisible separator
    "علی\U000e0100 کریمی",        # variation selector supplement
    "علی کریمی\u180e",            # Mongolian vowel separator
    "علی\u206f کریمی",            # nominal digit shapes (deprecated format character)
    "علی کریمی\ufff9",            # interlinear annotation anchor
]


def test_invisible_characters_do_not_split_a_member(tmp_path):
    rulings = [ruling(ruling_no=f"1402/3/{100 + i}", council_rep=name) for i, name in enumerate(INVISIBLE_SPELLINGS)]
    publication = build.prepare(write_exports(tmp_path, rulings=rulings, violations=[]), CITY)
    assert {r["council_rep"] for r in publication.rulings} == {"علی کریمی"}
    assert publication.validated.rulings.published == len(INVISIBLE_SPELLINGS)


def test_a_name_of_invisible_characters_only_is_missing(tmp_path):
    folder = write_exports(tmp_path, rulings=[ruling(council_rep="\u3164\u2060\U000e0020")], violations=[])
    problems = build.prepare(folder, CITY).validated.rulings.problems
    assert [(p["row"], p["code"]) for p in problems] == [(2, "missing-required")]


@pytest.mark.parametrize("code", ["no-such-code", "", "bad_date"])
def test_an_unknown_code_is_a_typed_error_even_without_asserts(code):
    from pipeline.errors import CellError, FileError, UnknownCode
    with pytest.raises(UnknownCode, match=code or "''"):
        CellError(code, "x")
    with pytest.raises(UnknownCode):
        FileError(code, "f.csv", "x")



# Listing segments in disguise (invisible or full-width characters): a Windows-1256 file
# cannot hold these characters, so they are tried in the other formats.
DISGUISED = [("rulings", key) for key in ("pa\u2060ge", "p\u00adage\u200b", "ｐａｇｅ", "pa\U000e0041ge")]
DISGUISED += [("properties", key) for key in ("u\u034fse", "ＤＩＳＴＲＩＣＴ", "occu\ufe0fpancy\u3164")]


@pytest.mark.parametrize("fmt,encoding", FORMATS[:3], ids=FORMAT_IDS[:3])
@pytest.mark.parametrize("table,key", DISGUISED, ids=[repr(k) for _, k in DISGUISED])
def test_disguised_listing_segments_are_reserved_keys(tmp_path, table, key, fmt, encoding):
    overrides = ({"rulings": [ruling(ruling_no=key)], "violations": []} if table == "rulings"
                 else {"properties": [property_(property_code=key)]})
    folder = write_exports(tmp_path, fmt=fmt, encoding=encoding or "utf-8", **overrides)
    checked = {c.table.name: c for c in build.prepare(folder, CITY).validated.tables()}[table]
    assert [(p["row"], p["code"]) for p in checked.problems] == [(2, "reserved-key")]


def test_a_bad_shafaf_today_is_a_clear_message_and_writes_nothing(tmp_path):
    import os
    import subprocess
    import sys
    exports = write_exports(tmp_path / "exports")
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "--exports", str(exports), "--content", str(tmp_path / "content"),
         "--output", str(tmp_path / "output"), "--reports", str(tmp_path / "reports"), "--cache", str(tmp_path / "cache")],
        cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True,
        env={**os.environ, "SHAFAF_TODAY": "1403/01/01"})
    assert result.returncode == 2
    assert "SHAFAF_TODAY='1403/01/01' is not a date" in result.stderr and "Traceback" not in result.stderr
    assert not any((tmp_path / name).exists() for name in ("content", "output", "reports"))
