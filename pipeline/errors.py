"""Typed problems with stable codes, as frictionless does: staff and tests rely on the codes.

A ``CellError`` rejects one row; a ``FileError`` stops the whole run before anything is
written; a warning is reported and the row is still published.
"""
from __future__ import annotations

from dataclasses import dataclass

# code -> what it means, in the staff's language (Persian) and in English for the docs.
ROW_ERRORS = {
    "missing-required": ("خانه‌ی اجباری خالی است", "A required cell is empty"),
    "bad-date": ("تاریخ نامعتبر یا ناممکن است", "The date is malformed or does not exist"),
    "bad-number": ("عدد خوانا نیست", "The number cannot be read"),
    "out-of-range": ("مقدار بیرون از بازه‌ی مجاز است", "The value is outside its allowed range"),
    "unknown-enum": ("مقدار در فهرست مقادیر مجاز نیست", "The value is not one of the allowed values"),
    "bad-key": ("شناسه برای نشانی صفحه قابل استفاده نیست", "The identifier cannot make a safe page address"),
    "duplicate-key": ("شناسه تکراری است؛ فقط نخستین سطر منتشر می‌شود", "Duplicate identifier; only the first row is published"),
    "date-order": ("تاریخ پایان پیش از تاریخ شروع است", "The end date is before the start date"),
    "orphan-violation": ("رأیِ این تخلف در فایل نیست", "The violation's ruling is not in the export"),
    "orphan-of-rejected": ("رأیِ این تخلف رد شده است", "The violation's ruling was rejected"),
    "personal-data-in-key": ("شناسه شبیه کد ملی یا شماره‌ی همراه است", "The identifier looks like a national ID or a mobile number"),
    "key-too-long": ("شناسه بلندتر از حد مجاز برای نشانی صفحه است", "The identifier is too long for a page address"),
    "reserved-key": ("نشانی صفحه‌ی این شناسه نشانیِ یک فهرست است", "The identifier's page address is that of a listing page"),
    "appeal-to-itself": ("رأی تجدیدنظر خودش را رأی بدوی خود نامیده است", "The appeal names itself as the ruling it reviews"),
    "appeal-cycle": ("رأی‌های تجدیدنظر دور بسته‌ای از ارجاع ساخته‌اند", "Appeals review each other in a cycle"),
    "date-out-of-range": ("تاریخ پس از امروز یا پیش از ۱۳۰۰/۰۱/۰۱ است", "The date is after today or before 1300/01/01 (1921-03-21)"),
    "stray-quote": ("گیومه‌ی نابجا سطرها را در هم ریخته یا تکه کرده است", "A stray quote merged or split CSV records"),
    "cell-count": ("شمار خانه‌های سطر با سطر عنوان نمی‌خواند", "The CSV row has more or fewer cells than the header"),
    "oversized-cell": ("خانه بیش از اندازه‌ی یک خانه‌ی اکسل است", "A cell is longer than a spreadsheet cell can be"),
    "uncomputed-formula": ("خانه‌ی اجباری فرمولِ محاسبه‌نشده است", "A required cell is a formula that was never computed"),
}

