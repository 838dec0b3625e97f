"""Markdown pages for Pelican: one per ruling (with its violations) and one per property.

Structured values travel in a one-line JSON ``Record`` metadata field that the theme prints
through Jinja's autoescape; the only Markdown body is the ruling's free text, in which every
ASCII punctuation character is written as a numeric character reference, so nothing a cell
holds can become HTML, a link, emphasis, a list or a heading.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path

import pandas as pd

from . import history as record_history, parallel
from .files import write_if_changed
from .normalise import to_persian_digits
from .schema import PROPERTIES, RESERVED_SLUGS, RULINGS, VIOLATIONS
from .values import KEY_MAX_LENGTH
from .urls import URLS

# What values.slug makes: the key's ASCII letters and digits, and a 6-digit hash.
_SLUG = re.compile(f"[a-z0-9][a-z0-9-]{{0,{KEY_MAX_LENGTH + 6}}}")


class PageError(ValueError):
    """A page name that validation should have rejected; raised before any page is written."""


_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_ENTITIES = str.maketrans({c: f"&#{ord(c)};" for c in _PUNCTUATION})


def escape_markdown(text: str) -> str:
    """Text that Python-Markdown renders as exactly these characters, nothing more."""
    paragraphs = []
    for paragraph in text.split("\n\n"):
        lines = [line.strip().translate(_ENTITIES) for line in paragraph.split("\n") if line.strip()]
        if lines:
            paragraphs.append("  \n".join(lines))  # two spaces: a line break inside a paragraph
    return "\n\n".join(paragraphs)


def clean(value):
    """A JSON-ready value: NaN and pandas' missing markers become None."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    return [{c: clean(v) for c, v in zip(columns, row)}
            for row in frame[columns].itertuples(index=False, name=None)]


def ruling_records(rulings: pd.DataFrame, violations: pd.DataFrame) -> list[dict]:
    """Rulings with their violations and the appeal links both ways, sorted by slug."""
    columns = [f.name for f in RULINGS.public_fields]
    violation_columns = [f.name for f in VIOLATIONS.public_fields if f.name != "ruling_no"]
    by_ruling: dict[str, list[dict]] = {}
    for record in records(violations.sort_values(["ruling_no", "seq"]), ["ruling_no", *violation_columns]):
        by_ruling.setdefault(record.pop("ruling_no"), []).append(record)
    slug_of = dict(zip(rulings["ruling_no"], rulings["slug"]))
    appeals: dict[str, list[dict]] = {}
    result = records(rulings.sort_values("slug"), columns)
    for record in result:
        target = record["appealed_ruling_no"]
        if target in slug_of:
            appeals.setdefault(target, []).append({"ruling_no": record["ruling_no"], "slug": record["slug"]})
    for record in result:
        record["violations"] = by_ruling.get(record["ruling_no"], [])
        record["appealed_slug"] = slug_of.get(record["appealed_ruling_no"])
        record["appeals"] = appeals.get(record["ruling_no"], [])
    return result


def property_records(properties: pd.DataFrame) -> list[dict]:
    return records(properties.sort_values("slug"), [f.name for f in PROPERTIES.record_fields])


# Every character a reader of the page could take for the end of a line (str.splitlines,
# and open()'s universal newlines for \r). Validation's text normalisation already turns them
# into spaces in every value that reaches a metadata line; doing the same here keeps a record
# that bypassed it from adding a metadata line of its own (a forged Url or Template).
_LINE_ENDS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")


def _metadata_line(name: str, value: str) -> str:
    return f"{name}: {_LINE_ENDS.sub(' ', value)}\n"


