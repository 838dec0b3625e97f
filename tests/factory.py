"""Small exports written by the tests themselves: valid rows, then one bad cell at a time."""
from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from pipeline.schema import PROPERTIES, RULINGS, VIOLATIONS, Table

VALID_NATIONAL_ID = "0499370899"   # passes the checksum
INVALID_TEN_DIGITS = "1234567890"  # fails it


def ruling(**overrides) -> dict:
    row = {
        "ruling_no": "۱۴۰۲/۳/۱۰۰", "case_no": "۵۵۱۰۰", "ruling_date": "۱۴۰۲/۰۵/۱۲",
        "stage": "بدوی", "commission": "بدوی ۳", "district": "منطقه ۵", "neighbourhood": "مهرشهر",
        "address": "کرج، مهرشهر، بلوار ارم، پلاک ۴۵، واحد ۳", "appealed_ruling_no": None,
        "appeal_result": None, "interior_rep": "حسن رضایی", "judiciary_rep": "مریم احمدی",
        "council_rep": "علی کریمی", "ruling_text": "اضافه بنا در طبقه دوم.",
        "total_fine_rial": "۱۲۰٬۰۰۰٬۰۰۰", "execution_status": "اجرا نشده",
        "owner_name": "بهرام نیک‌نام", "owner_national_id": VALID_NATIONAL_ID,
        "owner_mobile": "09121234567", "plate": "۱۲۳/۴۵۶",
    }
    row.update(overrides)
    return row


def violation(**overrides) -> dict:
    row = {
        "ruling_no": "۱۴۰۲/۳/۱۰۰", "violation_type": "اضافه بنا مازاد بر پروانه",
        "legal_basis": "تبصره ۲ ماده ۱۰۰", "floor": "دوم", "area_m2": "۲۰",
        "decision": "جریمه", "multiplier": "1.5", "unit_value_rial": "4000000",
        "fine_rial": "120000000",
    }
    row.update(overrides)
    return row


def property_(**overrides) -> dict:
    row = {
        "property_code": "P-05-0001", "title": "زمین بایر بلوار ارم", "district": "۵",
        "neighbourhood": "مهرشهر", "address": "کرج، مهرشهر، بلوار ارم", "land_use": "بایر",
        "land_area_m2": "۱۲۵۰٫۵", "building_area_m2": "0", "plate": "۱۲۳/۴۵۶",
        "deed_type": "سند تک‌برگ", "share_dang": "6", "occupancy": "خالی",
        "holder_kind": None, "holder": None, "contract_start": None, "contract_end": None,
        "monthly_rent_rial": None, "appraisal_rial": "۸۵۰۰۰۰۰۰۰۰۰", "latitude": "35.83",
        "longitude": "50.96",
    }
    row.update(overrides)
    return row


def _table_rows(table: Table, rows: list[dict]) -> list[list]:
    header = [f.header for f in table.fields]
    return [header] + [[row.get(f.name) for f in table.fields] for row in rows]


def write_exports(folder: Path, rulings=None, violations=None, properties=None,
                  fmt: str = "xlsx", encoding: str = "utf-8-sig",
                  headers: dict[str, list] | None = None) -> Path:
    """Write a complete set of exports; ``headers`` replaces a table's header row."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        RULINGS: _table_rows(RULINGS, rulings if rulings is not None else [ruling()]),
        VIOLATIONS: _table_rows(VIOLATIONS, violations if violations is not None else [violation()]),
        PROPERTIES: _table_rows(PROPERTIES, properties if properties is not None else [property_()]),
    }
    for table, rows in tables.items():
        if headers and table.name in headers:
            rows[0] = headers[table.name]
    if fmt == "xlsx":
        for workbook, members in (("rulings", (RULINGS, VIOLATIONS)), ("properties", (PROPERTIES,))):
            book = openpyxl.Workbook()
            book.remove(book.active)
            for table in members:
                sheet = book.create_sheet(table.sheet)
                for row in tables[table]:
                    sheet.append(row)
            book.save(folder / f"{workbook}.xlsx")
    else:
        for table, rows in tables.items():
            cells = [["" if v is None else str(v) for v in row] for row in rows]
            # A CSV writer gives every record the header's width (a shorter one is cell-count).
            width = max(len(row) for row in cells)
            cells = [row + [""] * (width - len(row)) for row in cells]
            if encoding == "cp1256":
                cells = [[v.translate(CP1256_SPELLING) for v in row] for row in cells]
            with open(folder / f"{table.name}.csv", "w", encoding=encoding, newline="") as handle:
                csv.writer(handle).writerows(cells)
    return folder


# What an old Windows-1256 system writes instead of the letters that code page lacks.
CP1256_SPELLING = str.maketrans({"ی": "ي", "ۀ": "ه", "٬": ",", "٫": ".",
                                 **{d: str(i) for i, d in enumerate("۰۱۲۳۴۵۶۷۸۹")}})
