"""Every page that lists rulings or properties (members, districts, violation types,
decisions, Jalali years, property facets), the per-ruling JSON downloads, the feeds, the
sitemap, ``robots.txt`` and ``404.html``.

Pelican's own tags/categories are quadratic in the number of articles; here each ruling is
visited once to fill every group (a dict lookup per group it belongs to), then each group is
sorted once, so the work is O(N log N) in the number of rulings and the output is the same
bytes for the same input (everything is sorted, no clock is read).
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from pelican.generators import Generator

from pipeline.datasets import jalali_copies
from pipeline.display import jalali_year
from pipeline.flags import FLAGS
from pipeline.normalise import fold
from pipeline.schema import DECISIONS, LAND_USES, OCCUPANCIES, RESERVED_SLUGS, RULINGS, STAGES, VIOLATION_TYPES
from pipeline.urls import URLS
from pipeline.values import match_key

from . import feeds, member_stats_page, sitemap
from .chart_cache import cache_for
from .pagination import pages
from .render import digest, renderer_for
from pipeline.slugs import ENUM_SLUGS, ROLES, member_names

# (kind, index title, title prefix of a group's page) of the ruling facets.
RULING_FACETS = [
    ("districts", "مناطق", "آرای"),
    ("types", "انواع تخلف", "آرای مربوط به"),
    ("decisions", "انواع تصمیم", "آرای دارای تصمیم"),
    ("years", "سال‌ها", "آرای"),
]


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
                                                  [row["digest"] for row in self.items])
        return self.__dict__["_render_key"]


def with_digest(row: dict) -> dict:
    """A listing row and the digest of what it holds, which stands for it in render keys: a
    page that lists a ruling changes when its row does, not when its text or history does."""
    return {**row, "digest": digest(row)}


def ruling_row(article) -> dict:
    """What a ruling list shows of one ruling (kept small: lists hold thousands), made from
    one record page alone when it is read (records.py keeps it in its index)."""
    r = article.record
    decisions = list(dict.fromkeys(v["decision"] for v in r.get("violations") or []))
    types = list(dict.fromkeys(v["violation_type"] for v in r.get("violations") or []))
    return with_digest({
        "url": article.url, "slug": r["slug"], "ruling_no": r["ruling_no"],
        "ruling_date": r["ruling_date"], "stage": r["stage"], "district": r["district"],
        "neighbourhood": r.get("neighbourhood"), "decisions": decisions, "types": types,
        "total_fine_rial": r.get("total_fine_rial"),
        "violations": len(r.get("violations") or []),
    })


def property_row(page) -> dict:
    p = page.record
    return with_digest({"url": page.url, "slug": p["slug"], "property_code": p["property_code"],
                        "title": p["title"], "district": p["district"], "neighbourhood": p.get("neighbourhood"),
                        "land_use": p["land_use"], "occupancy": p["occupancy"],
                        "land_area_m2": p.get("land_area_m2"),
                        "flags": [f.slug for f in FLAGS if p.get(f.column)]})


def newest_first(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: (row["ruling_date"], row["slug"]), reverse=True)


def check_slugs(articles: list, properties: list) -> None:
    """A record slug equal to a listing segment (rulings/page/2/, properties/use/...) would
    overwrite that listing. Validation rejects such keys from the same list, so this fires
    only if the pipeline was bypassed."""
    clashes = sorted({a.slug for a in articles} & set(RESERVED_SLUGS["rulings"])
                     | {p.slug for p in properties} & set(RESERVED_SLUGS["properties"]))
    if clashes:
        raise ValueError(f"record slugs collide with listing URLs: {clashes}")


class RulingGroups:
    """The ruling listings, filled in one pass over the rulings (``add``)."""

    def __init__(self, districts: int):
        self.rows: list[dict] = []
        self.by_district = {n: Group(str(n), str(n)) for n in range(1, districts + 1)}
        self.by_type = {v: Group(ENUM_SLUGS["types"][v], v) for v in VIOLATION_TYPES}
        self.by_decision = {v: Group(ENUM_SLUGS["decisions"][v], v) for v in DECISIONS}
        self.by_year: dict[int, Group] = {}
        self.members: dict[str, dict[str, Group]] = {role: {} for role, _, _ in ROLES}
        self.spellings: dict[str, dict[str, Counter]] = {role: {} for role, _, _ in ROLES}

    def add(self, entry) -> None:
        """``entry``: a ruling's ``records.RecordEntry`` (its row and facts, not its page)."""
        row, facts = entry.row, entry.facts
        self.rows.append(row)
        if row["district"] in self.by_district:
            self.by_district[row["district"]].items.append(row)
        year = jalali_year(row["ruling_date"])
        self.by_year.setdefault(year, Group(str(year), str(year))).items.append(row)
        for t in facts["types"]:
            self.by_type[t].violations += 1
        for d in facts["decisions"]:
            self.by_decision[d].violations += 1
        for t in row["types"]:
            self.by_type[t].items.append(row)
        for d in row["decisions"]:
            self.by_decision[d].items.append(row)
        self._add_members(facts, row)

    def _add_members(self, facts: dict, row: dict) -> None:
        decisions = Counter(facts["decisions"])
        for role, _, _ in ROLES:
            name = facts["members"].get(role)
            if not name:
                continue
            key = match_key(name)
            group = self.members[role].setdefault(
                key, Group("", name, extra={"decisions": Counter(), "rulings_by_decision": Counter()}))
            group.items.append(row)
            group.violations += len(facts["decisions"])
            group.extra["decisions"].update(decisions)
            group.extra["rulings_by_decision"].update(decisions.keys())
            self.spellings[role].setdefault(key, Counter())[name] += 1

    def finish(self) -> dict:
        """Names members by their commonest spelling, sorts every group; the listings."""
        names = member_names(self.spellings)
        for role, groups in self.members.items():
            for key, group in groups.items():
                group.title, group.slug = names[role][key]
        every = (*self.by_district.values(), *self.by_type.values(), *self.by_decision.values(),
                 *self.by_year.values(), *(g for gs in self.members.values() for g in gs.values()))
        for group in every:
            group.items = newest_first(group.items)
        return {
            "rows": newest_first(self.rows),
            "districts": [self.by_district[n] for n in sorted(self.by_district)],
            "types": [self.by_type[v] for v in VIOLATION_TYPES],
            "decisions": [self.by_decision[v] for v in DECISIONS],
            "years": [self.by_year[y] for y in sorted(self.by_year, reverse=True)],
            "members": {role: sorted(groups.values(), key=lambda g: (fold(g.title), g.slug))
                        for role, groups in self.members.items()},
        }


