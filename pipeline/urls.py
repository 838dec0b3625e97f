"""Every public path of the site, defined once (as Datasette's ``Urls``).

The pipeline (page metadata, the change log), the plugin (listings, feeds, sitemap), the
templates (the Jinja global ``urls``) and the search script (the ``urls`` entry of the search
manifest) all ask this module, so renaming a path is one edit here. A path is relative to the
site's root, without a leading '/'; a folder ends with '/' and is served by its
``index.html``.
"""
from __future__ import annotations

from types import MappingProxyType

# Path segments of the member roles (schema.MEMBER_ROLES names the roles).
ROLE_SLUGS = MappingProxyType({"interior_rep": "interior", "judiciary_rep": "judiciary",
                               "council_rep": "council"})

# The scheme. Each value is a ``str.format`` template of the names its method takes.
PATHS = {
    "home": "",
    "rulings": "rulings/",
    "ruling": "rulings/{slug}/",
    "ruling_json": "rulings/{slug}/record.json",
    "properties": "properties/",
    "property": "properties/{slug}/",
    "property_facet": "properties/{facet}/{slug}/",
    # The registry on a map (a segment no property slug may take: schema.RESERVED_SLUGS).
    "property_map": "properties/map/",
    "facets": "{kind}/",
    "facet": "{kind}/{slug}/",
    "members": "members/",
    "member": "members/{role}/{slug}/",
    "page": "{base}page/{number}/",
    "data": "data/",
    "data_file": "data/{path}",
    # Every dataset in one zip (latest, and in each dated snapshot); one district's and one
    # member's rulings and violations (the same columns as the whole datasets).
    "data_zip": "data/{snapshot}shafaf-data.zip",
    "district_data": "data/districts/{number}/{name}.csv",
    "member_data": "data/members/{role}/{slug}/{name}.csv",
    "dictionary": "data/dictionary/",
    "changes": "data/changes/",
    "feed": "feeds/{name}.atom.xml",
    "member_feed": "feeds/members/{role}/{slug}.atom.xml",
    "stats": "stats/",
    "search": "search/",
    "static_page": "{slug}/",
    "theme": "theme/{path}",
    "sitemap": "sitemap.xml",
    "robots": "robots.txt",
    "not_found": "404.html",
}
# Anchors inside pages; an id the template writes and a link elsewhere points to.
ANCHORS = {
    "dictionary_table": "{name}",
    "publication": "p-{date}",
}
INDEX = "index.html"


