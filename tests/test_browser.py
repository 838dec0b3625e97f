"""What a citizen sees, in real headless Chromium: the home page, rulings, a member, a district,
a property; links, appeal links both ways, counts against the published data, print, a11y."""
from __future__ import annotations

import re
from collections import Counter

import pytest

from browser_helpers import fa_int, key_pages, site_data  # noqa: F401
from pipeline.values import match_key

LATIN_DIGIT = re.compile(r"[0-9]")


def open_page(page, serve_site, path: str):
    response = page.goto(f"{serve_site}/{path}")
    assert response is not None and response.ok, path
    return page


def test_home(page, serve_site, site_data):
    open_page(page, serve_site, "")
    assert page.locator("html").get_attribute("lang") == "fa"
    assert page.locator("html").get_attribute("dir") == "rtl"
    latest = page.locator("section[aria-labelledby=latest-title] ol.ruling-list > li > a")
    assert latest.count() == 20
    newest = sorted(site_data.rulings, key=lambda r: (r["ruling_date"], r["slug"]), reverse=True)
    assert latest.first.get_attribute("href").rstrip("/").endswith(newest[0]["slug"])
    counts = Counter(r["district"] for r in site_data.rulings)
    tiles = page.locator("section[aria-labelledby=districts-title] li")
    assert tiles.count() == 12
    for i in range(12):
        assert fa_int(tiles.nth(i).locator(".count").inner_text()) == counts.get(str(i + 1), 0)
    # every browse path is linked from the home page and opens
    hrefs = page.locator("nav.browse a").evaluate_all("links => links.map(a => a.href)")
    for path in ("rulings/", "districts/", "types/", "decisions/", "years/", "members/", "properties/"):
        assert f"{serve_site}/{path}" in hrefs
    for href in hrefs:
        assert page.request.get(href).ok, href
    # the footer gives the data's date (the newest ruling), in Persian digits
    footer = page.locator(".site-footer time")
    assert footer.get_attribute("datetime") == newest[0]["ruling_date"]
    assert not LATIN_DIGIT.search(footer.inner_text())


def test_appeal_links_both_ways(page, serve_site, site_data):
    pairs = site_data.appeal_pairs()
    assert pairs
    for appeal, first in pairs[:5]:
        open_page(page, serve_site, f"rulings/{appeal['slug']}/")
        page.locator("dd.appealed a").click()
        page.wait_for_url(f"**/rulings/{first['slug']}/")
        back = page.locator("dd.appeals a")
        assert back.count() >= 1
        hrefs = back.evaluate_all("links => links.map(a => a.href)")
        assert f"{serve_site}/rulings/{appeal['slug']}/" in hrefs


def test_ruling_page(page, serve_site, site_data, key_pages):
    appeal = site_data.rulings[[r["slug"] for r in site_data.rulings].index(key_pages["appeal"].split("/")[1])]
    open_page(page, serve_site, key_pages["appeal"])
    facts = page.locator("dl.facts")
    assert not LATIN_DIGIT.search(facts.inner_text()), "digits on screen are Persian"
    assert not LATIN_DIGIT.search(page.locator("h1").inner_text())
    # the three members, each linking to a page that lists this ruling
    members = page.locator("ul.members li a")
    assert members.count() == 3
    for i in range(3):
        assert members.nth(i).inner_text() in (appeal["interior_rep"], appeal["judiciary_rep"], appeal["council_rep"])
    violations = [v for v in site_data.violations if v["ruling_no"] == appeal["ruling_no"]]
    assert page.locator("table.violations tbody tr").count() == len(violations)
    if appeal["total_fine_rial"]:
        total = page.locator("dd.total-fine").inner_text()
        assert "ریال" in total and "٬" in total or int(appeal["total_fine_rial"]) < 1000
        assert fa_int(total) == int(appeal["total_fine_rial"])
    # the JSON download and the print button
    download = page.locator("a[download]")
    assert page.request.get(download.evaluate("a => a.href")).json()["ruling_no"] == appeal["ruling_no"]
    assert page.locator("button.print-button").is_visible()  # shown by print.js
    assert page.locator(".permalink").inner_text().strip().endswith(f"/rulings/{appeal['slug']}/")
    # from a member link to the member's page, which lists this ruling
    members.first.click()
    page.wait_for_load_state()
    assert page.locator(f"table.rulings-table a[href$='rulings/{appeal['slug']}/']").count() == 1


@pytest.mark.parametrize("role,role_slug", [("interior_rep", "interior"), ("judiciary_rep", "judiciary"),
                                            ("council_rep", "council")])