def property_groups(rows: list[dict], districts: int) -> list[tuple[str, str, list[Group]]]:
    """(facet, its title, its groups) for the property listings: district, use, occupancy,
    and the flags of ``pipeline/flags.py`` (a property is in each flag's group it holds)."""
    by_district = {n: Group(str(n), str(n)) for n in range(1, districts + 1)}
    by_use = {v: Group(ENUM_SLUGS["use"][v], v) for v in LAND_USES}
    by_occupancy = {v: Group(ENUM_SLUGS["occupancy"][v], v) for v in OCCUPANCIES}
    by_flag = {f.slug: Group(f.slug, f.label_fa, extra={"anchor": f.anchor}) for f in FLAGS}
    for row in rows:
        if row["district"] in by_district:
            by_district[row["district"]].items.append(row)
        by_use[row["land_use"]].items.append(row)
        by_occupancy[row["occupancy"]].items.append(row)
        for slug in row.get("flags", ()):
            by_flag[slug].items.append(row)
    return [("district", "منطقه", [by_district[n] for n in sorted(by_district)]),
            ("use", "کاربری", list(by_use.values())),
            ("occupancy", "وضعیت بهره‌برداری", list(by_occupancy.values())),
            ("flag", "نکته", list(by_flag.values()))]


def member_links(members: dict[str, list[Group]]):
    """For the ruling pages (records.py): role, name -> the member's page."""
    urls = {role: {match_key(g.title): URLS.member(role, g.slug) for g in groups}
            for role, groups in members.items()}
    return lambda role, name: urls.get(role, {}).get(match_key(name or ""))


def member_years(rows: list[dict]) -> list[tuple[int, int, int]]:
    """(Jalali year, start, end) of each year's slice of ``rows`` (newest first), so that a
    member's page lists its rulings by year; slices, not rows, keep the page's key small."""
    years: list[list[int]] = []
    for i, row in enumerate(rows):
        year = jalali_year(row["ruling_date"])
        if years and years[-1][0] == year:
            years[-1][2] = i + 1
        else:
            years.append([year, i, i + 1])
    return [tuple(y) for y in years]


