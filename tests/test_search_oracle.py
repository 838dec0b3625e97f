"""Search tells the truth: in real Chromium, the totals and filter counts shown equal an oracle.

The oracle is computed here, not by search.js: words are matched by lunr.py querying the
whole index the build cut into files (the same clauses search.js builds, written again in
Python below), filters are applied from the published CSVs.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from urllib.parse import quote, unquote

import jdatetime
import pytest
from lunr.query import Query, QueryPresence

from browser_helpers import member_path, read_csv, site_data  # noqa: F401
from conftest import SAMPLE
from pipeline import build, search, settings
from pipeline.display import fa_number
from pipeline.schema import DECISIONS, VIOLATION_TYPES
from pipeline.values import match_key

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FACETS = ("kind", "district", "year", "stage", "type", "decision", "member")


# --- the oracle -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def index_and_slugs():
    publication = build.prepare(SAMPLE, settings.load())
    publication.search.result()
    rulings, properties = search.ordered(publication.rulings, publication.properties)
    slugs = {str(ref): ("ruling", r["slug"]) for ref, r in enumerate(rulings)}
    slugs.update({str(ref): ("property", p["slug"]) for ref, p in enumerate(properties, search.PROPERTY_BASE)})
    index = search.full_index(publication.rulings, publication.properties)
    return index, slugs


def lunr_matches(index, text: str, fuzzy: bool = False) -> list[dict]:
    """lunr.py with the clauses search.js builds (clauses() there): every word required."""
    query = index.create_query()
    number = search.query_number(text)
    if number is not None:
        query.term(number, fields=["id"], use_pipeline=False)
        if "/" not in number:
            query.term(search.PART + number, fields=["number"], use_pipeline=False)
        return index.query(query)
    tokens = list(dict.fromkeys(t for t in search.SEPARATORS.split(search.fold(text)) if t))
    for token in tokens:
        if re.search(r"[0-9]", token) or len(token) < 3:
            query.term(token, use_pipeline=False, presence=QueryPresence.REQUIRED)
            continue
        if fuzzy and len(token) >= 5:
            query.term(token, edit_distance=1, use_pipeline=False, presence=QueryPresence.REQUIRED)
        else:
            query.term(token, wildcard=Query.WILDCARD_TRAILING, use_pipeline=False, presence=QueryPresence.REQUIRED)
        query.term(token, boost=10, use_pipeline=False)
    found = index.query(query)
    return found if found or fuzzy else lunr_matches(index, text, True)


@pytest.fixture(scope="module")
def facets_by_slug(sample_site):
    """(kind, slug) -> facet -> the set of its values, from the published CSVs."""
    data = sample_site.output / "data"
    violations = defaultdict(list)
    for v in read_csv(data / "violations.csv"):
        violations[v["ruling_no"]].append(v)
    facets = {}
    for r in read_csv(data / "rulings.csv"):
        year = jdatetime.date.fromgregorian(date=dt.date.fromisoformat(r["ruling_date"])).year
        facets[("ruling", r["slug"])] = {
            "kind": {"ruling"}, "district": {r["district"]}, "year": {str(year)}, "stage": {r["stage"]},
            "type": {v["violation_type"] for v in violations[r["ruling_no"]]},
            "decision": {v["decision"] for v in violations[r["ruling_no"]]},
            "member": {(role, match_key(r[role])) for role in ("interior_rep", "judiciary_rep", "council_rep")},
        }
    for p in read_csv(data / "properties.csv"):
        facets[("property", p["slug"])] = {"kind": {"property"}, "district": {p["district"]}}
    return facets


def passes(values: dict, filters: dict, skip: str | None = None) -> bool:
    return all(facet == skip or wanted in values.get(facet, ()) for facet, wanted in filters.items())


def oracle(index_and_slugs, facets_by_slug, text: str, filters: dict) -> list[tuple[str, str]]:
    index, slugs = index_and_slugs
    docs = ([slugs[hit["ref"]] for hit in lunr_matches(index, text)] if text.strip()
            else list(facets_by_slug))
    return [doc for doc in docs if passes(facets_by_slug[doc], filters)]


# --- the browser ----------------------------------------------------------------------

def open_search(page, base, text: str, filters: dict, member_value: str | None = None):
    params = [f"q={quote(text)}"] if text else []
    for facet, value in filters.items():
        params.append(f"{facet}={quote(member_value if facet == 'member' else str(value))}")
    page.goto(f"{base}/search/?{'&'.join(params)}")
    page.wait_for_selector("#search-results[data-total]", state="attached", timeout=20000)
    return int(page.get_attribute("#search-results", "data-total"))


def shown_slugs(page) -> list[tuple[str, str]]:
    hrefs = page.eval_on_selector_all("#search-results > li > a", "as => as.map(a => a.getAttribute('href'))")
    return [("ruling" if "/rulings/" in h else "property", h.rstrip("/").split("/")[-1]) for h in hrefs]


@pytest.fixture(scope="module")
def numbers(sample_site):
    data = sample_site.output / "data"
    rulings = read_csv(data / "rulings.csv")
    chosen = next(r for r in rulings if r["stage"] == "بدوی" and "-" in r["case_no"])
    ends = Counter(r["ruling_no"].rsplit("/", 1)[-1] for r in rulings)
    shared_end = next(end for end, n in ends.most_common() if n >= 3)
    return {"ruling": chosen["ruling_no"], "case": chosen["case_no"], "end": shared_end,
            "property": read_csv(data / "properties.csv")[3]["property_code"]}


@pytest.fixture(scope="module")
def member(site_data):
    """The council member with the most rulings: their name and the filter value (role/slug),
    read from the link on a ruling page to the member's page."""
    groups = site_data.member_rulings("council_rep")
    key = max(sorted(groups), key=lambda k: len(groups[k]))
    return {"key": ("council_rep", key), "name": groups[key][0]["council_rep"]}


