"""Reading a record as a citizen does (issue 13, part A), in headless Chromium at 360 and 1280 px:
one rule for empty, zero and missing values; report-an-error and copy-link on record pages;
one search box; a compact phone header; 24 px footer targets; scroll regions focusable only
when they scroll; coordinates at one precision with map links; an ended lease said to be ended.

Expected values come from the published CSVs (``output/data/``) and ``files.json``, never from
the theme's filters.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import jdatetime
import pytest

from browser_helpers import axe_serious, fa_int, file_of, nu_errors, site_data  # noqa: F401

WIDTHS = [360, 1280]
FINE = "جریمه"
MISSING = "ثبت نشده"
NO_FINE = "جریمه‌ای تعیین نشده"
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
JALALI_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
                 "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")


def fa(text) -> str:
    return str(text).translate(PERSIAN)


def jalali_long(iso: str) -> str:
    j = jdatetime.date.fromgregorian(year=int(iso[:4]), month=int(iso[5:7]), day=int(iso[8:10]))
    return fa(f"{j.day} {JALALI_MONTHS[j.month - 1]} {j.year}")


def open_at(page, serve_site, path: str, width: int):
    page.set_viewport_size({"width": width, "height": 800})
    response = page.goto(f"{serve_site}/{path}")
    assert response is not None and response.ok, path
    page.evaluate("() => document.fonts.ready")
    return page


def fact(page, label: str) -> str:
    """The text of the ``<dd>`` after the ``<dt>`` that reads ``label``."""
    return page.evaluate("""label => {
        const dt = [...document.querySelectorAll('dl.facts dt')].find(d => d.textContent.trim() === label);
        return dt ? dt.nextElementSibling.innerText.trim() : null; }""", label)


class Rows:
    """The sample rows each case needs, picked from the published CSVs."""

    def __init__(self, data):
        self.data = data
        by_ruling: dict[str, list[dict]] = {}
        for v in data.violations:
            by_ruling.setdefault(v["ruling_no"], []).append(v)
        self.violations = by_ruling
        self.fined = {no for no, vs in by_ruling.items() if any(v["decision"] == FINE for v in vs)}

    def ruling(self, test) -> dict:
        found = [r for r in self.data.rulings if test(r)]
        assert found, "the sample has no such ruling: plant one in tools/make_sample_exports.py"
        return found[0]

    def property_(self, test) -> dict:
        found = [p for p in self.data.properties if test(p)]
        assert found, "the sample has no such property"
        return found[0]


@pytest.fixture(scope="module")
def rows(site_data):
    return Rows(site_data)


@pytest.fixture(scope="module")
def published(sample_site) -> str:
    return json.loads((sample_site.output / "data" / "files.json").read_text(encoding="utf-8"))["published"]


# --- 1. one rule for empty, zero and missing values ----------------------------------------

@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("total", ["0", ""])
def test_a_ruling_that_fined_nothing_says_so(page, serve_site, rows, width, total):
    """A demolition-only ruling: no «۰ ریال», no «وصول شده», whether the total is 0 or blank."""
    r = rows.ruling(lambda r: r["ruling_no"] not in rows.fined and r["total_fine_rial"] == total
                    and r["execution_status"] == "وصول شده")
    open_at(page, serve_site, f"rulings/{r['slug']}/", width)
    assert fact(page, "مبلغ کل جریمه") == NO_FINE
    status = fact(page, "وضعیت اجرا")
    assert not status.startswith("وصول شده") and "جریمه‌ای برای وصول نیست" in status
    cards = page.locator("table.violations tbody tr")
    assert cards.count() == len(rows.violations[r["ruling_no"]])
    for i in range(cards.count()):
        cells = cards.nth(i).locator("td")
        assert cells.nth(8).inner_text().strip() == NO_FINE
        assert cells.nth(6).inner_text().strip() == cells.nth(7).inner_text().strip() == "ندارد"


@pytest.mark.parametrize("width", WIDTHS)
def test_a_fined_ruling_shows_every_value_or_says_it_is_not_recorded(page, serve_site, rows, width):
    """A ruling with a fine, a violation with no floor recorded and one that was not fined."""
    def wanted(r):
        vs = rows.violations.get(r["ruling_no"], [])
        return (r["ruling_no"] in rows.fined and r["execution_status"] == ""
                and any(v["floor"] == "" for v in vs) and any(v["decision"] != FINE for v in vs))
    r = rows.ruling(wanted)
    open_at(page, serve_site, f"rulings/{r['slug']}/", width)
    assert fa_int(fact(page, "مبلغ کل جریمه")) == int(r["total_fine_rial"])
    assert fact(page, "وضعیت اجرا") == MISSING
    assert page.locator("dl.facts dd").evaluate_all("dds => dds.filter(d => !d.innerText.trim()).length") == 0
    cards = page.locator("table.violations tbody tr")
    violations = sorted(rows.violations[r["ruling_no"]], key=lambda v: int(v["seq"]))
    assert cards.count() == len(violations)
    for i, v in enumerate(violations):
        cells = [c.strip() for c in cards.nth(i).locator("td").all_inner_texts()]
        assert all(cells), f"a label with nothing beside it: {cells}"
        assert cells[3] == (MISSING if v["floor"] == "" else fa(v["floor"]))
        if v["decision"] == FINE:
            assert fa_int(cells[8]) == int(v["fine_rial"])
            assert fa_int(cells[6].replace("٫", "")) == int(v["multiplier"].replace(".", ""))
        else:
            assert cells[8] == NO_FINE and cells[6] == "ندارد"


@pytest.mark.parametrize("width", WIDTHS)
def test_a_property_shows_a_real_zero_and_a_missing_value_apart(page, serve_site, rows, width):
    zero = rows.property_(lambda p: p["building_area_m2"] == "0")
    open_at(page, serve_site, f"properties/{zero['slug']}/", width)
    assert fact(page, "مساحت اعیان") == "۰ مترمربع"
    blank = rows.property_(lambda p: p["building_area_m2"] == "" and p["plate"] == "" and p["latitude"] == "")
    open_at(page, serve_site, f"properties/{blank['slug']}/", width)
    assert fact(page, "مساحت اعیان") == MISSING
    assert fact(page, "پلاک ثبتی") == MISSING
    assert fact(page, "مختصات جغرافیایی") == MISSING
    assert page.locator("dl.facts dd").evaluate_all("dds => dds.filter(d => !d.innerText.trim()).length") == 0


def test_listings_show_a_fine_only_where_one_was_set(page, serve_site, rows, site_data):
    """A district's listing: the fined rulings show their total, the others no «۰ ریال»."""
    district = site_data.rulings[0]["district"]
    open_at(page, serve_site, f"districts/{district}/", 360)
    items = page.locator("ol.ruling-list > li")
    by_slug = {r["slug"]: r for r in site_data.rulings}
    seen_fined = seen_other = 0
    for i in range(items.count()):
        item = items.nth(i)
        r = by_slug[item.locator("a").first.get_attribute("href").rstrip("/").split("/")[-1]]
        text = item.inner_text()
        if r["ruling_no"] in rows.fined:
            seen_fined += 1
            assert fa(f"{int(r['total_fine_rial']):,}").replace(",", "٬") in text
        else:
            seen_other += 1
            assert "ریال" not in text
    assert seen_fined and seen_other


