"""The built sample site as files: links, escaping, feeds, sitemap, downloads, valid HTML."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from browser_helpers import ROLES, file_of, load_site_data, site_data  # noqa: F401

ATOM = "{http://www.w3.org/2005/Atom}"


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.scripts: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "src"):
            if attrs.get(name) is not None:
                self.links.append(attrs[name])
        if tag == "script":
            self.scripts.append(attrs)


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def resolve(output: Path, page: Path, link: str) -> Path | None:
    """The file a link points to, or None when it leaves the site."""
    parts = urlsplit(link)
    if parts.scheme in ("http", "https", "mailto", "geo") or parts.netloc:
        return None
    if not parts.path:  # "#main", "?q=": the page itself
        return page
    path = unquote(parts.path)
    target = output / path.lstrip("/") if path.startswith("/") else page.parent / path
    if path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target.resolve()


@pytest.fixture(scope="session")
def html_files(sample_site) -> list[Path]:
    return sorted(sample_site.output.rglob("*.html"))


def test_every_internal_link_resolves(sample_site, html_files):
    output = sample_site.output.resolve()
    broken, checked = [], 0
    for page in html_files:
        for link in parse(page).links:
            target = resolve(output, page.resolve(), link)
            if target is None:
                continue
            checked += 1
            if not target.is_file() or output not in target.parents:
                broken.append(f"{page.relative_to(output)} → {link}")
    assert checked > 10 * len(html_files)
    assert not broken, f"{len(broken)} broken links, e.g. {broken[:10]}"


def test_link_checker_sees_a_broken_link(tmp_path):
    """The checker above is able to fail."""
    (tmp_path / "a").mkdir()
    page = tmp_path / "a" / "index.html"
    page.write_text('<a href="../b/">x</a><a href="../a/">y</a>', encoding="utf-8")
    assert resolve(tmp_path, page, "../b/") == (tmp_path / "b" / "index.html").resolve()
    assert not resolve(tmp_path, page, "../b/").is_file()
    assert resolve(tmp_path, page, "../a/").is_file()
    assert resolve(tmp_path, page, "https://example.org/") is None


def test_no_inline_script_anywhere(html_files):
    """A Content-Security-Policy without 'unsafe-inline' will be set: every script is a file."""
    offenders = [p.name for p in html_files[:400] + html_files[-400:]
                 if any("src" not in s for s in parse(p).scripts)]
    assert not offenders
    for page in html_files:
        text = page.read_text(encoding="utf-8")
        assert " on" + "click=" not in text and "javascript:" not in text.replace("(javascript:", ""), page


def test_script_in_a_cell_is_shown_as_text(sample_site, site_data):
    hostile = [r for r in site_data.rulings if "<script" in r["ruling_text"]]
    assert hostile, "the sample exports plant a <script> in a ruling's text"
    for ruling in hostile:
        html = (sample_site.output / "rulings" / ruling["slug"] / "index.html").read_text(encoding="utf-8")
        body = html.split('<div class="ruling-text">', 1)[1].split("</div>", 1)[0]
        assert "<script" not in body
        assert "&lt;script&gt;" in body or "&#60;script&#62;" in body


@pytest.mark.parametrize("name", ["rulings", "district-1", "district-5", "district-12"])
def test_atom_feeds(sample_site, site_data, name):
    path = sample_site.output / "feeds" / f"{name}.atom.xml"
    feed = ET.parse(path).getroot()
    entries = feed.findall(f"{ATOM}entry")
    rulings = site_data.rulings
    if name != "rulings":
        rulings = [r for r in rulings if r["district"] == name.split("-")[1]]
    assert len(entries) == min(50, len(rulings)) > 0
    newest = max(r["ruling_date"] for r in rulings)
    # deterministic: the feed's date is its newest ruling's, not the build's clock
    assert feed.find(f"{ATOM}updated").text.startswith(newest)
    slugs = {r["slug"] for r in rulings}
    for entry in entries:
        link = entry.find(f"{ATOM}link").get("href")
        slug = link.rstrip("/").rsplit("/", 1)[-1]
        assert slug in slugs
        target = (path.parent / link).resolve() / "index.html"
        assert target.is_file(), link
        assert entry.find(f"{ATOM}id").text == f"tag:shafaf,2024:ruling/{slug}"
    dates = [e.find(f"{ATOM}updated").text for e in entries]
    assert dates == sorted(dates, reverse=True)


def test_sitemap_robots_and_404(sample_site, site_data):
    output = sample_site.output
    root = ET.parse(output / "sitemap.xml").getroot()
    locs = {unquote(u.find("{http://www.sitemaps.org/schemas/sitemap/0.9}loc").text) for u in root}
    for r in site_data.rulings:
        assert f"/rulings/{r['slug']}/" in locs
    for p in site_data.properties:
        assert f"/properties/{p['slug']}/" in locs
    for loc in locs:
        assert file_of(output, loc.lstrip("/")).is_file(), loc
    robots = (output / "robots.txt").read_text(encoding="utf-8")
    assert "User-agent: *" in robots
    page = (output / "404.html").read_text(encoding="utf-8")
    assert 'href="/theme/css/site.css"' in page  # served at any depth: links from the root


@pytest.mark.parametrize("index", [0, 1, -1])
def test_download_this_record(sample_site, site_data, index):
    ruling = site_data.rulings[index]
    record = json.loads((sample_site.output / "rulings" / ruling["slug"] / "record.json").read_text(encoding="utf-8"))
    for column, value in ruling.items():
        got = record[column]
        assert ("" if got is None else str(got)) == value, column
    fines = [v["fine_rial"] for v in site_data.violations if v["ruling_no"] == ruling["ruling_no"]]
    assert [("" if v["fine_rial"] is None else str(v["fine_rial"])) for v in record["violations"]] == fines
    for private in ("owner_name", "owner_national_id", "owner_mobile", "plate"):
        assert private not in record


@pytest.mark.parametrize("role,role_slug", ROLES)
def test_member_urls_are_strict(sample_site, site_data, role, role_slug):
    folder = sample_site.output / "members" / role_slug
    names = sorted(p.name for p in folder.iterdir() if p.is_dir())
    pattern = re.compile(r"[a-z0-9\u0621-\u063a\u0641-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc]+"
                         r"(-[a-z0-9\u0621-\u063a\u0641-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc]+)*")
    assert names and all(pattern.fullmatch(n) for n in names), names
    # one page per official: as many pages as distinct names after the normaliser
    assert len(names) == len(site_data.member_rulings(role))


def test_listing_pages_do_not_collide(sample_site):
    """Page 2 of a listing lives under …/page/2/, a segment no district, type or year can take."""
    output = sample_site.output
    pages = sorted(output.glob("*/*/page/*/index.html")) + sorted(output.glob("rulings/page/*/index.html"))
    assert pages
    for page in pages:
        assert page.parent.name.isdigit() and int(page.parent.name) >= 2
    assert not list((output / "members").glob("*/*/page")), "member pages are never paginated"
