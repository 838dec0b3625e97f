"""The ruling and property pages, read from the Markdown files the pipeline writes.

Pelican's own article and page generators make a ``Content`` object per file, with URL
settings expanded, a new ``Markdown`` object and two scans of every other article; at 100k
rulings that was 336 s before a single page was written (BENCHMARKS.md). These files have one
fixed shape (``pipeline.pages``: metadata lines, one JSON ``Record``, an escaped body), so this
generator reads them directly.

What the listings, member pages, feeds, map and sitemap need of a record is small (its
``RecordEntry``: the listing row, the members, the violations' types and decisions, the
digest of its file), and that is all the build holds of every record: the entries are kept in
``CACHE_PATH`` as one ``marshal`` file (plain values: loading it runs no code), keyed by each
file's size and modification time (the pipeline rewrites a file only when its content changes),
and read in one go. A record's full page (its record, its body converted to HTML, its history)
is read from its Markdown file only when that page must be rendered (``render.Renderer``
decides, from the entry's digest) or its ``record.json`` written: after a 1 % change, 1 % of
the pages, in the process that renders them.
"""
from __future__ import annotations

import hashlib
import json
import marshal
import os
import re
from dataclasses import dataclass
from pathlib import Path

from markdown import Markdown
from pelican.generators import Generator

from pipeline.history import WITHDRAWN_FIELDS
from pipeline.pages import write_if_changed
from pipeline.parallel import in_halves
from pipeline.slugs import ROLES
from pipeline.urls import URLS

from .listings import property_row, ruling_row
from .map_page import has_point
from .render import PARALLEL_MINIMUM, renderer_for

INDEX_VERSION = 1
INDEX_MAGIC = b"shafaf-record-index\n"
REQUIRED_METADATA = ("title", "template", "url", "save_as", "record")
ROWS = {"rulings": ruling_row, "properties": property_row}  # the listings' row of a record, per folder


@dataclass
class RecordPage:
    """What a template sees as ``article`` (a ruling) or ``page`` (a property)."""
    record: dict
    content: str       # the body as HTML
    title: str
    url: str
    save_as: str
    template: str
    source: str        # the Markdown file, relative to the content folder
    digest: str        # of that file's text: everything above comes from it
    history: list      # the record's events across publications (pipeline/history.py)
    withdrawn: str | None = None   # the date it was withdrawn: a page kept, in no listing

    def render_key(self) -> list:
        return [self.source, self.digest]


@dataclass(slots=True)
class RecordEntry:
    """What the build keeps of every record: what its listings, member pages, feeds, map and
    sitemap show of it, and the digest of its file (which stands for its page in render keys:
    the same key as its ``RecordPage``). Plain values only, so that the index is ``marshal``."""
    source: str
    url: str
    save_as: str
    template: str
    digest: str
    withdrawn: str | None
    row: dict | None     # what the listings show of it (listings.ruling_row/property_row)
    facts: dict          # what else the listings read: a ruling's members and violations,
                         # a property's lease end and whether it is on the map

    def render_key(self) -> list:
        return [self.source, self.digest]

    @property
    def slug(self) -> str:
        return self.facts["slug"]

    def as_tuple(self) -> tuple:
        return (self.source, self.url, self.save_as, self.template, self.digest, self.withdrawn, self.row, self.facts)


def entry_of(page: RecordPage, folder: str) -> RecordEntry:
    r = page.record
    facts = {"slug": r["slug"]}
    if folder == "rulings":
        violations = r.get("violations") or []
        facts.update(members={role: r[role] for role, _, _ in ROLES if r.get(role)},
                     types=[v["violation_type"] for v in violations],
                     decisions=[v["decision"] for v in violations])
    elif folder == "properties":
        facts.update(contract_end=r.get("contract_end"),
                     on_map=has_point(r))
    # Made once, when the file is read, and kept in the index: a listing row is a function of
    # the file alone, so a build does not make 100k of them again.
    row = ROWS[folder](page) if not page.withdrawn and folder in ROWS else None
    return RecordEntry(page.source, page.url, page.save_as, page.template, page.digest, page.withdrawn, row, facts)


class RecordPageError(ValueError):
    pass