def _json(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _history_lines(history: list[dict] | None, withdrawn: str | None) -> list[str]:
    """The record's own history (``pipeline.history``) and, for a withdrawn record, the date
    it went: part of the page's text, so that a new event changes the file and re-renders
    that page, and nothing else."""
    lines = [_metadata_line("History", _json(history))] if history else []
    if withdrawn:
        lines.append(_metadata_line("Withdrawn", withdrawn))
    return lines


def ruling_page(record: dict, history: list[dict] | None = None, withdrawn: str | None = None) -> str:
    return "".join([
        _metadata_line("Title", f"رأی شماره {record['ruling_no']}"),
        _metadata_line("Slug", record["slug"]),
        _metadata_line("Date", record["ruling_date"]),
        _metadata_line("Url", URLS.ruling(record["slug"])),
        _metadata_line("Save_as", URLS.save_as(URLS.ruling(record["slug"]))),
        _metadata_line("Template", "ruling"),
        _metadata_line("Record", _json(record)),
        *_history_lines(history, withdrawn),
        "\n",
        escape_markdown(to_persian_digits(record.get("ruling_text") or "")),
        "\n",
    ])


def property_page(record: dict, history: list[dict] | None = None, withdrawn: str | None = None) -> str:
    return "".join([
        _metadata_line("Title", f"{record['title']} ({record['property_code']})"),
        _metadata_line("Slug", f"property-{record['slug']}"),
        _metadata_line("Url", URLS.property(record["slug"])),
        _metadata_line("Save_as", URLS.save_as(URLS.property(record["slug"]))),
        _metadata_line("Template", "property"),
        _metadata_line("Record", _json(record)),
        *_history_lines(history, withdrawn),
        "\n",
    ])


def write_files(folder: Path, files: dict[str, str | bytes], pattern: str = "*") -> int:
    """Make ``folder`` hold exactly ``files`` (among names matching ``pattern``); returns how
    many were written. Unchanged files are not touched."""
    folder.mkdir(parents=True, exist_ok=True)
    written = sum(write_if_changed(folder / name, data) for name, data in files.items())
    remove_others(folder, files.keys(), pattern)
    return written


def remove_others(folder: Path, keep, pattern: str) -> None:
    """Delete the files of ``folder`` matching ``pattern`` whose names are not in ``keep``."""
    keep = set(keep)
    for path in folder.glob(pattern):
        if path.is_file() and path.name not in keep:
            path.unlink()


def write_pages(folder: Path, records: list[dict], name, page) -> dict[str, int]:
    """``folder`` holds exactly one ``name(record)`` file per record, ``page(record)`` in it.
    Half the pages are made and compared by a second process (the other core)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = sum(parallel.in_halves(_write_some, records, folder, name, page))
    remove_others(folder, map(name, records), "*.md")
    return {"pages": len(records), "written": written}


def _write_some(records: list[dict], folder: Path, name, page) -> int:
    return sum(write_if_changed(folder / name(record), page(record)) for record in records)


def write_content(content: Path, rulings: list[dict], properties: list[dict], log=None) -> dict[str, dict]:
    """Every page name is checked first: ``content/`` is never left half-written by a name
    the file system refuses or that would take a listing's address.

    ``log`` (a ``changes.ChangeLog``): each page gets its history, and every record withdrawn
    and not back gets a page of its last published values, from the state, so that it
    survives a fresh ``content/``."""
    events = record_history.events(log.history) if log else {}
    withdrawn = log.withdrawn if log else {}
    tables = ((RULINGS, rulings, ruling_page), (PROPERTIES, properties, property_page))
    pages = {}
    for table, current, page in tables:
        gone = {key: (_withdrawn_record(table.name, entry["record"]), entry["withdrawn"])
                for key, entry in sorted(withdrawn.get(table.name, {}).items())}
        pages[table.name] = ([(r, events.get((table.name, r[table.key[0]])), None) for r in current]
                             + [(r, events.get((table.name, key)), date) for key, (r, date) in gone.items()])
        _check_names(table.name, [r for r, _, _ in pages[table.name]])
    return {table.name: write_pages(content / table.name, pages[table.name], _page_name_of,
                                    lambda item, page=page: page(*item))
            for table, _current, page in tables}


def _page_name_of(item: tuple) -> str:
    return _page_name(item[0])


def _withdrawn_record(dataset: str, values: dict) -> dict:
    """A withdrawn record as its page reads it: its last public values; a ruling's appeal
    links are not kept (the rulings they named may have changed since)."""
    if dataset == RULINGS.name:
        return {**values, "appealed_slug": None, "appeals": []}
    return dict(values)


def _page_name(record: dict) -> str:
    return f"{record['slug']}.md"


def _check_names(folder: str, records: list[dict]) -> None:
    counts = Counter(record["slug"] for record in records)
    bad = [s for s, n in counts.items()
           if n > 1 or not isinstance(s, str) or not _SLUG.fullmatch(s) or s in RESERVED_SLUGS[folder]]
    if bad:
        raise PageError(f"{folder}: unusable or repeated page names {[str(s)[:80] for s in bad[:3]]}; "
                        "nothing was written")
