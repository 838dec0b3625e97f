"""What changed between publications: record fingerprints, the change log and its Atom feed.

Each published ruling and property has a fingerprint: the sha256 of the canonical JSON of its
public record, plus a short hash per field so that a change can name the fields it touched.
The fingerprints of the last publication live in a *state* folder that staff keep beside the
site (default ``state/``, never under ``output/``: a fresh build must not be able to lose it,
and ``make upload`` must not publish it). It holds three files:

- ``published.json``: the fingerprints of the last publication, with its date, and (FORMAT 2)
  each record's public values (``values``: the same dict that is published, never a private
  field) and the last published values of every record withdrawn since (``withdrawn``), from
  which its page is kept;
- ``previous.json``: those of the last publication made on an *earlier* date, so that
  publishing twice on one day replaces that day's entry instead of splitting it in two;
- ``changes.json``: every publication's changes, newest first (the public change log).

A build only *reads* the state; ``pipeline.publish`` writes it after the new site has been
swapped into place, so a refused or preview build never moves the baseline.

A record missing from this build but present in the baseline is listed as ``withdrawn``:
a record is never silently gone. Since FORMAT 2 a changed entry holds each changed field's
old and new public value (``values``); a FORMAT 1 state is still read, its entries without.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import display
from .datasets import excel_csv
from .pages import write_if_changed
from .schema import PROPERTIES, RULINGS, Table
from .urls import URLS, absolute

FORMAT = 2
READABLE = (1, 2)   # a FORMAT 1 state has no values: its entries simply name the fields
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

    def counts(self) -> dict[str, dict[str, int]]:
        return _counts(self.changes)

    @property
    def withdrawn(self) -> dict[str, dict[str, dict]]:
        """dataset -> key -> ``withdrawn`` (date) and ``record`` (last public values)."""
        return self.manifest.get("withdrawn", {})


# --- fingerprints -------------------------------------------------------------------------

def canonical(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def field_hash(value) -> str:
    # 32 bits are enough to tell *which* fields changed; whether the record changed at all is
    # decided by the full sha256 of the record.
    if value is None or isinstance(value, (str, int, float)):
        return _scalar_hash(type(value), value)  # districts, names, dates... repeat
    return hashlib.sha256(canonical(value)).hexdigest()[:8]


@lru_cache(maxsize=1 << 16)
def _scalar_hash(_type: type, value) -> str:  # the type: 1, 1.0 and True are equal keys
    return hashlib.sha256(canonical(value)).hexdigest()[:8]


def fingerprint(record: dict, fields: tuple[str, ...]) -> list:
    public = {name: record.get(name) for name in fields}
    return [hashlib.sha256(canonical(public)).hexdigest(), *(field_hash(public[name]) for name in fields)]


def public_values(record: dict, fields: tuple[str, ...]) -> dict:
    """What the state keeps of a record: its tracked public fields and its slug, nothing else
    (the record is the published one: privacy has already dropped every private column)."""
    return {"slug": record["slug"], **{name: record.get(name) for name in fields}}


def manifest(published: str, records: dict[str, list[dict]], prints: dict[str, dict] | None = None) -> dict:
    """Fingerprints and public values of every tracked record of one publication.
    ``prints``: dataset -> key -> fingerprint, known already (``build.fingerprints``)."""
    result = {"format": FORMAT, "published": published, "fields": {}, "records": {}, "values": {},
              "withdrawn": {}}
    for name, (_table, fields) in TRACKED.items():
        key = _KEYS[name]
        rows = sorted(records[name], key=lambda r: r[key])
        result["fields"][name] = list(fields)
        known = (prints or {}).get(name, {})
        result["records"][name] = {r[key]: known.get(r[key]) or fingerprint(r, fields) for r in rows}
        result["values"][name] = {r[key]: public_values(r, fields) for r in rows}
        result["withdrawn"][name] = {}
    return result


# --- comparing ----------------------------------------------------------------------------

def compare(before: dict | None, after: dict, slugs: dict[str, dict[str, str]]) -> list[dict]:
    """Added, changed (with field names) and withdrawn records, in a fixed order."""
    changes = []
    for name in TRACKED:
        new = after["records"][name]
        old = before["records"].get(name, {}) if before else {}
        new_fields, old_fields = after["fields"][name], (before["fields"].get(name, []) if before else [])
        old_values = before.get("values", {}).get(name) if before else None
        for key in sorted(new.keys() | old.keys()):
            if key not in old:
                kind, fields = ADDED, []
            elif key not in new:
                kind, fields = WITHDRAWN, []
            elif new[key][0] == old[key][0]:
                continue
            else:
                kind, fields = CHANGED, _changed_fields(dict(zip(old_fields, old[key][1:])),
                                                        dict(zip(new_fields, new[key][1:])), new_fields)
            slug = slugs[name].get(key, "") if kind != WITHDRAWN else ""
            change = {"dataset": name, "key": key, "slug": slug, "change": kind, "fields": fields}
            if kind == CHANGED and old_values is not None and key in old_values:
                # Old and new public values of each changed field (FORMAT 2); a baseline kept
                # before values were (FORMAT 1) has none to give.
                was, now = old_values[key], after["values"][name][key]
                change["values"] = {f: [was.get(f), now.get(f)] for f in fields if f != "*"}
            changes.append(change)
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(changes, key=lambda c: (list(TRACKED).index(c["dataset"]), order[c["change"]], c["key"]))


def _changed_fields(old: dict, new: dict, order: list[str]) -> list[str]:
    names = [n for n in order if old.get(n) != new.get(n)]
    names += sorted(n for n in old.keys() - new.keys())  # a column the schema no longer has
    # The record hash differs but no field hash does: a 32-bit collision. Say so, don't hide it.
    return names or ["*"]


def load_state(state: Path | None) -> dict:
    """``published``, ``previous`` (fingerprints) and ``history`` from the state folder."""
    loaded = {"published": None, "previous": None, "history": []}
    if state is None:
        return loaded
    for name, file in (("published", "published.json"), ("previous", "previous.json"), ("history", "changes.json")):
        path = state / file
        if not path.exists():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ChangesError(f"{path}: not readable JSON ({error})") from None
        if name == "history":
            loaded[name] = data.get("publications", [])
        elif data.get("format") not in READABLE:
            raise ChangesError(f"{path}: unknown format {data.get('format')!r} (expected one of {READABLE})")
        else:
            loaded[name] = data
    return loaded


def change_log(published: str, rulings: list[dict], properties: list[dict], state: dict,
               prints: dict[str, dict] | None = None) -> ChangeLog:
    """This publication's changes against the baseline, and the history with it in place."""
    records = {"rulings": rulings, "properties": properties}
    current = manifest(published, records, prints)
    last = state["published"]
    # Publishing again on the same day compares with the day before's publication and
    # replaces that day's entry, so nothing done between the two is lost or counted twice.
    baseline = state["previous"] if last and last["published"] == published else last
    slugs = {name: {r[_KEYS[name]]: r["slug"] for r in rows} for name, rows in records.items()}
    changes = compare(baseline, current, slugs)
    current["withdrawn"] = still_withdrawn(baseline, current, changes, published)
    entry = {"published": published, "baseline": baseline["published"] if baseline else None,
             "counts": _counts(changes), "changes": changes}
    history = [p for p in state["history"] if p["published"] != published] + [entry]
    history.sort(key=lambda p: p["published"], reverse=True)
    return ChangeLog(published, entry["baseline"], changes, history, current,
                     last["published"] if last else None)