def parse(text: str, source: str, folder: str) -> tuple[dict, str]:
    """Metadata (lower-case names) and the Markdown body of one pipeline page."""
    head, _, body = text.partition("\n\n")
    metadata = {}
    for line in head.split("\n"):
        name, sep, value = line.partition(": ")
        if not sep:
            raise RecordPageError(f"{source}: metadata line without «: »: {line[:60]!r}")
        metadata[name.strip().lower()] = value.strip()
    missing = [name for name in REQUIRED_METADATA if name not in metadata]
    if missing:
        raise RecordPageError(f"{source}: missing metadata {missing}")
    # The path comes from the spreadsheet's key (through the pipeline's slug): check it again.
    before, after = URLS.record(folder, "\0").split("\0")
    pattern = re.escape(before) + "[a-z0-9][a-z0-9-]*" + re.escape(after)
    if not re.fullmatch(pattern, metadata["url"]) or metadata["save_as"] != URLS.save_as(metadata["url"]):
        raise RecordPageError(f"{source}: unexpected Url/Save_as {metadata['url']!r} {metadata['save_as']!r}")
    return metadata, body


class RecordPagesGenerator(Generator):
    """Reads ``content/<folder>/*.md`` for each folder of ``RECORD_PATHS``."""

    def generate_context(self):
        root = Path(self.path)
        folders = self.settings["RECORD_PATHS"]
        where = hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()
        cache_path = Path(self.settings["CACHE_PATH"]) / f"record-index-{where}.marshal"
        # The pickle of every full page the previous code kept: never read, its space given back.
        (Path(self.settings["CACHE_PATH"]) / f"records-{where}.pickle").unlink(missing_ok=True)
        cache = _load(cache_path)
        listing = {}
        for folder in folders:
            if not (root / folder).is_dir():  # no export of that kind yet: no pages
                listing[folder] = []
                continue
            with os.scandir(root / folder) as entries:
                listing[folder] = sorted((f"{folder}/{e.name}", e.path, folder, e.stat()) for e in entries
                                         if e.name.endswith(".md") and e.is_file())
        stale = [(source, path, folder) for files in listing.values() for source, path, folder, stat in files
                 if (cached := cache.get(source)) is None or cached[:2] != (stat.st_size, stat.st_mtime_ns)]
        read = read_entries(stale, self.settings["RENDER_PROCESSES"])
        self.read_stats = {"cached": sum(map(len, listing.values())) - len(stale), "read": len(stale)}
        fresh = {}
        self.content_root = str(root)
        self.record_pages: dict[str, list[RecordEntry]] = {}
        # A withdrawn record's page is rendered at its address but is in no listing, count,
        # feed, sitemap or record.json: ``record_pages`` holds the current records only.
        self.withdrawn_pages: dict[str, list[RecordEntry]] = {}
        for folder, files in listing.items():
            pages = self.record_pages[folder] = []
            gone = self.withdrawn_pages[folder] = []
            for source, _, _, stat in files:
                if source in read:
                    entry = read[source]
                    fresh[source] = (stat.st_size, stat.st_mtime_ns, *entry.as_tuple())
                else:
                    fresh[source] = cache[source]
                    entry = RecordEntry(*cache[source][2:])
                (gone if entry.withdrawn else pages).append(entry)
        if read or len(fresh) != len(cache):
            _save(cache_path, fresh)
        del cache, fresh
        self.context["record_pages"] = self.record_pages
        # Where ``full_page`` finds a record's file (listings.py writes record.json from it).
        self.context["record_page_reader"] = PageReader(str(root), self.settings["MARKDOWN"])

    def generate_output(self, writer):
        renderer = renderer_for(self)
        member_url = self.context["member_url"]
        roles = [role for role, _, _ in self.context["MEMBER_ROLES_FA"]]
        reader = self.context["record_page_reader"]
        # the publication date (files.json) tells an ended lease from a running one
        files = Path(self.output_path) / URLS.data() / "files.json"
        published = json.loads(files.read_text(encoding="utf-8")).get("published") if files.exists() else None
        for folder, pages in self.record_pages.items():
            jobs = []
            for page in pages:
                kwargs = {"article" if page.template == "ruling" else "page": page,
                          # a site-wide date in every record page would rewrite them all
                          "DATA_DATE": None}
                if page.template == "ruling":
                    members = page.facts.get("members", {})
                    kwargs["member_links"] = {role: member_url(role, members.get(role)) for role in roles}
                else:  # a per-page flag, not the date: only a page whose lease has ended changes
                    kwargs["contract_ended"] = bool(published and (page.facts.get("contract_end") or "9") < published)
                jobs.append((page.save_as, page.template, kwargs))
            for page in self.withdrawn_pages.get(folder, []):
                jobs.append((page.save_as, "withdrawn", {"page": page, "dataset": folder, "DATA_DATE": None,
                                                         "fields": WITHDRAWN_FIELDS[folder]}))
            # The jobs hold entries (the key needs no more); a page to render gets its full page.
            renderer.render(writer, self.context, jobs, folder, load=reader.load_job)


