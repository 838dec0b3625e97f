"""The published datasets: CSV (Excel-friendly), JSON and a Frictionless ``datapackage.json``.

All three derive their columns and types from ``schema``; values are written in a fixed order
so that the same exports always give the same bytes.
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
from array import array
from collections.abc import Mapping
from itertools import chain, repeat
from pathlib import Path

import jdatetime

from . import completeness, history, stats
from .files import Spool
from .pages import write_if_changed
from .schema import REQUIRED, Field, Storage, Table
from .settings import Municipality

# A cell starting with one of these is run as a formula by Excel and LibreOffice (a line
# break too: a header read from a workbook may start with one before its «=»).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")

def neutralise(text: str) -> str:
    """Prefix a quote so that a spreadsheet shows the text instead of running it."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_cell(value) -> str:
    """Numbers stay numbers (a negative amount is data, not a formula); text is neutralised."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def excel_csv(header, rows, cells=None, ends: array | None = None) -> bytes:
    """The one CSV writer of the project (datasets, change log, staff reports): UTF-8 with a
    BOM (so Excel reads Persian), CRLF rows, every text cell formula-neutralised.

    ``cells``: one writer per column (a dataset's, from its fields' kinds); ``csv_cell``
    for every column when None. ``ends``: given, it receives where the BOM and header end and
    where each row's line ends. The csv module quotes each row on its own, so a file of some
    of these rows (a district's, a member's) is its BOM, the header and their lines, cut from
    these bytes (``downloads.GroupFiles``) rather than made a second time (at 100k rulings, 3 s).

    Rows are taken one at a time and each line encoded as it is made: at 100k rulings the text
    of ``rulings.csv``, its rows' cell lists and its copies (with the BOM, then encoded) were
    held side by side, several times the file's size, at the pipeline's peak."""
    cells = cells or repeat(csv_cell)
    line = io.StringIO(newline="")
    writer = csv.writer(line, lineterminator="\r\n")
    data = io.BytesIO()
    data.write("\ufeff".encode("utf-8"))
    for cells_of_row in chain([[csv_cell(name) for name in header]],
                              ([cell(value) for cell, value in zip(cells, row)] for row in rows)):
        line.seek(0)
        line.truncate()
        writer.writerow(cells_of_row)
        data.write(line.getvalue().encode("utf-8"))
        if ends is not None:
            ends.append(data.tell())
    return data.getvalue()


def _text_cell(value) -> str:
    return "" if value is None else neutralise(str(value))


# A text field's cell is neutralised whatever type its value has; a number's is never.
CSV_CELLS = {Storage.TEXT: _text_cell, Storage.NUMBER: csv_cell, Storage.DATE: csv_cell,
             Storage.BOOLEAN: lambda value: "" if value is None else ("true" if value else "false")}


@functools.lru_cache(maxsize=65536)
def jalali_text(iso: str) -> str:
    """``1403/11/06`` (Latin digits, as data files write numbers) from ``2025-01-25``."""
    j = jdatetime.date.fromgregorian(date=dt.date.fromisoformat(iso[:10]))
    return f"{j.year:04d}/{j.month:02d}/{j.day:02d}"


def getters(fields) -> list:
    """One function per column, row -> value: a record's own value, or for a Jalali copy
    (``Field.jalali_of``) the Jalali spelling of its date."""
    def copy(source):
        return lambda row: None if row.get(source) is None else jalali_text(row[source])
    return [copy(f.jalali_of) if f.jalali_of else (lambda row, name=f.name: row.get(name)) for f in fields]


def jalali_copies(table: Table, row: dict) -> dict:
    """The Jalali copies of a record's dates (``record.json`` holds the CSV's columns)."""
    return {f.name: get(row) for f, get in zip(table.dataset_fields, getters(table.dataset_fields)) if f.jalali_of}


def to_csv(table: Table, rows: list[dict], ends: array | None = None) -> bytes:
    """The table's CSV (``excel_csv``: its dataset columns, each written by its kind's cell
    writer); ``ends`` as there."""
    fields = table.dataset_fields
    get = getters(fields)
    return excel_csv([f.name for f in fields], ([g(r) for g in get] for r in rows),
                     [CSV_CELLS[f.kind.spec.storage] for f in fields], ends)


def to_json(table: Table, rows: list[dict]) -> bytes:
    columns, get = [f.name for f in table.dataset_fields], getters(table.dataset_fields)
    if not rows:
        return b"[]\n"
    # One record per line: as readable and diffable as an indented file, and written by
    # json's C encoder (indent= falls back to the pure-Python one: 10x slower at 100k rows).
    # Each line is encoded as it is made, so the file's text is never held whole beside its bytes.
    buffer = io.BytesIO()
    separator = b"[\n"
    for row in rows:
        buffer.write(separator)
        buffer.write(json.dumps(dict(zip(columns, (g(row) for g in get))), ensure_ascii=False).encode("utf-8"))
        separator = b",\n"
    buffer.write(b"\n]\n")
    return buffer.getvalue()


def field_descriptor(f: Field, city: Municipality) -> dict:
    spec = f.kind.spec
    # The title is the English label; the Persian one (the XLSX header) opens the description.
    descriptor = {"name": f.name, "title": f.label_en, "type": spec.dataset_type,
                  "description": " — ".join(x for x in (f.header, f.description_fa, f.withheld_why) if x)}
    if spec.dataset_format:
        descriptor["format"] = spec.dataset_format
    constraints = {}
    if f.required == REQUIRED:
        constraints["required"] = True
    if f.unique:
        constraints["unique"] = True
    if f.enum:
        constraints["enum"] = list(f.enum)
    if spec.districts:
        constraints.update(minimum=1, maximum=city.districts)
    if f.minimum is not None:
        constraints["minimum"] = f.minimum
    if f.maximum is not None:
        constraints["maximum"] = f.maximum
    if spec.dataset_pattern:
        constraints["pattern"] = spec.dataset_pattern
    if constraints:
        descriptor["constraints"] = constraints
    return descriptor


def table_schema(table: Table, city: Municipality) -> dict:
    schema = {"fields": [field_descriptor(f, city) for f in table.dataset_fields],
              "primaryKey": list(table.key), "missingValues": [""]}
    if table.foreign_keys:
        schema["foreignKeys"] = [{"fields": [key.field], "reference": {"resource": key.resource, "fields": [key.reference]}}
                                 for key in table.foreign_keys]
    return schema


def datapackage(files: Spool, tables: list[Table], city: Municipality, updated: str) -> dict:
    license_ = {"name": city.license_id, "path": city.license_url, "title": city.license_title}
    resources = []
    for table in tables:
        name = f"{table.name}.csv"
        resources.append({
            "name": table.name, "path": name, "profile": "tabular-data-resource",
            "title": table.title_en, "description": f"{table.title_fa}. {table.description_fa} {table.description_en}",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8-sig",
            "bytes": files.size(name), "hash": f"sha256:{files.digest(name)}",
            "schema": table_schema(table, city),
        })
    return {
        "profile": "tabular-data-package",
        "name": f"shafaf-{city.name_en.lower()}",
        "title": f"Shafaf: {city.name_en} Article 100 rulings and municipal properties",
        "description": f"شفاف: آرای کمیسیون ماده ۱۰۰ و املاک شهرداری {city.name_fa}",
        "licenses": [license_],
        "contributors": [{"title": city.publisher_fa, "role": "publisher", "email": city.contact}],
        "updated": updated,
        "resources": resources,
    }


def dataset_files(rows: dict[str, list[dict]], tables: list[Table], city: Municipality, updated: str,
                  statement: list[dict] | None = None, change_history: list[dict] | None = None, *,
                  into: Spool, line_ends: dict[str, array] | None = None) -> Spool:
    """The files, put ``into`` the spool (on disk until written; the datapackage describes
    each CSV by the size and digest the spool took as it wrote it); ``line_ends``: given, it
    receives each table's CSV's line ends (``to_csv``)."""
    files = into
    for table in tables:
        ends = line_ends.setdefault(table.name, array("q")) if line_ends is not None else None
        files[f"{table.name}.csv"] = to_csv(table, rows[table.name], ends)
        files[f"{table.name}.json"] = to_json(table, rows[table.name])
    package = datapackage(files, tables, city, updated)
    completeness.add(statement, files, package)  # completeness.csv, its resource and the package's key
    stats.add(rows, files, package)  # stats-*.csv, their resources and stats.json
    from . import member_stats  # here: it builds on stats, which imports this module
    member_stats.add(rows, files, package)  # stats-members-*.csv, their resources and stats-members.json
    history.add(change_history, files, package)  # history.csv (old and new values) and its resource
    files["datapackage.json"] = (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return files


def write_datasets(folder: Path, files: Mapping[str, bytes]) -> int:
    return sum(write_if_changed(folder / name, data) for name, data in files.items())
