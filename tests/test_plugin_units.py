"""The plugin's parts, without Pelican: pagination (as Pelican tests its paginator), slugs,
the sitemap, the feeds and the listings' groups."""
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from pipeline.schema import RESERVED_SLUGS
from pipeline.urls import URLS
from pipeline import slugs
from plugins.shafaf import feeds, sitemap
from plugins.shafaf.listings import RulingGroups, check_slugs, member_links, property_groups, ruling_row
from plugins.shafaf.pagination import page_count, page_url, pages, pagination
from plugins.shafaf.records import RecordPage, entry_of

ATOM = "{http://www.w3.org/2005/Atom}"

# --- pagination -------------------------------------------------------------------------


@pytest.mark.parametrize("items, size, count", [(0, 50, 1), (1, 50, 1), (50, 50, 1), (51, 50, 2),
                                                (100, 50, 2), (101, 50, 3), (7, 1, 7)])
def test_page_count(items, size, count):
    assert page_count(items, size) == count


def test_first_page_is_the_listing_itself():
    assert page_url("rulings/", 1) == "rulings/"
    assert page_url("rulings/", 2) == URLS.page("rulings/", 2) == "rulings/page/2/"


def test_pages_hold_every_item_once_in_order():
    items = list(range(123))
    made = list(pages("types/x/", items, 50))
    assert [url for url, _, _ in made] == ["types/x/", "types/x/page/2/", "types/x/page/3/"]
    assert [i for _, chunk, _ in made for i in chunk] == items
    assert [p["first_index"] for _, _, p in made] == [0, 50, 100]


def test_an_empty_listing_has_one_empty_page():
    [(url, chunk, p)] = pages("years/1402/", [], 50)
    assert (url, chunk, p["previous"], p["next"], p["count"]) == ("years/1402/", [], None, None, 1)


@pytest.mark.parametrize("number, count, shown", [
    (1, 1, [1]), (1, 3, [1, 2, 3]), (1, 10, [1, 2, 3, None, 10]), (5, 10, [1, None, 3, 4, 5, 6, 7, None, 10]),
    (10, 10, [1, None, 8, 9, 10]), (4, 10, [1, 2, 3, 4, 5, 6, None, 10]), (3, 5, [1, 2, 3, 4, 5]),
])
def test_pagination_window_keeps_the_ends_and_two_either_side(number, count, shown):
    p = pagination("rulings/", number, count, 50)
    assert [n for n, _ in p["window"]] == shown
    assert all(url == page_url("rulings/", n) for n, url in p["window"] if n)
    assert p["previous"] == (page_url("rulings/", number - 1) if number > 1 else None)
    assert p["next"] == (page_url("rulings/", number + 1) if number < count else None)


def test_pagination_links_stay_few_on_a_long_listing():
    assert len(pagination("rulings/", 1000, 2000, 50)["window"]) <= 9


# --- slugs ------------------------------------------------------------------------------

HOSTILE = ["../../etc/passwd", "<script>alert(1)</script>", "a/b\\c", "", None, " ", "‌", "%2e%2e",
           "=HYPERLINK(\"x\")", "\u202eمحمد", "ـــ", "علی" * 200, "index.html", "CON", "a\x00b",
           "محمد رضایی", "محمّد رضائی", "Ali Rezaei", "۱۲۳۴"]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_slug_is_always_a_safe_path_segment(text):
    slug = slugs.text_slug(text)
    assert slugs.SLUG_PATTERN.fullmatch(slug), slug
    assert not set(slug) & set("/\\.%<>\"'&?#\x00 ")
    assert slug == slugs.text_slug(text)  # the same text, the same path


def test_spellings_that_fold_together_share_a_slug():
    assert slugs.text_slug("محمّد رضائی") == slugs.text_slug("محمد رضایی") == "محمد-رضایی"


def test_unique_slugs_separates_keys_that_meet():
    made = slugs.unique_slugs({"k1": "علی رضایی", "k2": "علی-رضایی", "k3": "مریم"})
    assert made["k3"] == "مریم"
    assert made["k1"] != made["k2"] and all(made[k].startswith("علی-رضایی-") for k in ("k1", "k2"))


def test_member_names_show_the_commonest_spelling():
    names = slugs.member_names({"interior_rep": {"k": Counter({"محمّد رضائی": 1, "محمد رضایی": 3})}})
    assert names == {"interior_rep": {"k": ("محمد رضایی", "محمد-رضایی")}}


def test_member_names_break_ties_by_order():
    names = slugs.member_names({"council_rep": {"k": Counter({"ب": 2, "الف": 2})}})
    assert names["council_rep"]["k"][0] == "الف"


