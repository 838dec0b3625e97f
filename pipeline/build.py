"""exports → validated, privacy-safe tables → Markdown pages, datasets and the staff report.

Everything is read and checked before anything is written: an unusable export stops the run
with a FileError and leaves ``content/``, ``output/`` and ``reports/`` as they were.
"""
from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import changes, completeness, datasets, downloads, flags, pages, parallel, privacy, report, search, staff_report
from .files import Spool
from .progress import QUIET, Stages
from .read import read_exports
from .rowcache import RowCache
from .schema import PROPERTIES, RULINGS, TABLES, VIOLATIONS
from .settings import Municipality
from .urls import URLS
from .validate import Validated, validate


@dataclass
class Publication:
    validated: Validated
    rulings: list[dict]         # page records: public fields, violations and appeal links
    properties: list[dict]
    files: Mapping[str, bytes]  # output/data/<name> -> bytes (some made only when read)
    change_log: changes.ChangeLog
    search: parallel.Forked     # .result(): (output/search/<name> -> bytes, statistics)
    rows: RowCache | None = None  # what validate and privacy made of each raw row, saved by write
    spool: Spool | None = None    # where ``files`` keeps its bytes until write


def settle() -> None:
    """Tell Python's cycle collector that what exists now is here to stay.

    At 100k rulings the build holds millions of objects, and every full collection walked
    them all again: a third of a rebuild's time in Pelican, measured (BENCHMARKS.md).
    Frozen objects are skipped by the collector (and stay shared with a forked child); the
    collection first, because frozen garbage would never be freed."""
    gc.collect()
    gc.freeze()


def prepare(exports: Path, city: Municipality, published: str | None = None,
            state: Path | None = None, cache: Path | None = None, stages: Stages = QUIET,
            on_validated: Callable[[Validated], None] | None = None) -> Publication:
    """``published``: the publication date (default: the newest ruling's); ``state``: the
    folder holding the last publication's fingerprints (None: compare with nothing);
    ``cache``: where unchanged search shards, workbooks and parsed rows are kept between builds;
    ``on_validated(validated)``: called once the exports are validated, before anything is
    made of them (a publish forks its personal-data check there, while the process is small)."""
    row_cache = RowCache(cache / "rows") if cache else None
    stages.begin("read")
    exports_read = read_exports(exports)
    stages.begin("validate")
    validated = validate(exports_read, city, row_cache)
    # The read cells are no longer needed: the tables' values are the row cache's entries now
    # (at 20k rulings, 71 of the 131 MiB of Python objects the build then held).
    del exports_read
    settle()
    if on_validated is not None:
        on_validated(validated)
    stages.begin("privacy and records")
    public = {t.name: privacy.withhold(c.frame, t, row_cache) for t, c in
              zip((RULINGS, VIOLATIONS, PROPERTIES), validated.tables())}
    rulings = pages.ruling_records(public["rulings"], public["violations"])
    dates = [r["ruling_date"] for r in rulings]
    updated = max(dates) if dates else "1970-01-01"
    published = published or updated
    properties = pages.property_records(flags.flag(public["properties"], city, published))
    settle()
    rows = {
        "rulings": rulings,
        "violations": pages.records(public["violations"].sort_values(["ruling_no", "seq"]),
                                    [f.name for f in VIOLATIONS.public_fields]),
        "properties": properties,
    }
    # The search index needs only the records: the second core builds it meanwhile.
    search_files = parallel.Forked(search.build_search, rulings, properties, city.districts,
                                   cache / "search" if cache else None)
    stages.begin("changes")
    log = changes.change_log(published, rulings, properties, changes.load_state(state, published),
                             fingerprints(row_cache, validated, rulings, properties))
    stages.begin("datasets")
    spool = Spool(cache / "spool" if cache else None)
    line_ends: dict = {}
    files = datasets.dataset_files(rows, list(TABLES), city, updated, completeness.statement(validated),
                                   log.history, into=spool, line_ends=line_ends)
    # The workbooks mirror the CSVs: written by a second process meanwhile. Dated with the
    # data (its newest ruling), not the publication: a week with nothing new gives the same bytes.
    workbooks = parallel.Forked(downloads.workbooks, files, rows, list(TABLES), updated,
                                cache / "downloads" if cache else None)
    files.update(changes.data_files(log))
    stages.begin("downloads")
    files = downloads.download_files(files, rows, list(TABLES), city, updated, published,
                                     workbooks.result(), line_ends)
    stages.end()
    return Publication(validated, rulings, properties, files, log, search_files, row_cache, spool)


