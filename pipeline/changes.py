"""What changed between publications: record fingerprints, the change log and its Atom feed.

Each published ruling and property has a fingerprint: the sha256 of the canonical JSON of its
public record, plus a short hash per field so that a change can name the fields it touched.
The fingerprints of the last publication live in a *state* folder that staff keep beside the
site (default ``state/``, never under ``output/``: a fresh build must not be able to lose it,
and ``make upload`` must not publish it). It holds:

- ``published.json``: the fingerprints of the last publication (FORMAT 3: one hex string a
  record), with its date, the last published values of every record withdrawn since
  (``withdrawn``), from which its page is kept, and the name and sha256 of its values file;
- ``values-<sha256>.jsonl``: each record's public values (the same dict that is published,
  never a private field), one record a line in key order. Its name is its digest, so the
  ``published.json`` that names it (whose sha256 the seal keeps) describes it exactly, and
  ``previous.json`` keeps naming its own. A build reads it as a stream and keeps only the
  values of the records that changed or went; a publish copies the lines of the records
  whose fingerprint did not change instead of encoding them again;
- ``previous.json``: those of the last publication made on an *earlier* date, so that
  publishing twice on one day replaces that day's entry instead of splitting it in two;
- ``changes.json``: every publication's changes, newest first (the public change log).

A build only *reads* the state; ``pipeline.publish`` writes it after the new site has been
swapped into place, so a refused or preview build never moves the baseline.

A record missing from this build but present in the baseline is listed as ``withdrawn``:
a record is never silently gone. Since FORMAT 2 a changed entry holds each changed field's
old and new public value (``values``); a FORMAT 1 state is still read, its entries without.
A FORMAT 2 state (values inside ``published.json``) is read whole, once: the next publish
writes FORMAT 3.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import lru_cache
from pathlib import Path

from . import display
from .datasets import excel_csv
from .files import put_in_place, record as record_written, sha256_of, streaming, temporary
from .pages import write_if_changed
from .schema import PROPERTIES, RULINGS, Table
from .urls import URLS, absolute

FORMAT = 3
READABLE = (1, 2, 3)   # a FORMAT 1 state has no values: its entries simply name the fields
VALUES_FILES = "values-*.jsonl"
DIGEST_BYTES = 32   # a fingerprint held compactly: the record's sha256, then 4 bytes a field
ADDED, CHANGED, WITHDRAWN = "added", "changed", "withdrawn"
KINDS = (ADDED, CHANGED, WITHDRAWN)
CSV_COLUMNS = ("published", "dataset", "key", "slug", "change", "fields")
FEED_ENTRIES = 50
FEED_LISTED_CHANGES = 200   # per entry; the rest is in data/<date>/changes.csv

# Which records are tracked, under which key, and with which fields. The slug is derived from
# the key, so it is not a field of its own; a ruling's violations count as one field.
TRACKED: dict[str, tuple[Table, tuple[str, ...]]] = {
    "rulings": (RULINGS, tuple(f.name for f in RULINGS.public_fields if f.name != "slug") + ("violations",)),
    "properties": (PROPERTIES, tuple(f.name for f in PROPERTIES.public_fields if f.name != "slug")),
}
_KEYS = {name: table.key[0] for name, (table, _fields) in TRACKED.items()}
_ORDER = {name: i for i, name in enumerate(TRACKED)}   # the order of a values file's datasets


class ChangesError(ValueError):
    """The state folder cannot be used (damaged file, date going backwards)."""


@dataclass
class ChangeLog:
    published: str                 # ISO date of this publication
    baseline: str | None           # date of the publication compared against, None for the first
    changes: list[dict]            # this publication's changes: dataset, key, slug, change, fields
    history: list[dict]            # every publication, newest first, this one included
    manifest: dict                 # fingerprints of this publication (what publish commits)
    last_published: str | None     # date in state/published.json before this build
    last: dict | None = None       # state/published.json before this build, as load_state reads it
    compared: dict | None = None   # the state compared against: its values lines are copied
    records: dict[str, list[dict]] | None = None   # this publication's records, in key order

    def counts(self) -> dict[str, dict[str, int]]:
        return _counts(self.changes)

    @property
    def withdrawn(self) -> dict[str, dict[str, dict]]:
        """dataset -> key -> ``withdrawn`` (date) and ``record`` (last public values)."""
        return self.manifest.get("withdrawn", {})


# --- fingerprints -------------------------------------------------------------------------

def canonical(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def field_hash(value) -> bytes:
    # 32 bits are enough to tell *which* fields changed; whether the record changed at all is
    # decided by the full sha256 of the record.
    if value is None or isinstance(value, (str, int, float)):
        return _scalar_hash(type(value), value)  # districts, names, dates... repeat
    return hashlib.sha256(canonical(value)).digest()[:4]


@lru_cache(maxsize=1 << 16)
def _scalar_hash(_type: type, value) -> bytes:  # the type: 1, 1.0 and True are equal keys
    return hashlib.sha256(canonical(value)).digest()[:4]


def fingerprint(record: dict, fields: tuple[str, ...]) -> bytes:
    """A record's fingerprint, made compact: its sha256, then 4 bytes a field. As a list of hex
    strings a ruling's held 26 objects (1.7 KB); at 100k records those lists, the row cache's
    and this build's, were a few hundred MB of the pipeline's peak."""
    public = {name: record.get(name) for name in fields}
    return hashlib.sha256(canonical(public)).digest() + b"".join(field_hash(public[name]) for name in fields)


def compact(print_: list | str | bytes) -> bytes:
    """A fingerprint as one bytes object (record sha256, then 4 bytes a field), from any form
    a state has held it in: bytes, one hex string (FORMAT 3) or a list of hex strings."""
    if isinstance(print_, bytes):
        return print_
    return bytes.fromhex(print_ if isinstance(print_, str) else "".join(print_))


def _field_hashes(print_: bytes) -> list[bytes]:
    return [print_[i:i + 4] for i in range(DIGEST_BYTES, len(print_), 4)]


def public_values(record: dict, fields: tuple[str, ...]) -> dict:
    """What the state keeps of a record: its tracked public fields and its slug, nothing else
    (the record is the published one: privacy has already dropped every private column)."""
    return {"slug": record["slug"], **{name: record.get(name) for name in fields}}


def manifest(published: str, records: dict[str, list[dict]], prints: dict[str, dict] | None = None) -> dict:
    """Fingerprints of every tracked record of one publication (their values are written from
    the records themselves, ``write_values``).
    ``prints``: dataset -> key -> fingerprint, known already (``build.fingerprints``)."""
    result = {"format": FORMAT, "published": published, "fields": {}, "records": {}, "withdrawn": {}}
    for name, (_table, fields) in TRACKED.items():
        key = _KEYS[name]
        result["fields"][name] = list(fields)
        known = (prints or {}).get(name, {})
        result["records"][name] = {r[key]: compact(known.get(r[key]) or fingerprint(r, fields))
                                   for r in sorted(records[name], key=lambda r: r[key])}
        result["withdrawn"][name] = {}
    return result


# --- comparing ----------------------------------------------------------------------------

def compare(before: dict | None, after: dict, slugs: dict[str, dict[str, str]]) -> list[dict]:
    """Added, changed (with field names) and withdrawn records, in a fixed order. A changed
    entry gets its old and new values later (``add_values``): the baseline's are read for the
    changed records only."""
    changes = []
    for name in TRACKED:
        new = after["records"][name]
        old = before["records"].get(name, {}) if before else {}
        new_fields, old_fields = after["fields"][name], (before["fields"].get(name, []) if before else [])
        for key in sorted(new.keys() | old.keys()):
            if key not in old:
                kind, fields = ADDED, []
            elif key not in new:
                kind, fields = WITHDRAWN, []
            elif new[key][:DIGEST_BYTES] == old[key][:DIGEST_BYTES]:
                continue
            else:
                kind, fields = CHANGED, _changed_fields(dict(zip(old_fields, _field_hashes(old[key]))),
                                                        dict(zip(new_fields, _field_hashes(new[key]))), new_fields)
            slug = slugs[name].get(key, "") if kind != WITHDRAWN else ""
            changes.append({"dataset": name, "key": key, "slug": slug, "change": kind, "fields": fields})
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(changes, key=lambda c: (list(TRACKED).index(c["dataset"]), order[c["change"]], c["key"]))


def _changed_fields(old: dict, new: dict, order: list[str]) -> list[str]:
    names = [n for n in order if old.get(n) != new.get(n)]
    names += sorted(n for n in old.keys() - new.keys())  # a column the schema no longer has
    # The record hash differs but no field hash does: a 32-bit collision. Say so, don't hide it.
    return names or ["*"]


def add_values(changes: list[dict], old_values: dict[tuple[str, str], dict],
               current: dict[str, dict[str, dict]]) -> None:
    """Old and new public values of each changed field (FORMAT 2); a baseline kept before
    values were (FORMAT 1) has none to give."""
    for change in changes:
        was = old_values.get((change["dataset"], change["key"]))
        if change["change"] == CHANGED and was is not None:
            now = public_values(current[change["dataset"]][change["key"]], TRACKED[change["dataset"]][1])
            change["values"] = {f: [was.get(f), now.get(f)] for f in change["fields"] if f != "*"}


def load_state(state: Path | None, published: str | None = None) -> dict:
    """``published``, ``previous`` (fingerprints) and ``history`` from the state folder.
    ``published``: this build's date; ``previous`` is then read only when it is the baseline
    (the last publication was made that same day)."""
    loaded = {"published": None, "previous": None, "history": []}
    if state is None:
        return loaded
    for name, file in (("published", "published.json"), ("previous", "previous.json"), ("history", "changes.json")):
        path = state / file
        if not path.exists():
            continue
        if name == "previous" and published is not None and \
                (loaded["published"] is None or loaded["published"]["published"] != published):
            continue
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError) as error:
            raise ChangesError(f"{path}: not readable JSON ({error})") from None
        if name == "history":
            loaded[name] = data.get("publications", [])
        elif not isinstance(data, dict) or data.get("format") not in READABLE:
            found = data.get("format") if isinstance(data, dict) else None
            raise ChangesError(f"{path}: unknown format {found!r} (expected one of {READABLE})")
        else:
            loaded[name] = _held_compactly(data, path)
    return loaded


def _held_compactly(data: dict, path: Path) -> dict:
    """A manifest as a build holds it: compact fingerprints; a FORMAT 3 manifest's values stay
    in their file (``file``: where to read them), a FORMAT 2 manifest's are as loaded."""
    try:
        for prints in data["records"].values():
            for key, print_ in prints.items():
                prints[key] = compact(print_)
        if data["format"] >= 3 and not (fnmatch(data["values_file"], VALUES_FILES) and "/" not in data["values_file"]
                                        and len(data["values_sha256"]) == 64):
            raise ValueError(f"values file {data['values_file']!r}")
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ChangesError(f"{path}: damaged ({error!r})") from None
    data["file"] = path
    return data