class PageReader:
    """Reads a record's full page when it is needed, checked against the digest its entry was
    made from: a file changed since the index was read stops the build (never a page that does
    not match its key)."""

    def __init__(self, root: str, markdown_settings: dict):
        self.root, self.markdown_settings = root, markdown_settings
        self._markdown = None

    def page(self, entry: RecordEntry) -> RecordPage:
        if self._markdown is None:   # made in the process that renders (a forked half has its own)
            self._markdown = Markdown(**_markdown_settings(self.markdown_settings))
        page = read_page(os.path.join(self.root, entry.source), entry.source, entry.source.split("/")[0],
                         self._markdown)
        self._check(entry, page.digest)
        return page

    def record(self, entry: RecordEntry) -> dict:
        """The record alone (its ``record.json``): no Markdown to convert."""
        with open(os.path.join(self.root, entry.source), encoding="utf-8") as handle:
            text = handle.read()
        self._check(entry, _digest(text))
        metadata, _ = parse(text, entry.source, entry.source.split("/")[0])
        return json.loads(metadata["record"])

    @staticmethod
    def _check(entry: RecordEntry, digest: str) -> None:
        if digest != entry.digest:
            raise RecordPageError(f"{entry.source} changed while the site was built: build again")

    def load_job(self, kwargs: dict) -> dict:
        return {name: self.page(value) if isinstance(value, RecordEntry) else value for name, value in kwargs.items()}


def read_entries(files: list[tuple[str, str, str]], processes: int) -> dict[str, RecordEntry]:
    """(source, path, folder) -> entries; with many to read, half are read by a second process."""
    parallel = processes > 1 and len(files) >= PARALLEL_MINIMUM
    return {source: entry for part in in_halves(_read_some, files, parallel=parallel)
            for source, entry in part.items()}


def _read_some(files: list[tuple[str, str, str]]) -> dict[str, RecordEntry]:
    return {source: entry_of(read_page(path, source, folder, None), folder) for source, path, folder in files}


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def read_page(path: str, source: str, folder: str, markdown: Markdown | None) -> RecordPage:
    """One page; its body converted to HTML by ``markdown`` (``None``: left unconverted, for
    an index entry, which never shows it)."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    metadata, body = parse(text, source, folder)
    return RecordPage(record=json.loads(metadata["record"]),
                      content=(markdown.reset().convert(body) if body.strip() else "") if markdown else "",
                      title=metadata["title"], url=metadata["url"], save_as=metadata["save_as"],
                      template=metadata["template"], source=source, digest=_digest(text),
                      history=json.loads(metadata["history"]) if "history" in metadata else [],
                      withdrawn=metadata.get("withdrawn"))


def _markdown_settings(settings: dict) -> dict:
    """Pelican's MARKDOWN setting without the meta extension: metadata is parsed above."""
    configs = {name: config for name, config in settings.get("extension_configs", {}).items()
               if name != "markdown.extensions.meta"}
    return {"extensions": list(configs), "extension_configs": configs,
            "output_format": settings.get("output_format", "html5")}


def _load(path: Path) -> dict:
    """source -> (size, mtime_ns, *RecordEntry fields); a missing, damaged or older file is an
    empty index (every page read again), never trusted in part."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    head = _head()
    if not data.startswith(head):
        return {}
    payload = memoryview(data)[len(head) + 32:]
    if hashlib.blake2b(payload, digest_size=16).hexdigest().encode() != data[len(head):len(head) + 32]:
        return {}
    try:
        entries = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return {}
    return entries if isinstance(entries, dict) else {}


def _head() -> bytes:
    # marshal's format is Python's own and may change with it: its version is the file's too.
    return INDEX_MAGIC + f"{INDEX_VERSION} {marshal.version}\n".encode()


def _save(path: Path, entries: dict) -> None:
    payload = marshal.dumps(entries)
    write_if_changed(path, _head() + hashlib.blake2b(payload, digest_size=16).hexdigest().encode() + payload)