def fellow_members(members: dict, role: str, named: dict[str, dict[str, str]]) -> list[str]:
    """The other members of a ruling (role -> name as the ruling spells it), named as their
    own pages name them (the commonest spelling), so that the print of one member's rulings
    says who sat with them."""
    return [named[other].get(match_key(members[other]), members[other])
            for other, _, _ in ROLES if other != role and members.get(other)]


def search_member(role: str, slug: str) -> str:
    """The value of the search page's member filter for a member: their page's path after
    the part all members' paths share (search.js: memberValue)."""
    shared = URLS.paths["member"].split("{", 1)[0]
    return URLS.member(role, slug)[len(shared):].strip("/")


class ListingGenerator(Generator):
    """Listing pages, JSON downloads, feeds, sitemap, robots.txt and the 404 page."""

    def generate_context(self):
        record_pages = self.context.get("record_pages", {})
        self.articles = record_pages.get("rulings", [])
        self.property_pages = sorted(record_pages.get("properties", []), key=lambda p: p.slug)
        check_slugs(self.articles, self.property_pages)
        districts = int(self.settings["MUNICIPALITY"]["districts"])
        groups = RulingGroups(districts)
        for article in self.articles:  # one pass over the rulings
            groups.add(article)
        self.listings = groups.finish()
        self.prop_rows = [p.row for p in self.property_pages]
        self.prop_facets = property_groups(self.prop_rows, districts)
        self.context.update(self._site_context())

    def _site_context(self) -> dict:
        rows, members = self.listings["rows"], self.listings["members"]
        return {
            "DATA_DATE": rows[0]["ruling_date"] if rows else None,
            "ABS_SITEURL": self.settings.get("SITEURL", "").rstrip("/"),
            "MEMBER_ROLES_FA": list(ROLES),
            "DISTRICT_COUNTS": [(int(g.slug), len(g.items)) for g in self.listings["districts"]],
            "TYPE_COUNTS": [(g.slug, g.title, len(g.items)) for g in self.listings["types"]],
            "DECISION_COUNTS": [(g.slug, g.title, len(g.items)) for g in self.listings["decisions"]],
            "YEAR_COUNTS": [(g.slug, len(g.items)) for g in self.listings["years"]],
            "RULING_COUNT": len(rows),
            "LATEST_RULINGS": rows[: self.settings["LATEST_RULINGS_ON_HOME"]],
            "PROPERTY_COUNT": len(self.prop_rows),
            "PROPERTY_FLAGS": FLAGS,
            "MEMBER_COUNTS": {role: len(groups) for role, groups in members.items()},
            "member_url": member_links(members),
        }

    # --- writing ------------------------------------------------------------------------

    def _page(self, url: str, template: str, stand_ins: dict | None = None, **kwargs):
        self.jobs.append((URLS.save_as(url), template, kwargs, stand_ins or {}))
        self.sitemap.append(url)

    def _paginated(self, base: str, template: str, items: list, stand_ins=None, **kwargs):
        """``stand_ins``: page number -> more stand-ins for that page's key (render.py)."""
        for url, chunk, pagination in pages(base, items, self.settings["LISTING_PAGE_SIZE"]):
            self._page(url, template,
                       stand_ins={"items": [row["digest"] for row in chunk],
                                  **(stand_ins(pagination["number"]) if stand_ins else {})},
                       items=chunk, total=len(items), pagination=pagination, **kwargs)

    def _ruling_listings(self):
        for kind, index_title, prefix in RULING_FACETS:
            groups = self.listings[kind]
            self._page(URLS.facets(kind), "facets", kind=kind, title=index_title, groups=groups)
            for group in groups:
                self._paginated(URLS.facet(kind, group.slug), "listing", group.items,
                                kind=kind, group=group, title_prefix=prefix)
        self._paginated(URLS.rulings(), "listing", self.listings["rows"], kind="all", group=None,
                        title_prefix="همه‌ی آرا")

    def _member_pages(self):
        """One page each, never paginated (the print must hold every ruling)."""
        members = self.listings["members"]
        document = member_stats_page.load(self.output_path)
        role_titles = {role: title for role, _, title in ROLES}
        charts = cache_for(self.settings, self.output_path)
        compared = member_stats_page.comparisons(document, role_titles, charts)
        for comparison in compared.values():  # the charts the cache keeps, drawn or not this time
            charts.keys |= comparison.chart_keys()
        self._page(URLS.members(), "members", members=members, summary=member_stats_page.index_rows(document),
                   min_rows=(document or {}).get("min_rows"),
                   summary_csv=URLS.member_stats_file("summary"))
        members_of = {article.slug: article.facts["members"] for article in self.articles}
        named = {role: {match_key(g.title): g.title for g in groups} for role, groups in members.items()}
        for role, role_slug, role_title in ROLES:
            for group in members[role]:
                decisions = [(d, group.extra["rulings_by_decision"][d], group.extra["decisions"][d])
                             for d in DECISIONS if group.extra["decisions"][d]]
                stages = Counter(row["stage"] for row in group.items)
                years = member_years(group.items)
                # The summary's three tables: (value, rulings, violations or None) each.
                self._page(URLS.member(role, group.slug), "member",
                           member=group, role=role, role_slug=role_slug, role_title=role_title,
                           decision_counts=decisions,
                           stage_counts=[(s, stages[s], None) for s in STAGES if stages[s]],
                           year_counts=[(year, end - start, None) for year, start, end in years],
                           years=years,
                           fellows={row["slug"]: fellow_members(members_of[row["slug"]], role, named)
                                    for row in group.items},
                           search_member=search_member(role, group.slug),
                           comparison=compared.get((role, group.slug)))

    def _property_listings(self):
        # A listing page's key holds only what properties.html shows of the facets and of its
        # group: which filters exist, and their counts only on the page that shows them (the
        # first of the whole registry). Keyed by every row of every group, one lease ending
        # re-rendered every property listing, for nothing once the counts left those pages.
        counted = {"prop_facets": [(facet, title, [(g.slug, g.title, len(g.items)) for g in groups])
                                   for facet, title, groups in self.prop_facets]}
        shown = {"prop_facets": [(facet, title, [(g.slug, g.title) for g in groups if g.items])
                                 for facet, title, groups in self.prop_facets]}
        self._paginated(URLS.properties(), "properties", self.prop_rows, facet=None, group=None,
                        prop_facets=self.prop_facets, stand_ins=lambda n: counted if n == 1 else shown)
        for facet, facet_title, groups in self.prop_facets:
            for group in groups:
                mine = {**shown, "group": [group.slug, group.title]}
                self._paginated(URLS.property_facet(facet, group.slug), "properties",
                                group.items, facet=facet, facet_title=facet_title, group=group,
                                prop_facets=self.prop_facets, stand_ins=lambda n, mine=mine: mine)

    def generate_output(self, writer):
        self.sitemap: list[str] = [URLS.home()]
        self.jobs: list[tuple[str, str, dict, dict]] = []
        self._ruling_listings()
        self._member_pages()
        self._property_listings()
        renderer = renderer_for(self)
        renderer.render(writer, self.context, self.jobs, "listings")
        self.sitemap.extend(a.url for a in self.articles)
        self.sitemap.extend(p.url for p in self.property_pages)
        self.sitemap.extend(p.url for p in self.context.get("pages", []))
        self.sitemap.append(URLS.stats())
        # 404: served at any depth, so its links are absolute from the site's root.
        writer.write_file(URLS.not_found(), self.get_template("404"), self.context, relative_urls=False,
                          SITEURL=self.context["ABS_SITEURL"])
        self._write_json(renderer)
        self._write_feeds(renderer)
        base = self.context["ABS_SITEURL"]
        renderer.write_text(URLS.sitemap(), sitemap.sitemap(self.sitemap, base), "sitemap")
        renderer.write_text(URLS.robots(), sitemap.robots(base), "sitemap")

    def _write_json(self, renderer):
        reader = self.context["record_page_reader"]

        def record_json(article) -> str:  # the record is read only when its file changed
            r = reader.record(article)
            return json.dumps({**r, **jalali_copies(RULINGS, r)}, ensure_ascii=False, indent=1, sort_keys=True) + "\n"

        for article in self.articles:
            renderer.write_text(URLS.ruling_json(article.slug), lambda a=article: record_json(a),
                                "record.json", key_of=article.digest)

    def _write_feeds(self, renderer):
        site, siteurl = self.settings["SITENAME"], self.context["ABS_SITEURL"]
        limit = self.settings["RULINGS_FEED_ITEMS"]
        for path, title, rows, page in feeds.ruling_feeds(self.listings["rows"], self.listings["districts"], self.listings["members"]):
            # A feed is made from its newest rows alone: their digests stand for it.
            renderer.write_text(path, lambda a=(path, title, rows, page): feeds.ruling_feed(*a, site, siteurl, limit),
                                "feeds", key_of=digest(title, page, site, siteurl, limit,
                                                       [row["digest"] for row in rows[:limit]]))