def test_enumeration_values_that_share_a_slug_are_a_typed_error():
    with pytest.raises(slugs.SlugError, match="decisions"):
        slugs.enum_slugs({"decisions": ("قلع بنا", "قلع-بنا")})
    assert slugs.enum_slugs({"use": ("مسکونی", "تجاری")}) == {"use": {"مسکونی": "مسکونی", "تجاری": "تجاری"}}


# --- sitemap and robots -----------------------------------------------------------------

@pytest.mark.parametrize("path, loc", [
    ("rulings/1402-1-1/", "/rulings/1402-1-1/"), ("a&b/", "/a&amp;b/"), ("<x>/", "/%3Cx%3E/"),
    ("decisions/ابقا/", "/decisions/%D8%A7%D8%A8%D9%82%D8%A7/"), ('"/', "/%22/"),
])
def test_sitemap_escapes_every_path(path, loc):
    text = sitemap.sitemap([path], "")
    assert f"<loc>{loc}</loc>" in text
    ET.fromstring(text)


def test_sitemap_lists_each_path_once_sorted_and_absolute_with_a_site_url():
    text = sitemap.sitemap(["b/", "a/", "b/", ""], "https://s.example")
    assert text.count("<loc>") == 3
    assert text.index("https://s.example/</loc>") < text.index("/a/<") < text.index("/b/<")


def test_robots_names_the_sitemap_only_when_it_can_be_absolute():
    assert "Sitemap: https://s.example/sitemap.xml" in sitemap.robots("https://s.example")
    assert "\nSitemap:" not in sitemap.robots("")


# --- feeds ------------------------------------------------------------------------------

def _row(n: int, date: str, **extra) -> dict:
    return {"slug": f"1402-1-{n}", "ruling_no": f"1402/1/{n}", "ruling_date": date, "district": 2,
            "stage": "بدوی", "decisions": ["جریمه"], "url": URLS.ruling(f"1402-1-{n}"), **extra}


def test_an_empty_feed_never_reads_the_clock():
    text = feeds.ruling_feed(URLS.rulings_feed(), "t", [], "", "s", "", 10)
    assert ET.fromstring(text).find(f"{ATOM}updated").text == "1970-01-01T12:00:00+00:00"


def test_feed_is_dated_by_its_newest_entry_and_keeps_the_limit():
    rows = [_row(3, "2024-05-03"), _row(2, "2024-05-02"), _row(1, "2024-05-01")]
    root = ET.fromstring(feeds.ruling_feed(URLS.rulings_feed(), "t", rows, "", "s", "", 2))
    assert root.find(f"{ATOM}updated").text == "2024-05-03T12:00:00+00:00"
    assert [e.find(f"{ATOM}id").text for e in root.findall(f"{ATOM}entry")] == [
        "tag:shafaf,2024:ruling/1402-1-3", "tag:shafaf,2024:ruling/1402-1-2"]


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", "a & b", "]]>", "\"'"])
def test_feed_text_is_escaped(hostile):
    rows = [_row(1, "2024-05-01", stage=hostile, decisions=[hostile])]
    root = ET.fromstring(feeds.ruling_feed(URLS.rulings_feed(), hostile, rows, "", hostile, "", 5))
    assert hostile in root.find(f"{ATOM}entry/{ATOM}summary").text
    assert root.find(f"{ATOM}title").text.startswith(hostile)


def test_feed_links_related_files_at_both_levels():
    feed = feeds.Feed(title="t", link="l/", description="", feed_guid="g",
                      updated=datetime(2024, 1, 1, tzinfo=timezone.utc), related=[("x.csv", "text/csv")])
    feed.add_item(title="e", link="l/#e", description="d", related=[("y.csv", "text/csv")])
    root = ET.fromstring(feed.writeString("utf-8"))
    assert root.find(f"{ATOM}link[@rel='related']").attrib == {"rel": "related", "href": "x.csv", "type": "text/csv"}
    assert root.find(f"{ATOM}entry/{ATOM}link[@rel='related']").get("href") == "y.csv"
    assert root.find(f"{ATOM}updated").text == "2024-01-01T00:00:00+00:00"  # no item date: the fixed one


def test_one_feed_per_district_following_its_listing():
    districts = [SimpleNamespace(slug="1", items=[]), SimpleNamespace(slug="2", items=[])]
    made = feeds.ruling_feeds([], districts)
    assert [(path, page) for path, _, _, page in made] == [
        (URLS.rulings_feed(), URLS.home()), (URLS.district_feed("1"), URLS.district("1")),
        (URLS.district_feed("2"), URLS.district("2"))]


# --- listings ---------------------------------------------------------------------------

