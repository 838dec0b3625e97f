"""The URL scheme (pipeline/urls.py): every public path is written there and nowhere else,
a changed path changes everywhere, and every path the built sample site links resolves."""
import ast
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote

import pytest

from pipeline import changes, pages, urls
from pipeline.urls import PATHS, URLS, Urls
from plugins.shafaf.listings import RULING_FACETS

ROOT = Path(__file__).resolve().parent.parent
ATOM = "{http://www.w3.org/2005/Atom}"

# The first segment of every folder of the scheme, and the ruling facets' kinds.
SEGMENTS = sorted({p.split("/")[0] for p in PATHS.values() if "/" in p and not p.startswith("{")}
                  | {kind for kind, _, _ in RULING_FACETS} | {"page", "dictionary", "changes"})
# Strings that look like a site path and are not: the bundled exports folder (a CLI default).
NOT_SITE_PATHS = {"data/sample"}
PATH_IN_TEXT = re.compile(r"(?:^|[\"'`/])(?:%s)/" % "|".join(map(re.escape, SEGMENTS)))


def python_strings(path: Path):
    """(line, text) of every string constant but docstrings (f-string parts included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def code_lines(path: Path):
    """(line, text) of a template or script, comments left out."""
    text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
    for number, line in enumerate(text.splitlines(), 1):
        if not line.lstrip().startswith(("/*", "*", "//")):
            yield number, line


def sources():
    for path in sorted((ROOT / "pipeline").glob("*.py")) + sorted((ROOT / "plugins").rglob("*.py")):
        if path.name != "urls.py":
            yield path, python_strings(path)
    for path in sorted((ROOT / "theme" / "templates").glob("*.html")) + sorted((ROOT / "theme" / "static" / "js").glob("*.js")):
        yield path, code_lines(path)


def test_no_public_path_is_written_outside_the_scheme():
    found = [f"{path.relative_to(ROOT)}:{line}: {text.strip()[:80]}"
             for path, strings in sources() for line, text in strings
             if text not in NOT_SITE_PATHS and PATH_IN_TEXT.search(text)
             and "tag:shafaf," not in text]  # feed ids: names, not paths, stable on purpose
    assert not found, "\n".join(found)


@pytest.mark.parametrize("text", ['"rulings/{slug}/"', "f\"rulings/{record['slug']}/\"",
                                  "'members/' + x", "{{ SITEURL }}/districts/{{ n }}/",
                                  '"feeds/district-1.atom.xml"', "site + \"properties/\" + d[0]",
                                  '"data/changes/#p-1"', "base + 'page/2/'"])
def test_the_path_check_sees_a_hand_written_path(text):
    assert PATH_IN_TEXT.search(text)


@pytest.fixture
def moved(monkeypatch):
    """The scheme with rulings, members and feeds moved (one edit each)."""
    for name, path in [("ruling", "r/{slug}/"), ("ruling_json", "r/{slug}/data.json"),
                       ("member", "people/{role}/{slug}/"), ("feed", "atom/{name}.xml")]:
        monkeypatch.setitem(urls.PATHS, name, path)


RULING = {"slug": "1402-9-103", "ruling_no": "1402/9/103", "ruling_date": "2023-12-01"}


def test_a_moved_path_moves_in_page_metadata(moved):
    head = pages.ruling_page(RULING).split("\n\n")[0]
    assert "Url: r/1402-9-103/\n" in head + "\n" and "Save_as: r/1402-9-103/index.html" in head


def test_a_moved_path_moves_in_the_search_manifest_and_the_change_feed(moved):
    assert URLS.for_search()["ruling"] == "r/{slug}/"
    assert URLS.for_search()["member"] == "people/{role}/{slug}/"
    log = changes.ChangeLog("2026-11-30", None, [], [{
        "published": "2026-11-30", "baseline": None, "counts": {},
        "changes": [{"dataset": "rulings", "key": "1402/9/103", "slug": "1402-9-103",
                     "change": "added", "fields": []}]}], {}, None)
    root = ET.fromstring(changes.atom_feed(log, "شفاف"))
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "../atom/changes.xml"
    assert 'href="../r/1402-9-103/"' in root.find(f"{ATOM}entry/{ATOM}content").text


def test_a_moved_path_moves_in_the_ruling_feeds(moved):
    from plugins.shafaf import feeds
    row = {**RULING, "url": URLS.ruling(RULING["slug"]), "district": 3, "stage": "بدوی",
           "decisions": ["جریمه"]}
    [(path, title, rows, page)] = feeds.ruling_feeds([row], [])
    root = ET.fromstring(feeds.ruling_feed(path, title, rows, page, "شفاف", "", 10))
    assert path == "atom/rulings.xml"
    assert root.find(f"{ATOM}entry/{ATOM}link").get("href") == "../r/1402-9-103/"


@pytest.mark.parametrize("url, save_as", [("", "index.html"), ("rulings/", "rulings/index.html"),
                                          ("sitemap.xml", "sitemap.xml"),
                                          ("data/changes/", "data/changes/index.html")])
def test_save_as_and_url_of_are_inverse(url, save_as):
    assert Urls.save_as(url) == save_as and Urls.url_of(save_as) == url


@pytest.mark.parametrize("siteurl, expected", [("", "../rulings/x/"), ("https://a.example/", "https://a.example/rulings/x/"),
                                               ("https://a.example", "https://a.example/rulings/x/")])
def test_absolute_links_from_a_feed(siteurl, expected):
    assert urls.absolute("rulings/x/", siteurl, URLS.rulings_feed()) == expected


def test_member_path_takes_a_role_or_its_segment():
    assert URLS.member("interior_rep", "a") == URLS.member("interior", "a") == "members/interior/a/"


# --- the built sample site ----------------------------------------------------------

def _resolves(output: Path, path: str) -> bool:
    target = output / path.split("#")[0]
    return (target / "index.html").is_file() if path.endswith("/") or path == "" else target.is_file()


def test_every_path_in_feeds_sitemap_and_search_manifest_resolves(sample_site):
    output = sample_site.output.resolve()
    missing = []
    for feed in sorted((output / URLS.rulings_feed()).parent.glob("*.atom.xml")):
        root = ET.parse(feed).getroot()
        hrefs = [link.get("href") for link in root.iter(f"{ATOM}link")]
        hrefs += re.findall(r'href="([^"]+)"', "".join(c.text or "" for c in root.iter(f"{ATOM}content")))
        for href in hrefs:
            path = (feed.parent / href.split("#")[0]).resolve().relative_to(output).as_posix()
            path = "" if path == "." else path + ("/" if href.split("#")[0].endswith("/") else "")
            if not _resolves(output, path):
                missing.append(f"{feed.name} → {href}")
    sitemap = (output / URLS.sitemap()).read_text(encoding="utf-8")
    locs = [unquote(loc) for loc in re.findall(r"<loc>/([^<]*)</loc>", sitemap)]
    assert len(locs) > 1000
    missing += [loc for loc in locs if not _resolves(output, loc)]
    manifest = json.loads((output / URLS.search() / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["urls"] == URLS.for_search()
    missing += [m[2] for m in manifest["members"] if not _resolves(output, m[2])]
    # what search.js fills in: each template with a record of the sample, a district
    fill = {"ruling": {"slug": sorted(sample_site.content.glob("rulings/*.md"))[0].stem},
            "property": {"slug": sorted(sample_site.content.glob("properties/*.md"))[0].stem},
            "district": {"number": manifest["districts"]}}
    for name, values in fill.items():
        path = manifest["urls"][name].format(**values)
        missing += [] if _resolves(output, path) else [path]
    assert not missing, missing[:10]


# --- the theme with another scheme -----------------------------------------------------

MOVED_PATHS = {name: path if name in ("home", "page", "theme") else "moved/" + path
               for name, path in PATHS.items()}


def _theme(scheme: Urls):
    """The theme's templates as Pelican loads them, with the given scheme as ``urls``."""
    import jinja2

    import pelicanconf
    from pipeline.display import FILTERS
    from pipeline.slugs import ENUM_SLUGS
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "theme" / "templates"),
                             **pelicanconf.JINJA_ENVIRONMENT)
    env.filters.update(FILTERS)
    env.filters["enum_slug"] = lambda value, kind: ENUM_SLUGS[kind][value]
    env.globals["urls"] = scheme
    return env


