"""The home page's headline figures (issue 14, part 2).

Each figure is recomputed here with the csv module from the published ``rulings.csv``,
``violations.csv`` and ``properties.csv`` (never by calling ``pipeline/stats.py``), then compared
with ``data/stats-headline.csv`` and with the value the home page shows."""
import re
from html import unescape

import pytest

from browser_helpers import fa_int, read_csv, site_data  # noqa: F401
from pipeline.urls import URLS

LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹٫٬", "0123456789.,")


def expected(site_data) -> dict[str, int]:
    rulings, violations, properties = site_data.rulings, site_data.violations, site_data.properties
    appeals = [r for r in rulings if r["stage"] == "تجدیدنظر" and r["appeal_result"]]
    fine = [int(r["total_fine_rial"] or 0) for r in rulings]
    return {
        "rulings": len(rulings),
        "violations": len(violations),
        "demolition_violations": sum(v["decision"] == "قلع بنا" for v in violations),
        "fines_imposed_rial": sum(fine),
        # Collected: the execution status that says the money came in, and only that one.
        "fines_collected_rial": sum(f for f, r in zip(fine, rulings) if r["execution_status"] == "وصول شده"),
        "appeals": len(appeals),
        "appeals_confirmed": sum(r["appeal_result"] == "تأیید" for r in appeals),
        "appeals_overturned": sum(r["appeal_result"] == "نقض" for r in appeals),
        "appeals_modified": sum(r["appeal_result"] == "اصلاح" for r in appeals),
        "properties": len(properties),
        "properties_vacant": sum(p["occupancy"] == "خالی" for p in properties),
        "properties_occupied_illegally": sum(p["occupancy"] == "متصرف غیرقانونی" for p in properties),
    }


def home_html(sample_site) -> str:
    return (sample_site.output / "index.html").read_text(encoding="utf-8")


def shown(sample_site) -> dict[str, tuple[str, str]]:
    """figure key → (the value as a reader sees it, the figure's whole text)."""
    html = home_html(sample_site)
    tiles = re.findall(r'<li data-figure="(\w+)">(.*?)</li>', html, re.S)
    assert tiles, "the home page shows no headline figure"
    result = {}
    for key, body in tiles:
        value = re.search(r'<span class="fact-value"[^>]*>(.*?)</span>\s*<span class="fact-label"', body, re.S)
        result[key] = (unescape(re.sub(r"<[^>]+>", "", value.group(1))).strip(),
                       unescape(re.sub(r"<[^>]+>", " ", body)))
    return result


def test_the_headline_csv_holds_the_figures_recomputed_from_the_published_tables(sample_site, site_data):
    published = {r["measure"]: int(r["value"]) for r in read_csv(sample_site.output / URLS.stats_file("headline"))}
    assert published == expected(site_data)


def test_the_home_page_shows_each_figure_exactly(sample_site, site_data):
    want, seen = expected(site_data), shown(sample_site)
    assert fa_int(seen["rulings"][0]) == want["rulings"]
    share = round(want["demolition_violations"] * 100 / want["violations"], 1)
    assert float(re.sub(r"[^0-9.]", "", seen["demolition"][0].translate(LATIN))) == share
    assert [fa_int(n) for n in re.findall(r"[۰-۹٬]+", seen["demolition"][1].split("»", 1)[1])][:2] == \
        [want["demolition_violations"], want["violations"]]
    for key in ("fines_imposed", "fines_collected"):
        assert seen[key][0].endswith("ریال") and fa_int(seen[key][0]) == want[f"{key}_rial"]
    assert fa_int(seen["appeals"][0]) == want["appeals"]
    outcomes = [fa_int(n) for n in re.findall(r"[۰-۹٬]+", seen["appeals"][1].split("رأی تجدیدنظر", 1)[1])]
    assert outcomes == [want["appeals_confirmed"], want["appeals_overturned"], want["appeals_modified"]]
    for key in ("properties", "properties_vacant", "properties_occupied_illegally"):
        assert fa_int(seen[key][0]) == want[key]


def test_each_figure_links_to_an_existing_page_and_numbers_are_isolated(sample_site):
    html = home_html(sample_site)
    for key, body in re.findall(r'<li data-figure="(\w+)">(.*?)</li>', html, re.S):
        href = re.search(r'<a href="([^"]+)"', body).group(1).split("#")[0]
        target = sample_site.output / re.sub(r"^\./", "", href)
        assert (target / "index.html" if href.endswith("/") else target).is_file(), (key, href)
        value = re.search(r'<span class="fact-value"[^>]*>(.*?)</span>', body, re.S).group(1)
        # A number with a separator, in Persian text, is isolated from bidi reordering (digits
        # alone are one run already: the isolate filter leaves them).
        if re.search("[٬٫]", value):
            assert re.search(r"<bdi[^>]*>[^<]*[٬٫]", value), (key, value)
    assert f"{URLS.stats()}#rulings_by_year_district" in html and '<svg role="img"' in html


@pytest.mark.parametrize("width", [360, 1280])
def test_the_figures_stack_two_a_row_on_a_phone_and_fill_the_width_and_are_big_targets(make_page, serve_site, width):
    tab = make_page(width=width, height=900)
    tab.goto(f"{serve_site}/")
    boxes = tab.eval_on_selector_all('.facts li:not([data-figure^="fines"]) a',
                                     "els => els.map(e => e.getBoundingClientRect().toJSON())")
    facts = tab.eval_on_selector(".facts", "e => e.getBoundingClientRect().toJSON()")
    content = tab.eval_on_selector("main h1", "e => e.getBoundingClientRect().toJSON()")
    assert all(b["height"] >= 24 and b["width"] >= 24 for b in boxes)
    per_row = len({round(b["x"]) for b in boxes})
    assert (per_row == 2) if width == 360 else (per_row >= 4)
    assert facts["width"] >= content["width"] * 0.95
