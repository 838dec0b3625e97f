"""A member's page as a citizen reads it on a phone, and what paper holds of it and of a record
page, in real headless Chromium. Expected values come from the published CSVs (never from the
plugin): a member's rulings, their years, decisions and stages, their violation types and the
other two members of each ruling. Printed pages are Chromium's own PDF (``page.pdf``), read back
with ``pdftotext``."""
from __future__ import annotations

import datetime as dt
import html
import re
import subprocess
from collections import defaultdict
from urllib.parse import parse_qs, urlparse

import jdatetime
import pytest

import pelicanconf

from browser_helpers import ROLES, ROOT, fa_int, member_path, site_data  # noqa: F401
from pipeline.normalise import fold
from pipeline.values import match_key

ROLE_TITLES = {"interior_rep": "نماینده وزارت کشور", "judiciary_rep": "نماینده دادستان",
               "council_rep": "نماینده شورای شهر"}
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
TAIL = 4  # the fewest rulings the last printed page holds (or the whole list, when shorter)
MONTHS = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"]
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def jalali_year(iso: str) -> int:
    return jdatetime.date.fromgregorian(date=dt.date.fromisoformat(iso)).year


def member_page(sample_site, site_data, role: str, pick) -> tuple[str, list[dict]]:
    """(path of a member's page, their rulings from rulings.csv): ``pick`` chooses the member
    from the match keys sorted by how many rulings they hold; the path is read off a ruling's
    link, as a reader finds it."""
    groups = site_data.member_rulings(role)
    key = pick(sorted(groups, key=lambda k: (len(groups[k]), k)))
    ruling = groups[key][0]
    source = (sample_site.output / "rulings" / ruling["slug"] / "index.html").read_text(encoding="utf-8")
    slug = dict(ROLES)[role]
    match = re.search(rf'<li data-role="{slug}">.*?href="\.\./\.\./(members/[^"]+)"', source)
    assert match, f"the ruling page does not link its {role}"
    return match.group(1), groups[key]


@pytest.fixture(scope="module")
def members(sample_site, site_data):
    """The busiest member of each role and the one with fewest rulings (a short print)."""
    busy = {role: member_page(sample_site, site_data, role, lambda keys: keys[-1]) for role, _ in ROLES}
    few = member_page(sample_site, site_data, "interior_rep", lambda keys: keys[0])
    return {"busy": busy, "few": ("interior_rep", *few)}


def violations_by_ruling(site_data) -> dict[str, list[dict]]:
    by_no = defaultdict(list)
    for v in site_data.violations:
        by_no[v["ruling_no"]].append(v)
    return by_no


def pdf_pages(page, tmp_path, name: str) -> list[str]:
    """The text of each printed page (A4, as the print dialog would), bidi marks removed."""
    pdf = tmp_path / f"{name}.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = [BIDI_MARKS.sub("", p) for p in text.split("\f")]
    while pages and not pages[-1].strip():
        pages.pop()
    return pages


WORD = re.compile(r'<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="[0-9.]+" yMax="[0-9.]+">([^<]*)</word>')
PAGE = re.compile(r"<page [^>]*>(.*?)</page>", re.S)


def tokens(text: str) -> list[str]:
    """Words compared by their letters (folded, punctuation dropped, sorted): a PDF's word boxes
    give Persian words in visual order, with the ligature «لا» as one glyph in logical order,
    so the order of letters within a word cannot be trusted; the letters can."""
    words = (match_key(re.sub(r"[،؛:()\[\]«»]", "", w)) for w in fold(text).split())
    return ["".join(sorted(w)) for w in words if w]


def printed_rows(pdf, numbers: set[str]) -> dict[str, set[str]]:
    """ruling number -> the words printed on its row: the band of its page from its number down
    to the next ruling number."""
    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    rows: dict[str, set[str]] = {}
    for page in PAGE.findall(boxes):
        words = []
        for _x, y, word in WORD.findall(page):
            words.append((float(y), html.unescape(word)))
        starts = sorted((y, fold(w)) for y, w in words if fold(w) in numbers)
        for i, (y, number) in enumerate(starts):
            bottom = starts[i + 1][0] if i + 1 < len(starts) else float("inf")
            band = [w for wy, w in words if y - 2 <= wy < bottom - 2]
            rows.setdefault(number, set()).update(t for w in band for t in tokens(w))
    return rows


def number_at(text: str, number: str) -> int:
    """Where a ruling number stands in folded text (Latin digits), not inside a longer one."""
    match = re.search(rf"(?<![0-9/]){re.escape(number)}(?![0-9/])", text)
    return match.start() if match else -1


