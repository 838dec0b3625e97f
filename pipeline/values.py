"""Parsers from one raw spreadsheet cell to one typed value.

A cell arrives as ``str`` (CSV, or a text cell), ``int``/``float`` (a number cell) or
``datetime`` (an Excel date cell). Each parser returns the value or raises ``CellError``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

import jdatetime

from . import personal
from .errors import CellError
from .normalise import _REMOVED, fold, normalise_text
from .settings import SettingsError

JALALI_YEARS = range(1300, 1500)
EARLIEST_DATE = jdatetime.date(JALALI_YEARS[0], 1, 1).togregorian()  # 1921-03-21
TODAY_VARIABLE = "SHAFAF_TODAY"


def is_blank(raw: object) -> bool:
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    if not isinstance(raw, str):
        return False
    # A cell that starts with a letter or digit the normaliser keeps is not blank; only the
    # rest (spaces, marks, ZWNJ and the like alone) needs the whole normalisation to tell.
    head = raw.lstrip()[:1]
    if head and unicodedata.category(head) in _KEPT_CATEGORIES and head not in _REMOVED:
        return False
    return normalise_text(raw) == ""


_KEPT_CATEGORIES = {"Lu", "Ll", "Lo", "Nd"}


def text(raw: object) -> str:
    return normalise_text(_as_text(raw))


def long_text(raw: object) -> str:
    return normalise_text(_as_text(raw), multiline=True)


def _as_text(raw: object) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, (dt.datetime, dt.date)):
        return raw.isoformat()
    return str(raw)


@lru_cache(maxsize=1 << 16)
def match_key(value: str) -> str:
    """Headers, enumeration values and names compare equal when their keys do."""
    return re.sub(r"\s+", "", fold(value))


# --- identifiers -------------------------------------------------------------------------

_KEY_SEPARATORS = str.maketrans({"\\": "/", "–": "-", "—": "-", "_": "-"})
# A key names a file (content/rulings/<slug>.md) and a folder of the site, and file systems
# stop at 255 bytes; real ruling numbers and property codes are far shorter than this.
KEY_MAX_LENGTH = 64


def key(raw: object) -> str:
    """A ruling number, case number or property code: no spaces, Latin digits."""
    value = re.sub(r"\s+", "", text(raw)).translate(_KEY_SEPARATORS)
    if len(value) > KEY_MAX_LENGTH:
        raise CellError("key-too-long", f"«{value[:24]}…» {len(value)} نویسه دارد؛ "
                                        f"بیشترین اندازه {KEY_MAX_LENGTH} نویسه است")
    if personal.find(value):
        # A key is published as it is (page address, datasets, search): an ID or a mobile
        # typed into it would bypass redaction, which never rewrites identifiers.
        raise CellError("personal-data-in-key", "شناسه شبیه کد ملی یا شماره‌ی همراه است؛ منتشر نمی‌شود")
    return value


def slug(key_value: str) -> str:
    """A URL segment from an identifier; only [a-z0-9-] ever reaches a path.

    When letters outside ASCII would be lost, a short hash of the whole key keeps two
    different identifiers from meeting on one URL.
    """
    if re.fullmatch(r"[\w/.\-]+", key_value) is None:
        raise CellError("bad-key", f"«{key_value}» نویسه‌ای جز حرف، رقم و / - . دارد")
    ascii_part = re.sub(r"[^a-z0-9]+", "-", key_value.lower()).strip("-")
    if not ascii_part:
        raise CellError("bad-key", f"«{key_value}» حرف یا رقمی برای نشانی صفحه ندارد")
    if re.fullmatch(r"[A-Za-z0-9/.\-]+", key_value) is None:
        digest = hashlib.sha256(key_value.encode("utf-8")).hexdigest()[:6]
        ascii_part = f"{ascii_part}-{digest}"
    return ascii_part


# --- numbers -----------------------------------------------------------------------------

_UNITS = re.compile(r"(ریال|تومان|مترمربع|متر مربع|متر|دانگ|m2|m²)$")
_GROUPED = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?")
_PLAIN = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)")


def number(raw: object) -> Decimal:
    if isinstance(raw, bool):
        raise CellError("bad-number", f"«{raw}» عدد نیست")
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and not math.isfinite(raw):
            raise CellError("bad-number", f"«{raw}» عدد نیست")
        return Decimal(str(raw))
    if isinstance(raw, (dt.date, dt.datetime)):
        raise CellError("bad-number", f"«{raw}» تاریخ است، نه عدد")
    value = text(raw)
    cleaned = _UNITS.sub("", value.replace(" ", "")).replace("−", "-")
    cleaned = cleaned.replace("٫", ".").replace("٬", ",").replace("،", ",").replace("'", ",")
    if _GROUPED.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    elif not _PLAIN.fullmatch(cleaned):
        raise CellError("bad-number", f"«{value}» عدد خوانا نیست")
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the patterns above admit only numbers
        raise CellError("bad-number", f"«{value}» عدد خوانا نیست") from None


def integer(raw: object) -> int:
    value = number(raw)
    if value != value.to_integral_value():
        raise CellError("bad-number", f"«{_as_text(raw)}» باید عدد صحیح باشد")
    return int(value)


def decimal(raw: object) -> float:
    return float(number(raw))


def check_range(value: float, minimum=None, maximum=None, exclusive_minimum=False) -> None:
    if minimum is not None and (value < minimum or (exclusive_minimum and value == minimum)):
        bound = f"بیشتر از {minimum}" if exclusive_minimum else f"دست‌کم {minimum}"
        raise CellError("out-of-range", f"{value:g} باید {bound} باشد")
    if maximum is not None and value > maximum:
        raise CellError("out-of-range", f"{value:g} باید حداکثر {maximum} باشد")


def district(raw: object, count: int) -> int:
    if isinstance(raw, str):
        raw = re.sub(r"^منطقه", "", text(raw)).strip()
    try:
        value = integer(raw)
    except CellError:
        raise CellError("bad-number", f"منطقه‌ی «{_as_text(raw)}» خوانا نیست") from None
    if not 1 <= value <= count:
        raise CellError("out-of-range", f"منطقه‌ی {value} وجود ندارد (۱ تا {count})")
    return value


# --- dates -------------------------------------------------------------------------------

_DATE = re.compile(r"(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})")
_COMPACT = re.compile(r"(1[34]\d{2})(\d{2})(\d{2})")


def today() -> dt.date:
    """The latest date a ruling may bear: today in Tehran, or ``SHAFAF_TODAY`` (YYYY-MM-DD),
    which tests and reproducible rebuilds set so that the clock decides nothing."""
    given = os.environ.get(TODAY_VARIABLE, "")
    if not given:
        return dt.datetime.now(ZoneInfo("Asia/Tehran")).date()
    try:
        return dt.date.fromisoformat(given)
    except ValueError:
        raise SettingsError(f"{TODAY_VARIABLE}={given!r} is not a date written YYYY-MM-DD") from None


def date(raw: object, latest: dt.date | None = None) -> dt.date:
    """A date between 1300/01/01 and ``latest`` (no bound when None)."""
    value = _calendar_date(raw)
    if value < EARLIEST_DATE:
        raise CellError("date-out-of-range", f"«{_jalali(value)}» پیش از {_jalali(EARLIEST_DATE)} است")
    if latest is not None and value > latest:
        raise CellError("date-out-of-range", f"«{_jalali(value)}» پس از امروز ({_jalali(latest)}) است")
    return value


def _jalali(value: dt.date) -> str:
    return jdatetime.date.fromgregorian(date=value).strftime("%Y/%m/%d")


def _calendar_date(raw: object) -> dt.date:
    """ISO Gregorian date from a Jalali text (or an ISO Gregorian one) or an Excel date cell."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    value = text(raw)
    match = _DATE.fullmatch(value) or _COMPACT.fullmatch(value)
    if match is None:
        raise CellError("bad-date", f"«{value}» تاریخ خوانا نیست (مانند ۱۴۰۲/۰۵/۱۲)")
    year, month, day = (int(part) for part in match.groups())
    if year in JALALI_YEARS:
        try:
            return jdatetime.date(year, month, day).togregorian()
        except ValueError:
            raise CellError("bad-date", f"«{value}» در تقویم خورشیدی وجود ندارد") from None
    if 1900 <= year <= 2100 and _DATE.fullmatch(value):
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise CellError("bad-date", f"«{value}» در تقویم میلادی وجود ندارد") from None
    raise CellError("bad-date", f"سال «{year}» در بازه‌ی پذیرفته نیست")


def enum(raw: object, allowed: tuple[str, ...]) -> str:
    wanted = match_key(text(raw))
    for value in allowed:
        if match_key(value) == wanted:
            return value
    raise CellError("unknown-enum", f"«{text(raw)}» یکی از مقادیر مجاز نیست")
