"""How values are shown to citizens: Persian digits, Jalali dates, Rials with Persian separators.

Data and URLs keep Latin digits and ISO dates; only what a reader sees goes through these.
They are registered as Jinja filters in ``pelicanconf.py``.
"""
from __future__ import annotations

import datetime as dt
import functools
import re

import jdatetime
from markupsafe import Markup, escape

from .normalise import DIGIT_CLASS, to_persian_digits

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


# After Persian letters the Unicode bidi algorithm reads digits as Arabic numbers, and «-» between
# two of those is a neutral that takes the text's direction: «۱۴۰۳-۱۱-۰۰۶۶» is laid out as
# «۰۰۶۶-۱۱-۱۴۰۳». A number with separators is isolated, and so is a Latin run that holds a digit
# or a separator (a code, a file name: «changes.csv», «Attribution 4.0»), with the spaces between
# its words so that they keep their order. Digits alone, or Latin words alone, are one run already.
# The patterns read escaped HTML: a separator may be the numeric reference pipeline.pages writes
# (&#45;), and nothing starts inside a reference (&#45; &amp;), so the text keeps its bytes.
_SEPARATOR = r"(?:[-/.:_٫٬,]|&#(?:44|45|46|47|58|95);)"
_ISOLATED = re.compile(rf"(?<![&#\w])(?:[{DIGIT_CLASS}]+(?:{_SEPARATOR}[{DIGIT_CLASS}]+)+"
                       rf"|[A-Za-z](?=[A-Za-z @]*(?:[{DIGIT_CLASS}]|{_SEPARATOR}[A-Za-z{DIGIT_CLASS}]))"
                       rf"(?:[A-Za-z{DIGIT_CLASS} @]|&#64;|{_SEPARATOR})*[A-Za-z{DIGIT_CLASS}])")
_TAG = re.compile(r"(<[^>]*>)")
LRI, PDI = "\u2066", "\u2069"


def isolate(value, plain: bool = False) -> Markup | str:
    """Isolates numbers and Latin runs: in ``<bdi>`` for HTML (escaped text, or the text
    nodes of Markup such as rendered Markdown), in LRI…PDI for ``plain`` text (``<title>``,
    feed titles), where no element can stand."""
    if value is None:
        return ""
    if plain:
        return _ISOLATED.sub(lambda m: f"{LRI}{m.group()}{PDI}", str(value))
    parts = _TAG.split(str(value if hasattr(value, "__html__") else escape(str(value))))
    return Markup("".join(part if i % 2 else _ISOLATED.sub(r"<bdi>\g<0></bdi>", part)
                          for i, part in enumerate(parts)))


# «{city:publisher_fa}» in a staff page (content/pages/): a city changes only its MUNICIPALITY block.
_PLACEHOLDER = re.compile(r"\{city:([^{}]*)\}")


class PlaceholderError(ValueError):
    """A staff page names a MUNICIPALITY entry that does not exist or is no single value."""


def municipal(html, municipality: dict, source: str) -> Markup:
    """The rendered Markdown of a staff page with every ``{city:<key>}`` replaced by the escaped
    ``MUNICIPALITY[key]`` (a number in Persian digits)."""
    def value(match: re.Match) -> str:
        found = municipality.get(match.group(1))
        if not _fills(found):
            known = sorted(key for key, v in municipality.items() if _fills(v))
            raise PlaceholderError(f"{source}: {match.group()} names no text or number of MUNICIPALITY "
                                   f"(pelicanconf.py); it has {', '.join(known)}")
        return escape(fa_digits(found) if isinstance(found, int) else found)
    return Markup(_PLACEHOLDER.sub(value, str(html)))


def _fills(value) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


FILTERS = {"fa_digits": fa_digits, "jalali": jalali, "fa_number": fa_number, "rial": rial,
           "jalali_year": jalali_year, "isolate": isolate, "municipal": municipal}