# --- on a phone --------------------------------------------------------------------------

def test_member_page_on_a_phone_summary_first_and_a_jump_to_each_year(page, serve_site, site_data, member_path):
    role = "council_rep"
    rulings = site_data.member_rulings(role)
    page.goto(f"{serve_site}/{member_path}")
    name = page.locator("h1").inner_text()
    expected = rulings[match_key(name)]
    by_year = defaultdict(set)
    for r in expected:
        by_year[jalali_year(r["ruling_date"])].add(r["slug"])
    # the summary comes before the list
    summary = page.locator(".member-summary").bounding_box()
    first_year = page.locator("section.year").first.bounding_box()
    assert summary and first_year and summary["y"] + summary["height"] <= first_year["y"]
    years = [int(fa_int(t)) for t in page.locator("table.year-counts tbody th").all_inner_texts()]
    assert years == sorted(by_year, reverse=True)
    # one jump link per year, newest first; each lands on that year's rulings, and only those
    links = page.locator("nav.year-index a")
    assert links.count() == len(by_year)
    for i, year in enumerate(sorted(by_year, reverse=True)):
        page.evaluate("() => window.scrollTo(0, 0)")
        link = links.nth(i)
        assert fa_int(link.locator(".count").inner_text()) == len(by_year[year])
        link.click()
        page.wait_for_function("h => location.hash === h", arg=f"#year-{year}")
        heading = page.locator(f"#year-{year} h3")
        box = heading.bounding_box()
        assert box and 0 <= box["y"] < page.viewport_size["height"], f"{year} is not in view after the jump"
        assert str(year) in fold(heading.inner_text())
        hrefs = page.locator(f"#year-{year} table.rulings-table tbody a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))")
        assert {h.rstrip("/").rsplit("/", 1)[1] for h in hrefs} == by_year[year]


def test_member_page_is_short_on_a_phone(page, serve_site, members):
    """A ruling is a card of a few lines: the busiest member's page is far shorter than the
    seven-line cards made it (about 205 px a ruling at 360 px)."""
    for role, (path, rulings) in members["busy"].items():
        page.goto(f"{serve_site}/{path}")
        height = page.evaluate("() => document.documentElement.scrollHeight")
        assert height < 130 * len(rulings) + 3000, (role, height, len(rulings))


def test_each_count_finds_exactly_its_rulings_in_the_search(page, serve_site, site_data, member_path):
    role = "council_rep"
    page.goto(f"{serve_site}/{member_path}")
    name = page.locator("h1").inner_text()
    rulings = site_data.member_rulings(role)[match_key(name)]
    violations = violations_by_ruling(site_data)
    matching = {
        "decision": lambda r, value: any(v["decision"] == value for v in violations[r["ruling_no"]]),
        "year": lambda r, value: str(jalali_year(r["ruling_date"])) == value,
        "stage": lambda r, value: r["stage"] == value,
    }
    links = page.locator(".member-summary table a").evaluate_all(
        "links => links.map(a => [a.href, a.innerText])")
    kinds = set()
    for href, text in links:
        query = parse_qs(urlparse(href).query)
        member = query.pop("member")
        (kind, (value,)), = query.items()
        kinds.add(kind)
        expected = sum(1 for r in rulings if matching[kind](r, value))
        assert fa_int(text) == expected, (kind, value)
        page.goto(href)
        page.wait_for_selector('#search-app[data-state="done"]', state="attached", timeout=15000)
        total = page.get_attribute("#search-results", "data-total")
        assert total is not None and int(total) == expected, (kind, value, member)
    assert kinds == {"decision", "year", "stage"}


def test_without_scripts_a_hint_says_how_to_print(browser, serve_site, site_data, member_path, tmp_path):
    newest = jdatetime.date.fromgregorian(date=dt.date.fromisoformat(max(r["ruling_date"] for r in site_data.rulings)))
    data_date = f"{newest.day} {MONTHS[newest.month - 1]} {newest.year}"
    for scripts in (False, True):
        context = browser.new_context(viewport={"width": 360, "height": 800}, java_script_enabled=scripts)
        tab = context.new_page()
        tab.goto(f"{serve_site}/{member_path}")
        hint = tab.locator(".print-hint")
        assert hint.is_visible() is not scripts
        assert tab.locator("button.print-button").is_visible() is scripts
        if not scripts:
            assert "Ctrl+P" in hint.inner_text() and "چاپ" in hint.inner_text()
            # paper without scripts carries the data's date, labelled as such
            words = set(tokens(pdf_pages(tab, tmp_path, "no-scripts")[0]))
            assert set(tokens("تاریخ داده‌ها")) <= words and set(tokens(data_date)) <= words
        context.close()