@pytest.fixture(scope="module")
def member_value(member_path):
    return member_path.removeprefix("members/").rstrip("/")


CASES = [
    # words, matched by lunr.py
    ("word", "مهرشهر", {}),
    ("surname of two members", "موسوی", {}),
    ("name with Arabic ي and ك", "محمد كيهاني", {}),
    ("ZWNJ", "شاهین\u200cویلا", {}),
    ("no ZWNJ", "شاهینویلا", {}),
    ("space for ZWNJ", "شاهین ویلا", {}),
    ("ZWNJ and Arabic ي", "شاهين\u200cويلا", {}),
    ("typo", "کیانمهز", {}),
    ("prefix", "مهرش", {}),
    ("two words", "قلع بنا", {}),
    ("a common word beside a rarer one", "کرج مهرشهر", {}),
    ("a common word beside a two-letter one", "کرج نو", {}),
    ("three words, two of them common", "شهرک امام رضا", {}),
    ("a common word alone", "کرج", {"kind": "property"}),
    ("property words", "بلوار", {"kind": "property"}),
    # numbers, in three digit forms
    ("ruling number, Latin", "{ruling}", {}),
    ("ruling number, Persian", "{ruling:fa}", {}),
    ("ruling number, Arabic-Indic with hyphens", "{ruling:ar-}", {}),
    ("case number, Persian", "{case:fa}", {}),
    ("last part shared by several rulings", "{end:fa}", {}),
    ("property code", "{property}", {}),
    # a number after the words a citizen types before it
    ("ruling number after «رأی»", "رأی {ruling:fa}", {}),
    ("ruling number after «رأی شماره», hyphens", "رأی شماره {ruling:ar-}", {}),
    ("case number after «پرونده»", "پرونده {case}", {}),
    ("property code after «کد ملک»", "کد ملک {property}", {}),
    # word + filter
    ("word + district", "کرج", {"district": "5", "kind": "ruling"}),
    ("word + year", "مهرشهر", {"year": "1401"}),
    ("word + decision", "موسوی", {"decision": "جریمه"}),
    ("word + member", "شاهین ویلا", {"member": True}),
    # filters only: a browse, newest first
    ("browse district + year", "", {"kind": "ruling", "district": "5", "year": "1401"}),
    ("browse type", "", {"type": VIOLATION_TYPES[4]}),
    ("browse decision + district", "", {"decision": DECISIONS[0], "district": "3"}),
    ("browse stage", "", {"stage": "تجدیدنظر"}),
    ("browse the stage most rulings have", "", {"stage": "بدوی"}),
    ("browse the decision most rulings have", "", {"decision": "جریمه", "kind": "ruling"}),
    ("browse member", "", {"member": True}),
    ("browse properties of a district", "", {"kind": "property", "district": "1"}),
    ("browse a district, both kinds", "", {"district": "5"}),
    ("browse all rulings", "", {"kind": "ruling"}),
]


