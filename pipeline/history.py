"""Each record's own history across publications, read from the change log (``changes.json``).

The change log (``pipeline.changes``) lists per publication what was added, changed (since
FORMAT 2 with each changed field's old and new public value) or withdrawn. This module turns
it around: per record, its events in date order, as its page shows them (``pipeline.pages``
embeds them in the page, so a new event re-renders exactly that page), and as one download,
``data/history.csv``: one row per (publication, dataset, key, field, old, new, change).

A record added again after a withdrawal is *restored*: the change log keeps calling it
``added`` (its counts and feed are unchanged), the history names it for what it is.
"""
from __future__ import annotations

import hashlib
import re

from .schema import KIND_SPECS, PROPERTIES, RULINGS, Kind, Table, When
from .urls import URLS

FILE = URLS.in_data(URLS.history_file())
COLUMNS = ("published", "published_jalali", "dataset", "key", "field", "old", "new", "change")
ADDED, CHANGED, WITHDRAWN, RESTORED = "added", "changed", "withdrawn", "restored"
EVENTS = (ADDED, CHANGED, WITHDRAWN, RESTORED)
JALALI_PATTERN = KIND_SPECS[Kind.JALALI].dataset_pattern
VIOLATIONS_FIELD = "violations"   # a ruling's violations, compared as one field


def _display(field) -> tuple[str, str, str]:
    """(Persian label, kind for the ``shown`` filter, unit) of one field, from the schema:
    a Rial amount shows its unit through ``rial``, so the label drops «(ریال)»; a number
    takes the unit its header names in parentheses."""
    unit_match = re.search(r"\s*\(([^)]*)\)$", field.header)
    label, unit = (field.header[:unit_match.start()], unit_match.group(1)) if unit_match else (field.header, "")
    kind = field.kind
    if kind in (Kind.INTEGER, Kind.DECIMAL) and unit == "ریال":
        return label, "rial", ""
    if kind in (Kind.INTEGER, Kind.DECIMAL, Kind.DISTRICT):
        return label, "number", unit
    if kind is Kind.DATE:
        return field.header, "date", ""
    if kind is Kind.KEY:
        return field.header, "code", ""
    return field.header, "text", ""


# A property's contract fields belong to a property that has a contract (as property.html shows them).
_CONTRACT = ("holder_kind", "contract_start", "contract_end", "monthly_rent_rial")


def _fields(table: Table) -> dict[str, tuple[str, str, str]]:
    return {f.name: _display(f) for f in table.public_fields if f.name != "slug"}


def _hidden_when_blank(table: Table) -> set[str]:
    """Fields that belong to another kind of record (an appeal's on a first-instance ruling, a
    contract's on a property without one): a withdrawn page leaves them out when blank, as the
    record pages do (README, *Empty, zero and missing values*)."""
    return {f.name for f in table.public_fields
            if isinstance(f.required, When) or f.published_when or (table is PROPERTIES and f.name in _CONTRACT)}


# dataset -> field -> (label, kind, unit): what a history row and a withdrawn page show.
DISPLAY: dict[str, dict[str, tuple[str, str, str]]] = {
    "rulings": {**_fields(RULINGS), VIOLATIONS_FIELD: ("تخلفات", "violations", "")},
    "properties": _fields(PROPERTIES),
}
# dataset -> [name, label, kind, unit, hidden when blank]: the rows of a withdrawn record's page.
WITHDRAWN_FIELDS: dict[str, list[list]] = {
    name: [[field, *shown, field in _hidden_when_blank(table)] for field, shown in DISPLAY[name].items()]
    for name, table in (("rulings", RULINGS), ("properties", PROPERTIES))
}


def _is_value(value) -> bool:
    """A value a history row can show; a ruling's violations (a list) are compared as one
    field, and their old and new rows are in the dated snapshots' violations.csv."""
    return value is None or isinstance(value, (str, int, float))