def _value_lines(manifest_: dict):
    """(dataset, key, slug, line) of each line of a FORMAT 3 manifest's values file, checked
    against the sha256 its manifest names once the file is read to its end."""
    path = manifest_["file"].parent / manifest_["values_file"]
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for line in handle:
                digest.update(line)
                dataset, key, slug, _values = line.split(b"\t", 3)
                yield json.loads(dataset), json.loads(key), json.loads(slug), line
    except (OSError, ValueError) as error:
        raise ChangesError(f"{path}: not readable ({error})") from None
    if digest.hexdigest() != manifest_["values_sha256"]:
        raise ChangesError(f"{path}: not the values {manifest_['file'].name} was published with")


def baseline_values(manifest_: dict | None, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """(dataset, key) -> public values in ``manifest_`` of the records ``wanted``, and only
    those: a FORMAT 3 values file is streamed, never held."""
    if manifest_ is None:
        return {}
    if manifest_["format"] < 3:
        held = manifest_.get("values", {})
        return {(name, key): held[name][key] for name, key in wanted if key in held.get(name, {})}
    found = {}
    # Read to its end even when nothing is wanted: a damaged file stops the build, not the publish.
    for dataset, key, _slug, line in _value_lines(manifest_):
        if (dataset, key) in wanted:
            found[(dataset, key)] = json.loads(line.split(b"\t", 3)[3])
    return found


def change_log(published: str, rulings: list[dict], properties: list[dict], state: dict,
               prints: dict[str, dict] | None = None) -> ChangeLog:
    """This publication's changes against the baseline, and the history with it in place."""
    records = {"rulings": rulings, "properties": properties}
    current = manifest(published, records, prints)
    in_order = {name: sorted(rows, key=lambda r, key=_KEYS[name]: r[key]) for name, rows in records.items()}
    last = state["published"]
    # Publishing again on the same day compares with the day before's publication and
    # replaces that day's entry, so nothing done between the two is lost or counted twice.
    baseline = state["previous"] if last and last["published"] == published else last
    by_key = {name: {r[_KEYS[name]]: r for r in rows} for name, rows in records.items()}
    slugs = {name: {key: r["slug"] for key, r in rows.items()} for name, rows in by_key.items()}
    changes = compare(baseline, current, slugs)
    wanted = {(c["dataset"], c["key"]) for c in changes if c["change"] in (CHANGED, WITHDRAWN)}
    old_values = baseline_values(baseline, wanted)
    add_values(changes, old_values, by_key)
    current["withdrawn"] = still_withdrawn(baseline, current, changes, published, old_values)
    entry = {"published": published, "baseline": baseline["published"] if baseline else None,
             "counts": _counts(changes), "changes": changes}
    history = [p for p in state["history"] if p["published"] != published] + [entry]
    history.sort(key=lambda p: p["published"], reverse=True)
    if baseline is not None and baseline["format"] < 3:
        baseline.pop("values", None)   # a FORMAT 2 state's: read once, for the lines above
    return ChangeLog(published, entry["baseline"], changes, history, current,
                     last["published"] if last else None, last, baseline, in_order)


def still_withdrawn(baseline: dict | None, current: dict, changes: list[dict], published: str,
                    old_values: dict[tuple[str, str], dict]) -> dict:
    """Every record withdrawn and not back: its last published values and the date it went,
    carried from publication to publication so that its page outlives the baseline that
    last held it. A record withdrawn under a FORMAT 1 baseline has no values: no page."""
    kept = {name: {} for name in TRACKED}
    for name in TRACKED:
        for key, entry in ((baseline or {}).get("withdrawn", {}).get(name, {})).items():
            if key not in current["records"][name]:
                kept[name][key] = entry
    for change in changes:
        if change["change"] == WITHDRAWN:
            values = old_values.get((change["dataset"], change["key"]))
            if values is not None:
                kept[change["dataset"]][change["key"]] = {"withdrawn": published, "record": values}
    return {name: dict(sorted(entries.items())) for name, entries in kept.items()}


def _counts(changes: list[dict]) -> dict:
    counts = {name: {kind: 0 for kind in KINDS} for name in TRACKED}
    for change in changes:
        counts[change["dataset"]][change["change"]] += 1
    return counts


def commit_state(state: Path, log: ChangeLog, last: dict | None) -> None:
    """Make this publication the baseline of the next one (called only after a publish).
    ``last``: the manifest ``load_state`` read, kept as ``previous.json`` when it is of an
    earlier date (its bytes, and its values file beside it)."""
    state.mkdir(parents=True, exist_ok=True)
    if last and last["published"] != log.published:
        write_if_changed(state / "previous.json", last["file"].read_bytes())
        if last["format"] >= 3:
            source = last["file"].parent / last["values_file"]
            if not (state / last["values_file"]).exists():
                write_if_changed(state / last["values_file"], source.read_bytes())
    name, digest = write_values(state, log)
    write_if_changed(state / "published.json", manifest_json({**log.manifest, "values_file": name,
                                                              "values_sha256": digest}))
    write_if_changed(state / "changes.json", history_json(log.history))
    remove_unnamed_values(state)


def write_values(state: Path, log: ChangeLog) -> tuple[str, str]:
    """This publication's values file, streamed: name and sha256. The line of a record whose
    fingerprint and slug are those of the state compared against is that state's line, copied
    (encoding every record again cost seconds at 10k)."""
    fields = log.manifest["fields"]
    compared = log.compared if log.compared is not None and log.compared["format"] >= 3 \
        and log.compared["fields"] == fields else None
    old_lines = _value_lines(compared) if compared is not None else iter(())
    digest = hashlib.sha256()
    tmp = temporary(state / "values.jsonl")
    try:
        with streaming(tmp) as handle:
            old = next(old_lines, None)
            for name in TRACKED:
                prints, old_prints = log.manifest["records"][name], (compared or {}).get("records", {}).get(name, {})
                for record in log.records[name]:
                    key = record[_KEYS[name]]
                    # Both files are in (dataset, key) order: walk the old one alongside.
                    while old is not None and (_ORDER.get(old[0], -1), old[1]) < (_ORDER[name], key):
                        old = next(old_lines, None)
                    if old is not None and old[:3] == (name, key, record["slug"]) and old_prints.get(key) == prints[key]:
                        line = old[3]
                    else:
                        line = value_line(name, key, public_values(record, TRACKED[name][1]))
                    digest.update(line)
                    handle.write(line)
            for _rest in old_lines:   # to its end: its sha256 is checked there
                pass
        name = f"values-{digest.hexdigest()[:32]}.jsonl"
        path = state / name
        if path.exists() and sha256_of(path) == digest.hexdigest():
            tmp.unlink()
            record_written(path)
        else:
            put_in_place(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return name, digest.hexdigest()


def value_line(dataset: str, key: str, values: dict) -> bytes:
    """Dataset, key and slug before the values, tab-separated (JSON escapes a tab inside a
    string): a reader finds a record without decoding its values."""
    head = "\t".join(json.dumps(v, ensure_ascii=False) for v in (dataset, key, values["slug"]))
    return head.encode("utf-8") + b"\t" + canonical(values) + b"\n"


def remove_unnamed_values(state: Path) -> None:
    """Values files no manifest of ``state`` names any more (an older publication's)."""
    named = set()
    for file in ("published.json", "previous.json"):
        try:
            named.add(json.loads((state / file).read_bytes()).get("values_file"))
        except (OSError, ValueError, AttributeError):
            continue
    for path in state.glob(VALUES_FILES):
        if path.name not in named:
            path.unlink()


# --- files --------------------------------------------------------------------------------

def manifest_json(data: dict) -> bytes:
    """One record a line, so that a diff of two manifests stays readable."""
    lines = ["{", f' "format": {data["format"]},', f' "published": {json.dumps(data["published"])},',
             f' "fields": {json.dumps(data["fields"], ensure_ascii=False)},',
             f' "values_file": {json.dumps(data["values_file"])},',
             f' "values_sha256": {json.dumps(data["values_sha256"])},', ' "records": {']
    names = list(data["records"])
    for i, name in enumerate(names):
        lines.append(f"  {json.dumps(name)}: {{")
        items = list(data["records"][name].items())
        for j, (key, print_) in enumerate(items):
            comma = "," if j < len(items) - 1 else ""
            lines.append(f'   {json.dumps(key, ensure_ascii=False)}: "{compact(print_).hex()}"{comma}')
        lines.append("  }" + ("," if i < len(names) - 1 else ""))
    lines.append(" },")
    lines.append(' "withdrawn": {')
    for i, name in enumerate(names):
        lines.append(f"  {json.dumps(name)}: {{")
        items = list(data["withdrawn"].get(name, {}).items())
        for j, (key, value) in enumerate(items):
            comma = "," if j < len(items) - 1 else ""
            lines.append(f"   {json.dumps(key, ensure_ascii=False)}: {canonical(value).decode('utf-8')}{comma}")
        lines.append("  }" + ("," if i < len(names) - 1 else ""))
    lines += [" }", "}", ""]
    return "\n".join(lines).encode("utf-8")


def history_json(history: list[dict]) -> bytes:
    return (json.dumps({"publications": history}, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def changes_csv(history: list[dict]) -> bytes:
    """Written like the datasets (a key may start with «-»); fields separated by spaces."""
    return excel_csv(CSV_COLUMNS, ([publication["published"], c["dataset"], c["key"], c["slug"], c["change"],
                                    " ".join(c["fields"])]
                                   for publication in history for c in publication["changes"]))


def data_files(log: ChangeLog) -> dict[str, bytes]:
    """The whole log at stable URLs, and this publication's part in its dated folder."""
    this = [p for p in log.history if p["published"] == log.published]
    return {
        "changes.csv": changes_csv(log.history),
        "changes.json": history_json(log.history),
        f"{log.published}/changes.csv": changes_csv(this),
        f"{log.published}/changes.json": history_json(this),
    }


def withdrawn_now(history: list[dict]) -> set[tuple[str, str]]:
    """(dataset, key) of every record whose newest change is a withdrawal: its page is gone,
    so no entry of the change log, however old, may link to it (the link gate would refuse
    the build, and a reader would land on a 404)."""
    newest: dict[tuple[str, str], str] = {}
    for publication in history:                      # newest publication first
        for change in publication["changes"]:
            newest.setdefault((change["dataset"], change["key"]), change["change"])
    return {record for record, change in newest.items() if change == WITHDRAWN}


def atom_feed(log: ChangeLog, site_name: str, siteurl: str = "") -> bytes:
    """One entry per publication, dated by its publication date (never the build's clock).

    Links are absolute when the site's URL is known (publish), else relative to the feed.
    """
    from .feeds import Feed

    def url(path: str) -> str:
        return absolute(path, siteurl, URLS.changes_feed())

    newest = log.history[0]["published"] if log.history else log.published
    feed = Feed(title=f"تغییرات داده‌ها — {site_name}", link=url(URLS.changes()), description="",
                language="fa", feed_url=url(URLS.changes_feed()), author_name=site_name,
                feed_guid="tag:shafaf,2024:feeds/changes", updated=_midnight(newest),
                related=[(url(URLS.changes_file("csv")), "text/csv")])
    gone = withdrawn_now(log.history)
    for publication in log.history[:FEED_ENTRIES]:
        date = publication["published"]
        feed.add_item(title=f"تغییرات انتشار {display.jalali(date)}", link=url(URLS.publication(date)),
                      description=summary_fa(publication["counts"]),
                      content=_entry_html(publication, url, gone),
                      unique_id=f"tag:shafaf,2024:changes/{date}", updateddate=_midnight(date),
                      related=[(url(URLS.changes_file("csv", date)), "text/csv")])
    return feed.writeString("utf-8").encode("utf-8")


def _midnight(iso: str) -> dt.datetime:
    """Without a time zone: feedgenerator writes it with a «Z»."""
    return dt.datetime.combine(dt.date.fromisoformat(iso), dt.time())


_WORDS = {"rulings": ("رأی", "Ruling"), "properties": ("ملک", "Property")}
_KIND_FA = {ADDED: "تازه", CHANGED: "تغییرکرده", WITHDRAWN: "برداشته‌شده"}


def _entry_html(publication: dict, url, gone: set[tuple[str, str]]) -> str:
    """The list of one publication's changes, as HTML made only of our own tags: built as a
    tree so that ElementTree escapes the text once, and the feed escapes it again as XML."""
    date = publication["published"]
    ul = ET.Element("ul")
    for change in publication["changes"][:FEED_LISTED_CHANGES]:
        li = ET.SubElement(ul, "li")
        word = _WORDS[change["dataset"]][0]
        label = f"{word} {display.fa_digits(change['key'])}: {_KIND_FA[change['change']]}"
        if change["fields"]:
            label += f" ({', '.join(change['fields'])})"
        if change["slug"] and (change["dataset"], change["key"]) not in gone:
            a = ET.SubElement(li, "a", {"href": url(URLS.record(change["dataset"], change["slug"]))})
            a.text = label
        else:
            li.text = label
    if len(publication["changes"]) > FEED_LISTED_CHANGES:
        ET.SubElement(ul, "li").text = f"… فهرست کامل: {URLS.changes_file('csv', date)}"
    return ET.tostring(ul, encoding="unicode", method="html")


def summary_fa(counts: dict) -> str:
    parts = []
    for name, (word, _en) in _WORDS.items():
        c = counts.get(name, {})
        parts.append(f"{word}: {display.fa_digits(c.get(ADDED, 0))} تازه، "
                     f"{display.fa_digits(c.get(CHANGED, 0))} تغییرکرده، "
                     f"{display.fa_digits(c.get(WITHDRAWN, 0))} برداشته‌شده")
    return "؛ ".join(parts)
