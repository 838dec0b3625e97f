"""How values are shown to citizens: Persian digits, Jalali dates, Rials with Persian separators.

Data and URLs keep Latin digits and ISO dates; only what a reader sees goes through these.
They are registered as Jinja filters in ``pelicanconf.py``.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from urllib.parse import quote

import jdatetime
from markupsafe import Markup, escape

from .normalise import DIGIT_CLASS, to_persian_digits
from .schema import COLLECTED, FINE

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
    ``MUNICIPALITY[key]`` (a number in Persian digits). A value written in Latin letters alone
    (an e-mail address, the tiles' URL) is left-to-right text isolated from the Persian
    sentence: bare, «https://…/{z}/{x}/{y}.png» was laid out in pieces, right to left."""
    def value(match: re.Match) -> str:
        found = municipality.get(match.group(1))
        if not _fills(found):
            known = sorted(key for key, v in municipality.items() if _fills(v))
            raise PlaceholderError(f"{source}: {match.group()} names no text or number of MUNICIPALITY "
                                   f"(pelicanconf.py); it has {', '.join(known)}")
        if isinstance(found, int):
            return fa_digits(found)
        if _LATIN.search(found) and not _PERSIAN.search(found):
            return f'<bdi dir="ltr">{escape(found)}</bdi>'
        return escape(found)
    return Markup(_PLACEHOLDER.sub(value, str(html)))


_LATIN, _PERSIAN = re.compile("[A-Za-z]"), re.compile("[\u0600-\u06FF]")


def _fills(value) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


# --- One rule for empty, zero and missing values (README: "Empty, zero and missing") ---------
# A recorded value is shown, a recorded zero as ۰; a blank cell reads «ثبت نشده», never an empty
# label; the fine of a ruling or violation that fined nothing reads «جریمه‌ای تعیین نشده» whatever
# the cell holds (blank or 0 mean the same there), and such a ruling shows no collection status.
MISSING = "ثبت نشده"
NO_FINE = "جریمه‌ای تعیین نشده"
NOT_APPLICABLE = "ندارد"   # a fine's multiplier or value on a violation that was not fined
NOTHING_TO_COLLECT = "جریمه‌ای برای وصول نیست"


def _missing(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def shown(value, kind: str = "text", unit: str = "") -> Markup:
    """A value as a reader sees it, or «ثبت نشده» when the cell is blank. ``kind``: text
    (Persian digits, numbers isolated), code (one isolated run), number, rial, date; ``unit``
    follows a number."""
    if _missing(value):
        return Markup('<span class="missing">%s</span>') % MISSING
    if kind == "rial":
        return Markup(escape(rial(value)))
    if kind == "number":
        return Markup(escape(fa_number(value) + (f" {unit}" if unit else "")))
    if kind == "date":
        return Markup('<time datetime="%s">%s</time>') % (str(value)[:10], jalali(value))
    if kind == "code":
        return Markup("<bdi>%s</bdi>") % fa_digits(value)
    return isolate(fa_digits(value))


def fines_anything(violations) -> bool:
    """Whether any violation of a ruling was fined (its decision is «جریمه»)."""
    return any((v.get("decision") if isinstance(v, dict) else v) == FINE for v in violations or ())


def fine(value, applies: bool) -> Markup:
    """A fine, or «جریمه‌ای تعیین نشده» where no violation was fined (a 0 or a blank there is
    no amount, and «۰ ریال» would read as a fine of nothing)."""
    if not applies:
        return Markup('<span class="no-fine">%s</span>') % NO_FINE
    return shown(value, "rial")


def fine_part(value, applies: bool, kind: str = "number") -> Markup:
    """A fine's multiplier or unit value: «ندارد» on a violation that was not fined."""
    if not applies:
        return Markup('<span class="no-fine">%s</span>') % NOT_APPLICABLE
    return shown(value, kind)


def execution(status, applies: bool) -> Markup:
    """A ruling's execution status; a collection status on a ruling that fined nothing reads
    «جریمه‌ای برای وصول نیست», with what the data holds beside it."""
    if not applies and status == COLLECTED:
        return Markup('%s <span class="note">(در داده‌ها: «%s»)</span>') % (NOTHING_TO_COLLECT, status)
    return shown(status)


def mailto(address: str, subject: str, body: str) -> str:
    """A ``mailto:`` address with its subject and body percent-encoded (RFC 6068: UTF-8, a
    space as %20, a line break as %0D%0A); Jinja escapes the ``&`` in the attribute."""
    encode = functools.partial(quote, safe="")
    address, subject, body = str(address), str(subject), str(body)
    body = body.replace("\r\n", "\n").replace("\n", "\r\n")
    return f"mailto:{quote(address, safe='@')}?subject={encode(subject)}&body={encode(body)}"


def coordinate(value) -> str:
    """A latitude or longitude at one precision (5 decimals, about a metre), Latin digits:
    the form map links take."""
    return f"{float(value):.5f}"


FILTERS = {"fa_digits": fa_digits, "jalali": jalali, "fa_number": fa_number, "rial": rial,
           "jalali_year": jalali_year, "isolate": isolate, "municipal": municipal,
           "shown": shown, "fines_anything": fines_anything, "fine": fine, "fine_part": fine_part, "execution": execution,
           "mailto": mailto, "coordinate": coordinate}