def _text(template: str, numbers: dict) -> str:
    def fill(match):
        name, _, form = match.group(1).partition(":")
        value = numbers[name]
        if form.startswith("fa"):
            value = value.translate(PERSIAN)
        if form.startswith("ar"):
            value = value.translate(ARABIC)
        return value.replace("/", "-") if form.endswith("-") else value
    return re.sub(r"\{([^}]+)\}", fill, template)


@pytest.mark.parametrize("name,template,filters", CASES, ids=[c[0] for c in CASES])
def test_shown_total_equals_the_oracle(page, serve_site, index_and_slugs, facets_by_slug, numbers, member,
                                       member_value, name, template, filters):
    text = _text(template, numbers)
    wanted = {f: (member["key"] if f == "member" else v) for f, v in filters.items()}
    expected = oracle(index_and_slugs, facets_by_slug, text, wanted)
    assert expected, "each case finds something, so that a total of 0 proves nothing"
    total = open_search(page, serve_site, text, filters, member_value)
    assert total == len(expected)
    shown = shown_slugs(page)
    assert len(shown) == min(20, total) and set(shown) <= set(expected)
    assert page.inner_text("#search-status").startswith(fa_number(total) + " نتیجه")


@pytest.mark.parametrize("text,filters", [
    ("کرج", {"year": "1401", "kind": "ruling"}),
    ("", {"stage": "بدوی"}),                         # most rulings: counted as the site minus the rest
    ("", {"district": "5", "type": VIOLATION_TYPES[4]}),
])
def test_filter_counts_are_those_of_the_current_query(page, serve_site, index_and_slugs, facets_by_slug, text, filters):
    """Each option counts the documents that match the words and every *other* filter."""
    open_search(page, serve_site, text, filters)
    index, slugs = index_and_slugs
    matched = [slugs[hit["ref"]] for hit in lunr_matches(index, text)] if text else list(facets_by_slug)
    for facet in ("district", "year", "stage", "type", "decision", "kind"):
        options = page.eval_on_selector_all(
            f"select[name={facet}] option", "os => os.filter(o => o.value).map(o => [o.value, +o.dataset.count])")
        expected = Counter(v for doc in matched if passes(facets_by_slug[doc], filters, skip=facet)
                           for v in facets_by_slug[doc].get(facet, ()))
        assert dict(options) == {value: expected.get(value, 0) for value, _ in options}, facet
        assert any(count for _, count in options)


def test_filter_lists_are_filled_before_any_search_each_value_once(page, serve_site, facets_by_slug, site_data):
    page.goto(f"{serve_site}/search/")
    page.wait_for_selector('#search-app[data-filters="ready"]', state="attached")
    assert page.get_attribute("#search-results", "data-total") is None      # nothing was searched
    options = {facet: page.eval_on_selector_all(
        f"select[name={facet}] option", "os => os.filter(o => o.value).map(o => [o.value, +o.dataset.count])")
        for facet in FACETS}
    for facet, pairs in options.items():
        values = [v for v, _ in pairs]
        assert len(values) == len(set(values)), f"{facet} lists a value twice"
    everything = list(facets_by_slug.values())
    years = Counter(y for values in everything for y in values.get("year", ()))
    assert dict(options["year"]) == dict(years)
    districts = Counter(d for values in everything for d in values["district"])
    assert dict(options["district"]) == {str(d): districts.get(str(d), 0) for d in range(1, 13)}
    assert [v for v, _ in options["type"]] == list(VIOLATION_TYPES)
    assert dict(options["kind"]) == {"ruling": len(site_data.rulings), "property": len(site_data.properties)}
    members = Counter(m for values in everything for m in values.get("member", ()))
    assert sorted(c for _, c in options["member"]) == sorted(members.values())