def still_withdrawn(baseline: dict | None, current: dict, changes: list[dict], published: str) -> dict:
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
            values = (baseline or {}).get("values", {}).get(change["dataset"], {}).get(change["key"])
            if values is not None:
                kept[change["dataset"]][change["key"]] = {"withdrawn": published, "record": values}
    return {name: dict(sorted(entries.items())) for name, entries in kept.items()}


def _counts(changes: list[dict]) -> dict:
    counts = {name: {kind: 0 for kind in KINDS} for name in TRACKED}
    for change in changes:
        counts[change["dataset"]][change["change"]] += 1
    return counts


def commit_state(state: Path, log: ChangeLog, last: dict | None) -> None:
    """Make this publication the baseline of the next one (called only after a publish)."""
    state.mkdir(parents=True, exist_ok=True)
    if last and last["published"] != log.published:
        write_if_changed(state / "previous.json", manifest_json(last))
    write_if_changed(state / "published.json", manifest_json(log.manifest))
    write_if_changed(state / "changes.json", history_json(log.history))


# --- files --------------------------------------------------------------------------------

def manifest_json(data: dict) -> bytes:
    """One record a line, so that a diff of two manifests stays readable."""
    lines = ["{", f' "format": {data["format"]},', f' "published": {json.dumps(data["published"])},',
             f' "fields": {json.dumps(data["fields"], ensure_ascii=False)},', ' "records": {']
    names = list(data["records"])
    for i, name in enumerate(names):
        lines.append(f"  {json.dumps(name)}: {{")
        items = list(data["records"][name].items())
        for j, (key, print_) in enumerate(items):
            comma = "," if j < len(items) - 1 else ""
            lines.append(f"   {json.dumps(key, ensure_ascii=False)}: {json.dumps(print_)}{comma}")
        lines.append("  }" + ("," if i < len(names) - 1 else ""))
    lines.append(" }")
    for section in ("values", "withdrawn"):   # FORMAT 2
        if section not in data:
            continue
        lines[-1] += ","
        lines.append(f' "{section}": {{')
        for i, name in enumerate(names):
            lines.append(f"  {json.dumps(name)}: {{")
            items = list(data[section].get(name, {}).items())
            for j, (key, value) in enumerate(items):
                comma = "," if j < len(items) - 1 else ""
                lines.append(f"   {json.dumps(key, ensure_ascii=False)}: {canonical(value).decode('utf-8')}{comma}")
            lines.append("  }" + ("," if i < len(names) - 1 else ""))
        lines.append(" }")
    lines += ["}", ""]
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