def events(history: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """(dataset, key) -> the record's events, oldest first. ``history``: the change log,
    newest publication first. A changed event per field; an entry from a FORMAT 1 state has
    no values (``has_values`` false): the page names the field without old and new."""
    found: dict[tuple[str, str], list[dict]] = {}
    for publication in reversed(history):
        date = publication["published"]
        for change in publication["changes"]:
            record = (change["dataset"], change["key"])
            mine = found.setdefault(record, [])
            kind = change["change"]
            if kind == ADDED and any(e["change"] == WITHDRAWN for e in mine):
                kind = RESTORED
            if kind != CHANGED:
                mine.append({"published": date, "change": kind})
                continue
            values = change.get("values")
            for name in change["fields"]:
                label, shown, unit = DISPLAY[change["dataset"]].get(name, (name, "text", ""))
                event = {"published": date, "change": CHANGED, "field": name, "label": label,
                         "kind": shown, "unit": unit, "has_values": False, "old": None, "new": None}
                if values and name in values and shown != "violations":
                    event.update(has_values=True, old=values[name][0], new=values[name][1])
                mine.append(event)
    return found


def csv_rows(history: list[dict]):
    """Newest publication first, as ``changes.csv``; within one, the change log's order."""
    for publication in history:
        date = publication["published"]
        for change in publication["changes"]:
            if change["change"] != CHANGED:
                yield [date, change["dataset"], change["key"], None, None, None, change["change"]]
                continue
            values = change.get("values") or {}
            for name in change["fields"]:
                old, new = values.get(name, (None, None))
                if not (_is_value(old) and _is_value(new)):
                    old = new = None
                yield [date, change["dataset"], change["key"], name, old, new, CHANGED]


def restored_rows(history: list[dict]) -> list[list]:
    """The rows with ``added`` renamed ``restored`` where the record had been withdrawn."""
    rows = list(csv_rows(history))
    withdrawn: set[tuple[str, str]] = set()
    for row in reversed(rows):  # oldest first
        record = (row[1], row[2])
        if row[6] == WITHDRAWN:
            withdrawn.add(record)
        elif row[6] == ADDED and record in withdrawn:
            row[6] = RESTORED
    return rows


def _with_jalali(row: list, jalali_text) -> list:
    return [row[0], jalali_text(row[0]), *row[1:]]


def history_csv(history: list[dict]) -> bytes:
    # Imported here: datasets imports pages, which imports this module for the pages' history.
    from .datasets import excel_csv, jalali_text
    # A cell's old or new value is text or a number; excel_csv neutralises every text cell.
    return excel_csv(COLUMNS, (_with_jalali(row, jalali_text) for row in restored_rows(history)))


def resource(data: bytes) -> dict:
    return {
        "name": "history", "path": FILE, "profile": "tabular-data-resource",
        "title": "History: every change of every record, with old and new values",
        "description": ("تاریخچه‌ی هر رکورد در انتشارها: افزوده، تغییر (با مقدار پیشین و تازه‌ی هر ستون)، "
                        "برداشته و بازگردانده. One row per publication, record and changed field; old and "
                        "new are empty for a publication made before values were kept, and for a ruling's "
                        "violations (see the dated snapshots' violations.csv)."),
        "format": "csv", "mediatype": "text/csv", "encoding": "utf-8-sig",
        "bytes": len(data), "hash": f"sha256:{hashlib.sha256(data).hexdigest()}",
        "schema": {"fields": [
            {"name": "published", "title": "Publication date", "type": "date", "format": "%Y-%m-%d",
             "description": "تاریخ انتشار", "constraints": {"required": True}},
            {"name": "published_jalali", "title": "Publication date (Jalali)", "type": "string",
             "description": "تاریخ انتشار (خورشیدی)", "constraints": {"required": True, "pattern": JALALI_PATTERN}},
            {"name": "dataset", "title": "Dataset", "type": "string", "description": "مجموعه‌ی داده",
             "constraints": {"required": True, "enum": list(DISPLAY)}},
            {"name": "key", "title": "Record key", "type": "string",
             "description": "شماره رأی یا کد ملک", "constraints": {"required": True}},
            {"name": "field", "title": "Field", "type": "string",
             "description": "ستون تغییرکرده (نام در فرهنگ داده‌ها)؛ خالی جز در تغییر"},
            {"name": "old", "title": "Old value", "type": "string", "description": "مقدار پیشین"},
            {"name": "new", "title": "New value", "type": "string", "description": "مقدار تازه"},
            {"name": "change", "title": "Change", "type": "string",
             "description": "added: افزوده؛ changed: تغییر؛ withdrawn: برداشته؛ restored: بازگردانده",
             "constraints": {"required": True, "enum": list(EVENTS)}},
        ], "missingValues": [""]},
    }


def add(history: list[dict] | None, files: dict[str, bytes], package: dict) -> None:
    """``history.csv`` and its resource; None (a caller without a change log): nothing."""
    if history is None:
        return
    data = history_csv(history)
    files[FILE] = data
    package["resources"].append(resource(data))