@pytest.mark.parametrize("form,missing,text", [
    ("latin", "1402/3/1547", "1402/3/1547"), ("persian", "1402/3/1547", "۱۴۰۲/۳/۱۵۴۷"),
    ("arabic", "1402/3/1547", "١٤٠٢/٣/١٥٤٧"),
    ("a case number after «پرونده»", "1398/03/0999", "پرونده ۱۳۹۸-۰۳-۰۹۹۹"),
    ("a property code", "p/05/0999", "P-05-0999"),
])
def test_a_number_that_does_not_exist_shows_nothing_and_suggests(page, serve_site, facets_by_slug, site_data,
                                                                 form, missing, text):
    """The nearest numbers are written as their pages write them («۱۳۹۸-۰۳-۰۰۱۶», «P-05-0001»)."""
    written = {r[k] for r in site_data.rulings for k in ("ruling_no", "case_no")}
    written |= {p[k] for p in site_data.properties for k in ("property_code", "plate") if p[k]}
    assert missing not in {search.canonical_number(w) for w in written}
    assert open_search(page, serve_site, text, {}) == 0
    assert page.locator("#search-results > li").count() == 0
    assert missing.translate(PERSIAN) in page.inner_text("#search-status")
    suggested = page.eval_on_selector_all("#search-suggestions a", "as => as.map(a => a.textContent)")
    assert suggested and page.is_visible("#search-suggestions")
    digits = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
    assert all(s.translate(digits) in written for s in suggested), suggested
    page.click("#search-suggestions a")
    page.wait_for_function("() => +document.querySelector('#search-results').dataset.total > 0")


def test_every_page_of_results_together_is_the_whole_answer(page, serve_site, index_and_slugs, facets_by_slug):
    expected = oracle(index_and_slugs, facets_by_slug, "مهرشهر", {})
    assert 20 < len(expected) <= 60
    open_search(page, serve_site, "مهرشهر", {})
    seen = shown_slugs(page)
    while page.locator("#search-pages a:has-text('بعد')").count():
        page.click("#search-pages a:has-text('بعد')")
        page.wait_for_selector('#search-app[data-state="done"]', state="attached")
        seen += shown_slugs(page)
    assert sorted(seen) == sorted(expected)
    assert "page=3" in page.url
    page.reload()
    page.wait_for_selector("#search-results[data-total]", state="attached")
    assert page.get_attribute("#search-results", "start") == "41"


@pytest.mark.parametrize("filters,page_no", [({"kind": "ruling", "district": "5"}, 1),
                                             ({"stage": "بدوی"}, 1), ({"stage": "بدوی"}, 3)])
def test_a_browse_is_newest_first(page, serve_site, sample_site, filters, page_no):
    """The page shows the next 20 of the matching rulings by date (then slug), newest first."""
    fetched = []
    page.on("request", lambda request: fetched.append(request.url.split("/")[-1]))
    params = "&".join(f"{k}={quote(v)}" for k, v in filters.items()) + f"&page={page_no}"
    page.goto(f"{serve_site}/search/?{params}")
    page.wait_for_selector("#search-results[data-total]", state="attached")
    rulings = read_csv(sample_site.output / "data" / "rulings.csv")
    wanted = sorted((r for r in rulings if all(r[k] == v for k, v in filters.items() if k != "kind")),
                    key=lambda r: (r["ruling_date"], r["slug"]), reverse=True)
    start = (page_no - 1) * 20
    assert [slug for _, slug in shown_slugs(page)] == [r["slug"] for r in wanted[start:start + 20]]
    if "stage" in filters:      # most rulings: the file of those without it, not the bigger one
        assert any(name.startswith("facet-stage-0-not.") for name in fetched)
        assert not any(name.startswith("facet-stage-0.") for name in fetched)


@pytest.mark.parametrize("text,kind,target", [
    ("{name}", "عضو کمیسیون", "member"),
    ("{surname}", "عضو کمیسیون", "member"),
    ("شاهین ویلا", "محله", "districts/"),
    ("منطقه ۵", "منطقه", "districts/5/"),
])
def test_named_members_districts_and_neighbourhoods_come_first(page, serve_site, member, member_path, text, kind, target):
    text = text.format(name=member["name"], surname=member["name"].split()[-1])
    open_search(page, serve_site, text, {})
    entities = page.eval_on_selector_all("#search-entities li", "ls => ls.map(l => [l.innerText, l.querySelector('a').getAttribute('href')])")
    target = member_path if target == "member" else target
    assert any(kind in label and target in href for label, href in entities), entities
    box = page.locator("#search-entities").bounding_box()
    assert box["y"] < page.locator("#search-results").bounding_box()["y"]
    page.click(f"#search-entities a[href*='{target}']")
    page.wait_for_load_state()
    assert target in unquote(page.url)
    if target == member_path:
        assert page.locator(".print-button").count() == 1      # where the member's rulings are printed
