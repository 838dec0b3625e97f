"""Seeded, deterministic generator of realistic (fictional) municipal exports.

It writes what Karaj's systems would export for the Article 100 commissions and the municipal
property registry, messy the way real Persian office exports are, so that the pipeline and the
tests have something real-looking to chew on:

    python -m tools.make_sample_exports --out data/sample
    python -m tools.make_sample_exports --out /tmp/big --rulings 100000 --properties 20000
    python -m tools.make_sample_exports --out /tmp/csv --format csv --encoding cp1256

Every person, number and ruling in the output is invented. Headers and enumeration values are
taken from ``pipeline.schema`` so the generator never drifts from the schema.

The same arguments give byte-identical files: openpyxl's timestamps are pinned and the zip
container is rewritten with fixed dates and a sorted entry order. openpyxl (write-only) builds
the workbook; the rows themselves are streamed into the sheets as the XML openpyxl would write,
which keeps 100 000 rulings to well under a minute.

``generate()`` returns a description of what was planted: the deliberately bad rows and the
error code the validator is expected to give each one (``bad_rows``), the consistency warnings
(``warnings``), personal data and hostile markup planted in free text (``text_plantings``),
spelling variants of commission members (``member_variants``), valid edge cases
(``edge_cases``) and the row counts (``counts``). Row numbers count the header as row 1.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import random
import re
import sys
import zipfile
from bisect import bisect_right
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, NamedTuple

from pipeline.schema import (
    APPEAL_RESULTS,
    DECISIONS,
    DEED_TYPES,
    EXECUTION_STATUSES,
    HOLDER_KINDS,
    LAND_USES,
    OCCUPANCIES,
    PROPERTIES,
    RULINGS,
    STAGES,
    VIOLATION_TYPES,
    VIOLATIONS,
)

FIRST_INSTANCE, APPEAL = STAGES
CONFIRMED, QUASHED, AMENDED = APPEAL_RESULTS
NATURAL_PERSON, ORGANISATION = HOLDER_KINDS
(DEMOLISH, FINE, KEEP, RESTORE, CLOSE_DOWN, REMOVE_ENCROACHMENT, REMOVE_OVERLOOK,
 NO_VIOLATION) = DECISIONS
(V_NO_PERMIT, V_EXCESS_AREA, V_EXTRA_FLOOR, V_DENSITY, V_PARKING, V_ENCROACH, V_PROJECTION,
 V_USE_CHANGE, V_PILOTI, V_ATTIC, V_UNITS, V_TECHNICAL, V_WALL, V_OVERLOOK) = VIOLATION_TYPES
(LU_RESIDENTIAL, LU_COMMERCIAL, LU_OFFICE, LU_EDUCATION, LU_SPORT, LU_HEALTH, LU_CULTURE,
 LU_RELIGIOUS, LU_GREEN, LU_UTILITY, LU_TRANSPORT, LU_VACANT) = LAND_USES
DEED_SINGLE, DEED_BOOKLET, DEED_SHARED, DEED_INFORMAL, DEED_NONE = DEED_TYPES
OCC_MUNICIPALITY, OCC_RENTED, OCC_ASSIGNED, OCC_EMPTY, OCC_SQUATTED = OCCUPANCIES

# A change to the schema's enumerations must be a conscious change here too.
assert len(DECISIONS) == 8 and len(VIOLATION_TYPES) == 14 and len(LAND_USES) == 12
assert len(DEED_TYPES) == 5 and len(OCCUPANCIES) == 5

MIN_RULINGS, MIN_PROPERTIES = 150, 30
FIXED_TIMESTAMP = dt.datetime(2025, 3, 21, 0, 0, 0)  # 1404/01/01, written into docProps/core.xml
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
ZWNJ = "\u200c"
FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
# Windows-1256 has neither the Persian digits, the Persian yeh nor the Persian separators: old
# Persian Windows software wrote Latin digits and the Arabic yeh instead.
CP1256_FALLBACK = str.maketrans({**{c: str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")},
                                 "٫": ".", "٬": ",", "ی": "ي", "ۀ": "ه"})
ARABIC_LETTERS = str.maketrans({"ی": "ي", "ک": "ك"})


def fa(value: Any) -> str:
    """Persian digits."""
    return str(value).translate(FA_DIGITS)


# ---------------------------------------------------------------------------------------------
# Jalali calendar (the jalaali algorithm, astronomically correct for 1-3177 AP). Only used to
# turn a random day into its Jalali date; the pipeline uses a real calendar library.
# ---------------------------------------------------------------------------------------------
_BREAKS = (-61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192,
           2262, 2324, 2394, 2456, 3178)


def _jal_cal(jy: int) -> tuple[bool, dt.date]:
    """(is leap year, Gregorian date of 1 Farvardin) for Jalali year jy."""
    gy = jy + 621
    leap_j = -14
    jp = _BREAKS[0]
    jump = 0
    for jm in _BREAKS[1:]:
        jump = jm - jp
        if jy < jm:
            break
        leap_j += (jump // 33) * 8 + (jump % 33) // 4
        jp = jm
    n = jy - jp
    leap_j += (n // 33) * 8 + ((n % 33) + 3) // 4
    if jump % 33 == 4 and jump - n == 4:
        leap_j += 1
    leap_g = gy // 4 - ((gy // 100 + 1) * 3) // 4 - 150
    march = 20 + leap_j - leap_g
    if jump - n < 6:
        n = n - jump + ((jump + 4) // 33) * 33
    r = ((n + 1) % 33) - 1
    leap = 4 if r == -1 else r % 4
    return leap == 0, dt.date(gy, 3, march)


class JalaliTable:
    """Day ordinal <-> Jalali (y, m, d) for a range of years, built once."""

    def __init__(self, first_year: int, last_year: int):
        self.starts: list[int] = []   # ordinal of 1 Farvardin of each year
        self.years: list[int] = []
        self.leap: dict[int, bool] = {}
        for jy in range(first_year, last_year + 2):
            leap, nowruz = _jal_cal(jy)
            self.years.append(jy)
            self.starts.append(nowruz.toordinal())
            self.leap[jy] = leap
        for a, b, jy in zip(self.starts, self.starts[1:], self.years):
            assert b - a == (366 if self.leap[jy] else 365), jy

    def to_jalali(self, ordinal: int) -> tuple[int, int, int]:
        i = bisect_right(self.starts, ordinal) - 1
        jy = self.years[i]
        day = ordinal - self.starts[i]  # 0-based day of year
        if day < 186:
            return jy, day // 31 + 1, day % 31 + 1
        day -= 186
        return jy, day // 30 + 7, day % 30 + 1

    def to_ordinal(self, jy: int, jm: int, jd: int) -> int:
        start = self.starts[self.years.index(jy)]
        before = (jm - 1) * 31 if jm <= 7 else 186 + (jm - 7) * 30
        return start + before + jd - 1


CAL = JalaliTable(1390, 1415)
RULINGS_FIRST_DAY = CAL.to_ordinal(1398, 1, 1)
RULINGS_LAST_DAY = CAL.to_ordinal(1404, 12, 29)


# ---------------------------------------------------------------------------------------------
# Vocabulary. Neighbourhoods are real places of Karaj; the district each is put in is only
# illustrative. Fardis, Kamalshahr, Mohammadshahr and Malard are separate cities and left out.
# ---------------------------------------------------------------------------------------------
NEIGHBOURHOODS = {
    1: ("حصارک", "مصباح", "شهرک ظفر", "حصار بالا"),
    2: ("عظیمیه", "ملک‌آباد", "شهرک اوج", "کوی کارمندان شمالی"),
    3: ("گوهردشت", "شاهین‌ویلا", "دهقان‌ویلا", "شهرک جهازی‌ها"),
    4: ("باغستان", "جهانشهر", "شهرک بلال", "شهرک استقلال"),
    5: ("حیدرآباد", "اسلام‌آباد", "شهرک وحدت", "دولت‌آباد"),
    6: ("مهرشهر", "شهرک یاس", "شهرک مترو", "رزکان نو"),
    7: ("کرج نو", "حسن‌آباد", "چهارصد دستگاه", "طالقانی جنوبی"),
    8: ("گلشهر", "گلشهر ویلا", "منظریه", "شهرک بعثت"),
    9: ("اکبرآباد", "اتحاد", "سرحدآباد", "شهرک ناز"),
    10: ("کلاک", "کلاک نو", "شهرک ولیعصر", "اسماعیل‌آباد"),
    11: ("کیانمهر", "حسین‌آباد", "خلج‌آباد", "شهرک امام رضا"),
    12: ("محمدیه", "شهرک هوانیروز", "فرح‌آباد", "شهرک صنعتی"),
}
# Rough centre of each district (lat, lon), for property coordinates.
DISTRICT_CENTRES = {
    1: (35.855, 50.985), 2: (35.845, 50.955), 3: (35.835, 50.925), 4: (35.815, 50.905),
    5: (35.805, 50.960), 6: (35.815, 50.875), 7: (35.820, 50.995), 8: (35.795, 51.005),
    9: (35.800, 51.040), 10: (35.830, 51.060), 11: (35.775, 50.930), 12: (35.770, 51.020),
}
MAIN_STREETS = (
    "بلوار جمهوری اسلامی", "خیابان شهید بهشتی", "بلوار شهید مطهری", "خیابان طالقانی",
    "بلوار موذن", "بلوار ارم", "بلوار استقلال", "خیابان شهید چمران", "بلوار امام خمینی",
    "بلوار شهید صیاد شیرازی", "خیابان شهید همت", "بلوار دانش‌آموز", "خیابان درختی",
    "بلوار ماهان", "خیابان شریعتی", "بلوار شهید کشوری", "بلوار هفت تیر", "خیابان فرهنگ",
    "بلوار بلال", "خیابان آزادی", "بلوار انقلاب", "خیابان مصباح", "بلوار عطار",
    "خیابان ۴۵ متری", "بلوار شهید باهنر", "خیابان کاج", "بلوار گلزار", "خیابان بهار",
)
FLOWERS = ("لاله", "نسترن", "شقایق", "یاس", "نرگس", "اقاقیا", "بنفشه", "سوسن", "مریم",
           "نیلوفر", "ارغوان", "کاج", "سرو", "صنوبر", "گلستان", "بهار")
SHAHID = ("شهید رجایی", "شهید باکری", "شهید فهمیده", "شهید همت", "شهید خرازی",
          "شهید کاظمی", "شهید بابایی", "شهید زین‌الدین", "شهید صدوقی", "شهید مدنی")
FLOORS = ("زیرزمین", "همکف", "پیلوت", "اول", "دوم", "سوم", "چهارم", "پنجم", "ششم", "بام",
          "کل ساختمان", "طبقه ۲", "طبقه ۳")

FIRST_NAMES = (
    "محمد", "علی", "حسین", "رضا", "مهدی", "احمد", "حسن", "امیر", "سعید", "مجید", "جواد",
    "مصطفی", "مرتضی", "حمید", "محسن", "کاظم", "یوسف", "اکبر", "بهروز", "فرهاد", "کیوان",
    "داود", "یعقوب", "اسماعیل", "ابراهیم", "نادر", "پرویز", "بیژن", "سیاوش", "فاطمه", "زهرا",
    "مریم", "معصومه", "سکینه", "زینب", "لیلا", "نرگس", "سمیه", "الهام", "شیوا", "مینا",
    "پروین", "کبری", "رقیه", "نسرین", "آزاده", "سارا", "یاسمن", "نیلوفر", "محمدعلی",
)
LAST_NAMES = (
    "احمدی", "محمدی", "حسینی", "رضایی", "کریمی", "موسوی", "جعفری", "قاسمی", "رحیمی",
    "صادقی", "کاظمی", "مرادی", "یوسفی", "اکبری", "عباسی", "نوری", "حیدری", "شریفی", "طاهری",
    "سلطانی", "کرمی", "بیگی", "نجفی", "زارعی", "فرهادی", "کامرانی", "اسدی", "جمشیدی",
    "خسروی", "یزدانی", "باقری", "ملکی", "قربانی", "تقوی", "نیک‌پور", "حسین‌زاده", "علی‌پور",
    "کریم‌خانی", "رستمی", "تهرانی", "قزوینی", "افشار", "بهرامی", "سبحانی", "توکلی",
    "میرزایی", "امینی", "نظری", "فتحی", "صفری", "اصغری", "پاکزاد", "شجاعی", "ولی‌زاده",
)
# Commission members: public officials, named on the site. Each name has a ی or ک (so an
# Arabic-letter variant exists) and several have a ZWNJ.
MEMBERS = {
    "interior_rep": ("محمدرضا کریمی", "علی‌اکبر یوسفی", "حسین نیک‌نام", "مهدی کاظمی‌نیا",
                     "سیدمحمود حسینی", "رضا شیرازی", "مجید کیانی‌فر", "عباس رحیمی‌پور"),
    "judiciary_rep": ("احمد صادقی", "سیدعلی موسوی", "محسن کریم‌زاده", "غلامرضا نیکخواه",
                      "مرتضی یزدانی", "حمید شکوهی", "ابوالفضل کرمی", "سعید تقی‌زاده"),
    "council_rep": ("مریم سلیمانی", "فاطمه یگانه", "محمد کیهانی", "حسن عسکری",
                    "زهرا موسوی‌نژاد", "امیرحسین بیگدلی", "کامران یکتا", "یوسف ملکی",
                    "نرگس کیان‌پور", "علیرضا کریمیان"),
}
MEMBER_NAMES = {n for names in MEMBERS.values() for n in names}

ORGANISATIONS = (
    "آموزش و پرورش ناحیه ۲ کرج", "آموزش و پرورش ناحیه ۴ کرج",
    "سازمان پارک‌ها و فضای سبز شهرداری کرج", "سازمان فرهنگی، اجتماعی و ورزشی شهرداری کرج",
    "سازمان آتش‌نشانی و خدمات ایمنی شهرداری کرج", "سازمان اتوبوسرانی کرج و حومه",
    "اداره کل بهزیستی استان البرز", "شرکت آب و فاضلاب استان البرز",
    "دانشگاه علوم پزشکی البرز", "جمعیت هلال احمر استان البرز",
    "اداره کل ورزش و جوانان استان البرز", "هیئت امنای مسجد جامع",
    "کتابخانه‌های عمومی استان البرز", "سازمان مدیریت پسماند شهرداری کرج",
)
COMPANIES = (
    "شرکت ساختمانی البرز سازه (سهامی خاص)", "شرکت بازرگانی آفتاب کرج",
    "شرکت تعاونی مصرف کارکنان شهرداری کرج", "شرکت خدمات شهری پاکان",
    "شرکت پیمانکاری نوین راه البرز", "شرکت رستوران‌داری گلستان",
)

LEGAL_BASIS = {1: "تبصره ۱ ماده ۱۰۰", 2: "تبصره ۲ ماده ۱۰۰", 3: "تبصره ۳ ماده ۱۰۰",
               4: "تبصره ۴ ماده ۱۰۰", 5: "تبصره ۵ ماده ۱۰۰", 6: "تبصره ۶ ماده ۱۰۰"}
GENERIC_BASIS = "ماده ۱۰۰ قانون شهرداری‌ها"
CLOSE_DOWN_BASIS = "بند ۲۴ ماده ۵۵ قانون شهرداری‌ها"

# Violation type -> its weight and the decisions a commission gives it (with weights).
FINE_HEAVY = ((FINE, 80), (DEMOLISH, 15), (NO_VIOLATION, 5))
VIOLATION_PROFILE = {
    V_NO_PERMIT: (10, ((FINE, 50), (DEMOLISH, 45), (NO_VIOLATION, 5))),
    V_EXCESS_AREA: (20, FINE_HEAVY),
    V_EXTRA_FLOOR: (8, FINE_HEAVY),
    V_DENSITY: (10, FINE_HEAVY),
    V_PARKING: (15, ((FINE, 95), (NO_VIOLATION, 5))),
    V_ENCROACH: (5, ((REMOVE_ENCROACHMENT, 70), (DEMOLISH, 25), (NO_VIOLATION, 5))),
    V_PROJECTION: (6, ((FINE, 50), (DEMOLISH, 45), (NO_VIOLATION, 5))),
    V_USE_CHANGE: (6, ((CLOSE_DOWN, 45), (RESTORE, 25), (FINE, 25), (NO_VIOLATION, 5))),
    V_PILOTI: (4, ((RESTORE, 70), (FINE, 25), (NO_VIOLATION, 5))),
    V_ATTIC: (3, FINE_HEAVY),
    V_UNITS: (5, FINE_HEAVY),
    V_TECHNICAL: (4, ((KEEP, 40), (DEMOLISH, 20), (RESTORE, 30), (NO_VIOLATION, 10))),
    V_WALL: (3, ((KEEP, 40), (DEMOLISH, 30), (FINE, 25), (NO_VIOLATION, 5))),
    V_OVERLOOK: (3, ((REMOVE_OVERLOOK, 85), (NO_VIOLATION, 15))),
}
assert set(VIOLATION_PROFILE) == set(VIOLATION_TYPES)
VTYPES = tuple(VIOLATION_PROFILE)
VTYPE_WEIGHTS = tuple(w for w, _ in VIOLATION_PROFILE.values())
# Multipliers allowed by each clause (clause 2: ½–3, clause 3: 2–4, clause 5: 1–2).
MULTIPLIERS = {2: (0.5, 0.75, 1, 1.5, 2, 2.5, 3), 3: (2, 2.5, 3, 3.5, 4), 4: (0.5, 1, 1.5, 2),
               5: (1, 1.5, 2)}

TITLES = {
    LU_RESIDENTIAL: ("مجتمع مسکونی {street}", "آپارتمان سازمانی {neigh}", "خانه {neigh}"),
    LU_COMMERCIAL: ("مغازه شماره {n} بازارچه {neigh}", "غرفه‌های میدان میوه و تره‌بار {neigh}",
                    "پاساژ {street}", "واحد تجاری {street}"),
    LU_OFFICE: ("ساختمان اداری منطقه {d}", "ساختمان شهرداری ناحیه {n} منطقه {d}",
                "دفتر خدمات نوسازی {neigh}"),
    LU_EDUCATION: ("مدرسه {school}", "دبستان {school}", "هنرستان {school}", "مهدکودک {flower}"),
    LU_SPORT: ("سالن ورزشی {neigh}", "زمین چمن مصنوعی {neigh}", "استخر سرپوشیده {neigh}"),
    LU_HEALTH: ("درمانگاه {neigh}", "پایگاه سلامت {neigh}", "مرکز بهداشت {street}"),
    LU_CULTURE: ("فرهنگسرای {flower}", "کتابخانه عمومی {neigh}", "خانه فرهنگ {neigh}"),
    LU_RELIGIOUS: ("مسجد {mosque}", "حسینیه {mosque}", "مصلای {neigh}"),
    LU_GREEN: ("پارک {flower}", "بوستان {flower}", "بوستان محله‌ای {neigh}", "فضای سبز {street}"),
    LU_UTILITY: ("ایستگاه آتش‌نشانی شماره {n}", "مخزن آب {neigh}", "جایگاه سی‌ان‌جی {street}",
                 "پست برق {neigh}"),
    LU_TRANSPORT: ("پایانه اتوبوسرانی {neigh}", "پارکینگ عمومی {street}", "انبار مرکزی منطقه {d}",
                   "توقفگاه ماشین‌آلات منطقه {d}"),
    LU_VACANT: ("زمین بایر {street}", "قطعه زمین {sub}", "زمین بایر انتهای {sub}"),
}
assert set(TITLES) == set(LAND_USES)
SCHOOLS = ("شهید بهشتی", "فردوسی", "سعدی", "حافظ", "پروین اعتصامی", "علامه طباطبایی",
           "شهید چمران", "امام رضا", "فرزانگان", "ابن‌سینا")
MOSQUES = ("جامع", "امام حسین", "الزهرا", "المهدی", "امام رضا", "صاحب‌الزمان", "ابوالفضل")
OCCUPANCY_WEIGHTS = {
    LU_RESIDENTIAL: (30, 35, 5, 15, 15), LU_COMMERCIAL: (10, 70, 5, 10, 5),
    LU_OFFICE: (80, 10, 10, 0, 0), LU_EDUCATION: (10, 5, 85, 0, 0), LU_SPORT: (40, 20, 40, 0, 0),
    LU_HEALTH: (20, 10, 70, 0, 0), LU_CULTURE: (60, 10, 30, 0, 0), LU_RELIGIOUS: (10, 0, 90, 0, 0),
    LU_GREEN: (90, 0, 10, 0, 0), LU_UTILITY: (60, 5, 35, 0, 0), LU_TRANSPORT: (60, 25, 15, 0, 0),
    LU_VACANT: (30, 5, 5, 40, 20),
}
LAND_USE_WEIGHTS = (12, 14, 8, 7, 6, 4, 5, 4, 14, 6, 5, 15)

FIRST_OPENINGS = (
    "به موجب گزارش واحد کنترل ساختمان شهرداری منطقه {d} و صورت‌جلسه بازدید مورخ {visit}، "
    "در ملک واقع در محله {neigh} تخلف ساختمانی احراز گردیده است.",
    "پرونده به استناد گزارش مأمور شهرداری منطقه {d} مبنی بر «{vtype}» در ملک واقع در {neigh} "
    "در جلسه کمیسیون مطرح شد.",
    "در خصوص پرونده کلاسه {case} مطروحه در کمیسیون، با عنایت به گزارش شهرداری منطقه {d} و "
    "نظر کارشناس رسمی دادگستری، تخلف مالک به شرح زیر محرز است.",
)
FIRST_MIDDLES = (
    "مالک بدون رعایت مفاد پروانه ساختمانی نسبت به {vtype} به مساحت {area} مترمربع در طبقه "
    "{floor} اقدام نموده است.",
    "دفاعیات مالک مبنی بر اخذ مجوز از مراجع ذی‌صلاح مؤثر در مقام نبوده و مستندی دال بر آن "
    "ارائه نشده است.",
    "با توجه به موقعیت ملک و عرض معبر، ابقای بنا با رعایت ضوابط فنی بلامانع تشخیص داده شد.",
    "لایحه دفاعیه مالک قرائت و مورد بررسی قرار گرفت.",
    "مطابق نقشه‌های تأییدشده، تخلف در {floor} و به مساحت {area} مترمربع است.",
)
FIRST_CLOSINGS = (
    "کمیسیون با استناد به {basis} رأی به {decision} صادر می‌نماید. رأی صادره "
    "ظرف ده روز از تاریخ ابلاغ قابل اعتراض است.",
    "لذا کمیسیون مستنداً به {basis}، {decision} را صادر و اعلام می‌نماید. این رأی ظرف مهلت ده "
    "روز قابل تجدیدنظر است.",
)
APPEAL_OPENINGS = (
    "در خصوص اعتراض مالک به رأی شماره {appealed} کمیسیون {first_comm}، پس از قرائت لایحه "
    "اعتراضیه و ملاحظه مستندات پرونده، موضوع در کمیسیون مطرح گردید.",
    "اعتراض مالک به رأی بدوی شماره {appealed} در مهلت قانونی واصل و پرونده کلاسه {case} در "
    "کمیسیون تجدیدنظر بررسی شد.",
)
APPEAL_CLOSINGS = {
    CONFIRMED: "اعتراض وارد نیست و رأی بدوی عیناً تأیید می‌گردد. این رأی قطعی و لازم‌الاجرا است.",
    QUASHED: "با توجه به دلایل ابرازی، اعتراض وارد تشخیص داده شد و رأی بدوی نقض و {decision} "
             "صادر می‌گردد. این رأی قطعی است.",
    AMENDED: "رأی بدوی با اصلاح ضریب جریمه به {mult} تأیید می‌شود. این رأی قطعی و لازم‌الاجرا "
             "است.",
}


class Planted(NamedTuple):
    """One planted row or cell. ``row`` counts the header as row 1; ``sheet`` is None in CSV."""

    dataset: str
    sheet: str | None
    row: int
    code: str
    file: str
    column: str
    value: Any
    note: str = ""


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
def national_id(rng: random.Random) -> str:
    """A random 10-digit national ID that passes the checksum (never all-equal digits)."""
    while True:
        digits = [int(c) for c in f"{rng.randrange(10**9):09d}"]
        s = sum(d * (10 - i) for i, d in enumerate(digits))
        r = s % 11
        check = r if r < 2 else 11 - r
        digits.append(check)
        if len(set(digits)) > 1:
            return "".join(map(str, digits))


def national_id_valid(value: str) -> bool:
    if not re.fullmatch(r"\d{10}", value) or len(set(value)) == 1:
        return False
    d = [int(c) for c in value]
    r = sum(d[i] * (10 - i) for i in range(9)) % 11
    return d[9] == r if r < 2 else d[9] == 11 - r


MOBILE_PREFIXES = ("0912", "0919", "0935", "0936", "0937", "0938", "0939", "0901", "0902",
                   "0903", "0905", "0990", "0991", "0921", "0922", "0930", "0933")


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**7):07d}"


def postal_code(rng: random.Random) -> str:
    head = "31" + "".join(rng.choice("1346789") for _ in range(3))
    return head + f"{rng.randrange(1, 10**5):05d}"


def decimal_str(value: Decimal) -> str:
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def group(text: str, sep: str) -> str:
    """Thousands separators on the integer part of a plain decimal string."""
    whole, _, frac = text.partition(".")
    out = []
    while len(whole) > 3:
        out.append(whole[-3:])
        whole = whole[:-3]
    out.append(whole)
    return sep.join(reversed(out)) + ("." + frac if frac else "")


class Writer:
    """Turns values into the cells a messy export would hold. All randomness goes through one
    rng, in the same order whatever the output format, so xlsx and csv hold the same data."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def amount(self, n: int) -> Any:
        r = self.rng.random()
        if r < 0.40:
            return n
        if r < 0.65:
            return group(str(n), ",")
        if r < 0.85:
            return fa(group(str(n), "٬"))
        if r < 0.95:
            return fa(n)
        return f" {n} "

    def decimal(self, value: Decimal) -> Any:
        text = decimal_str(value)
        r = self.rng.random()
        if r < 0.40:
            return int(value) if value == value.to_integral_value() else float(text)
        if r < 0.65:
            return group(text, ",") if value >= 1000 and r < 0.55 else text
        if r < 0.92:
            persian = fa(text.replace(".", "٫"))
            return fa(group(text, "٬").replace(".", "٫")) if value >= 1000 else persian
        return text + " "

    def district(self, d: int) -> Any:
        r = self.rng.random()
        if r < 0.30:
            return d
        if r < 0.50:
            return str(d)
        if r < 0.75:
            return fa(d)
        if r < 0.88:
            return f"منطقه {fa(d)}"
        if r < 0.94:
            return f"منطقه{d}"
        return f"منطقه {d}"

    def date(self, ordinal: int, excel_ok: bool = True) -> Any:
        jy, jm, jd = CAL.to_jalali(ordinal)
        r = self.rng.random()
        if r < 0.33:
            return f"{jy}/{jm:02d}/{jd:02d}"
        if r < 0.63:
            return fa(f"{jy}/{jm}/{jd}")
        if r < 0.78:
            return f"{jy}-{jm:02d}-{jd:02d}"
        if r < 0.88:
            return fa(f"{jy}/{jm:02d}/{jd:02d}")
        if r < 0.91:
            return f"{jy}/{jm}/{jd}"
        if excel_ok:
            return dt.date.fromordinal(ordinal)   # a real Excel date cell (Gregorian)
        return f"{jy}/{jm:02d}/{jd:02d}"

    def key(self, text: str, persian: bool) -> str:
        return fa(text) if persian else text

    def messy(self, text: str, p: float = 0.04) -> str:
        """Valid but messy: spaces around, double spaces, Arabic letters, ZWNJ dropped."""
        if not text or self.rng.random() >= p:
            return text
        r = self.rng.random()
        if r < 0.3:
            return rng_pad(self.rng, text)
        if r < 0.55 and " " in text:
            i = self.rng.choice([m.start() for m in re.finditer(" ", text)])
            return text[:i] + "  " + text[i + 1:]
        if r < 0.85 and ("ی" in text or "ک" in text):
            return text.translate(ARABIC_LETTERS)
        if ZWNJ in text:
            return text.replace(ZWNJ, "")
        return text + " "


