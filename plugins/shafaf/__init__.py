"""Shafaf's Pelican plugin.

* ``RecordPagesGenerator`` (``records.py``): a page per ruling and per property, from the
  pipeline's Markdown files, rendered only when its inputs changed (``render.py``).
* ``DataPagesGenerator`` (``data_pages.py``): the datasets page, data dictionary and change log.
* ``ListingGenerator``: every page that lists rulings or properties (members, districts,
  violation types, decisions, Jalali years, property facets), the per-ruling JSON downloads,
  the Atom feeds, ``sitemap.xml``, ``robots.txt`` and ``404.html``.

Pelican's own tags/categories are quadratic in the number of articles; here each ruling is
visited once to fill every group (a dict lookup per group it belongs to), then each group is
sorted once, so the work is O(N log N) in the number of rulings and the output is the same
bytes for the same input (everything is sorted, no clock is read).
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path

from pelican import signals
from pelican.generators import Generator

from pipeline.display import fa_digits, isolate, jalali, jalali_year
from pipeline.normalise import fold
from pipeline.pages import write_if_changed
from pipeline.schema import (
    DECISIONS, LAND_USES, MEMBER_ROLES, OCCUPANCIES, RESERVED_SLUGS, VIOLATION_TYPES,
)
from pipeline.values import match_key

from .render import Renderer, digest


# --- slugs ------------------------------------------------------------------------------

ROLE_SLUGS = {"interior_rep": "interior", "judiciary_rep": "judiciary", "council_rep": "council"}
ROLES = [(name, ROLE_SLUGS[name], title_fa) for name, title_fa, _ in MEMBER_ROLES]

# Latin lower-case letters, digits and the Persian letters (after ``fold``: no hamza forms,
# no ZWNJ, no tatweel, no diacritics). Nothing else ever reaches a path.
_SLUG_CHARS = "a-z0-9\u0621-\u063a\u0641-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc"
_SLUG_PART = re.compile(f"[{_SLUG_CHARS}]+")
SLUG_PATTERN = re.compile(f"[{_SLUG_CHARS}]{{1,40}}(?:-[{_SLUG_CHARS}]{{1,40}}){{0,9}}")


def _digest(text: str, size: int = 8) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:size]


def text_slug(text: str) -> str:
    """A URL segment from Persian text: its letters and digits joined by '-', or a hash."""
    slug = "-".join(_SLUG_PART.findall(fold(text or "")))
    if SLUG_PATTERN.fullmatch(slug) is None:
        slug = "x-" + _digest(match_key(text or ""))
    return slug


def unique_slugs(keys_to_names: dict[str, str]) -> dict[str, str]:
    """Slugs for distinct keys; two keys that would meet on one slug both get a hash suffix."""
    wanted = {key: text_slug(name) for key, name in keys_to_names.items()}
    used = Counter(wanted.values())
    return {key: (slug if used[slug] == 1 else f"{slug}-{_digest(key, 6)}")
            for key, slug in wanted.items()}


def member_names(spellings: dict[str, dict[str, Counter]]) -> dict[str, dict[str, tuple[str, str]]]:
    """role -> match key -> (the name shown, the slug of the member's page), from how often
    each spelling of a name occurs. The spelling most rulings use is shown (ties: the first
    in order). Shared with the search index (pipeline/search.py), which links to these pages."""
    names = {}
    for role, keys in spellings.items():
        titles = {key: min(counts, key=lambda name: (-counts[name], name)) for key, counts in keys.items()}
        slugs = unique_slugs(titles)
        names[role] = {key: (title, slugs[key]) for key, title in titles.items()}
    return names


def member_path(role: str, slug: str) -> str:
    return f"members/{ROLE_SLUGS[role]}/{slug}/"


ENUM_SLUGS = {
    "types": {v: text_slug(v) for v in VIOLATION_TYPES},
    "decisions": {v: text_slug(v) for v in DECISIONS},
    "use": {v: text_slug(v) for v in LAND_USES},
    "occupancy": {v: text_slug(v) for v in OCCUPANCIES},
}
for _slugs in ENUM_SLUGS.values():
    assert len(set(_slugs.values())) == len(_slugs), "enumeration slugs must be distinct"


# --- listing pages ----------------------------------------------------------------------

@dataclass
class Group:
    """One listing: a district, a violation type, a member..."""
    slug: str
    title: str
    items: list = field(default_factory=list)
    violations: int = 0
    extra: dict = field(default_factory=dict)

    def render_key(self) -> dict:
        """What a page's key needs of a group (render.py): its rows by their digests, each
        row encoded once however many groups hold it."""
        # Asked for by every page that shows the group; groups are final once built.
        if "_render_key" not in self.__dict__:
            self.__dict__["_render_key"] = digest(self.slug, self.title, self.violations, self.extra,
                                                  [_row_key(row) for row in self.items])
        return self.__dict__["_render_key"]


# A list row is made from one record page alone, so that page's digest stands for it.
_ROW_KEYS: dict[int, str] = {}


def _row_key(row: dict) -> str:
    return _ROW_KEYS[id(row)]


def _keyed(row: dict, page) -> dict:
    _ROW_KEYS[id(row)] = page.digest
    return row


def _ruling_row(article) -> dict:
    """What a ruling list shows of one ruling (kept small: lists hold thousands)."""
    r = article.record
    decisions = list(dict.fromkeys(v["decision"] for v in r.get("violations") or []))
    types = list(dict.fromkeys(v["violation_type"] for v in r.get("violations") or []))
    return _keyed({
        "url": article.url, "slug": r["slug"], "ruling_no": r["ruling_no"],
        "ruling_date": r["ruling_date"], "stage": r["stage"], "district": r["district"],
        "neighbourhood": r.get("neighbourhood"), "decisions": decisions, "types": types,
        "total_fine_rial": r.get("total_fine_rial"),
        "violations": len(r.get("violations") or []),
    }, article)


def _newest_first(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: (row["ruling_date"], row["slug"]), reverse=True)


def _property_row(page) -> dict:
    p = page.record
    return _keyed({"url": page.url, "slug": p["slug"], "property_code": p["property_code"],
                   "title": p["title"], "district": p["district"], "neighbourhood": p.get("neighbourhood"),
                   "land_use": p["land_use"], "occupancy": p["occupancy"],
                   "land_area_m2": p.get("land_area_m2")}, page)


class ListingGenerator(Generator):
    """Listing pages, JSON downloads, feeds, sitemap, robots.txt and the 404 page."""

    def generate_context(self):
        _ROW_KEYS.clear()
        record_pages = self.context.get("record_pages", {})
        articles = record_pages.get("rulings", [])
        properties = sorted(record_pages.get("properties", []), key=lambda p: p.record["slug"])
        self.articles = articles
        # A record slug equal to a listing segment (rulings/page/2/, properties/use/...) would
        # overwrite that listing. Validation rejects such keys from the same list, so this
        # fires only if the pipeline was bypassed.
        clashes = sorted({a.record["slug"] for a in articles} & set(RESERVED_SLUGS["rulings"])
                         | {p.record["slug"] for p in properties} & set(RESERVED_SLUGS["properties"]))
        if clashes:
            raise ValueError(f"record slugs collide with listing URLs: {clashes}")
        self.property_pages = properties
        districts = int(self.settings["MUNICIPALITY"]["districts"])
        self.page_size = self.settings["LISTING_PAGE_SIZE"]

        by_district = {n: Group(str(n), str(n)) for n in range(1, districts + 1)}
        by_type = {v: Group(ENUM_SLUGS["types"][v], v) for v in VIOLATION_TYPES}
        by_decision = {v: Group(ENUM_SLUGS["decisions"][v], v) for v in DECISIONS}
        by_year: dict[int, Group] = {}
        members: dict[str, dict[str, Group]] = {role: {} for role, _, _ in ROLES}
        spellings: dict[str, dict[str, Counter]] = {role: {} for role, _, _ in ROLES}
        rows = []

        for article in articles:  # one pass over the rulings
            r = article.record
            row = _ruling_row(article)
            rows.append(row)
            if r["district"] in by_district:
                by_district[r["district"]].items.append(row)
            year = jalali_year(r["ruling_date"])
            by_year.setdefault(year, Group(str(year), str(year))).items.append(row)
            for v in r.get("violations") or []:
                by_type[v["violation_type"]].violations += 1
                by_decision[v["decision"]].violations += 1
            for t in row["types"]:
                by_type[t].items.append(row)
            for d in row["decisions"]:
                by_decision[d].items.append(row)
            decisions = Counter(v["decision"] for v in r.get("violations") or [])
            for role, _, _ in ROLES:
                name = r.get(role)
                if not name:
                    continue
                key = match_key(name)
                group = members[role].setdefault(key, Group("", name, extra={"decisions": Counter(), "rulings_by_decision": Counter()}))
                group.items.append(row)
                group.violations += len(r.get("violations") or [])
                group.extra["decisions"].update(decisions)
                group.extra["rulings_by_decision"].update(decisions.keys())
                spellings[role].setdefault(key, Counter())[name] += 1

        names = member_names(spellings)
        for role, groups in members.items():
            for key, group in groups.items():
                group.title, group.slug = names[role][key]

        for group in (*by_district.values(), *by_type.values(), *by_decision.values(),
                      *by_year.values(), *(g for gs in members.values() for g in gs.values())):
            group.items = _newest_first(group.items)

        self.rows = _newest_first(rows)
        self.by_district = [by_district[n] for n in sorted(by_district)]
        self.by_type = [by_type[v] for v in VIOLATION_TYPES]
        self.by_decision = [by_decision[v] for v in DECISIONS]
        self.by_year = [by_year[y] for y in sorted(by_year, reverse=True)]
        self.members = {role: sorted(groups.values(), key=lambda g: (fold(g.title), g.slug))
                        for role, groups in members.items()}

        # Properties: by district, land use and occupancy.
        prop_rows = [_property_row(p) for p in properties]
        self.prop_rows = prop_rows
        self.prop_by_district = {n: Group(str(n), str(n)) for n in range(1, districts + 1)}
        self.prop_by_use = {v: Group(ENUM_SLUGS["use"][v], v) for v in LAND_USES}
        self.prop_by_occupancy = {v: Group(ENUM_SLUGS["occupancy"][v], v) for v in OCCUPANCIES}
        for row in prop_rows:
            if row["district"] in self.prop_by_district:
                self.prop_by_district[row["district"]].items.append(row)
            self.prop_by_use[row["land_use"]].items.append(row)
            self.prop_by_occupancy[row["occupancy"]].items.append(row)

        # Member links for ruling pages: role -> match key -> URL.
        member_urls = {role: {key: member_path(role, g.slug) for key, g in
                              ((match_key(g.title), g) for g in groups)}
                       for role, groups in self.members.items()}
        newest = self.rows[0]["ruling_date"] if self.rows else None
        self.context.update({
            "DATA_DATE": newest,
            "ABS_SITEURL": self.settings.get("SITEURL", "").rstrip("/"),
            "MEMBER_ROLES_FA": [(role, slug, title) for role, slug, title in ROLES],
            "DISTRICT_COUNTS": [(int(g.slug), len(g.items)) for g in self.by_district],
            "TYPE_COUNTS": [(g.slug, g.title, len(g.items)) for g in self.by_type],
            "DECISION_COUNTS": [(g.slug, g.title, len(g.items)) for g in self.by_decision],
            "YEAR_COUNTS": [(g.slug, len(g.items)) for g in self.by_year],
            "RULING_COUNT": len(self.rows),
            "LATEST_RULINGS": self.rows[: self.settings["LATEST_RULINGS_ON_HOME"]],
            "PROPERTY_COUNT": len(prop_rows),
            "MEMBER_COUNTS": {role: len(groups) for role, groups in self.members.items()},
            # for the ruling pages (records.py), which get each member's link as a value
            "member_url": lambda role, name: member_urls.get(role, {}).get(match_key(name or "")),
        })

    # --- writing ------------------------------------------------------------------------

    def _page(self, save_as: str, template: str, stand_ins: dict | None = None, **kwargs):
        self.jobs.append((save_as, template, kwargs, stand_ins or {}))
        self.sitemap.append(save_as[: -len("index.html")] if save_as.endswith("index.html") else save_as)

    def _paginated(self, base: str, template: str, items: list, **kwargs):
        """``base/`` then ``base/page/2/``...: a segment no group slug can take."""
        size = self.page_size
        count = max(1, -(-len(items) // size))
        for n in range(1, count + 1):
            chunk = items[(n - 1) * size: n * size]
            self._page(page_url(base, n) + "index.html", template, stand_ins={"items": [_row_key(row) for row in chunk]},
                       items=chunk, total=len(items), pagination=pagination(base, n, count, size), **kwargs)

    def generate_output(self, writer):
        self.sitemap: list[str] = [""]
        self.jobs: list[tuple[str, str, dict]] = []
        # Ruling lists.
        facets = [
            ("districts", "مناطق", "آرای", self.by_district),
            ("types", "انواع تخلف", "آرای مربوط به", self.by_type),
            ("decisions", "انواع تصمیم", "آرای دارای تصمیم", self.by_decision),
            ("years", "سال‌ها", "آرای", self.by_year),
        ]
        for kind, index_title, prefix, groups in facets:
            self._page(f"{kind}/index.html", "facets", kind=kind, title=index_title, groups=groups)
            for group in groups:
                self._paginated(f"{kind}/{group.slug}/", "listing", group.items,
                                kind=kind, group=group, title_prefix=prefix)
        self._paginated("rulings/", "listing", self.rows, kind="all", group=None,
                        title_prefix="همه‌ی آرا")
        # Members: one page each, never paginated (the print must hold every ruling).
        self._page("members/index.html", "members", members=self.members)
        for role, role_slug, role_title in ROLES:
            for group in self.members[role]:
                decisions = [(d, group.extra["rulings_by_decision"][d], group.extra["decisions"][d])
                             for d in DECISIONS if group.extra["decisions"][d]]
                self._page(f"members/{role_slug}/{group.slug}/index.html", "member",
                           member=group, role=role, role_slug=role_slug, role_title=role_title,
                           decision_counts=decisions)
        # Properties.
        prop_facets = [
            ("district", "منطقه", [self.prop_by_district[n] for n in sorted(self.prop_by_district)]),
            ("use", "کاربری", list(self.prop_by_use.values())),
            ("occupancy", "وضعیت بهره‌برداری", list(self.prop_by_occupancy.values())),
        ]
        self._paginated("properties/", "properties", self.prop_rows, facet=None, group=None,
                        prop_facets=prop_facets)
        for facet, facet_title, groups in prop_facets:
            for group in groups:
                self._paginated(f"properties/{facet}/{group.slug}/", "properties",
                                group.items, facet=facet, facet_title=facet_title, group=group,
                                prop_facets=prop_facets)
        renderer = renderer_for(self)
        renderer.render(writer, self.context, self.jobs, "listings")
        self.sitemap.extend(a.url for a in self.articles)
        self.sitemap.extend(p.url for p in self.property_pages)
        self.sitemap.extend(p.url for p in self.context.get("pages", []))
        # 404: served at any depth, so its links are absolute from the site's root.
        writer.write_file("404.html", self.get_template("404"), self.context, relative_urls=False,
                          SITEURL=self.context["ABS_SITEURL"])
        self._write_json(renderer)
        self._write_feeds(renderer)
        self._write_sitemap(renderer)

    def _write_json(self, renderer):
        for article in self.articles:
            r = article.record
            renderer.write_text(f"rulings/{r['slug']}/record.json",
                                lambda r=r: json.dumps(r, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                "record.json", key_of=article.digest)

    def _absolute(self, url: str, prefix: str) -> str:
        base = self.context["ABS_SITEURL"]
        return f"{base}/{url}" if base else f"{prefix}{url}"

    def _write_feeds(self, renderer):
        from feedgenerator import Atom1Feed

        limit = self.settings["RULINGS_FEED_ITEMS"]
        feeds = [("feeds/rulings.atom.xml", "آرای تازه‌ی کمیسیون ماده ۱۰۰", self.rows, "")]
        feeds += [(f"feeds/district-{g.slug}.atom.xml", f"آرای تازه‌ی منطقه {fa_digits(g.slug)}",
                   g.items, f"districts/{g.slug}/") for g in self.by_district]
        site = self.settings["SITENAME"]
        for name, title, rows, page in feeds:
            prefix = "../"  # feeds/ is one level deep; relative links resolve against the feed
            updated = _when(rows[0]["ruling_date"]) if rows else _when("1970-01-01")
            feed = Atom1Feed(title=f"{title} — {site}", link=self._absolute(page, prefix),
                             description=title, language="fa",
                             feed_url=self._absolute(name, prefix),
                             feed_guid=f"tag:shafaf,2024:{name}")
            for row in rows[:limit]:
                when = _when(row["ruling_date"])
                summary = (f"{jalali(row['ruling_date'])}، منطقه {fa_digits(row['district'])}، "
                           f"{row['stage']}؛ {'، '.join(row['decisions'])}")
                # A feed reader shows the title as plain text: the number is isolated by LRI…PDI.
                feed.add_item(title=f"رأی شماره {isolate(fa_digits(row['ruling_no']), plain=True)}",
                              link=self._absolute(row["url"], prefix), description=summary,
                              unique_id=f"tag:shafaf,2024:ruling/{row['slug']}",
                              pubdate=when, updateddate=when)
            text = feed.writeString("utf-8")
            # feedgenerator uses the newest item date for <updated>; with no item it would read
            # the clock, so an empty feed gets the fixed date instead.
            if not rows:
                text = re.sub(r"<updated>[^<]*</updated>", f"<updated>{updated.isoformat()}</updated>", text)
            renderer.write_text(name, text, "feeds")

    def _write_sitemap(self, renderer):
        base = self.context["ABS_SITEURL"]
        urls = sorted(set(self.sitemap))
        lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for url in urls:
            loc = f"{base}/{url}" if base else f"/{url}"
            lines.append(f"<url><loc>{_xml(loc)}</loc></url>")
        lines.append("</urlset>")
        renderer.write_text("sitemap.xml", "\n".join(lines) + "\n", "sitemap")
        robots = ["User-agent: *", "Allow: /", ""]
        robots.append(f"Sitemap: {base}/sitemap.xml" if base else "# Sitemap: /sitemap.xml (absolute once SITEURL is set)")
        renderer.write_text("robots.txt", "\n".join(robots) + "\n", "sitemap")


def page_url(base: str, number: int) -> str:
    return base if number == 1 else f"{base}page/{number}/"


def pagination(base: str, number: int, count: int, size: int) -> dict:
    """Links to the first and last pages and two either side of this one: a list of
    thousands of pages must not put thousands of links on each of them."""
    near = sorted({1, count, *range(max(1, number - 2), min(count, number + 2) + 1)})
    window = []
    for n in near:
        if window and n - window[-1][0] > 1:
            window.append((None, None))  # a gap
        window.append((n, page_url(base, n)))
    return {"number": number, "count": count, "window": window,
            "previous": page_url(base, number - 1) if number > 1 else None,
            "next": page_url(base, number + 1) if number < count else None,
            "first_index": (number - 1) * size}


def _when(iso: str) -> datetime:
    return datetime.combine(date.fromisoformat(iso[:10]), time(12, 0), tzinfo=timezone.utc)


def _xml(text: str) -> str:
    from urllib.parse import quote
    return quote(text, safe=":/?=&#%").replace("&", "&amp;")


def add_filters(generator) -> None:
    """Jinja filters the theme needs beyond ``pipeline.display``."""
    generator.env.filters["enum_slug"] = lambda value, kind: ENUM_SLUGS[kind][value]


class ThemeFilesGenerator(Generator):
    """The theme's static files (CSS, scripts, fonts) under ``THEME_STATIC_DIR``, copied only
    when their bytes differ: Pelican's own copy (``THEME_STATIC_PATHS``, left empty in
    pelicanconf.py) gives them a new modification time on every build."""

    def generate_output(self, writer):
        source = Path(self.theme) / "static"
        target = Path(self.output_path) / self.settings["THEME_STATIC_DIR"]
        for path in sorted(source.rglob("*")):
            if path.is_file():
                write_if_changed(target / path.relative_to(source), path.read_bytes())


def get_generators(pelican):
    from .data_pages import DataPagesGenerator
    from .records import RecordPagesGenerator
    return [RecordPagesGenerator, ListingGenerator, DataPagesGenerator, ThemeFilesGenerator]


_RENDERERS: dict[str, Renderer] = {}


def renderer_for(generator) -> Renderer:
    """The build's one Renderer (one manifest for every page the plugin writes)."""
    key = str(Path(generator.output_path).resolve())
    if key not in _RENDERERS:
        _RENDERERS[key] = Renderer(generator.settings, generator.output_path, generator.env)
    return _RENDERERS[key]