def test_member_counts_match_the_data(page, serve_site, site_data, role, role_slug):
    groups = site_data.member_rulings(role)
    open_page(page, serve_site, "members/")
    links = page.locator(f"section[aria-labelledby=role-{role_slug}] li")
    assert links.count() == len(groups)
    for i in range(links.count()):
        item = links.nth(i)
        name = item.locator("a").inner_text()
        expected = groups[match_key(name)]
        assert fa_int(item.locator(".count").inner_text()) == len(expected), name
    # each member's own page: the whole list, and counts by decision
    for i in range(links.count()):
        href = links.nth(i).locator("a").evaluate("a => a.href")
        member = page.context.new_page()
        member.goto(href)
        name = member.locator("h1").inner_text()
        rulings = groups[match_key(name)]
        assert fa_int(member.locator(".summary .count").inner_text()) == len(rulings)
        assert member.locator("table.rulings-table tbody tr").count() == len(rulings)
        decisions = site_data.decisions_of({r["ruling_no"] for r in rulings})
        rows = member.locator("table.decision-counts tbody tr")
        shown = {rows.nth(j).locator("th").inner_text(): fa_int(rows.nth(j).locator("td").nth(1).inner_text())
                 for j in range(rows.count())}
        assert shown == dict(decisions), name
        member.close()


def test_district_page_and_pagination(page, serve_site, site_data, key_pages):
    district = key_pages["district"].split("/")[1]
    rulings = [r for r in site_data.rulings if r["district"] == district]
    open_page(page, serve_site, key_pages["district"])
    assert fa_int(page.locator(".summary .count").inner_text()) == len(rulings)
    first = page.locator("ol.ruling-list > li > a").evaluate_all("links => links.map(a => a.href)")
    page.locator("nav.pager a[rel=next]").click()
    page.wait_for_url("**/page/2/")
    second = page.locator("ol.ruling-list > li > a").evaluate_all("links => links.map(a => a.href)")
    assert first and second and not set(first) & set(second)
    shown = len(first)
    pages = page.locator("nav.pager li").count() - 2  # numbers, plus previous and next
    assert shown * (pages - 1) < len(rulings) <= shown * pages
    for href in second[:5]:
        slug = href.rstrip("/").rsplit("/", 1)[1]
        assert any(r["slug"] == slug for r in rulings)


def test_property_page(page, serve_site, site_data, key_pages):
    record = site_data.properties[0]
    open_page(page, serve_site, key_pages["property"])
    assert page.locator("h1").inner_text()
    facts = page.locator("dl.facts")
    assert record["land_use"] in facts.inner_text() and record["occupancy"] in facts.inner_text()
    labels = facts.locator("dt").all_inner_texts()
    values = facts.locator("dd").all_inner_texts()
    assert len(labels) == len(values) and all(v.strip() for v in values), "no empty labels"
    # its district's list holds it
    page.locator("dl.facts a[href*='properties/district/']").click()
    page.wait_for_load_state()
    in_district = [p for p in site_data.properties if p["district"] == record["district"]]
    assert fa_int(page.locator(".summary .count").inner_text()) == len(in_district)
    assert page.locator(f"a[href$='properties/{record['slug']}/']").count() == 1


@pytest.mark.parametrize("name", ["home", "appeal", "member", "district", "property"])
def test_print_hides_navigation(page, serve_site, key_pages, name):
    open_page(page, serve_site, key_pages[name])
    assert page.locator(".site-header").is_visible()
    page.emulate_media(media="print")
    for selector in (".site-header", ".site-footer", "nav", ".print-button", ".skip-link"):
        locator = page.locator(selector)
        assert all(not locator.nth(i).is_visible() for i in range(locator.count())), selector
    assert page.locator("main h1").is_visible()
    if name == "member":
        rows = page.locator("table.rulings-table tbody tr")
        assert all(rows.nth(i).is_visible() for i in range(0, rows.count(), 25))
        assert set(page.locator("table.rulings-table thead").evaluate_all(
            "ts => ts.map(t => getComputedStyle(t).display)")) == {"table-header-group"}  # one table a year


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("name", ["home", "appeal", "member", "district", "property", "properties",
                                  "datasets", "dictionary", "search"])
def test_no_sideways_scrolling(page, serve_site, key_pages, name, width):
    page.set_viewport_size({"width": width, "height": 800})
    open_page(page, serve_site, key_pages[name])
    overflow = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => !e.closest('.table-scroll, .chart-box, .leaflet-container'))  // each clips what overflows it
        .filter(e => { const r = e.getBoundingClientRect(); return r.width && (r.left < -1 || r.right > innerWidth + 1); })
        .map(e => e.tagName + '.' + e.className).slice(0, 5)""")
    assert overflow == []
    font = page.evaluate("() => document.fonts.ready.then(() => [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family))")
    assert any("Vazirmatn" in f for f in font), "the site's own font is served and used"


def test_skip_link_and_visible_focus(page, serve_site):
    open_page(page, serve_site, "")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.className, getComputedStyle(document.activeElement).outlineStyle, document.activeElement.getBoundingClientRect().top]")
    assert focused[0] == "skip-link" and focused[2] >= 0
    page.keyboard.press("Tab")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