class Record(dict):
    """A record whose fields not given are empty, as optional fields are."""
    def __missing__(self, name):
        return None


def _links(html: str) -> list[str]:
    return [link for link in re.findall(r'(?:href|src|action|data-[a-z-]+-base)="([^"]*)"', html)
            if link.startswith("/")]


@pytest.mark.parametrize("template, variables", [
    ("ruling.html", {"article": SimpleNamespace(record={
        "slug": "1402-9-103", "ruling_no": "1402/9/103", "ruling_date": "2023-12-01", "district": 4,
        "stage": "تجدیدنظر", "appealed_ruling_no": "1402/3/7", "appealed_slug": "1402-3-7",
        "appeals": [{"slug": "1403-1-1", "ruling_no": "1403/1/1"}], "violations": [],
        "total_fine_rial": None}, content=""),
        "member_links": {}, "MEMBER_ROLES_FA": []}),
    ("property.html", {"page": SimpleNamespace(record=Record({
        "slug": "p-12", "property_code": "12", "title": "ملک", "district": 4, "land_use": "مسکونی",
        "occupancy": "در اختیار شهرداری"}), content="")}),
    ("index.html", {"DISTRICT_COUNTS": [(4, 1)], "LATEST_RULINGS": [], "RULING_COUNT": 1, "PROPERTY_COUNT": 1}),
    ("search.html", {}),
    ("members.html", {"members": {}, "MEMBER_ROLES_FA": []}),
    ("datasets.html", {"catalogue": None, "tables": [], "history": []}),
    ("changes.html", {"history": [{"published": "2026-11-30", "baseline": "2026-11-01", "counts": {},
                                   "changes": [{"dataset": "rulings", "key": "1402/9/103", "slug": "1402-9-103",
                                                "change": "added", "fields": [], "live": True}]}]}),
    ("404.html", {}),
])
def test_every_link_of_the_theme_follows_the_scheme(template, variables):
    """Rendered with every folder of the scheme moved under moved/, a page links nothing
    outside it but the home page, its own anchors and the theme's files."""
    context = {"SITEURL": "", "SITENAME": "شفاف", "MUNICIPALITY": {"name_fa": "x"},
               "output_file": "index.html", **variables}
    html = _theme(Urls(MOVED_PATHS)).get_template(template).render(context)
    links = _links(html)
    assert links
    stray = [link for link in links if link != "/" and not link.startswith(("/moved/", "/theme/"))]
    assert not stray, stray