class Urls:
    """Methods that return paths; one object, handed to templates as ``urls``."""

    def __init__(self, paths: dict[str, str] = PATHS, anchors: dict[str, str] = ANCHORS):
        # Read at each call, so a changed scheme is seen everywhere (tests/test_urls.py).
        self.paths, self.anchors = paths, anchors

    def _path(self, which: str, **parts) -> str:
        return self.paths[which].format(**{key: str(value) for key, value in parts.items()})

    # --- records and listings ---------------------------------------------------------
    def home(self) -> str:
        return self._path("home")

    def rulings(self) -> str:
        return self._path("rulings")

    def ruling(self, slug: str) -> str:
        return self._path("ruling", slug=slug)

    def ruling_json(self, slug: str) -> str:
        return self._path("ruling_json", slug=slug)

    def properties(self) -> str:
        return self._path("properties")

    def property(self, slug: str) -> str:
        return self._path("property", slug=slug)

    def record(self, dataset: str, slug: str) -> str:
        """The page of a record of ``dataset`` ('rulings' or 'properties')."""
        return {"rulings": self.ruling, "properties": self.property}[dataset](slug)

    def property_facet(self, facet: str, slug) -> str:
        return self._path("property_facet", facet=facet, slug=slug)

    def property_map(self) -> str:
        return self._path("property_map")
    def property_flag(self, slug: str) -> str:
        """The properties holding one flag of ``pipeline/flags.py`` (its ``slug``)."""
        return self.property_facet("flag", slug)

    def facets(self, kind: str) -> str:
        """The index of a ruling facet: districts, types, decisions or years."""
        return self._path("facets", kind=kind)

    def facet(self, kind: str, slug) -> str:
        return self._path("facet", kind=kind, slug=slug)

    def district(self, number) -> str:
        return self.facet("districts", number)

    def members(self) -> str:
        return self._path("members")

    def member(self, role: str, slug: str) -> str:
        """``role``: a schema role name (interior_rep...) or its path segment (interior...)."""
        return self._path("member", role=ROLE_SLUGS.get(role, role), slug=slug)

    def page(self, base: str, number: int) -> str:
        """Page ``number`` of the listing at ``base``: a segment no group slug can take."""
        return base if number == 1 else self._path("page", base=base, number=number)

    # --- data, feeds and the rest ----------------------------------------------------
    def data(self) -> str:
        return self._path("data")

    def data_file(self, path: str) -> str:
        """A download, by its path inside the data folder (data/files.json)."""
        return self._path("data_file", path=path)

    def datapackage(self, snapshot: str = "") -> str:
        return self.data_file(f"{snapshot}datapackage.json")

    def data_zip(self, snapshot: str = "") -> str:
        """Every dataset in one zip; ``snapshot``: a dated folder ('2025-01-25/')."""
        return self._path("data_zip", snapshot=snapshot)

    def district_data(self, number, name: str) -> str:
        """The rulings or violations (``name``) of one district, as CSV."""
        return self._path("district_data", number=number, name=name)

    def member_data(self, role: str, slug: str, name: str) -> str:
        """The rulings or violations (``name``) of one member, as CSV; ``role`` as in ``member``."""
        return self._path("member_data", role=ROLE_SLUGS.get(role, role), slug=slug, name=name)

    def in_data(self, path: str) -> str:
        """A download's path inside the data folder, the name the pipeline writes it under."""
        folder = self.data()
        if not path.startswith(folder):
            raise ValueError(f"{path} is not inside the data folder {folder}")
        return path[len(folder):]

    def changes_file(self, extension: str, date: str | None = None) -> str:
        """The change log as CSV or JSON; with ``date``, one publication's changes."""
        return self.data_file(f"{date}/changes.{extension}" if date else f"changes.{extension}")

    def history_file(self) -> str:
        """Every record's changes with their old and new values (pipeline/history.py)."""
        return self.data_file("history.csv")

    def dictionary_anchor(self, table: str) -> str:
        """The id of one table's section in the data dictionary."""
        return self.anchors["dictionary_table"].format(name=table)

    def dictionary(self, table: str | None = None) -> str:
        path = self._path("dictionary")
        return f"{path}#{self.dictionary_anchor(table)}" if table else path

    def changes(self) -> str:
        return self._path("changes")

    def publication_anchor(self, date: str) -> str:
        """The id of one publication's entry on the changes page."""
        return self.anchors["publication"].format(date=date)

    def publication(self, date: str) -> str:
        return f"{self.changes()}#{self.publication_anchor(date)}"

    def feed(self, name: str) -> str:
        return self._path("feed", name=name)

    def rulings_feed(self) -> str:
        return self.feed("rulings")

    def district_feed(self, number) -> str:
        return self.feed(f"district-{number}")

    def member_feed(self, role: str, slug: str) -> str:
        """A member's new rulings; ``role`` as in ``member``."""
        return self._path("member_feed", role=ROLE_SLUGS.get(role, role), slug=slug)

    def stats(self) -> str:
        return self._path("stats")

    def stats_file(self, name: str, extension: str = "csv") -> str:
        """A figure of the statistics page as data (pipeline/stats.py); ``stats`` all of them
        as JSON. Beside the datasets, not in a folder: the dated snapshot copies that folder's
        files only, and its datapackage.json names these."""
        return self.data_file(f"stats-{name}.{extension}" if name != "stats" else f"stats.{extension}")

    def member_stats_file(self, name: str | None, extension: str = "csv") -> str:
        """A figure of the member pages as data (pipeline/member_stats.py), every member's
        rows in one long table; ``None``: all of them, per member, as JSON."""
        return self.stats_file(f"members-{name}" if name else "members", extension)

    def changes_feed(self) -> str:
        return self.feed("changes")

    def search(self) -> str:
        return self._path("search")

    def static_page(self, slug: str) -> str:
        return self._path("static_page", slug=slug)

    def theme(self, path: str) -> str:
        return self._path("theme", path=path)

    def sitemap(self) -> str:
        return self._path("sitemap")

    def robots(self) -> str:
        return self._path("robots")

    def not_found(self) -> str:
        return self._path("not_found")

    # --- paths and files -------------------------------------------------------------
    @staticmethod
    def save_as(url: str) -> str:
        """The file a path is written to."""
        return url + INDEX if url.endswith("/") or url == "" else url

    @staticmethod
    def url_of(save_as: str) -> str:
        """The path a written file is served at (a folder for its index.html)."""
        return save_as[: -len(INDEX)] if save_as.endswith(INDEX) else save_as

    def for_search(self) -> dict[str, str]:
        """The templates the search script fills (pipeline/search.py's manifest)."""
        return {**{name: self.paths[name] for name in ("ruling", "property", "member")},
                "district": self.district("{number}")}


URLS = Urls()


def absolute(path: str, siteurl: str, from_file: str) -> str:
    """``path`` as a link written in the file ``from_file`` (a feed): absolute when the site's
    URL is known, else relative to that file's folder."""
    if siteurl:
        return f"{siteurl.rstrip('/')}/{path}"
    return "../" * from_file.count("/") + path