def fingerprints(row_cache: RowCache | None, validated: Validated, rulings: list[dict],
                 properties: list[dict]) -> dict[str, dict[str, bytes]] | None:
    """Each record's fingerprint (``changes.fingerprint``), computed only for records whose
    rows changed: a ruling's public values are made of its own row and its violations' rows
    (each with its number within the ruling), a property's of its row alone, so the hash of
    those rows' keys stands for the record under the cache's version."""
    if row_cache is None or any(t not in row_cache.keys for t in ("rulings", "violations", "properties")):
        return None
    def keys_of(checked, name):
        return dict(zip(checked.frame.index, row_cache.keys[name].loc[checked.frame.index].tolist()))
    ruling_key, violation_key = keys_of(validated.rulings, "rulings"), keys_of(validated.violations, "violations")
    parts: dict[str, list[bytes]] = {}
    frame = validated.violations.frame.sort_values(["ruling_no", "seq"])
    for index, number, seq in zip(frame.index, frame["ruling_no"].tolist(), frame["seq"].tolist()):
        parts.setdefault(number, []).append(violation_key[index] + str(seq).encode("ascii"))
    rows = {"rulings": {number: ruling_key[index] + b"|" + b";".join(parts.get(number, []))
                        for index, number in zip(validated.rulings.frame.index, validated.rulings.frame["ruling_no"])},
            "properties": {code: property_key for code, property_key in zip(
                validated.properties.frame["property_code"], keys_of(validated.properties, "properties").values())}}
    old, new = row_cache.load("fingerprints"), row_cache.new.setdefault("fingerprints", {})
    result: dict[str, dict[str, bytes]] = {}
    for name, records in (("rulings", rulings), ("properties", properties)):
        fields = changes.TRACKED[name][1]
        key_field = changes.TRACKED[name][0].key[0]
        result[name] = {}
        for record in records:
            digest = hashlib.blake2b(name.encode("ascii") + b"|" + rows[name][record[key_field]], digest_size=16).digest()
            entry = old.get(digest)
            # The row cache holds an entry as a list: a fingerprint is its one item.
            print_ = entry[0] if entry and isinstance(entry[0], bytes) else changes.fingerprint(record, fields)
            new[digest] = [print_]
            result[name][record[key_field]] = print_
    return result


def write(publication: Publication, content: Path, output: Path, reports: Path, city: Municipality,
          siteurl: str = "", stages: Stages = QUIET) -> dict:
    stages.begin("pages")
    changed = pages.write_content(content, publication.rulings, publication.properties, publication.change_log)
    stages.begin("write data")
    changed["datasets"] = {"files": len(publication.files),
                           "written": datasets.write_datasets(output / URLS.data(), publication.files)}
    if publication.spool is not None:
        publication.spool.close()
    stages.begin("search index")
    files, stats = publication.search.result()
    changed["search"] = {"files": len(files), **stats,
                         "written": pages.write_files(output / URLS.search(), files, "*.json")}
    pages.write_if_changed(output / URLS.changes_feed(),
                           changes.atom_feed(publication.change_log, f"شفاف — {city.publisher_fa}", siteurl))
    stages.begin("reports")
    report.write_report(reports, publication.validated)
    staff_report.write(reports, publication)
    if publication.rows is not None:
        publication.rows.save()
    stages.end()
    return changed