@pytest.mark.parametrize("decisions, total, expected, absent", [
    (["قلع بنا", FINE], None, f"جریمه {MISSING}", "ریال"),   # fined, total not recorded (not in the sample)
    ([FINE], 0, "جریمه ۰ ریال", MISSING),                 # fined, a recorded zero
    (["قلع بنا"], 0, None, "ریال"),                        # fined nothing: no «۰ ریال»
])
def test_the_listing_macro_follows_the_rule(decisions, total, expected, absent):
    """The listing line of a ruling, rendered by the theme's macro with the site's filters."""
    import jinja2

    import pelicanconf
    from pipeline.display import FILTERS
    from pipeline.urls import URLS
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "theme" / "templates"),
                             **pelicanconf.JINJA_ENVIRONMENT)
    env.filters.update(FILTERS)
    env.globals["urls"] = URLS
    macro = env.get_template("_macros.html").module.ruling_list
    html = str(macro([{"url": "rulings/1402-3-1/", "ruling_no": "1402/3/1", "ruling_date": "2023-06-01",
                       "district": 3, "neighbourhood": None, "stage": "بدوی", "decisions": decisions,
                       "total_fine_rial": total}], ""))
    if expected:
        assert expected in re.sub(r"<[^>]+>", "", html)
    assert absent not in html


# --- 2. report an error, copy the link -------------------------------------------------

def _record_pages(rows):
    r = rows.data.rulings[0]
    p = rows.data.properties[0]
    return [(f"rulings/{r['slug']}/", r["ruling_no"]), (f"properties/{p['slug']}/", p["property_code"])]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("which", [0, 1])
