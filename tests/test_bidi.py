"""Numbers inside Persian text keep their order (issue 13), checked where Chromium lays them out:
a case number such as ۱۴۰۳-۱۱-۰۰۶۶ after Persian words must show its year on the left. And no
«·» stands beside a digit, where a reader takes it for a Persian zero («۱ تیر · ۱۴۰۳»)."""
from __future__ import annotations

import html
import re

import pytest

DASHED = re.compile(r"[0-9۰-۹]{4}-[0-9۰-۹]{1,2}-[0-9۰-۹]+")
TAG = re.compile(r"<[^>]*>")
RULING_PAGES = 60

# Every dashed number in the page's text nodes: its first part's box must lie left of its last part's.
REVERSED_NUMBERS = r"""() => {
  const pattern = /([0-9۰-۹]{4})-[0-9۰-۹]{1,2}-([0-9۰-۹]+)/g;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.data.matchAll(pattern)) {
      const box = (start, length) => {
        const range = document.createRange();
        range.setStart(node, start);
        range.setEnd(node, start + length);
        return range.getClientRects()[0];
      };
      const year = box(match.index, match[1].length);
      const serial = box(match.index + match[0].length - match[2].length, match[2].length);
      if (!year || !serial) continue;  // not laid out (hidden)
      found.push({text: match[0], reversed: year.left >= serial.left});
    }
  }
  return found;
}"""


def page_text(path) -> str:
    return html.unescape(TAG.sub(" ", path.read_text(encoding="utf-8")))


def ruling_text(path) -> str:
    source = path.read_text(encoding="utf-8")
    start = source.find('class="ruling-text"')
    return "" if start < 0 else html.unescape(TAG.sub(" ", source[start:source.find("</div>", start)]))


@pytest.fixture(scope="module")
def dashed_pages(sample_site) -> list[str]:
    """Ruling pages whose ruling text holds a dashed number, then listing and member pages."""
    output = sample_site.output
    rulings = sorted(p for p in (output / "rulings").glob("*/index.html") if DASHED.search(ruling_text(p)))
    assert rulings, "the sample has no ruling text with a case number"
    pages = [p.parent.relative_to(output).as_posix() + "/" for p in rulings[:RULING_PAGES]]
    members = sorted((output / "members").glob("*/*/index.html"))[:3]
    return pages + ["", "rulings/", "districts/11/"] + [p.parent.relative_to(output).as_posix() + "/" for p in members]


def test_numbers_in_persian_text_keep_their_order(page, serve_site, dashed_pages):
    reversed_numbers, checked = [], 0
    for path in dashed_pages:
        response = page.goto(f"{serve_site}/{path}")
        assert response is not None and response.ok, path
        numbers = page.evaluate(REVERSED_NUMBERS)
        checked += len(numbers)
        reversed_numbers += [(path, n["text"]) for n in numbers if n["reversed"]]
    assert checked >= RULING_PAGES
    assert not reversed_numbers, f"{len(reversed_numbers)} of {checked} numbers laid out reversed: {reversed_numbers[:5]}"


DOT_BESIDE_DIGIT = re.compile(r"[0-9۰-۹] ?·|· ?[0-9۰-۹]")


def test_no_middle_dot_beside_a_digit(sample_site):
    files = sorted([*sample_site.output.rglob("*.html"), *sample_site.output.rglob("*.xml")])
    assert len(files) > 100
    offending = [(str(f.relative_to(sample_site.output)), m.group()) for f in files
                 for m in [DOT_BESIDE_DIGIT.search(page_text(f))] if m]
    assert not offending, f"{len(offending)} files: {offending[:5]}"


# --- the filter itself: hostile cell text stays escaped, numbers and Latin runs are isolated -----

HOSTILE = ["<script>alert(1)</script> ۱۴۰۳-۱۱-۰۰۶۶", '"><img src=x onerror=alert(1)>', "&lt;b&gt; & &amp;",
           "<bdi>۱۲-۳</bdi>", "=HYPERLINK(\"http://x\")", "\u2067۱۴۰۳-۱۱\u2069", "1403-11-0066</p><p>",
           "&#60;script&#62;", "a' OR '1'='1", "{{ 7*7 }} {% raw %}"]


@pytest.mark.parametrize("text", HOSTILE)
def test_isolate_keeps_hostile_text_escaped(text):
    from markupsafe import Markup, escape

    from pipeline.display import isolate

    shown = str(isolate(text))
    assert "<script" not in shown and "<img" not in shown and "<p>" not in shown
    assert html.unescape(TAG.sub("", shown)) == text  # the reader sees exactly the cell
    # rendered Markdown: its own tags are kept, its text (entities included) stays text
    rendered = f"<p>{escape(text)}</p>"
    assert html.unescape(TAG.sub("", str(isolate(Markup(rendered))))) == text
    # and keeps its bytes: only <bdi> is added (pipeline.pages writes punctuation as &#45;)
    assert str(isolate(Markup(rendered))).replace("<bdi>", "").replace("</bdi>", "") == rendered


