"""The public completeness statement: per dataset, the rows read, published and withheld, and
the withheld rows by error code.

Counts and codes only: no row's content, no file name or row number (those stay in the
staff's ``reports/rejections.csv``), so nothing personal can travel through it. Published as
``data/completeness.csv`` (its own resource in ``datapackage.json``), as the package's
``completeness`` key, and on the methodology page and the home page (the plugin reads the
key back through ``page_context``).

A row rejected for several reasons is counted once under each of its codes (a totals row
with an empty date and no number is both ``missing-required`` and ``bad-key``): the counts
by code may add up to more than the rows withheld, and the statement says so.
"""
from __future__ import annotations

import hashlib

from . import datasets
from .errors import PUBLIC_REASONS
from .validate import Validated

FILE = "completeness.csv"
COLUMNS = ("dataset", "status", "code", "rows", "explanation_fa")
STATUSES = {
    "read": "ردیف‌های خوانده‌شده از پرونده‌های دریافتی شهرداری",
    "published": "ردیف‌های منتشرشده در این تارنما و پرونده‌های داده",
    "withheld": "ردیف‌هایی که منتشر نشد (دلیل‌ها در ردیف‌های بعدی، با کد خطا)",
}
NOTE_FA = ("ردیفی که به چند دلیل منتشر نشد، زیر هر یک از کدهایش یک بار شمرده می‌شود؛ "
           "پس جمع شمارها به تفکیک دلیل می‌تواند از شمار ردیف‌های منتشرنشده بیشتر باشد.")
NOTE_EN = ("Rows read, published and withheld per dataset (read = published + withheld), and the "
           "withheld rows by error code; a row withheld for several reasons is counted under each "
           "of its codes. Counts and codes only.")


def statement(validated: Validated) -> list[dict]:
    """One entry per dataset, in the order of the tables; reasons by count, then code."""
    entries = []
    for checked in validated.tables():
        rows_by_code: dict[str, set] = {}
        for problem in checked.problems:
            rows_by_code.setdefault(problem["code"], set()).add((problem["file"], problem["sheet"], problem["row"]))
        if checked.read != checked.published + checked.rejected:
            # A row neither published nor withheld would make the statement false: a bug.
            raise ValueError(f"{checked.table.name}: {checked.read} read, {checked.published} published, "
                             f"{checked.rejected} withheld")
        entries.append({
            "dataset": checked.table.name, "title_fa": checked.table.title_fa,
            "read": checked.read, "published": checked.published, "withheld": checked.rejected,
            "reasons": [{"code": code, "rows": len(rows)}
                        for code, rows in sorted(rows_by_code.items(), key=lambda item: (-len(item[1]), item[0]))],
        })
    return entries


def csv_rows(entries: list[dict]) -> list[tuple]:
    rows = []
    for entry in entries:
        rows += [(entry["dataset"], status, None, entry[status], explanation)
                 for status, explanation in STATUSES.items()]
        rows += [(entry["dataset"], "withheld", r["code"], r["rows"], PUBLIC_REASONS[r["code"]])
                 for r in entry["reasons"]]
    return rows


def resource(data: bytes, entries: list[dict]) -> dict:
    return {
        "name": "completeness", "path": FILE, "profile": "tabular-data-resource",
        "title": "Completeness: rows read, published and withheld",
        "description": f"شمار ردیف‌های خوانده‌شده، منتشرشده و منتشرنشده‌ی هر مجموعه، و دلیل‌ها با کد خطا. {NOTE_FA} {NOTE_EN}",
        "format": "csv", "mediatype": "text/csv", "encoding": "utf-8-sig",
        "bytes": len(data), "hash": f"sha256:{hashlib.sha256(data).hexdigest()}",
        "schema": {"fields": [
            {"name": "dataset", "title": "Dataset", "type": "string", "description": "مجموعه‌ی داده",
             "constraints": {"required": True, "enum": [e["dataset"] for e in entries]}},
            {"name": "status", "title": "Status", "type": "string",
             "description": "read: خوانده‌شده؛ published: منتشرشده؛ withheld: منتشرنشده (read, published, withheld)",
             "constraints": {"required": True, "enum": list(STATUSES)}},
            {"name": "code", "title": "Error code", "type": "string",
             "description": "کد خطا؛ خالی در سه ردیف جمعِ هر مجموعه (the error code; empty on a dataset's three total lines)",
             "constraints": {"enum": list(PUBLIC_REASONS)}},
            {"name": "rows", "title": "Rows", "type": "integer", "description": "شمار ردیف‌ها",
             "constraints": {"required": True, "minimum": 0}},
            {"name": "explanation_fa", "title": "Explanation (Persian)", "type": "string",
             "description": "توضیح به فارسی"},
        ], "missingValues": [""]},
    }


def package_key(entries: list[dict]) -> dict:
    return {
        "note_fa": NOTE_FA, "note_en": NOTE_EN,
        "datasets": {e["dataset"]: {"read": e["read"], "published": e["published"], "withheld": e["withheld"],
                                    "withheld_by_code": {r["code"]: r["rows"] for r in e["reasons"]}}
                     for e in entries},
    }


def add(entries: list[dict] | None, files: dict[str, bytes], package: dict) -> None:
    """Add the statement to the datasets: ``completeness.csv``, its resource and the
    package's ``completeness`` key. None (a caller with no validation result): nothing."""
    if entries is None:
        return
    data = datasets.excel_csv(COLUMNS, csv_rows(entries))
    files[FILE] = data
    package["resources"].append(resource(data, entries))
    package["completeness"] = package_key(entries)


def page_context(package: dict | None, tables) -> list[dict] | None:
    """The statement as the templates show it, read back from the published
    ``datapackage.json`` (None when it has none); ``tables``: the schema's tables, for their
    Persian title and noun."""
    key = (package or {}).get("completeness")
    if not key:
        return None
    by_name = {t.name: t for t in tables}
    return [{"dataset": name, "title_fa": by_name[name].title_fa, "noun_fa": by_name[name].noun_fa,
             "read": counts["read"], "published": counts["published"], "withheld": counts["withheld"],
             "reasons": [{"code": code, "rows": rows, "explanation_fa": PUBLIC_REASONS[code]}
                         for code, rows in counts["withheld_by_code"].items()]}
            for name, counts in key["datasets"].items()]