# code -> why a row with it is not on the site, in plain Persian for citizens (the public
# completeness statement, pipeline/completeness.py): what was wrong, never the row's content.
PUBLIC_REASONS = {
    "missing-required": "خانه‌ای که باید پر باشد (مانند شماره‌ی پرونده، تاریخ رأی یا نام عضو کمیسیون) در پرونده‌ی دریافتی خالی بود.",
    "bad-date": "تاریخی در ردیف نوشته شده بود که خوانا نیست یا در تقویم وجود ندارد (مانند ۳۰ اسفند در سالی که ۲۹ روز دارد).",
    "bad-number": "عددی در ردیف خوانا نبود (مانند مساحت یا مبلغی که با حرف یا نشانه‌های نامفهوم نوشته شده بود).",
    "out-of-range": "مقداری بیرون از بازه‌ی ممکن بود (مانند منطقه‌ای که در شهر نیست، یا سهمی بیش از شش دانگ).",
    "unknown-enum": "مقداری نوشته شده بود که در فهرست مقادیر مجاز آن ستون نیست (مانند نوع رأیی که تعریف نشده است).",
    "bad-key": "از شماره‌ی رأی یا کد ملکِ ردیف نمی‌شد نشانی صفحه‌ی درستی ساخت (مثلاً ردیف «جمع کل» که شماره ندارد).",
    "duplicate-key": "شماره‌ی رأی یا کد ملکِ ردیف پیش‌تر در همان پرونده آمده بود؛ تنها نخستین ردیف با آن شماره منتشر شده است.",
    "date-order": "تاریخ پایان پیش از تاریخ شروع بود.",
    "orphan-violation": "این تخلف به رأیی ارجاع می‌داد که در پرونده‌ی آرا نیست.",
    "orphan-of-rejected": "رأیِ این تخلف به یکی از دلیل‌هایی که برای آرا آمده است منتشر نشد، پس تخلف آن هم منتشر نشد.",
    "personal-data-in-key": "شماره‌ی رأی، شماره‌ی پرونده یا کد ملک شبیه کد ملی یا شماره‌ی همراه بود؛ این شماره‌ها بی‌تغییر منتشر می‌شوند، پس ردیف برای حفظ حریم شخصی منتشر نشد.",
    "key-too-long": "شماره‌ی رأی یا کد ملک بلندتر از آن بود که نشانی یک صفحه شود.",
    "reserved-key": "نشانی صفحه‌ی این شماره‌ی رأی یا کد ملک با نشانی یکی از فهرست‌های تارنما یکی می‌شد.",
    "appeal-to-itself": "رأی تجدیدنظر، خودش را رأی بدویِ بازبینی‌شده نامیده بود.",
    "appeal-cycle": "چند رأی تجدیدنظر یکدیگر را بازبینی کرده بودند و دوری بسته ساخته بودند.",
    "date-out-of-range": "تاریخی پس از امروز یا پیش از سال ۱۳۰۰ در ردیف آمده بود.",
    "stray-quote": "یک گیومه‌ی نابجا در پرونده‌ی CSV ردیف‌ها را در هم ریخته یا تکه کرده بود.",
    "cell-count": "شمار خانه‌های ردیف با شمار ستون‌های پرونده نمی‌خواند.",
    "oversized-cell": "یک خانه‌ی ردیف بلندتر از اندازه‌ای بود که یک صفحه‌گسترده نگه می‌دارد.",
    "uncomputed-formula": "در خانه‌ای که باید پر باشد فرمولی بود که هرگز محاسبه نشده بود، پس مقداری نداشت.",
}
if PUBLIC_REASONS.keys() != ROW_ERRORS.keys():  # a code without a public reason would show blank
    raise ValueError(f"PUBLIC_REASONS and ROW_ERRORS differ: {sorted(PUBLIC_REASONS.keys() ^ ROW_ERRORS.keys())}")

WARNINGS = {
    "unknown-column": ("ستون ناشناخته نادیده گرفته شد", "Unknown column ignored"),
    "duplicate-column": ("ستون تکراری نادیده گرفته شد", "Duplicate column ignored"),
    "fine-sum-mismatch": ("جمع جریمه‌های تخلفات با مبلغ کل رأی برابر نیست", "Violation fines do not add up to the ruling's total"),
    "fine-formula-mismatch": ("جریمه با مساحت × ارزش معاملاتی × ضریب نمی‌خواند", "Fine differs from area × unit value × multiplier"),
    "appeal-target-missing": ("رأی بدویِ نام‌برده منتشر نشده است", "The first-instance ruling named by the appeal is not published"),
    "formula-without-value": ("فرمول بدون مقدار ذخیره‌شده؛ متن فرمول خوانده شد", "A formula cell has no stored value; its text was read"),
    "unnamed-column": ("ستونِ بی‌عنوان داده دارد و خوانده نشد", "A column with data has an empty header and was not read"),
}

FILE_ERRORS = {
    "missing-file": ("فایل خروجی پیدا نشد", "Export file not found"),
    "unreadable-file": ("فایل خوانا نیست", "The file cannot be read"),
    "missing-sheet": ("برگه‌ی لازم در فایل نیست", "A required sheet is missing"),
    "missing-column": ("ستون اجباری در فایل نیست", "A required column is missing"),
    "ambiguous-export": ("یک جدول در دو فایل آمده است", "Two exports of the same table"),
    "mixed-encoding": ("فایل دو رمزگذاری را در هم دارد", "The CSV mixes UTF-8 and Windows-1256 lines"),
}


class UnknownCode(ValueError):
    """A problem raised with a code that is not listed above: a bug in the pipeline, which
    must stop it even when Python runs with -O (an ``assert`` would then vanish)."""


def _known(code: str, codes: dict) -> str:
    if code not in codes:
        raise UnknownCode(f"unknown problem code {code!r}")
    return code


@dataclass(frozen=True)
class CellError(Exception):
    code: str
    reason: str

    def __post_init__(self) -> None:
        _known(self.code, ROW_ERRORS)


class FileError(Exception):
    """The export as a whole cannot be used; the run stops and writes nothing."""

    def __init__(self, code: str, file: str, detail: str, sheet: str | None = None):
        _known(code, FILE_ERRORS)
        self.code, self.file, self.detail, self.sheet = code, file, detail, sheet
        where = f"{file} [{sheet}]" if sheet else file
        super().__init__(f"{code}: {where}: {FILE_ERRORS[code][1]}: {detail}")