def _article(n: int, date: str, district: int, violations: list, **people):
    record = {"slug": f"1402-1-{n}", "ruling_no": f"1402/1/{n}", "ruling_date": date, "stage": "بدوی",
              "district": district, "violations": violations, **people}
    url = URLS.ruling(record["slug"])
    page = RecordPage(record=record, content="", title="", url=url, save_as=URLS.save_as(url), template="ruling",
                      source=f"rulings/{record['slug']}.md", digest=f"d{n}", history=[])
    return entry_of(page, "rulings")   # as records.py makes it when the page is read


def _violation(kind: str, decision: str) -> dict:
    return {"violation_type": kind, "decision": decision}


@pytest.fixture
def groups():
    from pipeline.schema import DECISIONS, VIOLATION_TYPES
    t, d = VIOLATION_TYPES[0], DECISIONS[0]
    made = RulingGroups(3)
    made.add(_article(1, "2023-04-01", 1, [_violation(t, d), _violation(t, d)], interior_rep="محمّد رضائی"))
    made.add(_article(2, "2024-04-01", 3, [_violation(t, d)], interior_rep="محمد رضایی"))
    made.add(_article(3, "2024-04-01", 9, [], interior_rep="محمد رضایی"))  # a district the city lacks
    return made.finish()


def test_each_ruling_is_in_every_group_it_belongs_to(groups):
    assert [r["slug"] for r in groups["rows"]] == ["1402-1-3", "1402-1-2", "1402-1-1"]  # newest first
    assert [len(g.items) for g in groups["districts"]] == [1, 0, 1]
    assert len(groups["types"][0].items) == 2 and groups["types"][0].violations == 3
    assert [g.slug for g in groups["years"]] == ["1403", "1402"]


def test_a_member_is_one_group_named_by_the_commonest_spelling(groups):
    [member] = groups["members"]["interior_rep"]
    assert (member.title, member.slug, len(member.items), member.violations) == ("محمد رضایی", "محمد-رضایی", 3, 3)
    link = member_links(groups["members"])
    assert link("interior_rep", "محمّد رضائی") == URLS.member("interior_rep", "محمد-رضایی")
    assert link("interior_rep", None) is None and link("council_rep", "x") is None


def test_rows_carry_the_digest_of_what_they_show_for_render_keys(groups):
    """A listing page is keyed by its rows' digests: a ruling's text or history (not shown in
    a list) leaves its row's digest as it was; its neighbourhood (shown) does not."""
    from pipeline.schema import DECISIONS, VIOLATION_TYPES
    violations = [_violation(VIOLATION_TYPES[0], DECISIONS[0])]
    plain = _article(4, "2024-04-01", 1, violations).row
    assert _article(4, "2024-04-01", 1, violations, ruling_text="متن دیگر").row == plain
    assert _article(4, "2024-04-01", 1, violations, neighbourhood="گوهردشت").row["digest"] != plain["digest"]
    assert len({r["digest"] for r in groups["rows"]}) == 3
    assert groups["districts"][0].render_key() != groups["districts"][2].render_key()


def test_property_groups_by_district_use_and_occupancy():
    from pipeline.schema import LAND_USES, OCCUPANCIES
    rows = [{"district": 1, "land_use": LAND_USES[0], "occupancy": OCCUPANCIES[0]},
            {"district": 7, "land_use": LAND_USES[0], "occupancy": OCCUPANCIES[-1]}]
    facets = {facet: groups for facet, _, groups in property_groups(rows, 2)}
    assert [len(g.items) for g in facets["district"]] == [1, 0]
    assert len(facets["use"][0].items) == 2


@pytest.mark.parametrize("dataset, slug", [("rulings", s) for s in RESERVED_SLUGS["rulings"]]
                         + [("properties", s) for s in RESERVED_SLUGS["properties"]])
def test_a_record_slug_taking_a_listing_path_is_refused(dataset, slug):
    page = SimpleNamespace(slug=slug)
    with pytest.raises(ValueError, match=slug):
        check_slugs([page] if dataset == "rulings" else [], [page] if dataset == "properties" else [])


# --- charts -----------------------------------------------------------------------------

SPEC_OF_FINES = """
import json
from plugins.shafaf.stats_page import chart
rows = [{"district": 1, "base_rows": 40, "q1": 1.2e7, "median": 2.2e7, "q3": 3.8e7, "small_sample": False}]
print(json.dumps(chart({"name": "fine_per_m2_by_district", "rows": rows}), ensure_ascii=False))
"""


def test_a_chart_spec_is_the_same_whatever_the_hash_seed():
    """A chart is kept under the digest of its spec as built (chart_cache.py): a spec whose
    keys came out of a set in the order of the process's hash seed was drawn again by every
    `make html` (Python picks a new seed per process) and whenever it differed."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    specs = {subprocess.run([sys.executable, "-c", SPEC_OF_FINES], cwd=root, capture_output=True, text=True,
                            check=True, env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout
             for seed in range(1, 6)}
    assert len(specs) == 1
