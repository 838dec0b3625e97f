"""The ruling and property pages, read from the Markdown files the pipeline writes.

Pelican's own article and page generators make a ``Content`` object per file, with URL
settings expanded, a new ``Markdown`` object and two scans of every other article; at 100k
rulings that was 336 s before a single page was written (BENCHMARKS.md). These files have one
fixed shape (``pipeline.pages``: metadata lines, one JSON ``Record``, an escaped body), so this
generator reads them directly, converts the bodies with one reused ``Markdown`` object, and
keeps what it read in ``CACHE_PATH`` keyed by each file's size and modification time (the
pipeline rewrites a file only when its content changes). Writing goes through
``render.Renderer``, so a page is rendered only when its inputs changed.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

from markdown import Markdown
from pelican.generators import Generator

from pipeline.history import WITHDRAWN_FIELDS
from pipeline.pages import write_if_changed
from pipeline.parallel import in_halves
from pipeline.urls import URLS

from .listings import property_row, ruling_row
from .render import PARALLEL_MINIMUM, renderer_for

CACHE_VERSION = 5
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
    row: dict | None = None        # what the listings show of it (listings.ruling_row/property_row)

    def render_key(self) -> list:
        return [self.source, self.digest]


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
        cache_path = Path(self.settings["CACHE_PATH"]) / (
            "records-" + hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest() + ".pickle")
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
                 if cache.get(source, ((),))[0] != (stat.st_size, stat.st_mtime_ns)]
        read = read_pages(stale, self.settings["MARKDOWN"], self.settings["RENDER_PROCESSES"])
        self.read_stats = {"cached": sum(map(len, listing.values())) - len(stale), "read": len(stale)}
        fresh = {}
        self.record_pages: dict[str, list[RecordPage]] = {}
        # A withdrawn record's page is rendered at its address but is in no listing, count,
        # feed, sitemap or record.json: ``record_pages`` holds the current records only.
        self.withdrawn_pages: dict[str, list[RecordPage]] = {}
        for folder, files in listing.items():
            pages = self.record_pages[folder] = []
            gone = self.withdrawn_pages[folder] = []
            for source, _, _, stat in files:
                page = fresh[source] = ((stat.st_size, stat.st_mtime_ns), read.get(source) or cache[source][1])
                (gone if page[1].withdrawn else pages).append(page[1])
        if self.read_stats["read"] or len(fresh) != len(cache):
            _save(cache_path, fresh)
        self.context["record_pages"] = self.record_pages

    def generate_output(self, writer):
        renderer = renderer_for(self)
        member_url = self.context["member_url"]
        roles = [role for role, _, _ in self.context["MEMBER_ROLES_FA"]]
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
                    kwargs["member_links"] = {role: member_url(role, page.record.get(role)) for role in roles}
                else:  # a per-page flag, not the date: only a page whose lease has ended changes
                    kwargs["contract_ended"] = bool(published and (page.record.get("contract_end") or "9") < published)
                jobs.append((page.save_as, page.template, kwargs))
            for page in self.withdrawn_pages.get(folder, []):
                jobs.append((page.save_as, "withdrawn", {"page": page, "dataset": folder, "DATA_DATE": None,
                                                         "fields": WITHDRAWN_FIELDS[folder]}))
            renderer.render(writer, self.context, jobs, folder)


def read_pages(files: list[tuple[str, str, str]], markdown_settings: dict, processes: int) -> dict[str, RecordPage]:
    """(source, path, folder) -> pages; with many to read, half are read by a second process."""
    parallel = processes > 1 and len(files) >= PARALLEL_MINIMUM
    return {source: page for part in in_halves(_read_some, files, markdown_settings, parallel=parallel)
            for source, page in part.items()}


def _read_some(files: list[tuple[str, str, str]], markdown_settings: dict) -> dict[str, RecordPage]:
    markdown = Markdown(**_markdown_settings(markdown_settings))
    return {source: read_page(path, source, folder, markdown) for source, path, folder in files}


def read_page(path: str, source: str, folder: str, markdown: Markdown) -> RecordPage:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    metadata, body = parse(text, source, folder)
    page = RecordPage(record=json.loads(metadata["record"]),
                      content=markdown.reset().convert(body) if body.strip() else "",
                      title=metadata["title"], url=metadata["url"], save_as=metadata["save_as"],
                      template=metadata["template"], source=source,
                      digest=hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest(),
                      history=json.loads(metadata["history"]) if "history" in metadata else [],
                      withdrawn=metadata.get("withdrawn"))
    if not page.withdrawn and folder in ROWS:
        # Made once, when the file is read, and kept with the page: a listing row is a
        # function of the file alone, so a build does not make 100k of them again.
        page.row = ROWS[folder](page)
    return page


def _markdown_settings(settings: dict) -> dict:
    """Pelican's MARKDOWN setting without the meta extension: metadata is parsed above."""
    configs = {name: config for name, config in settings.get("extension_configs", {}).items()
               if name != "markdown.extensions.meta"}
    return {"extensions": list(configs), "extension_configs": configs,
            "output_format": settings.get("output_format", "html5")}


def _load(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            version, entries = pickle.load(handle)
    except (FileNotFoundError, EOFError, pickle.UnpicklingError, ValueError):
        return {}
    return entries if version == CACHE_VERSION else {}


def _save(path: Path, entries: dict) -> None:
    write_if_changed(path, pickle.dumps((CACHE_VERSION, entries), protocol=pickle.HIGHEST_PROTOCOL))
