"""The other forms of the datasets: XLSX, GeoJSON, the file catalogue and dated snapshots.

``datasets`` makes the canonical CSV, JSON and ``datapackage.json``; this module adds
``<name>.xlsx`` for spreadsheet users (Persian headers, right-to-left, a frozen and filtered
header row, a «راهنما» sheet naming each column's English field), ``properties.geojson``
(properties with coordinates), ``shafaf-data.zip`` (every dataset in one file), the rulings
and violations of each district and each commission member as CSV, ``files.json`` (every
download with its byte size and sha256, which the datasets page shows) and a copy of the
datasets under ``<publication date>/`` so that a journalist can cite the exact files of one
publication while the latest ones keep their stable URLs.

Every file is byte-identical for the same input: no clock reaches them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from array import array
from collections import ChainMap, Counter
from collections.abc import Mapping
from pathlib import Path

import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .slugs import ROLES, member_names

from . import schema
from .datasets import getters
from .files import Spool, code_digest
from .pages import write_if_changed
from .schema import RULINGS, VIOLATIONS, Storage, Table
from .settings import Municipality
from .urls import URLS
from .values import match_key

# A zip's entries and a workbook's creation and modification times (which a spreadsheet
# shows as the file's) are the date of the data (its newest ruling, the catalogue's
# ``updated``), at midnight: never a clock's, and not the publication's, so that the same data
# published a week later gives the same bytes (a workbook the gates need not read again). A
# workbook is made, and cached, undated (XlsxWriter's own entry date, 1980-01-01, for its
# metadata too), then dated.
_UNDATED = dt.datetime(1980, 1, 1)
_CORE_TIME = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")
DATASET_FORMATS = ("csv", "json", "xlsx")
# A cached workbook is good only for the code that wrote it, and the schema that names its
# columns (the CSV it mirrors has the English names only).
_CODE = (code_digest([Path(__file__), Path(schema.__file__)]) + xlsxwriter.__version__).encode()
GUIDE_SHEET = "راهنما"
# Column widths in characters: measured on the first rows (enough to see a column's shape),
# within bounds, so a long ruling text does not make a column a screen wide.
WIDTH_SAMPLE, MIN_WIDTH, MAX_WIDTH = 500, 8, 60


def _width(f, rows: list[dict], get) -> float:
    if f.kind.spec.storage is Storage.DATE:
        return 12
    longest = max([len(f.header), *(len(str(v)) for v in map(get, rows[:WIDTH_SAMPLE]) if v is not None)])
    return min(MAX_WIDTH, max(MIN_WIDTH, longest + 2))


def _guide(book, table: Table, header_format) -> None:
    """The columns of the data sheet: Persian title, English field name (the CSV and JSON
    header, the stable name for code), type and description, as the data dictionary."""
    sheet = book.add_worksheet(GUIDE_SHEET)
    sheet.right_to_left()
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, ["عنوان ستون", "field (CSV, JSON)", "English label", "نوع", "توضیح"], header_format)
    for column, width in enumerate((30, 24, 30, 30, 60)):
        sheet.set_column(column, column, width)
    for r, f in enumerate(table.dataset_fields, start=1):
        sheet.write_row(r, 0, [f.header, f.name, f.label_en, f.kind.spec.label_fa,
                               " ".join(x for x in (f.description_fa, f.withheld_why) if x)])


def xlsx(table: Table, rows: list[dict], dated: str) -> bytes:
    """``_workbook``, dated ``dated`` (the data's ISO date)."""
    return _dated(_workbook(table, rows), dated)


def _workbook(table: Table, rows: list[dict]) -> bytes:
    """A data sheet titled in Persian, right to left, with the schema's Persian headers, a
    frozen header row with an autofilter and column widths fit to the data; numbers as
    numbers, dates as date cells, text as text even when it starts with ``=`` (a cell is
    never a formula). Then the «راهنما» sheet (``_guide``).

    XlsxWriter in constant-memory mode: 2.2x faster than openpyxl's write-only mode here.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True,
                                        "strings_to_formulas": False, "strings_to_numbers": False,
                                        "strings_to_urls": False})
    book.set_properties({"author": "Shafaf", "created": _UNDATED})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    header_format = book.add_format({"bold": True, "bg_color": "#E8EEF4", "bottom": 1})
    sheet = book.add_worksheet(table.title_fa)
    sheet.right_to_left()
    fields = table.dataset_fields
    get = getters(fields)
    for c, f in enumerate(fields):
        sheet.set_column(c, c, _width(f, rows, get[c]))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(rows), len(fields) - 1)
    sheet.write_row(0, 0, [f.header for f in fields], header_format)
    writers = {
        # A text field's value is a string cell whatever its type: never a number, never a formula.
        Storage.TEXT: lambda r, c, value: sheet.write_string(r, c, ILLEGAL_CHARACTERS_RE.sub("", str(value))),
        Storage.NUMBER: sheet.write_number,
        Storage.BOOLEAN: sheet.write_boolean,
        Storage.DATE: lambda r, c, value: sheet.write_datetime(r, c, dt.datetime.fromisoformat(value), date_format),
    }
    columns = [(c, g, writers[f.kind.spec.storage]) for c, (f, g) in enumerate(zip(fields, get))]
    for r, row in enumerate(rows, start=1):
        for c, g, write in columns:
            value = g(row)
            if value is not None:
                write(r, c, value)
    _guide(book, table, header_format)
    book.close()
    return buffer.getvalue()


def cached_xlsx(table: Table, rows: list[dict], mirrored: str, cache: Path | None, dated: str) -> bytes:
    """``xlsx``, its undated workbook taken from ``cache`` when the CSV it mirrors
    (``mirrored``: its sha256) has not changed: a new date costs a new zip of the same
    entries, not a new workbook."""
    if cache is None:
        return xlsx(table, rows, dated)
    key = hashlib.sha256(_CODE + mirrored.encode("ascii")).hexdigest()
    path = cache / f"{table.name}-{key[:32]}.xlsx"
    if path.is_file():
        return _dated(path.read_bytes(), dated)
    data = _workbook(table, rows)
    for stale in cache.glob(f"{table.name}-*.xlsx"):
        stale.unlink()
    write_if_changed(path, data)
    return _dated(data, dated)


def _zip_day(dated: str) -> dt.date:
    """``dated`` as a zip can hold it: no earlier than 1980-01-01, a zip's first day (data
    with no ruling is dated 1970-01-01)."""
    return max(dt.date.fromisoformat(dated), _UNDATED.date())


def _dated(package: bytes, dated: str) -> bytes:
    """The same workbook with sorted entries, its entries and its metadata times dated
    ``dated``."""
    stamp = f"{_zip_day(dated).isoformat()}T00:00:00Z".encode("ascii")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in sorted(zin.namelist()):
            content = zin.read(name)
            if name == "docProps/core.xml":
                content = _CORE_TIME.sub(lambda m: m.group(1) + stamp + m.group(3), content)
            zout.writestr(_zip_entry(name, dated), content)
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


def _zip_entry(name: str, dated: str) -> zipfile.ZipInfo:
    day = _zip_day(dated)
    info = zipfile.ZipInfo(name, date_time=(day.year, day.month, day.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o100644 << 16
    return info


def zip_contents(tables: list[Table]) -> list[str]:
    """What the zip of all datasets holds, in its order: each table's files, then the
    package descriptor (whose paths are the zip's own, so it describes the unzipped folder)."""
    names = []
    for table in tables:
        names += [f"{table.name}.{fmt}" for fmt in DATASET_FORMATS]
        if table.point:
            names.append(f"{table.name}.geojson")
    return names + ["datapackage.json"]


def all_datasets_zip(files: dict[str, bytes], tables: list[Table], dated: str) -> bytes:
    """``zip_contents`` in a fixed order, dated ``dated`` (the data's date): the same files
    give the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name in zip_contents(tables):
            book.writestr(_zip_entry(name, dated), files[name])
    return out.getvalue()


def member_rulings(rulings: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """(role, slug of the member's page) -> the member's rulings, in the dataset's order:
    named and slugged as the member pages are (pipeline/slugs.py: member_names)."""
    spellings: dict[str, dict[str, Counter]] = {role: {} for role, _, _ in ROLES}
    by_member: dict[tuple[str, str], list[dict]] = {}
    for record in rulings:
        for role, _, _ in ROLES:
            if record.get(role):
                key = match_key(record[role])
                spellings[role].setdefault(key, Counter())[record[role]] += 1
                by_member.setdefault((role, key), []).append(record)
    names = member_names(spellings)
    return {(role, names[role][key][1]): group for (role, key), group in by_member.items()}


class GroupFiles(Mapping):
    """The rulings and the violations of each district (every one, an empty one too: its page
    links them) and each member, as CSV with the columns of ``rulings.csv`` and
    ``violations.csv``; keyed by their paths inside the data folder (``urls``).

    A file's bytes are joined when asked for, not kept: together these files hold each ruling
    about four times (its district's and up to three members'), 440 MB at 100k rulings, and
    the writer needs one at a time. Each is joined from the lines of ``rulings.csv`` and
    ``violations.csv`` (``files``), cut where ``datasets.to_csv`` ended each row (``line_ends``):
    the same bytes (a file of some rows is its BOM, the header and their lines), and no row's
    line is made or kept a second time."""

    def __init__(self, files: Mapping[str, bytes], rows: dict[str, list[dict]], districts: int,
                 line_ends: dict[str, array]):
        violations: dict[str, list[int]] = {}
        for i, violation in enumerate(rows[VIOLATIONS.name]):
            violations.setdefault(violation["ruling_no"], []).append(i)
        position = {id(r): i for i, r in enumerate(rows[RULINGS.name])}
        groups = {URLS.district_data(n, "{name}"): [] for n in range(1, districts + 1)}
        for i, record in enumerate(rows[RULINGS.name]):
            if record["district"] in range(1, districts + 1):
                groups[URLS.district_data(record["district"], "{name}")].append(i)
        for (role, slug), group in member_rulings(rows[RULINGS.name]).items():
            groups[URLS.member_data(role, slug, "{name}")] = [position[id(r)] for r in group]
        self._rulings, self._violations = (
            _lines_of(f"{t.name}.csv", files[f"{t.name}.csv"], line_ends.get(t.name), len(rows[t.name]))
            for t in (RULINGS, VIOLATIONS))
        self._violations_of = [violations.get(r["ruling_no"], []) for r in rows[RULINGS.name]]
        # path -> (its table's CSV, the positions of its rulings, whether it lists their
        # violations rather than them)
        self._files: dict[str, tuple[tuple[memoryview, array], list[int], bool]] = {}
        for template, group in groups.items():
            self._files[URLS.in_data(template.format(name=RULINGS.name))] = (self._rulings, group, False)
            self._files[URLS.in_data(template.format(name=VIOLATIONS.name))] = (self._violations, group, True)

    def __getitem__(self, path: str) -> bytes:
        (data, ends), group, of_violations = self._files[path]
        lines = (v for r in group for v in self._violations_of[r]) if of_violations else group
        return b"".join([data[:ends[0]], *(data[ends[line]:ends[line + 1]] for line in lines)])

    def __iter__(self):
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


def _lines_of(name: str, data: bytes, ends: array | None, rows: int) -> tuple[memoryview, array]:
    """``data`` (a table's CSV, ``name``, of ``rows`` rows) and ``ends``, where its BOM and
    header end and each row's line ends: checked, so that a CSV made otherwise is never cut."""
    if ends is None or len(ends) != rows + 1 or ends[-1] != len(data):
        raise ValueError(f"{name} is not the lines of its rows")
    return memoryview(data), ends


def _describe(files: Spool, path: str, fmt: str) -> dict:
    return {"format": fmt, "path": path, "bytes": files.size(path), "sha256": files.digest(path)}


def catalogue(files: Spool, rows: dict[str, list[dict]], tables: list[Table], city: Municipality,
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
            "files": [_describe(files, n, n.rsplit(".", 1)[1]) for n in names],
        })
    zipped = URLS.in_data(URLS.data_zip())
    everything = {"zip": {**_describe(files, zipped, "zip"), "contents": zip_contents(tables)}
                  } if zipped in files else {}
    return {"published": published, "updated": updated,
            "license": {"id": city.license_id, "title": city.license_title, "url": city.license_url},
            "snapshot": f"{published}/", "datasets": datasets,
            "datapackage": _describe(files, "datapackage.json", "json"),
            **everything,
            # No hashes: the change log grows with every publication (and in a snapshot holds
            # only that publication's changes).
            "changes": {"csv": "changes.csv", "json": "changes.json"}}


def workbooks(files: Spool, rows: dict[str, list[dict]], tables: list[Table], dated: str,
              cache: Path | None = None) -> dict[str, bytes]:
    """``<table>.xlsx`` for each table, dated ``dated`` (the data's date); ``cache``: a folder where each
    workbook is kept until the CSV it mirrors (in ``files``, known by the digest the spool
    took) changes."""
    return {f"{t.name}.xlsx": cached_xlsx(t, rows[t.name], files.digest(f"{t.name}.csv"), cache, dated)
            for t in tables}


def download_files(files: Spool, rows: dict[str, list[dict]], tables: list[Table], city: Municipality,
                   updated: str, published: str, books: dict[str, bytes],
                   line_ends: dict[str, array]) -> Mapping[str, bytes]:
    """``books`` (from ``workbooks``), GeoJSON, the zip, the district and member CSVs (cut
    from the tables' CSVs at their ``line_ends``, from ``datasets.dataset_files``), files.json
    and the dated snapshot, added to ``files`` (datasets + changes)."""
    latest = files
    latest.update(books)
    for table in tables:
        if table.point:
            latest[f"{table.name}.geojson"] = geojson(table, rows[table.name])
    latest[URLS.in_data(URLS.data_zip())] = all_datasets_zip(latest, tables, updated)
    index = catalogue(latest, rows, tables, city, updated, published)
    latest["files.json"] = (json.dumps(index, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    # The snapshot: the same bytes under the publication's date (its own changes.* are
    # already there, written by ``changes.data_files``). The district and member files are
    # cuts of these datasets, not kept per publication.
    for name in list(latest):
        if "/" not in name and not name.startswith("changes."):
            latest.same_as(f"{published}/{name}", name)
    # The group files after the others (a ChainMap lists its last map first), made only as
    # they are written.
    return ChainMap(GroupFiles(latest, rows, city.districts, line_ends), latest)