def test_report_an_error_opens_a_filled_mail(page, serve_site, rows, width, which):
    path, number = _record_pages(rows)[which]
    open_at(page, serve_site, path, width)
    link = page.locator(".report-error a[href^='mailto:']")
    assert link.is_visible()
    href = link.get_attribute("href")
    assert re.fullmatch(r"mailto:[\x21-\x7e]+", href), "percent-encoded: no space, no raw Persian"
    parts = urlsplit(href)
    settings = Path(__file__).resolve().parent.parent / "pelicanconf.py"
    contact = re.search(r'"contact": "([^"]+)"', settings.read_text(encoding="utf-8")).group(1)
    assert unquote(parts.path) == contact
    query = parse_qs(parts.query)
    assert number in query["subject"][0]
    body = query["body"][0]
    assert number in body and f"/{path}" in body and "\r\n" in body


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("which", [0, 1])
def test_copy_link_copies_the_page_address(browser, serve_site, rows, width, which):
    path, _ = _record_pages(rows)[which]
    context = browser.new_context(viewport={"width": width, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=serve_site)
    tab = context.new_page()
    try:
        tab.goto(f"{serve_site}/{path}")
        button = tab.locator("button.copy-link")
        assert button.is_visible()
        box = button.bounding_box()
        assert box["height"] >= 24 and box["width"] >= 24
        button.click()
        tab.locator(".copy-status").wait_for()
        assert tab.evaluate("() => navigator.clipboard.readText()") == f"{serve_site}/{path}"
    finally:
        context.close()


@pytest.mark.parametrize("which", [0, 1])
def test_without_scripts_the_button_hides_and_the_address_shows(browser, serve_site, rows, which):
    path, _ = _record_pages(rows)[which]
    context = browser.new_context(viewport={"width": 360, "height": 800}, java_script_enabled=False)
    tab = context.new_page()
    try:
        tab.goto(f"{serve_site}/{path}")
        assert tab.locator("button.copy-link").count() == 1
        assert not tab.locator("button.copy-link").is_visible()
        assert f"/{path}" in tab.locator(".permalink").inner_text()
    finally:
        context.close()


# --- 3. the smaller items -------------------------------------------------------------

@pytest.mark.parametrize("width", WIDTHS)
def test_the_search_page_has_one_search_box(page, serve_site, width):
    open_at(page, serve_site, "search/?q=" + "کرج", width)
    page.locator("#search-results li").first.wait_for()
    boxes = page.locator("input[type=search]")
    visible = [i for i in range(boxes.count()) if boxes.nth(i).is_visible()]
    assert len(visible) == 1
    assert boxes.nth(visible[0]).input_value() == "کرج"
    open_at(page, serve_site, "", width)
    assert page.locator(".site-header input[type=search]").is_visible(), "other pages keep the header box"


def test_the_phone_header_is_compact_and_keeps_the_search(page, serve_site):
    open_at(page, serve_site, "", 360)
    height = page.locator(".site-header").bounding_box()["height"]
    assert height <= 130, f"the header is {height} px tall at 360 px"
    search = page.locator(".site-header input[type=search]").bounding_box()
    assert search["y"] + search["height"] <= height and search["width"] >= 150
    links = page.locator(".site-nav a")
    assert all(links.nth(i).is_visible() for i in range(links.count()))


@pytest.mark.parametrize("width", WIDTHS)
def test_footer_and_header_links_are_24_px_targets(page, serve_site, width):
    open_at(page, serve_site, "", width)
    small = page.locator(".site-footer a, .site-nav a").evaluate_all(
        "links => links.map(a => [a.textContent, a.getBoundingClientRect().height]).filter(([, h]) => h < 24)")
    assert small == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", ["ruling", "properties/", "data/"])
def test_only_a_region_that_scrolls_takes_a_tab_stop(page, serve_site, rows, width, path):
    if path == "ruling":
        path = f"rulings/{rows.data.rulings[0]['slug']}/"
    open_at(page, serve_site, path, width)
    state = "() => [...document.querySelectorAll('.table-scroll')].map(r => [r.scrollWidth > r.clientWidth + 1, r.getAttribute('tabindex')])"
    regions = page.evaluate(state)
    assert regions, "the page has a table region"
    assert all((tab == "0") == scrolls for scrolls, tab in regions), regions
    # the same region made wider than the screen becomes focusable again
    page.add_style_tag(content=".table-scroll table { min-width: 3000px; }")
    page.evaluate("() => window.dispatchEvent(new Event('resize'))")
    page.wait_for_function("() => [...document.querySelectorAll('.table-scroll')].every(r => r.getAttribute('tabindex') === '0')")


def _coordinates(p: dict) -> tuple[str, str]:
    return f"{float(p['latitude']):.5f}", f"{float(p['longitude']):.5f}"


@pytest.mark.parametrize("width", WIDTHS)
def test_coordinates_at_one_precision_with_map_links(page, serve_site, rows, width):
    # one given with 6 decimals and one given with fewer: both shown with five
    uneven = [rows.property_(lambda p: p["latitude"] and len(p["latitude"].split(".")[1]) == n) for n in (6, 5)]
    for p in uneven:
        lat, lon = _coordinates(p)
        open_at(page, serve_site, f"properties/{p['slug']}/", width)
        shown = fact(page, "مختصات جغرافیایی")
        # each number named, latitude first in reading order (a bare «lat، lon» pair read right
        # to left would give the longitude first)
        assert shown.startswith(f"عرض {fa(lat).replace('.', '٫')}، طول {fa(lon).replace('.', '٫')}"), shown
        osm = urlsplit(page.locator("dd.coordinates a.osm").get_attribute("href"))
        assert osm.netloc == "www.openstreetmap.org"
        assert parse_qs(osm.query) == {"mlat": [lat], "mlon": [lon]}
        assert page.locator("dd.coordinates a.geo").get_attribute("href") == f"geo:{lat},{lon}"
        assert page.locator("dd.coordinates a.osm").is_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_an_ended_lease_is_not_shown_as_running(page, serve_site, rows, published, width):
    ended = rows.property_(lambda p: p["occupancy"] == "اجاره" and p["contract_end"] and p["contract_end"] < published)
    open_at(page, serve_site, f"properties/{ended['slug']}/", width)
    occupancy = fact(page, "وضعیت بهره‌برداری")
    assert "پایان یافته" in occupancy and jalali_long(ended["contract_end"]) in occupancy
    running = rows.property_(lambda p: p["occupancy"] == "اجاره" and p["contract_end"] >= published)
    open_at(page, serve_site, f"properties/{running['slug']}/", width)
    assert "پایان یافته" not in fact(page, "وضعیت بهره‌برداری")
    assert "پایان یافته" not in fact(page, "پایان قرارداد")


# --- the changed pages stay clean ------------------------------------------------------

def _changed_pages(rows, published) -> list[str]:
    demolition = rows.ruling(lambda r: r["ruling_no"] not in rows.fined)
    fined = rows.ruling(lambda r: r["ruling_no"] in rows.fined)
    lease = rows.property_(lambda p: p["contract_end"] and p["contract_end"] < published and p["latitude"])
    return [f"rulings/{demolition['slug']}/", f"rulings/{fined['slug']}/",
            f"properties/{lease['slug']}/", "search/", ""]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("index", range(5))
def test_axe_is_clean_on_the_changed_pages(page, serve_site, rows, published, width, index):
    open_at(page, serve_site, _changed_pages(rows, published)[index], width)
    bad = axe_serious(page)
    assert not bad, bad


def test_nu_is_clean_on_the_changed_pages(sample_site, rows, published):
    files = [str(file_of(sample_site.output, path)) for path in _changed_pages(rows, published)]
    errors = nu_errors(files)
    assert not errors, errors


def test_a_members_table_follows_the_fine_rule(sample_site, rows, site_data):
    """A member's ruling table: a ruling that fined nothing reads «ندارد», never «۰»; a fined
    one shows its total (the same rule as the ruling page, through the same filter)."""
    import html as html_lib
    role, segment = "council_rep", "council"
    page = next((sample_site.output / "members" / segment).glob("*/index.html"))
    cells = re.findall(r'<a href="[^"]*/rulings/([^/"]+)/"><bdi>.*?</bdi></a>.*?'
                       r'<td data-label="جریمه کل \(ریال\)" class="num fine">(.*?)</td>',
                       page.read_text(encoding="utf-8"), flags=re.S)
    assert cells, "no ruling rows found on the member page"
    by_slug = {r["slug"]: r for r in site_data.rulings}
    seen = set()
    for slug, cell in cells:
        ruling_no = by_slug[slug]["ruling_no"]
        text = html_lib.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
        if ruling_no in rows.fined:
            seen.add("fined")
            assert fa_int(text) == int(by_slug[slug]["total_fine_rial"]), (ruling_no, text)
        else:
            seen.add("other")
            assert text == "ندارد", (ruling_no, text)
    assert seen == {"fined", "other"}
