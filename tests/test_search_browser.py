"""Search as a citizen uses it: lunr.js in real headless Chromium over the Python-built index."""
from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from pipeline.display import fa_number
from pipeline.schema import MEMBER_ROLES
from pipeline.search import tokens

VECTORS = json.loads((Path(__file__).parent / "normalise_vectors.json").read_text("utf-8"))


def rows(site, name):
    with open(site.output / "data" / f"{name}.csv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def search(page, base, query, **filters):
    params = "&".join([f"q={quote(query)}"] + [f"{k}={quote(str(v))}" for k, v in filters.items()])
    page.goto(f"{base}/search/?{params}")
    page.wait_for_selector('#search-app[data-state="done"]', state="attached", timeout=15000)
    results = page.eval_on_selector_all(
        "#search-results > li",
        "items => items.map(li => ({href: li.querySelector('a').getAttribute('href'),"
        " text: li.innerText, exact: li.classList.contains('result-exact')}))")
    return results, page.inner_text("#search-status")


def slug_of(href):
    return href.rstrip("/").split("/")[-1]


def test_normaliser_vectors_pass_in_the_browser(page, serve_site):
    page.goto(f"{serve_site}/search/")
    got = page.evaluate("""vectors => vectors.map(v => [ShafafNormalise.normaliseText(v.input),
                                                   ShafafNormalise.fold(v.input)])""", VECTORS["vectors"])
    assert got == [[v["normalised"], v["folded"]] for v in VECTORS["vectors"]]


@pytest.fixture(scope="module")
def ruling(sample_site):
    """A first-instance ruling of the sample, chosen from the published data."""
    return next(r for r in rows(sample_site, "rulings") if r["stage"] == "بدوی" and r["neighbourhood"])


PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@pytest.mark.parametrize("form", ["latin", "persian", "hyphens", "spaces-around"])
def test_ruling_number_in_any_form_comes_first(page, serve_site, ruling, form):
    number = ruling["ruling_no"]
    query = {"latin": number, "persian": number.translate(PERSIAN),
             "hyphens": number.replace("/", "-"), "spaces-around": f"  {number}  "}[form]
    results, _ = search(page, serve_site, query)
    assert results and slug_of(results[0]["href"]) == ruling["slug"] and results[0]["exact"]


def test_case_number_finds_its_rulings(page, serve_site, sample_site, ruling):
    expected = {r["slug"] for r in rows(sample_site, "rulings") if r["case_no"] == ruling["case_no"]}
    results, _ = search(page, serve_site, ruling["case_no"].translate(PERSIAN))
    assert results[0]["exact"]
    assert expected <= {slug_of(r["href"]) for r in results}


def test_member_name_with_arabic_letters(page, serve_site, sample_site):
    data = rows(sample_site, "rulings")
    name = "محمد کیهانی"
    assert any(r["council_rep"] == name for r in data), "the sample has this council member"
    results, status = search(page, serve_site, name.replace("ی", "ي").replace("ک", "ك"))
    assert len(results) >= 20
    assert all("کیهانی" in r["text"] for r in results if "/rulings/" in r["href"])


@pytest.mark.parametrize("query", ["شاهین‌ویلا", "شاهینویلا", "شاهین ویلا", "شاهين‌ويلا"])
def test_neighbourhood_with_and_without_zwnj(page, serve_site, query):
    results, _ = search(page, serve_site, query, kind="ruling")
    assert results
    assert all("شاهین‌ویلا" in r["text"] for r in results)


def test_prefix_finds_words_as_you_type(page, serve_site):
    results, _ = search(page, serve_site, "مهرش", kind="ruling")
    assert results and all("مهرشهر" in r["text"] for r in results)


def test_one_typo_in_a_long_word(page, serve_site):
    results, _ = search(page, serve_site, "کیانمهز", kind="ruling")   # ر typed as ز
    assert results and all("کیانمهر" in r["text"] for r in results)


def test_properties_are_found_by_code_and_title(page, serve_site, sample_site):
    prop = rows(sample_site, "properties")[0]
    results, _ = search(page, serve_site, prop["property_code"])
    assert slug_of(results[0]["href"]) == prop["slug"] and "/properties/" in results[0]["href"]
    word = max(prop["title"].split(), key=len)
    results, _ = search(page, serve_site, word, kind="property")
    assert prop["slug"] in {slug_of(r["href"]) for r in results}


@pytest.mark.parametrize("query", [":", "*", "**", "~1", "^", "title:کرج", "کرج:", "+-"])
def test_lunr_syntax_never_throws(page, serve_site, query):
    _, status = search(page, serve_site, query)      # the page fixture fails on any JS error
    assert status.strip()


def test_filters_are_applied_and_kept_in_the_url(page, serve_site, sample_site):
    results, _ = search(page, serve_site, "کرج", district=5, kind="ruling")
    assert results
    by_slug = {r["slug"]: r for r in rows(sample_site, "rulings")}
    assert all(by_slug[slug_of(r["href"])]["district"] == "5" for r in results)
    assert "district=5" in page.url and page.eval_on_selector("select[name=district]", "s => s.value") == "5"


def test_results_link_to_real_pages(page, serve_site, ruling):
    results, _ = search(page, serve_site, ruling["ruling_no"])
    page.click("#search-results a")
    page.wait_for_load_state()
    assert page.url.endswith(f"/rulings/{ruling['slug']}/")
    assert page.title()


def test_matching_words_are_highlighted(page, serve_site):
    search(page, serve_site, "مهرشهر", kind="ruling")
    marks = page.eval_on_selector_all("#search-results mark", "ms => ms.map(m => m.textContent)")
    assert marks and all("مهرشهر" in m for m in marks)


def test_header_search_box_leads_to_results(page, serve_site, ruling):
    page.goto(f"{serve_site}/rulings/{ruling['slug']}/")
    page.fill("#site-search", ruling["ruling_no"])
    page.press("#site-search", "Enter")
    page.wait_for_selector('#search-app[data-state="done"]', state="attached", timeout=15000)
    assert slug_of(page.get_attribute("#search-results a", "href")) == ruling["slug"]


def test_number_query_fetches_only_the_terms_file_that_holds_it(page, serve_site, sample_site, ruling):
    """A number is looked up, never expanded: the manifest, the one terms file where the
    number sorts, and the docs file of the result (not the word list, not other terms)."""
    from pipeline import search as index
    manifest = json.loads((sample_site.output / "search" / "manifest.json").read_text())
    fetched = []
    page.on("request", lambda request: fetched.append(request.url.split("/")[-1]))
    search(page, serve_site, ruling["ruling_no"].translate(PERSIAN))
    terms = {name for name in fetched if name.startswith("terms-")}
    number = index.canonical_number(ruling["ruling_no"])
    assert "/" in number and terms == {index.terms_file_of(manifest["terms"], number)}
    assert not any(name.startswith(("words", "facet-")) for name in fetched)
    assert len([name for name in fetched if name.startswith("docs-")]) == 1
    assert len(manifest["terms"]) > 10


def test_a_rare_word_is_answered_completely_at_once(page, serve_site, sample_site):
    """The old index searched month after month and offered to "search further"; a term
    partition answers from the word list alone when no indexed word begins so."""
    fetched = []
    page.on("request", lambda request: fetched.append(request.url.split("/")[-1]))
    _, status = search(page, serve_site, "واژه‌ای‌که‌نیست")
    assert status == "نتیجه‌ای پیدا نشد."
    assert page.get_attribute("#search-results", "data-total") == "0"
    assert not any(name.startswith("terms-") for name in fetched)
    assert page.locator("#search-more").count() == 0


def test_without_javascript_the_page_says_so(browser, serve_site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{serve_site}/search/?q=کرج")
    text = page.inner_text("main")
    assert "جاوااسکریپت" in text and page.is_hidden("#search-app")
    context.close()


def test_typing_searches_and_timing_is_reported(page, serve_site):
    page.goto(f"{serve_site}/search/")
    page.fill("#search-q", "مهرشهر")
    page.wait_for_selector('#search-app[data-state="done"]', state="attached", timeout=15000)
    timings = []
    for query in ("کریمیان", "عظیمیه", "1402", "سلیمانی", "قلع بنا"):
        start = time.perf_counter()
        page.fill("#search-q", query)
        page.wait_for_function("() => document.querySelector('#search-app').dataset.state === 'done'"
                               " && new URLSearchParams(location.search).get('q') === " + json.dumps(query))
        timings.append((query, float(page.get_attribute("#search-app", "data-last-query-ms")),
                        page.get_attribute("#search-app", "data-last-query-files"),
                        (time.perf_counter() - start) * 1000))
    for query, in_browser, files, round_trip in timings:
        print(f"search timing: {query!r}: lunr {in_browser:.1f} ms in the browser after fetching {files} index files, "
              f"{round_trip:.0f} ms from typing to results (120 ms debounce and fetching included)")
    assert page.locator("#search-results > li").count() > 0


@pytest.mark.parametrize("form", ["persian", "hyphens"])
def test_a_number_highlights_that_number_only(page, serve_site, ruling, form):
    """Not the case number or the year that share its first digits."""
    number = ruling["ruling_no"]
    query = number.translate(PERSIAN) if form == "persian" else number.replace("/", "-")
    search(page, serve_site, query)
    marks = page.eval_on_selector_all("#search-results li:first-child mark", "ms => ms.map(m => m.textContent)")
    assert marks == [number.translate(PERSIAN)]


@pytest.mark.parametrize("query,filters", [("مهرشهر", {}), ("", {"kind": "property"}), ("", {"kind": "ruling", "district": "5"})])
def test_no_middle_dot_beside_digits_in_results(page, serve_site, query, filters):
    """«·» beside Persian digits reads as a zero: «۱۴۰۳/۱/۲۸۴ · ۳ اسفند» as «…۲۸۴۰۳ اسفند»."""
    results, status = search(page, serve_site, query, **filters)
    assert results
    assert "·" not in status and not [r["text"] for r in results if "·" in r["text"]]


QUERY_VECTORS = json.loads((Path(__file__).parent / "search_query_vectors.json").read_text("utf-8"))["queries"]


def test_number_query_vectors_pass_in_the_browser(page, serve_site):
    """search.js reads a number query as pipeline/search.py does (tests/test_search_index.py)."""
    page.goto(f"{serve_site}/search/")
    page.wait_for_selector('#search-app[data-filters="ready"]', state="attached")
    got = page.evaluate("vectors => vectors.map(v => ShafafSearch.queryNumber(v.query))", QUERY_VECTORS)
    assert got == [v["number"] for v in QUERY_VECTORS]


@pytest.mark.parametrize("lead_in", ["رأی ", "رأی شماره ", "شماره‌ی "])
def test_a_ruling_number_after_a_lead_in_is_that_ruling(page, serve_site, ruling, lead_in):
    results, status = search(page, serve_site, lead_in + ruling["ruling_no"].translate(PERSIAN))
    assert results and slug_of(results[0]["href"]) == ruling["slug"] and results[0]["exact"], status


def test_every_word_counts_however_common(page, serve_site, sample_site):
    """«کرج» is in most records: a record without it, holding «نو» alone («کلاک نو»), is no answer.
    A record's words are read from the published data (a holder is indexed but not shown)."""
    records = {("rulings", r["slug"]): r for r in rows(sample_site, "rulings")}
    records.update({("properties", p["slug"]): p for p in rows(sample_site, "properties")})
    violations = {}
    for v in rows(sample_site, "violations"):
        violations.setdefault(v["ruling_no"], []).extend((v["violation_type"], v["decision"]))
    results, status = search(page, serve_site, "کرج نو")
    assert results, status
    for result in results:
        record = records[("rulings" if "/rulings/" in result["href"] else "properties", slug_of(result["href"]))]
        words = tokens(*record.values(), *violations.get(record.get("ruling_no"), ()))
        assert any(w.startswith("کرج") for w in words) and "نو" in words, result["text"]


def test_filters_name_roles_and_decisions_as_the_pages_do(page, serve_site, sample_site):
    page.goto(f"{serve_site}/search/")
    page.wait_for_selector('#search-app[data-filters="ready"]', state="attached")
    members = page.eval_on_selector_all("select[name=member] option", "os => os.filter(o => o.value).map(o => o.dataset.label)")
    titles = [title for _, title, _ in MEMBER_ROLES]
    assert members and all(any(label.endswith(f"({title})") for title in titles) for label in members)
    assert any(label.endswith("(نماینده دادستان)") for label in members)
    label = page.evaluate("() => document.querySelector('select[name=decision]').parentElement.firstChild.textContent")
    assert label.strip() == "تصمیم"
    rulings = len(rows(sample_site, "rulings"))
    assert rulings >= 1000, "the count must need a thousands separator"
    assert page.text_content("select[name=kind] option[value=ruling]").endswith(f"({fa_number(rulings)})")