# --- on paper ------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["busy", "few"])
def test_the_print_of_a_member_holds_every_ruling_and_names_the_member_on_every_page(
        page, serve_site, site_data, members, tmp_path, which):
    violations = violations_by_ruling(site_data)
    cases = members["busy"].items() if which == "busy" else [(members["few"][0], members["few"][1:])]
    for role, (path, rulings) in cases:
        page.goto(f"{serve_site}/{path}")
        pages = pdf_pages(page, tmp_path, f"{which}-{role}")
        name_key = match_key(rulings[0][role])
        for number, text in enumerate(pages, 1):
            folded = match_key(text)
            assert name_key in folded, f"page {number} of {len(pages)} does not name the member"
            assert match_key(ROLE_TITLES[role]) in folded, f"page {number} does not give the role"
        # every ruling, on its own printed row with its violation types and its fellow members
        rows = printed_rows(tmp_path / f"{which}-{role}.pdf", {r["ruling_no"] for r in rulings})
        assert set(rows) == {r["ruling_no"] for r in rulings}
        for r in rulings:
            words = rows[r["ruling_no"]]
            for v in violations[r["ruling_no"]]:
                assert set(tokens(v["violation_type"])) <= words, (r["ruling_no"], v["violation_type"])
            for other, _ in ROLES:
                if other != role:
                    assert set(tokens(r[other])) <= words, (r["ruling_no"], r[other])
        # no near-empty last page: it holds the last rulings (or the whole list fits one page)
        last = fold(pages[-1])
        on_last = sum(1 for r in rulings if number_at(last, r["ruling_no"]) >= 0)
        assert len(pages) == 1 or on_last >= min(TAIL, len(rulings)), (role, len(pages), on_last)


@pytest.mark.parametrize("kind", ["ruling", "property"])
def test_a_printed_record_says_where_it_comes_from_and_when(page, serve_site, site_data, kind, tmp_path):
    record = site_data.rulings[0] if kind == "ruling" else site_data.properties[0]
    path = f"{'rulings' if kind == 'ruling' else 'properties'}/{record['slug']}/"
    page.goto(f"{serve_site}/{path}")
    pages = pdf_pages(page, tmp_path, kind)
    first = pages[0]
    assert pelicanconf.SITENAME in first, "the site's name"
    assert f"شهرداری {pelicanconf.MUNICIPALITY['name_fa']}" in first, "the municipality"
    assert f"/{path}" in first.replace(" ", ""), "the page's address"
    today = jdatetime.date.today()
    printed = f"{today.day} {MONTHS[today.month - 1]} {today.year}".translate(PERSIAN_DIGITS)
    # pdftotext moves the colon between label and date, so the words are compared
    words = set(tokens(first))
    assert set(tokens("تاریخ چاپ")) <= words and set(tokens(printed)) <= words, "the date printed"
    assert printed.split()[-1] in first, "in Persian digits"
    # links to elsewhere are for the screen: a property's map links are not on paper (look7)
    assert "OpenStreetMap" not in "".join(pages) and "نقشه‌ی گوشی" not in "".join(pages)


@pytest.mark.parametrize("siteurl,address", [
    ("https://shafaf.example.org", "https://shafaf.example.org/rulings/1402-3-7/"), ("", "/rulings/1402-3-7/")])
def test_the_print_header_gives_the_absolute_address_when_the_site_has_one(siteurl, address):
    """The partial as Pelican renders it: absolute when the site's address is set, else the path;
    hostile text in the city's name is escaped."""
    import jinja2

    from pipeline.display import FILTERS
    from pipeline.urls import URLS
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "theme" / "templates"),
                             **pelicanconf.JINJA_ENVIRONMENT)
    env.filters.update(FILTERS)
    env.globals["urls"] = URLS
    html_text = env.get_template("_print_header.html").render(
        SITEURL="../..", SITENAME="شفاف", ABS_SITEURL=siteurl, output_file="rulings/1402-3-7/index.html",
        MUNICIPALITY={"name_fa": "<b>کرج</b>"}, DATA_DATE=None)
    assert f'<bdi dir="ltr">{address}</bdi>' in html_text
    assert "&lt;b&gt;کرج&lt;/b&gt;" in html_text and "<b>" not in html_text
    # a record page has no data date: its date line waits, hidden, for the script
    assert re.search(r'<p class="print-date" hidden>', html_text)