def finish_rendering(pelican) -> None:
    renderer = _RENDERERS.pop(str(Path(pelican.output_path).resolve()), None)
    if renderer is not None:
        renderer.finish()


def get_writer(pelican):
    from .writer import UnchangedFilesWriter
    return UnchangedFilesWriter


def drop_taxonomies(generator) -> None:
    """No category or author page is published (their SAVE_AS are empty), yet Pelican still
    builds each one with a scan of every article against a list of every article: O(N²),
    about 4 minutes at 100k rulings (BENCHMARKS.md). Nothing reads them, so they go."""
    generator.categories = []
    generator.authors = []


# The plugin's own settings (pelicanconf.py, documented in the README), with what each must be.
PLUGIN_SETTINGS = {
    "LISTING_PAGE_SIZE": lambda v: isinstance(v, int) and v >= 1,
    "RULINGS_FEED_ITEMS": lambda v: isinstance(v, int) and v >= 1,
    "LATEST_RULINGS_ON_HOME": lambda v: isinstance(v, int) and v >= 0,
    "RECORD_PATHS": lambda v: isinstance(v, list) and all(isinstance(x, str) and re.fullmatch("[a-z]+", x) for x in v),
    "RENDER_PROCESSES": lambda v: v in (1, 2),
}


class SettingsError(ValueError):
    pass


def check_settings(pelican) -> None:
    for name, valid in PLUGIN_SETTINGS.items():
        if name not in pelican.settings:
            raise SettingsError(f"pelicanconf.py: {name} is not set (see the README's settings)")
        if not valid(pelican.settings[name]):
            raise SettingsError(f"pelicanconf.py: {name} = {pelican.settings[name]!r} is not allowed "
                                "(see the README's settings)")


def settle(_generators) -> None:
    """Every generator's context is built: see ``pipeline.build.settle``."""
    import gc
    gc.freeze()


def register() -> None:
    signals.initialized.connect(check_settings)
    signals.all_generators_finalized.connect(settle)
    signals.article_generator_finalized.connect(drop_taxonomies)
    signals.get_writer.connect(get_writer)
    signals.get_generators.connect(get_generators)
    signals.generator_init.connect(add_filters)
    signals.finalized.connect(finish_rendering)