def rng_pad(rng: random.Random, text: str) -> str:
    return rng.choice(("  ", " ", "")) + text + rng.choice((" ", "  ", "\t"))


def weighted(rng: random.Random, pairs) -> Any:
    values, weights = zip(*pairs)
    return rng.choices(values, weights=weights)[0]


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------
class World:
    """Places, streets and people shared by the two datasets."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.streets = {}
        for d, hoods in NEIGHBOURHOODS.items():
            for h in hoods:
                self.streets[h] = rng.sample(MAIN_STREETS, 3)

    def place(self) -> tuple[int, str]:
        d = self.rng.randint(1, 12)
        return d, self.rng.choice(NEIGHBOURHOODS[d])

    def sub_street(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.25:
            side = rng.choice(("غربی", "شرقی", "شمالی", "جنوبی"))
            return f"خیابان {fa(rng.randint(1, 40))} {side}"
        if r < 0.45:
            return f"کوچه {rng.choice(FLOWERS)}"
        if r < 0.65:
            return f"کوچه {rng.choice(SHAHID)}"
        if r < 0.78:
            return f"کوچه {fa(rng.randint(1, 30))}"
        if r < 0.88:
            return f"بن‌بست {rng.choice(FLOWERS)}"
        return f"خیابان {rng.choice(FLOWERS)} {fa(rng.randint(1, 12))}"

    def address(self, neigh: str, private: bool) -> tuple[str, str | None]:
        """(address, postal code planted in it or None)."""
        rng = self.rng
        parts = []
        r = rng.random()
        if r < 0.1:
            parts += ["استان البرز", "کرج"]
        elif r < 0.85:
            parts.append("کرج")
        parts += [neigh, rng.choice(self.streets[neigh]), self.sub_street()]
        persian = rng.random() < 0.8
        num = lambda v: fa(v) if persian else str(v)  # noqa: E731
        parts.append(f"پلاک {num(rng.randint(1, 420))}")
        postal = None
        if private:
            if rng.random() < 0.6:
                parts.append(f"واحد {num(rng.randint(1, 24))}")
            elif rng.random() < 0.2:
                parts.append(f"طبقه {rng.choice(('اول', 'دوم', 'سوم', 'همکف'))}")
            if rng.random() < 0.15:
                postal = postal_code(rng)
                shown = postal if rng.random() < 0.9 else postal[:5] + "-" + postal[5:]
                parts.append(f"کد پستی {num(shown)}")
        elif rng.random() < 0.3:
            landmark = rng.choice(("مسجد", "پارک", "مدرسه", "ایستگاه مترو"))
            parts[-1] = f"جنب {landmark} {rng.choice(FLOWERS)}"
        return "، ".join(parts), postal

    def person(self) -> str:
        while True:
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
            if name not in MEMBER_NAMES:
                return name

    def plate(self) -> str:
        rng = self.rng
        main, sub = rng.randint(10, 4999), rng.randint(1, 999)
        r = rng.random()
        if r < 0.6:
            return fa(f"{main}/{sub}")
        if r < 0.8:
            return f"{main}/{sub}"
        return f"{fa(sub)} فرعی از {fa(main)} اصلی"


def _unit_value(rng: random.Random, jy: int, district: int, commercial: bool) -> int:
    base = 3_000_000 + (12 - abs(district - 6)) * 450_000 + rng.randrange(0, 2_000_000)
    value = base * (1.22 ** (jy - 1398)) * (1.6 if commercial else 1.0)
    return int(round(value, -4))


def _area(rng: random.Random, vtype: str) -> Decimal:
    if vtype == V_PARKING:
        return Decimal(25 * rng.choice((1, 1, 1, 2, 2, 3, 4)))
    if rng.random() < 0.02:
        return Decimal(rng.randrange(100_000, 300_000)) / 100   # a large building
    cents = int(rng.triangular(150, 20_000, 1_500))
    if rng.random() < 0.5:
        cents = cents // 100 * 100                          # whole square metres
    elif rng.random() < 0.5:
        cents = cents // 50 * 50                            # halves
    return Decimal(max(cents, 100)) / 100


def _fine(area: Decimal, unit: int, mult: Decimal) -> int:
    return int((area * unit * mult).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _violation(rng, vtype, jy, district, commercial) -> dict:
    decision = weighted(rng, VIOLATION_PROFILE[vtype][1])
    v = {"violation_type": vtype, "decision": decision, "area": _area(rng, vtype),
         "floor": None, "mult": None, "unit": None, "fine": 0, "clause": None}
    if vtype == V_ATTIC:
        v["floor"] = "زیرشیروانی"
    elif vtype in (V_PARKING, V_PILOTI):
        v["floor"] = rng.choice(("پیلوت", "همکف", "زیرزمین"))
    elif rng.random() < 0.85:
        v["floor"] = rng.choice(FLOORS)
    if decision == FINE:
        if vtype == V_PARKING:
            clause = 5
        elif vtype == V_NO_PERMIT:
            clause = 4
        elif commercial or vtype == V_USE_CHANGE:
            clause = 3
        else:
            clause = 2
        v["clause"] = clause
        v["mult"] = Decimal(str(rng.choice(MULTIPLIERS[clause])))
        v["unit"] = _unit_value(rng, jy, district, commercial)
        v["fine"] = _fine(v["area"], v["unit"], v["mult"])
    elif decision == DEMOLISH:
        v["clause"] = 1
    elif decision == REMOVE_ENCROACHMENT:
        v["clause"] = 6
    return v


def _basis_text(v: dict) -> str | None:
    if v["clause"]:
        return LEGAL_BASIS[v["clause"]]
    if v["decision"] == CLOSE_DOWN:
        return CLOSE_DOWN_BASIS
    if v["decision"] == NO_VIOLATION:
        return None
    return GENERIC_BASIS


def _basis_prose(v: dict) -> str:
    basis = _basis_text(v) or GENERIC_BASIS
    return basis if "قانون" in basis else basis + " قانون شهرداری‌ها"


def _decision_phrase(v: dict) -> str:
    if v["decision"] == FINE:
        return f"جریمه به مبلغ {fa(group(str(v['fine']), '٬'))} ریال"
    return v["decision"]


def _first_text(rng, r: dict) -> str:
    v = r["violations"][0]
    fields = {"d": fa(r["district"]), "neigh": r["neighbourhood"], "case": fa(r["case_no"]),
              "vtype": v["violation_type"], "area": fa(decimal_str(v["area"]).replace(".", "٫")),
              "floor": v["floor"] or "همکف",
              "visit": fa("{}/{:02d}/{:02d}".format(
                  *CAL.to_jalali(r["ordinal"] - rng.randint(20, 90)))),
              "basis": _basis_prose(v), "decision": _decision_phrase(v)}
    sentences = [rng.choice(FIRST_OPENINGS)]
    sentences += rng.sample(FIRST_MIDDLES, rng.choice((1, 1, 2)))
    sentences.append(rng.choice(FIRST_CLOSINGS))
    return _join(rng, [s.format(**fields) for s in sentences])


def _appeal_text(rng, r: dict, first: dict) -> str:
    v = r["violations"][0]
    fields = {"appealed": fa(first["ruling_no"]), "first_comm": first["commission"],
              "case": fa(r["case_no"]), "decision": _decision_phrase(v),
              "mult": fa(decimal_str(v["mult"]).replace(".", "٫")) if v["mult"] else "۱"}
    sentences = [rng.choice(APPEAL_OPENINGS), APPEAL_CLOSINGS[r["appeal_result"]]]
    return _join(rng, [s.format(**fields) for s in sentences])


def _join(rng, sentences: list[str]) -> str:
    r = rng.random()
    if r < 0.3:
        return "\n".join(sentences)
    if r < 0.4:
        return "\n\n".join(sentences)
    return " ".join(sentences)


def _appeal_violations(rng, first: dict, result: str) -> list[dict]:
    out = []
    for v in first["violations"]:
        w = dict(v)
        if result == AMENDED and w["decision"] == FINE and w["clause"] in MULTIPLIERS:
            lower = [m for m in MULTIPLIERS[w["clause"]] if Decimal(str(m)) < w["mult"]]
            if lower:
                w["mult"] = Decimal(str(rng.choice(lower)))
                w["fine"] = _fine(w["area"], w["unit"], w["mult"])
        elif result == AMENDED and w["decision"] == DEMOLISH:
            w.update(decision=FINE, clause=2, mult=Decimal("1.5"))
            w["unit"] = _unit_value(rng, CAL.to_jalali(first["ordinal"])[0],
                                    first["district"], False)
            w["fine"] = _fine(w["area"], w["unit"], w["mult"])
        elif result == QUASHED:
            if w["decision"] == FINE and rng.random() < 0.6:
                w.update(decision=NO_VIOLATION, clause=None, mult=None, unit=None, fine=0)
            elif w["decision"] != FINE:
                w.update(decision=rng.choice((KEEP, NO_VIOLATION)), clause=None, mult=None,
                         unit=None, fine=0)
        out.append(w)
    return out


def _make_rulings(rng: random.Random, world: World, n: int) -> list[dict]:
    n_first = max(1, round(n * 0.75))
    n_appeal = n - n_first
    rulings = []
    for i in range(n_first):
        d, neigh = world.place()
        ordinal = rng.randint(RULINGS_FIRST_DAY, RULINGS_LAST_DAY - 30)
        jy = CAL.to_jalali(ordinal)[0]
        commercial = rng.random() < 0.25
        k = weighted(rng, ((1, 50), (2, 40), (3, 10)))
        vtypes = []
        while len(vtypes) < k:
            t = rng.choices(VTYPES, weights=VTYPE_WEIGHTS)[0]
            if t not in vtypes:
                vtypes.append(t)
        address, postal = world.address(neigh, private=True)
        rulings.append({
            "gen": i, "stage": FIRST_INSTANCE, "comm_no": rng.randint(1, 4), "district": d,
            "neighbourhood": neigh, "address": address, "postal": postal, "ordinal": ordinal,
            "violations": [_violation(rng, t, jy, d, commercial) for t in vtypes],
            "owner_name": world.person() if rng.random() < 0.95 else None,
            "owner_national_id": national_id(rng) if rng.random() < 0.9 else None,
            "owner_mobile": mobile(rng) if rng.random() < 0.85 else None,
            "plate": world.plate() if rng.random() < 0.9 else None,
            "appeal": None, "first": None,
        })
    # Appeals: each reviews a distinct first-instance ruling, later, in another commission.
    reviewed = rng.sample(range(n_first), min(n_appeal, n_first))
    for j, idx in enumerate(reviewed):
        first = rulings[idx]
        result = weighted(rng, ((CONFIRMED, 55), (AMENDED, 30), (QUASHED, 15)))
        ordinal = min(first["ordinal"] + rng.randint(12, 150), RULINGS_LAST_DAY)
        appeal = {**{k: first[k] for k in ("district", "neighbourhood", "address", "postal",
                                            "owner_name", "owner_national_id", "owner_mobile",
                                            "plate")},
                  "gen": n_first + j, "stage": APPEAL, "comm_no": rng.randint(1, 2),
                  "ordinal": ordinal, "appeal_result": result, "first": first, "appeal": None,
                  "violations": _appeal_violations(rng, first, result)}
        first["appeal"] = appeal
        rulings.append(appeal)
    rulings.sort(key=lambda r: (r["ordinal"], r["gen"]))

    # Numbers: <jalali year>/<commission>/<serial>, serials rising through each year.
    serial: dict[int, int] = {}
    case_serial: dict[tuple[int, int], int] = {}
    trios: dict[tuple[str, int, int], tuple[str, str, str]] = {}
    for r in rulings:
        jy = CAL.to_jalali(r["ordinal"])[0]
        serial[jy] = serial.get(jy, rng.randint(1, 60)) + rng.choice((1, 1, 1, 2, 3))
        r["ruling_no"] = f"{jy}/{r['comm_no']}/{serial[jy]}"
        r["commission"] = f"{r['stage']} {fa(r['comm_no'])}"
        if r["stage"] == FIRST_INSTANCE:
            cy = jy - 1 if rng.random() < 0.3 else jy
            key = (cy, r["district"])
            case_serial[key] = case_serial.get(key, rng.randint(1, 40)) + rng.randint(1, 4)
            r["case_no"] = f"{cy}-{r['district']:02d}-{case_serial[key]:04d}"
        else:
            r["case_no"] = r["first"]["case_no"]
        # Members: each commission sits in one composition per year, with some stand-ins.
        ck = (r["stage"], r["comm_no"], jy)
        if ck not in trios:
            trios[ck] = tuple(rng.choice(MEMBERS[role]) for role in MEMBERS)
        trio = list(trios[ck])
        if rng.random() < 0.1:
            role_i = rng.randrange(3)
            trio[role_i] = rng.choice(MEMBERS[list(MEMBERS)[role_i]])
        r["interior_rep"], r["judiciary_rep"], r["council_rep"] = trio
        r["execution_status"] = (rng.choice(EXECUTION_STATUSES) if rng.random() < 0.85
                                 else None)
        r["total"] = sum(v["fine"] for v in r["violations"])
    for r in rulings:   # texts need the numbers of the rulings they cite
        r["ruling_text"] = (_first_text(rng, r) if r["stage"] == FIRST_INSTANCE
                            else _appeal_text(rng, r, r["first"]))
    return rulings


def _make_properties(rng: random.Random, world: World, n: int) -> list[dict]:
    specs = []
    for i in range(n):
        lu = LAND_USES[i] if i < len(LAND_USES) else rng.choices(LAND_USES, LAND_USE_WEIGHTS)[0]
        if i < len(OCCUPANCIES):
            occ = OCCUPANCIES[i]
        else:
            occ = rng.choices(OCCUPANCIES, OCCUPANCY_WEIGHTS[lu])[0]
        specs.append((lu, occ))
    rng.shuffle(specs)
    props = []
    for lu, occ in specs:
        d, neigh = world.place()
        props.append({"district": d, "neighbourhood": neigh, "land_use": lu, "occupancy": occ})
    props.sort(key=lambda p: p["district"])   # stable: generation order within a district
    serial: dict[int, int] = {}
    for p in props:
        d, neigh, lu, occ = p["district"], p["neighbourhood"], p["land_use"], p["occupancy"]
        serial[d] = serial.get(d, 0) + rng.choice((1, 1, 1, 2))
        p["code"] = f"P-{d:02d}-{serial[d]:04d}"
        street = rng.choice(world.streets[neigh])
        p["title"] = rng.choice(TITLES[lu]).format(
            street=street, neigh=neigh, d=fa(d), n=fa(rng.randint(1, 12)),
            school=rng.choice(SCHOOLS), flower=rng.choice(FLOWERS), mosque=rng.choice(MOSQUES),
            sub=world.sub_street())
        p["address"] = world.address(neigh, private=False)[0]
        if lu in (LU_GREEN, LU_VACANT, LU_SPORT, LU_TRANSPORT):
            land = Decimal(rng.randrange(300, 25_000))
        else:
            land = Decimal(rng.randrange(8_000, 300_000)) / 100
        p["land"] = land
        if lu == LU_VACANT:
            p["building"] = Decimal(0) if rng.random() < 0.8 else None
        elif lu == LU_GREEN:
            p["building"] = Decimal(rng.randrange(0, 200)) if rng.random() < 0.5 else None
        else:
            p["building"] = (land * Decimal(rng.choice(("0.6", "1.2", "1.8", "2.4", "3")))
                             ).quantize(Decimal("0.01"))
        p["plate"] = world.plate() if rng.random() < 0.85 else None
        deed = weighted(rng, ((DEED_SINGLE, 45), (DEED_BOOKLET, 20), (DEED_SHARED, 12),
                              (DEED_INFORMAL, 10), (DEED_NONE, 13)))
        p["deed"] = deed
        if deed == DEED_SHARED:
            p["share"] = Decimal(rng.choice(("1", "2", "2.5", "3", "4", "4.5")))
        elif deed == DEED_NONE and rng.random() < 0.6:
            p["share"] = None
        else:
            p["share"] = Decimal(6)
        kind = holder = None
        if occ == OCC_MUNICIPALITY and rng.random() < 0.7:
            kind, holder = ORGANISATION, rng.choice(
                (f"شهرداری منطقه {fa(d)}", "سازمان پارک‌ها و فضای سبز شهرداری کرج",
                 "سازمان فرهنگی، اجتماعی و ورزشی شهرداری کرج"))
        elif occ == OCC_RENTED:
            if rng.random() < 0.5:
                kind, holder = NATURAL_PERSON, world.person()
            else:
                kind, holder = ORGANISATION, rng.choice(COMPANIES + ORGANISATIONS)
        elif occ == OCC_ASSIGNED:
            kind, holder = ORGANISATION, rng.choice(ORGANISATIONS)
        elif occ == OCC_SQUATTED and rng.random() < 0.6:
            kind, holder = NATURAL_PERSON, world.person()
        p["holder_kind"], p["holder"] = kind, holder
        p["start"] = p["end"] = p["rent"] = None
        if occ == OCC_RENTED or (occ == OCC_ASSIGNED and rng.random() < 0.7):
            start = rng.randint(CAL.to_ordinal(1396, 1, 1), CAL.to_ordinal(1404, 6, 31))
            sy, sm, sd = CAL.to_jalali(start)
            years = rng.choice((1, 1, 2, 3, 5))
            end = CAL.to_ordinal(sy + years, sm, min(sd, 29)) - 1
            p["start"], p["end"] = start, end
            if occ == OCC_RENTED:
                p["rent"] = int(round(float(land) * rng.uniform(20_000, 400_000), -5))
            elif rng.random() < 0.5:
                p["rent"] = 0
        p["appraisal"] = (int(round(float(land) * rng.uniform(5e6, 8e7), -6))
                          if rng.random() < 0.8 else None)
        if rng.random() < 0.6:
            lat0, lon0 = DISTRICT_CENTRES[d]
            p["lat"] = min(35.9, max(35.75, round(lat0 + rng.uniform(-0.015, 0.015), 6)))
            p["lon"] = min(51.1, max(50.85, round(lon0 + rng.uniform(-0.02, 0.02), 6)))
        else:
            p["lat"] = p["lon"] = None
    return props


def _flag_edges(props: list[dict], published: int, percent: int = 50,
                minimum: int = 5) -> list[tuple[dict, list[tuple[str, str, str]]]]:
    """Properties at the edge of each flag of pipeline/flags.py (the pelicanconf.py settings:
    ``percent`` of the median, groups of ``minimum``), each with (code, column, expected value)
    for ``edge_cases``. ``published``: the day the plain pipeline publishes the sample on (its
    newest published ruling's). Two (district, land use) groups that hold no let property yet,
    so their medians are the planted ones: five let properties whose rent per m² is 49,999,
    50,000 (exactly ``percent`` of the median), 100,000, 100,000 and 120,000; and a group one
    short of ``minimum``."""
    rented = {(p["district"], p["land_use"]) for p in props if p["occupancy"] == OCC_RENTED}
    # Religious and green land are never let (OCCUPANCY_WEIGHTS): the last resort of a large
    # registry, where every group of the first four uses holds a let property (50k rulings).
    free = [(d, lu) for lu in (LU_COMMERCIAL, LU_OFFICE, LU_TRANSPORT, LU_RESIDENTIAL, LU_RELIGIOUS, LU_GREEN)
            for d in range(1, 13) if (d, lu) not in rented]
    (full_d, full_lu), (small_d, small_lu) = free[:2]
    neigh = {p["district"]: p["neighbourhood"] for p in reversed(props)}
    half = Decimal(100_000 * percent // 100)

    def prop(d, lu, n, occupancy, start=None, end=None, rent=None, building=Decimal(100), land=Decimal(400),
             holder=COMPANIES[1]):
        lat, lon = DISTRICT_CENTRES[d]
        return {"code": f"P-{d:02d}-{9000 + n:04d}", "title": f"غرفه {fa(n)} بازارچه {neigh[d]}",
                "district": d, "neighbourhood": neigh[d], "address": f"{neigh[d]}، بازارچه شهرداری، غرفه {fa(n)}",
                "land_use": lu, "land": land, "building": building, "plate": None, "deed": DEED_SINGLE,
                "share": Decimal(6), "occupancy": occupancy,
                "holder_kind": ORGANISATION if holder else None, "holder": holder,
                "start": start, "end": end, "rent": rent, "appraisal": 1_200_000_000,
                "lat": round(lat + n / 10_000, 6), "lon": round(lon - n / 10_000, 6)}

    year_ago, later = published - 365, published + 400
    edges = [
        (prop(full_d, full_lu, 1, OCC_RENTED, year_ago, published, int(half * 100)),
         [("flag-lease-ends-on-publication", "flag_lease_expired", "false"),
          ("flag-rent-at-threshold", "flag_low_rent", "false")]),
        (prop(full_d, full_lu, 2, OCC_RENTED, year_ago, published - 1, int((half - 1) * 100)),
         [("flag-lease-ended-the-day-before", "flag_lease_expired", "true"),
          ("flag-rent-just-below-threshold", "flag_low_rent", "true")]),
        (prop(full_d, full_lu, 3, OCC_RENTED, year_ago, later, 10_000_000), []),
        (prop(full_d, full_lu, 4, OCC_RENTED, year_ago, later, 10_000_000), []),
        (prop(full_d, full_lu, 5, OCC_RENTED, year_ago, later, 12_000_000), []),
        *((prop(small_d, small_lu, n, OCC_RENTED, year_ago, later, rent),
           [("flag-group-below-minimum", "flag_low_rent", "")] if n == 1 else [])
          for n, rent in zip(range(1, minimum), (1_000_000, 10_000_000, 10_000_000, 12_000_000, 9_000_000))),
        (prop(small_d, small_lu, 8, OCC_RENTED),
         [("flag-let-without-dates", "flag_no_contract", "true")]),
        (prop(small_d, small_lu, 9, OCC_ASSIGNED, start=year_ago, holder=ORGANISATIONS[2]),
         [("flag-assigned-with-a-start-only", "flag_no_contract", "false")]),
    ]
    return edges


# ---------------------------------------------------------------------------------------------
# Plantings: special cells in valid rows, then the deliberately bad rows
# ---------------------------------------------------------------------------------------------
def _text_plantings(rng: random.Random, ruling: dict) -> list[tuple[str, str, str]]:
    """(code, the text to add, the planted value itself) for each planting in شرح رأی."""
    mob, mob2, nid, post = mobile(rng), mobile(rng), national_id(rng), postal_code(rng)
    intl = "+98" + mobile(rng)[1:]
    name, own_id = ruling["owner_name"], ruling["owner_national_id"]
    return [
        ("owner-name-in-text", f" مالک ملک، آقای/خانم {name}، در جلسه حاضر بود.", name),
        ("owner-name-in-text", f"^{name} (مالک) لایحه‌ای تقدیم نمود.\n", name),
        ("national-id-in-text", f"\nکد ملی مالک: {own_id}", own_id),
        ("national-id-in-text", f" وکیل مالک به کد ملی {fa(nid)} حضور داشت.", nid),
        ("mobile-in-text", f" شماره تماس مالک {mob} اعلام شد.", mob),
        ("mobile-in-text", f"\nتلفن همراه: {fa(mob2)}", mob2),
        ("postal-code-in-text", f" نشانی ابلاغ: کد پستی {fa(post)}", post),
        ("invalid-id-like-number", " شماره نامه ارجاعی 1234567890 است.", "1234567890"),
        ("html-script", " <script>alert(1)</script>", "<script>alert(1)</script>"),
        ("html-tag", "^<b>رأی کمیسیون</b> ", "<b>"),
        ("markdown-bold", "^**توجه:** ", "**توجه:**"),
        ("markdown-link", " [پیوست](javascript:alert(1))", "javascript:alert(1)"),
        ("formula-prefix", '=HYPERLINK("http://x","y")', '=HYPERLINK("http://x","y")'),
        ("formula-prefix", f"^{intl} با مالک تماس گرفته شد. ", intl),
        ("formula-prefix", "^@SUM(1) ", "@SUM(1)"),
        ("formula-prefix", "^-2+3 ", "-2+3"),
    ]


N_TEXT_PLANTINGS = 16

MEMBER_VARIANTS = (
    ("arabic-letters", lambda s: s.translate(ARABIC_LETTERS) if s.translate(ARABIC_LETTERS) != s
     else None),
    ("double-space", lambda s: s.replace(" ", "  ", 1) if " " in s else None),
    ("zwnj-dropped", lambda s: s.replace(ZWNJ, "") if ZWNJ in s else None),
    ("padded", lambda s: f" {s}  "),
)


def _pick(pool: list[dict], *preds) -> dict:
    """The first ruling of the pool meeting the first predicate that any ruling meets."""
    for pred in preds or (lambda r: True,):
        for i, r in enumerate(pool):
            if pred(r):
                return pool.pop(i)
    raise ValueError("not enough rulings to plant every special row; use more --rulings")


def _plant_rulings(rng, rulings: list[dict], bad_rows: bool) -> tuple[list[dict], list]:
    """Mark special rows (in place) and return (final row list, orphan violation rows)."""
    for r in rulings:
        r["tags"] = []        # (code, column, value, note) for planted cells
        r["bad"] = None       # (code, column, value, note) when the row must be rejected
        r["render"] = {}      # column -> exact cell value overriding the random rendering
    pool = [r for r in rulings if r["stage"] == FIRST_INSTANCE and r["appeal"] is None]
    rng.shuffle(pool)
    one_violation = lambda r: len(r["violations"]) == 1  # noqa: E731
    in_1402 = lambda r: CAL.to_jalali(r["ordinal"])[0] == 1402 and one_violation(r)  # noqa: E731

    extra_rows: list[tuple[int, dict]] = []
    orphans: list[tuple[int, dict]] = []
    if bad_rows:
        def reject(r, code, column, value, note):
            r["bad"] = (code, column, value, note)
            r["render"][column] = value

        r = _pick(pool, lambda r: in_1402(r) and CAL.to_jalali(r["ordinal"])[1] == 12,
                  in_1402, one_violation)
        reject(r, "bad-date", "ruling_date", "1402/12/30", "1402 is not a leap year")
        r = _pick(pool, in_1402, one_violation)
        reject(r, "bad-date", "ruling_date", "1402/13/01", "there is no 13th month")
        r = _pick(pool, one_violation)
        reject(r, "out-of-range", "district", "15", "Karaj has 12 districts")
        r = _pick(pool, one_violation)
        reject(r, "missing-required", "interior_rep", "   ", "a required cell of white space")
        # A re-exported copy of an earlier ruling, a few rows further down.
        src = _pick(pool)
        pos = rulings.index(src)
        copy = {**src, "violations": [], "tags": [], "render": dict(src["render"]),
                "execution_status": EXECUTION_STATUSES[0], "appeal": None}
        copy["bad"] = ("duplicate-key", "ruling_no", src["ruling_no"],
                       "the later row with a ruling number already seen")
        extra_rows.append((min(pos + rng.randint(3, 40), len(rulings)), copy))
        # Violation rows with their own fault.
        # (on rulings with two violations, so that the ruling keeps a published one)
        two = lambda r: len(r["violations"]) == 2  # noqa: E731
        r = _pick(pool, lambda r: two(r) and r["violations"][0]["decision"] != FINE,
                  lambda r: r["violations"][0]["decision"] != FINE)
        v = r["violations"][0]
        v["bad"] = ("unknown-enum", "decision", "ارجاع به کارشناس", "not a decision")
        v["decision_raw"] = "ارجاع به کارشناس"
        r = _pick(pool, lambda r: two(r) and r["violations"][0]["decision"] == FINE,
                  lambda r: r["violations"][0]["decision"] == FINE)
        v = r["violations"][0]
        # The fine cell is left empty, so the ruling's total adds up whether or not the check
        # counts rejected violation rows.
        v["mult"] = Decimal(5)
        v["fine"] = 0
        v["fine_empty"] = True
        r["total"] = sum(x["fine"] for x in r["violations"])
        v["bad"] = ("out-of-range", "multiplier", 5, "a multiplier above 4 (fine cell empty)")
        # A violation of a ruling that is not in the export at all.
        ghost = {"violation_type": V_EXCESS_AREA, "decision": FINE, "area": Decimal("18.5"),
                 "floor": "دوم", "mult": Decimal(2), "unit": 9_800_000, "clause": 2,
                 "ghost_no": "1402/9/9999"}
        ghost["fine"] = _fine(ghost["area"], ghost["unit"], ghost["mult"])
        ghost["bad"] = ("orphan-violation", "ruling_no", "1402/9/9999",
                        "no ruling with this number")
        orphans.append((len(rulings) // 2, ghost))

    # Valid plantings: texts, member spellings, totals that do not add up, a leap day.
    for i in range(N_TEXT_PLANTINGS):
        r = _pick(pool, lambda r: r["owner_name"] and r["owner_national_id"])
        code, add, secret = _text_plantings(rng, r)[i]
        if add.startswith("="):             # the whole cell
            r["ruling_text"] = add
        elif add.startswith("^"):           # at the start of the cell
            r["ruling_text"] = add[1:] + r["ruling_text"]
        else:
            r["ruling_text"] += add
        r["tags"].append((code, "ruling_text", r["ruling_text"], secret))
    per_kind = max(1, len(rulings) // 500)
    roles = list(MEMBERS)
    for code, variant in MEMBER_VARIANTS:
        for _ in range(per_kind):
            r = _pick(pool, lambda r: any(variant(r[x]) for x in roles))
            role = rng.choice([x for x in roles if variant(r[x])])
            written = variant(r[role])
            r["render"][role] = written
            r["tags"].append(("member-variant:" + code, role, written, r[role]))
    for _ in range(max(1, len(rulings) // 300)):
        r = _pick(pool, lambda r: r["total"] > 0)
        wrong = r["total"] + rng.choice((1_000_000, 10_000_000, -r["total"] // 10 or 1))
        r["total_written"] = wrong
        r["tags"].append(("fine-sum-mismatch", "total_fine_rial", wrong,
                          f"violations add up to {r['total']}"))
    leap = _pick(pool, lambda r: CAL.to_jalali(r["ordinal"])[0] == 1403, lambda r: True)
    assert leap["appeal"] is None   # moving its date cannot put it after its own appeal
    leap["ordinal"] = CAL.to_ordinal(1403, 12, 30)
    leap["render"]["ruling_date"] = "1403/12/30"
    leap["tags"].append(("valid-leap-day", "ruling_date", "1403/12/30", "1403 is a leap year"))

    rows = list(rulings)
    for pos, extra in sorted(extra_rows, key=lambda e: -e[0]):
        rows.insert(pos, extra)
    if bad_rows:
        total = sum(r["total"] for r in rulings)
        rows.append({"summary": True, "total": total, "bad": (
            "missing-required", "case_no", None,
            "a «جمع کل» summary row (its ruling_no «جمع کل» may also be reported as bad-key)")})
    return rows, orphans


# ---------------------------------------------------------------------------------------------
# Rendering rows
# ---------------------------------------------------------------------------------------------
def _ruling_cells(w: Writer, r: dict) -> dict:
    if r.get("summary"):
        return {"ruling_no": "جمع کل", "total_fine_rial": w.amount(r["total"])}
    rng = w.rng
    ro = r["render"]
    persian = rng.random() < 0.75
    cells = {
        "ruling_no": w.key(r["ruling_no"], persian),
        "case_no": w.key(r["case_no"], rng.random() < 0.6),
        "ruling_date": w.date(r["ordinal"]),
        "stage": r["stage"],
        "commission": w.messy(r["commission"]),
        "district": w.district(r["district"]),
        "neighbourhood": w.messy(r["neighbourhood"]),
        "address": w.messy(r["address"]),
        "interior_rep": r["interior_rep"], "judiciary_rep": r["judiciary_rep"],
        "council_rep": r["council_rep"],
        "ruling_text": r["ruling_text"],
        "execution_status": w.messy(r["execution_status"] or "", 0.03) or None,
        "owner_name": w.messy(r["owner_name"] or "") or None,
        "owner_national_id": (fa(r["owner_national_id"]) if r["owner_national_id"]
                              and rng.random() < 0.2 else r["owner_national_id"]),
        "owner_mobile": (fa(r["owner_mobile"]) if r["owner_mobile"] and rng.random() < 0.2
                         else r["owner_mobile"]),
        "plate": r["plate"],
    }
    if rng.random() < 0.03:
        cells["ruling_no"] = cells["ruling_no"] + " "
    if r["stage"] == APPEAL:
        if rng.random() < 0.04:           # «تجدید‌نظر»: the same word once ZWNJ is folded
            cells["stage"] = APPEAL.replace("دن", "د" + ZWNJ + "ن")
        cells["appealed_ruling_no"] = w.key(r["first"]["ruling_no"], rng.random() < 0.7)
        result = r["appeal_result"]
        cells["appeal_result"] = ("تایید" if result == CONFIRMED and rng.random() < 0.25
                                  else result)
    total = r.get("total_written", r["total"])
    if total == 0 and not any(v["decision"] == FINE for v in r["violations"]):
        cells["total_fine_rial"] = 0 if rng.random() < 0.5 else None
    else:
        cells["total_fine_rial"] = w.amount(total)
    cells.update(ro)
    return cells


def _violation_cells(w: Writer, v: dict, ruling_no_cell: str) -> dict:
    rng = w.rng
    basis = _basis_text(v)
    if basis and rng.random() < 0.2:
        basis = basis.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))
    if basis and rng.random() < 0.05:
        basis = None
    cells = {
        "ruling_no": ruling_no_cell,
        "violation_type": w.messy(v["violation_type"], 0.03),
        "legal_basis": basis,
        "floor": v["floor"],
        "area_m2": w.decimal(v["area"]),
        "decision": v.get("decision_raw") or w.messy(v["decision"], 0.03),
        "multiplier": w.decimal(v["mult"]) if v["mult"] is not None else None,
        "unit_value_rial": w.amount(v["unit"]) if v["unit"] is not None else None,
    }
    if v.get("fine_empty"):
        cells["fine_rial"] = None
    elif v["decision"] == FINE:
        cells["fine_rial"] = w.amount(v["fine"])
    else:
        cells["fine_rial"] = 0 if rng.random() < 0.2 else None
    if isinstance(v.get("bad"), tuple) and v["bad"][1] == "multiplier":
        cells["multiplier"] = 5
    return cells


def _property_cells(w: Writer, p: dict) -> dict:
    rng = w.rng
    code = p["code"] if rng.random() < 0.8 else fa(p["code"])
    cells = {
        "property_code": code,
        "title": w.messy(p["title"]),
        "district": w.district(p["district"]),
        "neighbourhood": w.messy(p["neighbourhood"]),
        "address": w.messy(p["address"]),
        "land_use": w.messy(p["land_use"], 0.05),
        "land_area_m2": w.decimal(p["land"]),
        "building_area_m2": w.decimal(p["building"]) if p["building"] is not None else None,
        "plate": p["plate"],
        "deed_type": w.messy(p["deed"], 0.05),
        "share_dang": w.decimal(p["share"]) if p["share"] is not None else None,
        "occupancy": w.messy(p["occupancy"], 0.05),
        "holder_kind": w.messy(p["holder_kind"] or "", 0.03) or None,
        "holder": w.messy(p["holder"] or "") or None,
        "contract_start": w.date(p["start"]) if p["start"] else None,
        "contract_end": w.date(p["end"]) if p["end"] else None,
        "monthly_rent_rial": w.amount(p["rent"]) if p["rent"] is not None else None,
        "appraisal_rial": w.amount(p["appraisal"]) if p["appraisal"] is not None else None,
        "latitude": None, "longitude": None,
    }
    if p["lat"] is not None:
        if rng.random() < 0.7:
            cells["latitude"], cells["longitude"] = p["lat"], p["lon"]
        else:
            cells["latitude"] = fa(f"{p['lat']:.6f}".replace(".", "٫"))
            cells["longitude"] = f"{p['lon']:.6f}"
    cells.update(p.get("render", {}))
    return cells


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------
def _write_xlsx(path: Path, sheets: list[tuple[str, list[str], list[list[Any]]]]) -> None:
    """An xlsx built by openpyxl (write-only) whose sheet data is then streamed in directly.

    openpyxl writes the package: workbook, styles, relationships and every sheet with a single
    probe date cell, which registers the date style. Serialising millions of cells through
    openpyxl without lxml takes minutes, so the <sheetData> of each sheet is then replaced by
    the same XML openpyxl would write (inline strings, numbers, date serials with the date
    style), produced by ``_sheet_row``.
    """
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    wb.properties.creator = "Shafaf tools/make_sample_exports.py"
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    for title, _header, _rows in sheets:
        wb.create_sheet(title).append([dt.date(2000, 1, 1)])
    skeleton = io.BytesIO()
    wb.save(skeleton)
    data = [[header, *rows] for _title, header, rows in sheets]
    assert all(len(header) <= len(_COLUMNS) for header, *_ in data)
    with path.open("wb") as fh:
        _repack(skeleton.getvalue(), fh, data)


_CORE_TIME = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")
_SHEET_PART = re.compile(r"xl/worksheets/sheet(\d+)\.xml")
_PROBE_STYLE = re.compile(rb'<c r="A1" s="(\d+)"')
_EXCEL_EPOCH = dt.date(1899, 12, 30).toordinal()
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")   # not allowed in XML 1.0


def _repack(skeleton: bytes, fh, sheets: list[list[list[Any]]]) -> None:
    """Rewrite the package with fixed timestamps, sorted entries and fixed attributes (so the
    bytes are reproducible), streaming the rows into each sheet's <sheetData>."""
    stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(io.BytesIO(skeleton)) as zin, \
            zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in sorted(zin.namelist()):
            content = zin.read(name)
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            if name == "docProps/core.xml":
                content = _CORE_TIME.sub(lambda m: m.group(1) + stamp + m.group(3), content)
            sheet = _SHEET_PART.fullmatch(name)
            if not sheet:
                zout.writestr(info, content)
                continue
            rows = sheets[int(sheet.group(1)) - 1]
            date_style = _PROBE_STYLE.search(content).group(1).decode()
            head, rest = content.split(b"<sheetData>", 1)
            tail = rest.split(b"</sheetData>", 1)[1]
            with zout.open(info, "w") as out:
                out.write(head + b"<sheetData>")
                batch = []
                for i, row in enumerate(rows, 1):
                    batch.append(_sheet_row(i, row, date_style))
                    if len(batch) == 2000:
                        out.write("".join(batch).encode("utf-8"))
                        batch = []
                out.write("".join(batch).encode("utf-8"))
                out.write(b"</sheetData>" + tail)


_COLUMNS = [chr(65 + i) for i in range(26)]


def _sheet_row(r: int, values: list[Any], date_style: str) -> str:
    """One <row> exactly as openpyxl writes it, except that a cell of white space only is
    marked xml:space="preserve" too (openpyxl leaves it to the reader to keep the spaces)."""
    parts = [f'<row r="{r}">']
    for col, v in zip(_COLUMNS, values):
        if v is None or v == "":
            continue
        if isinstance(v, str):
            if _CONTROL.search(v):
                raise ValueError(f"control character in cell {col}{r}")
            space = ' xml:space="preserve"' if v != v.strip() else ""
            text = v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            parts.append(f'<c r="{col}{r}" t="inlineStr"><is><t{space}>'
                         f'{text.replace(chr(13), "&#13;")}</t></is></c>')
        elif isinstance(v, bool):
            raise TypeError(f"boolean in cell {col}{r}")
        elif isinstance(v, int):
            parts.append(f'<c r="{col}{r}" t="n"><v>{v}</v></c>')
        elif isinstance(v, float):
            parts.append(f'<c r="{col}{r}" t="n"><v>{"%.16g" % v}</v></c>')
        elif isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            parts.append(f'<c r="{col}{r}" s="{date_style}" t="n">'
                         f'<v>{v.toordinal() - _EXCEL_EPOCH}</v></c>')
        else:
            raise TypeError(f"cannot write {type(v).__name__} in cell {col}{r}")
    parts.append("</row>")
    return "".join(parts)


def _csv_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.date):
        jy, jm, jd = CAL.to_jalali(v.toordinal())
        return f"{jy}/{jm:02d}/{jd:02d}"
    return str(v)


