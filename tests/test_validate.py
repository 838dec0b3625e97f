"""Every row error code, from a real bad file in every accepted format and encoding."""
from __future__ import annotations

import pytest

from factory import property_, ruling, violation, write_exports
from pipeline import build, settings
from pipeline.values import match_key

CITY = settings.load()
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
