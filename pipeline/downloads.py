"""The other forms of the datasets: XLSX, GeoJSON, the file catalogue and dated snapshots.

``datasets`` makes the canonical CSV, JSON and ``datapackage.json``; this module adds
``<name>.xlsx`` for spreadsheet users, ``properties.geojson`` (properties with coordinates),
``files.json`` (every download with its byte size and sha256, which the datasets page shows)
and a copy of all of them under ``<publication date>/`` so that a journalist can cite the
exact files of one publication while the latest ones keep their stable URLs.

Every file is byte-identical for the same input: no clock reaches them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .pages import write_if_changed
from .schema import Storage, Table
from .settings import Municipality

# A fixed moment for the workbook's metadata and its zip entries (as the sample generator).
FIXED_TIMESTAMP = dt.datetime(2024, 1, 1, 0, 0, 0)
ZIP_DATE_TIME = (2024, 1, 1, 0, 0, 0)
_CORE_TIME = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")
DATASET_FORMATS = ("csv", "json", "xlsx")
# A cached workbook is good only for the code that wrote it.
_CODE = Path(__file__).read_bytes() + xlsxwriter.__version__.encode()


def xlsx(table: Table, rows: list[dict]) -> bytes:
    """One sheet named after the dataset; numbers as numbers, dates as date cells, text as
    text even when it starts with ``=`` (a cell is never a formula).

    XlsxWriter in constant-memory mode: 2.2x faster than openpyxl's write-only mode here.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True,
                                        "strings_to_formulas": False, "strings_to_numbers": False,
                                        "strings_to_urls": False})
    book.set_properties({"author": "Shafaf", "created": FIXED_TIMESTAMP})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet(table.name)
    fields = table.public_fields
    sheet.write_row(0, 0, [f.name for f in fields])
    writers = {
        # A text field's value is a string cell whatever its type: never a number, never a formula.
        Storage.TEXT: lambda r, c, value: sheet.write_string(r, c, ILLEGAL_CHARACTERS_RE.sub("", str(value))),
        Storage.NUMBER: sheet.write_number,
        Storage.DATE: lambda r, c, value: sheet.write_datetime(r, c, dt.datetime.fromisoformat(value), date_format),
    }
    columns = [(c, f.name, writers[f.kind.spec.storage]) for c, f in enumerate(fields)]
    for r, row in enumerate(rows, start=1):
        for c, name, write in columns:
            value = row.get(name)
            if value is not None:
                write(r, c, value)
    book.close()
    return _reproducible_zip(buffer.getvalue())


def cached_xlsx(table: Table, rows: list[dict], mirrored: bytes, cache: Path | None) -> bytes:
    """``xlsx``, taken from ``cache`` when the CSV it mirrors has not changed."""
    if cache is None:
        return xlsx(table, rows)
    key = hashlib.sha256(_CODE + mirrored).hexdigest()
    path = cache / f"{table.name}-{key[:32]}.xlsx"
    if path.is_file():
        return path.read_bytes()
    data = xlsx(table, rows)
    for stale in cache.glob(f"{table.name}-*.xlsx"):
        stale.unlink()
    write_if_changed(path, data)
    return data


def _reproducible_zip(package: bytes) -> bytes:
    """The same workbook with sorted entries, fixed entry dates and fixed metadata times."""
    stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in sorted(zin.namelist()):
            content = zin.read(name)
            if name == "docProps/core.xml":
                content = _CORE_TIME.sub(lambda m: m.group(1) + stamp + m.group(3), content)
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            zout.writestr(info, content)
    return out.getvalue()


def _has_point(table: Table, row: dict) -> bool:
    return all(row.get(name) is not None for name in table.point)


def geojson(table: Table, rows: list[dict]) -> bytes:
    """Rows that have both coordinates of the table's ``point``, as points ([longitude,
    latitude], RFC 7946)."""
    latitude, longitude = table.point
    features = []
    for row in rows:
        if not _has_point(table, row):
            continue
        attributes = {k: v for k, v in row.items() if k not in table.point}
        features.append({"type": "Feature", "id": row[table.key[0]],
                         "geometry": {"type": "Point", "coordinates": [row[longitude], row[latitude]]},
                         "properties": attributes})
    collection = {"type": "FeatureCollection", "features": features}
    return (json.dumps(collection, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _describe(data: bytes, path: str, fmt: str) -> dict:
    return {"format": fmt, "path": path, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def catalogue(files: dict[str, bytes], rows: dict[str, list[dict]], tables: list[Table], city: Municipality,
              updated: str, published: str) -> dict:
    """What the datasets page lists: per dataset its rows, dates, license and every file."""
    datasets = []
    for table in tables:
        names = [f"{table.name}.{fmt}" for fmt in DATASET_FORMATS]
        if table.point:
            names.append(f"{table.name}.geojson")
        datasets.append({
            "name": table.name, "title_fa": table.title_fa, "title_en": table.title_en,
            "description_fa": table.description_fa, "description_en": table.description_en,
            "rows": len(rows[table.name]),
            "geojson_features": (sum(1 for r in rows[table.name] if _has_point(table, r))
                                 if table.point else None),
            "files": [_describe(files[n], n, n.rsplit(".", 1)[1]) for n in names],
        })
    return {"published": published, "updated": updated,
            "license": {"id": city.license_id, "title": city.license_title, "url": city.license_url},
            "snapshot": f"{published}/", "datasets": datasets,
            "datapackage": _describe(files["datapackage.json"], "datapackage.json", "json"),
            # No hashes: the change log grows with every publication (and in a snapshot holds
            # only that publication's changes).
            "changes": {"csv": "changes.csv", "json": "changes.json"}}


def workbooks(files: dict[str, bytes], rows: dict[str, list[dict]], tables: list[Table],
              cache: Path | None = None) -> dict[str, bytes]:
    """``<table>.xlsx`` for each table; ``cache``: a folder where each workbook is kept until
    the CSV it mirrors (in ``files``) changes."""
    return {f"{t.name}.xlsx": cached_xlsx(t, rows[t.name], files[f"{t.name}.csv"], cache) for t in tables}


def download_files(files: dict[str, bytes], rows: dict[str, list[dict]], tables: list[Table], city: Municipality,
                   updated: str, published: str, books: dict[str, bytes]) -> dict[str, bytes]:
    """``books`` (from ``workbooks``), GeoJSON, files.json and the dated snapshot, added to
    ``files`` (datasets + changes)."""
    more = dict(books)
    more.update({f"{t.name}.geojson": geojson(t, rows[t.name]) for t in tables if t.point})
    latest = {**files, **more}
    index = catalogue(latest, rows, tables, city, updated, published)
    latest["files.json"] = (json.dumps(index, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    # The snapshot: the same bytes under the publication's date (its own changes.* are
    # already there, written by ``changes.data_files``).
    for name in list(latest):
        if "/" not in name and not name.startswith("changes."):
            latest[f"{published}/{name}"] = latest[name]
    return latest
