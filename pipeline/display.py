"""How values are shown to citizens: Persian digits, Jalali dates, Rials with Persian separators.

Data and URLs keep Latin digits and ISO dates; only what a reader sees goes through these.
They are registered as Jinja filters in ``pelicanconf.py``.
"""
from __future__ import annotations

import datetime as dt
import functools

import jdatetime

from .normalise import to_persian_digits

JALALI_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
                 "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")
THOUSANDS, DECIMAL = "٬", "٫"


def fa_digits(value) -> str:
    return "" if value is None else to_persian_digits(str(value))


def jalali(iso: str | dt.date | None, style: str = "long") -> str:
    """«۱۲ مرداد ۱۴۰۲» (long) or «۱۴۰۲/۰۵/۱۲» (short) from an ISO Gregorian date."""
    if not iso:
        return ""
    day = iso if isinstance(iso, dt.date) else dt.date.fromisoformat(str(iso)[:10])
    return _jalali(day, style)


@functools.lru_cache(maxsize=65536)
def _jalali(day: dt.date, style: str) -> str:
    # Listing pages show the same few thousand dates over and over (135k calls per 10k rulings).
    j = jdatetime.date.fromgregorian(date=day)
    if style == "short":
        return fa_digits(f"{j.year:04d}/{j.month:02d}/{j.day:02d}")
    return fa_digits(f"{j.day} {JALALI_MONTHS[j.month - 1]} {j.year}")


@functools.lru_cache(maxsize=65536)
def jalali_year(iso: str) -> int:
    return jdatetime.date.fromgregorian(date=dt.date.fromisoformat(iso[:10])).year


def fa_number(value) -> str:
    """«۱۲٬۳۴۵٫۵» from 12345.5; integers without a decimal part."""
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")
    return fa_digits(text.replace(",", THOUSANDS).replace(".", DECIMAL))


def rial(value) -> str:
    return "" if value is None or value == "" else f"{fa_number(int(value))} ریال"


FILTERS = {"fa_digits": fa_digits, "jalali": jalali, "fa_number": fa_number, "rial": rial,
           "jalali_year": jalali_year}