@pytest.mark.parametrize("text, isolated", [
    ("کلاسه ۱۴۰۳-۱۱-۰۰۶۶ مطروحه", ["۱۴۰۳-۱۱-۰۰۶۶"]),
    ("رأی ۱۴۰۲/۳/۱۵۴ و ۱۴۰۳&#45;۱۱&#45;۰۰۶۶", ["۱۴۰۲/۳/۱۵۴", "۱۴۰۳&#45;۱۱&#45;۰۰۶۶"]),
    ("مجوز Creative Commons Attribution 4.0 است", ["Creative Commons Attribution 4.0"]),
    ("پلاک ۱۲۳٫۴۵ و ۱۲ و ۱۲۵۰٬۰۰۰ ریال", ["۱۲۳٫۴۵", "۱۲۵۰٬۰۰۰"]),
    ("فایل changes.csv", ["changes.csv"]),
    ("بدون عدد", []),
    ("&lt;b&gt; &amp; &#39; &#60;script&#62; HTML", []),
    ("نشانی shafaf@karaj.ir و Tel 021", ["shafaf@karaj.ir", "Tel 021"]),
    ("[پست](javascript&#58;alert&#40;۱&#41;)", ["javascript&#58;alert"]),
])
def test_isolate_wraps_numbers_with_separators_and_latin_runs(text, isolated):
    from markupsafe import Markup

    from pipeline.display import isolate

    assert re.findall(r"<bdi>(.*?)</bdi>", str(isolate(Markup(text)))) == isolated
    plain = isolate(html.unescape(text), plain=True)
    assert re.findall("\u2066(.*?)\u2069", plain) == [html.unescape(i) for i in isolated]
    # plain text is escaped by Jinja's autoescape where it is shown; only the isolates are added
    assert plain.replace("\u2066", "").replace("\u2069", "") == html.unescape(text)


NUMBER_WITH_SEPARATOR = re.compile(r"(.)[0-9۰-۹]+(?:[-/.][0-9۰-۹]+)+(.)")


def test_titles_isolate_their_numbers(sample_site):
    """<title> and Atom titles hold no element: the number is isolated by LRI…PDI."""
    output = sample_site.output
    files = [*sorted((output / "rulings").glob("*/index.html"))[:50], output / "feeds" / "rulings.atom.xml"]
    titles = [html.unescape(t) for f in files for t in re.findall(r"<title>(.*?)</title>", f.read_text(encoding="utf-8"))]
    numbers = [m.groups() for t in titles for m in NUMBER_WITH_SEPARATOR.finditer(t)]
    assert len(numbers) >= 50
    assert all(edges == ("\u2066", "\u2069") for edges in numbers), numbers[:5]


@pytest.mark.parametrize("path", ["", "stats/", "districts/1/"])
def test_numbered_lists_count_in_persian_digits(page, serve_site, path):
    """An <ol> shown with numbers numbers it in Persian digits («۱.», never «1.»)."""
    page.goto(f"{serve_site}/{path}")
    styles = page.evaluate("""() => [...document.querySelectorAll('ol')]
        .filter(ol => ol.offsetParent !== null)
        .map(ol => getComputedStyle(ol).listStyleType)""")
    assert styles, f"no visible numbered list on /{path}"
    assert set(styles) <= {"persian", "none"}, styles


# --- Latin words in Persian prose (ui8) ----------------------------------------------------------

# What may stand in a Persian sentence in Latin letters, not isolated: the names of formats and
# standards a Persian reader meets as they are, and the CSV's literal values «true» and «false».
# Anything else written in Latin letters (a licence's English name, a column's identifier, an
# address, a file name) is said in Persian or stands in <bdi>, <code>, dir="ltr" or lang="en".
AS_THEY_ARE = {"CSV", "JSON", "XLSX", "GeoJSON", "GEOJSON", "Atom", "ISO", "Frictionless", "OpenStreetMap",
               "true", "false", "true/false"}
LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9_.@/{}:\-]*")


def bare_latin(text: str) -> set[str]:
    """The Latin runs of a page's text that no element isolates (text in <script>, <style>,
    <svg>, <title>, <code>, <pre>, <bdi> or under dir="ltr" / lang="en" is left out)."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source"}

        def __init__(self):
            super().__init__()
            self.open, self.found = [], set()

        def handle_starttag(self, tag, attrs):
            if tag in self.VOID:
                return
            attrs = dict(attrs)
            self.open.append((tag, tag in ("script", "style", "svg", "title", "code", "pre", "bdi")
                              or attrs.get("dir") == "ltr" or (attrs.get("lang") or "").startswith("en")))

        def handle_endtag(self, tag):
            while self.open and self.open.pop()[0] != tag:
                pass

        def handle_data(self, data):
            if not any(isolating for _, isolating in self.open):
                self.found |= set(LATIN_RUN.findall(data))

    reader = Reader()
    reader.feed(text)
    return reader.found


def test_the_pages_say_in_persian_what_a_persian_reader_expects_and_isolate_the_rest(sample_site):
    """The licence was named in English in every page's footer and on the about page, the
    statistics page named a column «commission» mid-sentence, the data dictionary said
    «true: rent_per_m2_rial کمتر از rent_flag_percent…», the about page's address and tile URL
    stood bare in Persian text. Each page of the sample (one of each kind of record page)."""
    import pelicanconf

    output = sample_site.output
    pages = [p for p in sorted(output.rglob("index.html"))
             if p.parent.parent.name not in ("rulings", "properties", "page") or p.parent.name.endswith("1")]
    assert len(pages) > 50
    bare = {str(p.relative_to(output)): bare_latin(p.read_text(encoding="utf-8")) - AS_THEY_ARE for p in pages}
    assert {page: words for page, words in bare.items() if words} == {}
    licence = pelicanconf.MUNICIPALITY["license_title_fa"]
    footer = (output / "index.html").read_text(encoding="utf-8").split('<footer class="site-footer">')[1]
    assert f'rel="license">{licence}</a>' in footer
    assert licence in (output / "about" / "index.html").read_text(encoding="utf-8")