def _write_csv(path: Path, header: list[str], rows: list[list[Any]], encoding: str) -> None:
    # The code-page fallback goes cell by cell, before quoting: «٬» becomes a comma.
    table = CP1256_FALLBACK if encoding == "cp1256" else {}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([h.translate(table) for h in header])
    for row in rows:
        writer.writerow([_csv_value(v).translate(table) for v in row])
    path.write_bytes(buf.getvalue().encode(encoding))


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------
def generate(out_dir, rulings: int = 1500, properties: int = 300, seed: int = 1402,
             fmt: str = "xlsx", encoding: str = "utf-8-sig", bad_rows: bool = True) -> dict:
    """Write the exports into out_dir and describe what was planted in them.

    Returns a dict with:
      files            {file name: {"path", "bytes", "sha256"}}
      counts           {dataset: {"rows", "rejected", "published"}}: rows read (header not
                       counted), rows the validator must reject, rows it must publish
      bad_rows         [Planted(dataset, sheet, row, code, file, column, value, note)]: every row
                       that must be rejected, with its expected code; ``row`` counts the header
                       as row 1; ``sheet`` is None for CSV
      warnings         [Planted]: consistency warnings planted in valid rows (totals)
      text_plantings   [Planted]: personal data, markup and formula-like text in شرح رأی (``value``
                       is the whole cell, ``note`` the planted string, digits in Latin), and the
                       addresses holding a postal code (``note`` is the code)
      member_variants  [Planted]: member names spelled differently; ``note`` is the canonical name
      edge_cases       [Planted]: valid rows at an edge (the leap day 1403/12/30)
      members          {role field: canonical names in the pool}
      seed, format, encoding
    """
    if fmt not in ("xlsx", "csv"):
        raise ValueError(f"unknown format {fmt!r}")
    if encoding not in ("utf-8", "utf-8-sig", "cp1256"):
        raise ValueError(f"unknown encoding {encoding!r}")
    if rulings < MIN_RULINGS or properties < MIN_PROPERTIES:
        raise ValueError(f"need at least {MIN_RULINGS} rulings and {MIN_PROPERTIES} properties "
                         "(room for every planted row)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    world = World(rng)
    ruling_objs = _make_rulings(rng, world, rulings)
    prop_objs = _make_properties(rng, world, properties)
    rows, orphans = _plant_rulings(rng, ruling_objs, bad_rows)

    is_csv = fmt == "csv"
    fname = {t.name: (f"{t.name}.csv" if is_csv else f"{t.workbook}.xlsx")
             for t in (RULINGS, VIOLATIONS, PROPERTIES)}
    sheet = {t.name: (None if is_csv else t.sheet) for t in (RULINGS, VIOLATIONS, PROPERTIES)}
    result: dict[str, Any] = {"seed": seed, "format": fmt, "encoding": encoding if is_csv else None,
                              "bad_rows": [], "warnings": [], "text_plantings": [],
                              "member_variants": [], "edge_cases": [],
                              "members": {k: list(v) for k, v in MEMBERS.items()}}

    def plant(kind: str, ds: str, rowno: int, code: str, column: str, value, note=""):
        result[kind].append(Planted(ds, sheet[ds], rowno, code, fname[ds], column, value, note))

    w = Writer(rng)
    ruling_rows, violation_rows = [], []
    orphan_at = dict(orphans)
    for r in rows:
        cells = _ruling_cells(w, r)
        ruling_rows.append([cells.get(f.name) for f in RULINGS.fields])
        rowno = len(ruling_rows) + 1
        if r.get("bad"):
            code, column, value, note = r["bad"]
            plant("bad_rows", "rulings", rowno, code, column, value, note)
        if r.get("postal") and not r.get("summary"):
            plant("text_plantings", "rulings", rowno, "postal-code-in-address", "address",
                  cells["address"], r["postal"])
        for code, column, value, note in r.get("tags", ()):
            kind = ("member_variants" if code.startswith("member-variant") else
                    "warnings" if code == "fine-sum-mismatch" else
                    "edge_cases" if code == "valid-leap-day" else "text_plantings")
            plant(kind, "rulings", rowno, code, column, value, note)
        for v in r.get("violations", ()):
            same = rng.random() < 0.85
            no_cell = cells["ruling_no"].strip() if same else \
                w.key(r["ruling_no"], not any(c in "۰۱۲۳۴۵۶۷۸۹" for c in cells["ruling_no"]))
            vcells = _violation_cells(w, v, no_cell)
            violation_rows.append([vcells.get(f.name) for f in VIOLATIONS.fields])
            vrow = len(violation_rows) + 1
            if v.get("bad"):
                code, column, value, note = v["bad"]
                plant("bad_rows", "violations", vrow, code, column, value, note)
            elif r.get("bad"):
                plant("bad_rows", "violations", vrow, "orphan-of-rejected", "ruling_no",
                      no_cell, f"its ruling (row {rowno}) is rejected: {r['bad'][0]}")
        if len(ruling_rows) - 1 in orphan_at:
            ghost = orphan_at.pop(len(ruling_rows) - 1)
            vcells = _violation_cells(w, ghost, ghost["ghost_no"])
            violation_rows.append([vcells.get(f.name) for f in VIOLATIONS.fields])
            code, column, value, note = ghost["bad"]
            plant("bad_rows", "violations", len(violation_rows) + 1, code, column, value, note)

    prop_rows = []
    dup_src = dup_at = share_at = None
    if bad_rows:
        # Not the only row of its land use or occupancy: every value stays published.
        lu_n = Counter(p["land_use"] for p in prop_objs)
        occ_n = Counter(p["occupancy"] for p in prop_objs)
        first = len(prop_objs) // 3 + rng.randrange(len(prop_objs) // 3)
        share_at = next(i for i in range(first, len(prop_objs))
                        if lu_n[prop_objs[i]["land_use"]] > 1
                        and occ_n[prop_objs[i]["occupancy"]] > 1)
        dup_src = rng.randrange(0, len(prop_objs) // 3)   # before share_at: a valid original
        dup_at = rng.randrange(len(prop_objs) // 2, len(prop_objs))
        if dup_at == share_at:
            dup_at = share_at - 1
    for i, p in enumerate(prop_objs):
        if i == share_at:
            p["render"] = {"share_dang": "7"}
        pcells = _property_cells(w, p)
        prop_rows.append([pcells.get(f.name) for f in PROPERTIES.fields])
        if i == share_at:
            plant("bad_rows", "properties", len(prop_rows) + 1, "out-of-range", "share_dang",
                  "7", "a share above 6 dang")
        if i == dup_at:
            src = prop_objs[dup_src]
            twin = {**src, "render": {"property_code": fa(src["code"])}}
            twin["title"] = src["title"] + " (تکراری)"
            pcells = _property_cells(w, twin)
            prop_rows.append([pcells.get(f.name) for f in PROPERTIES.fields])
            plant("bad_rows", "properties", len(prop_rows) + 1, "duplicate-key",
                  "property_code", fa(src["code"]),
                  f"the code of row {dup_src + 2} again, in Persian digits")

    # The flags' edges, after every other row and with their own generator, so that adding
    # them changed no other cell of the sample.
    published = max(r["ordinal"] for r in rows if not r.get("bad") and not r.get("summary"))
    edge_writer = Writer(random.Random(seed + 15))
    for p, cases in _flag_edges(prop_objs, published):
        pcells = _property_cells(edge_writer, p)
        prop_rows.append([pcells.get(f.name) for f in PROPERTIES.fields])
        for code, column, expected in cases:
            plant("edge_cases", "properties", len(prop_rows) + 1, code, column, p["code"], expected)

    headers = {t.name: [f.header for f in t.fields] for t in (RULINGS, VIOLATIONS, PROPERTIES)}
    if is_csv:
        _write_csv(out / fname["rulings"], headers["rulings"], ruling_rows, encoding)
        _write_csv(out / fname["violations"], headers["violations"], violation_rows, encoding)
        _write_csv(out / fname["properties"], headers["properties"], prop_rows, encoding)
    else:
        _write_xlsx(out / fname["rulings"], [
            (RULINGS.sheet, headers["rulings"], ruling_rows),
            (VIOLATIONS.sheet, headers["violations"], violation_rows)])
        _write_xlsx(out / fname["properties"], [
            (PROPERTIES.sheet, headers["properties"], prop_rows)])

    result["files"] = {}
    for name in sorted(set(fname.values())):
        data = (out / name).read_bytes()
        result["files"][name] = {"path": str(out / name), "bytes": len(data),
                                 "sha256": hashlib.sha256(data).hexdigest()}
    result["bad_rows"].sort(key=lambda b: (b.dataset, b.row))
    read = {"rulings": len(ruling_rows), "violations": len(violation_rows),
            "properties": len(prop_rows)}
    result["counts"] = {}
    for ds, n in read.items():
        rejected = len({b.row for b in result["bad_rows"] if b.dataset == ds})
        result["counts"][ds] = {"rows": n, "rejected": rejected, "published": n - rejected}
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tools.make_sample_exports",
        description="Write seeded, realistic (fictional) municipal exports for Shafaf.")
    ap.add_argument("--out", required=True, metavar="DIR", help="directory to write into")
    ap.add_argument("--rulings", type=int, default=1500, metavar="N")
    ap.add_argument("--properties", type=int, default=300, metavar="N")
    ap.add_argument("--seed", type=int, default=1402)
    ap.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    ap.add_argument("--encoding", choices=("utf-8", "utf-8-sig", "cp1256"), default="utf-8-sig",
                    help="CSV encoding (ignored for xlsx)")
    ap.add_argument("--no-bad-rows", dest="bad_rows", action="store_false",
                    help="do not plant the deliberately invalid rows")
    args = ap.parse_args(argv)
    try:
        res = generate(args.out, rulings=args.rulings, properties=args.properties,
                       seed=args.seed, fmt=args.format, encoding=args.encoding,
                       bad_rows=args.bad_rows)
    except ValueError as exc:
        ap.error(str(exc))
    for name, info in res["files"].items():
        print(f"{info['path']}  {info['bytes']:,} bytes  sha256 {info['sha256']}")
    for ds, c in res["counts"].items():
        print(f"{ds}: {c['rows']} rows, {c['rejected']} to reject, {c['published']} to publish")
    for b in res["bad_rows"]:
        where = f"{b.file}" + (f" [{b.sheet}]" if b.sheet else "")
        print(f"  bad: {where} row {b.row}: {b.code} ({b.column}={b.value!r}) {b.note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
