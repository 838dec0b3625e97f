"""What a citizen's review found at 360 px, at 1280 px and on paper (look7), checked on the
sample site: in real Chromium where the defect was one of layout or print, in the built HTML
where it was one of words. Expected values come from the published CSVs and the pages' own
tables, never from the plugin."""
from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

import pelicanconf

from browser_helpers import read_csv, screen_pixels, site_data  # noqa: F401
from pipeline.normalise import fold
from pipeline.urls import URLS
from test_member_print import pdf_pages, tokens

PAGE_SIZE = pelicanconf.LISTING_PAGE_SIZE
PRINT_PART = re.compile(r'<p class="print-only print-part">(.*?)</p>', re.S)
PAGER = re.compile(r'<nav class="pager"[^>]*>\s*<p>(.*?)</p>', re.S)


def html_of(sample_site, path: str) -> str:
    return (sample_site.output / URLS.save_as(path)).read_text(encoding="utf-8")


def listing_pages(sample_site) -> list[Path]:
    """Every page of every ruling and property listing (the pages that have a pager)."""
    return sorted(p for p in sample_site.output.rglob("index.html")
                  if 'class="pager"' in p.read_text(encoding="utf-8"))


# --- a listing on paper ---------------------------------------------------------------------

def test_every_listing_page_tells_paper_which_page_of_how_many_and_which_rows(sample_site):
    """The pager is hidden in print: each listing page carries, for paper, the pager's «page n
    of m», the rows it holds and where the whole list is."""
    pages = listing_pages(sample_site)
    assert len(pages) > 20 and any("/properties/" in str(p) for p in pages) and any("/districts/" in str(p) for p in pages)
    for path in pages:
        text = path.read_text(encoding="utf-8")
        said = PRINT_PART.findall(text)
        assert len(said) == 1, path
        number, count = (int(n) for n in re.findall(r"\d+", fold(PAGER.search(text).group(1))))
        words = fold(re.sub(r"<[^>]+>", "", said[0]))
        first = (number - 1) * PAGE_SIZE + 1
        rows = len(re.findall(r'<li>\n\s+<a href="[^"]*rulings/', text)) or text.count('<td data-label="کد ملک">')
        total = int(re.search(r'data-count="(\d+)"', text).group(1))
        assert re.search(rf"صفحه‌?ی {number} از {count} صفحه", words), (path, words)
        assert fold(f"ردیف‌های {first} تا {first + rows - 1} از {total}") in re.sub("[٬,]", "", words), (path, words)
        district = re.match(r"districts/([^/]+)/", str(path.relative_to(sample_site.output)))
        where = URLS.district_data(district.group(1), "rulings") if district else URLS.data()
        assert words.endswith(f"/{where}"), (path, words)


@pytest.mark.parametrize("path,hidden", [
    (URLS.properties(), ["املاک روی نقشه"]),
    (URLS.rulings(), []),
    (URLS.page(URLS.properties(), 2), ["املاک روی نقشه"]),
    ("flag", ["املاک روی نقشه", "تعریف دقیق در روش کار"]),
])
def test_a_printed_listing_says_its_page_and_prints_no_links_to_follow(make_page, serve_site, sample_site, path, hidden, tmp_path):
    if path == "flag":  # a flag's listing (one page in the sample: nothing to say of pages)
        path = str(next((sample_site.output / "properties" / "flag").glob("*/")).relative_to(sample_site.output)) + "/"
    html = html_of(sample_site, path)
    pager = PAGER.search(html)
    tab = make_page(width=1280, height=900)
    tab.goto(f"{serve_site}/{path}")
    first = fold(pdf_pages(tab, tmp_path, "listing")[0])
    flat = re.sub(r"\s+", " ", first)
    if pager:
        number, count = (int(n) for n in re.findall(r"\d+", fold(pager.group(1))))
        assert re.search(rf"صفحه‌?ی ?{number} ?از ?{count} ?صفحه", flat), flat[:400]
        assert "/data/" in flat.replace(" ", "")
    else:
        assert "print-part" not in html, "a list of one page is whole on paper"
    for words in hidden:
        assert fold(words) not in first
    # no link to follow on paper but the records themselves (a row's title or number)
    tab.emulate_media(media="print")
    shown = tab.evaluate("""() => [...document.querySelectorAll('a')].filter(a => a.getClientRects().length
        && !a.closest('.ruling-list, table')).map(a => a.textContent.trim())""")
    assert shown == []


def test_a_printed_district_listing_prints_no_feed_or_download_links(make_page, serve_site, site_data):
    path = URLS.district(site_data.rulings[0]["district"])
    tab = make_page(width=1280, height=900)
    tab.goto(f"{serve_site}/{path}")
    tab.emulate_media(media="print")
    shown = tab.evaluate("""() => [...document.querySelectorAll('a')].filter(a => a.getClientRects().length
        && !a.closest('.ruling-list')).map(a => a.textContent.trim())""")
    assert shown == []


# --- a stacked table on a phone -----------------------------------------------------------------

def test_a_stacked_cell_on_a_phone_reads_as_one_sentence_beside_its_label(page, serve_site):
    """The dictionary at 360 px: «…خورشیدی، مانند ۱۴۰۳/۱۱/۰۶» keeps its order (the date after
    «مانند», to its left or on a later line), the English label sits beside its Persian label on
    the right, and a type's English note flows after the Persian type."""
    page.goto(f"{serve_site}/{URLS.dictionary()}")
    found = page.evaluate("""() => {
      const td = [...document.querySelectorAll('table.dictionary td')].find(c => c.querySelector('bdi') && c.textContent.includes('مانند'));
      const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
      let node, word = null;
      while ((node = walker.nextNode())) { const i = node.data.indexOf('مانند'); if (i >= 0) { word = [node, i]; break; } }
      const range = document.createRange(); range.setStart(word[0], word[1]); range.setEnd(word[0], word[1] + 5);
      const w = range.getBoundingClientRect(), d = td.querySelector('bdi').getClientRects()[0];
      const en = [...document.querySelectorAll('table.dictionary td')].find(c => c.querySelector('[lang=en]') && c.dataset.label !== 'نوع');
      const label = en.getBoundingClientRect(), value = en.querySelector('[lang=en]').getBoundingClientRect();
      const type = [...document.querySelectorAll('table.dictionary td[data-label="نوع"]')].find(c => c.querySelector('.en'));
      const persian = document.createRange(); persian.selectNodeContents(type.firstChild);
      return {word: [w.left, w.top], date: [d.right, d.top], row: [label.right, label.width, value.right],
              type: [persian.getBoundingClientRect().left, persian.getBoundingClientRect().top],
              note: [type.querySelector('.en').getClientRects()[0].right, type.querySelector('.en').getClientRects()[0].top]};
    }""")
    (word_left, word_top), (date_right, date_top) = found["word"], found["date"]
    assert date_top > word_top + 2 or date_right <= word_left + 1, found
    label_right, width, value_right = found["row"]
    assert value_right < label_right - 6 * 16, "the English value stands beside its label, on the left"
    (persian_left, persian_top), (note_right, note_top) = found["type"], found["note"]
    assert note_top > persian_top + 2 or note_right <= persian_left + 1, "the English note follows the Persian type"


# --- charts on a phone ---------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["stats", "member"])
def test_a_chart_on_a_phone_keeps_its_drawn_size_and_scrolls_in_its_own_box(page, serve_site, sample_site, which):
    if which == "stats":
        path = URLS.stats()
    else:
        path = next(str(p.parent.relative_to(sample_site.output)) + "/"
                    for p in sorted(sample_site.output.glob("members/*/*/index.html"))
                    if "chart-box" in p.read_text(encoding="utf-8"))
    page.goto(f"{serve_site}/{path}")
    page.evaluate("document.fonts.ready")
    charts = page.evaluate("""() => [...document.querySelectorAll('.chart-box svg')].map(svg => {
        const box = svg.closest('.chart-box');
        return {drawn: +svg.getAttribute('width'), shown: svg.getBoundingClientRect().width,
                scrolls: box.scrollWidth > box.clientWidth + 1, focusable: box.tabIndex >= 0,
                text: Math.min(...[...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect().height).filter(h => h > 0))};
      })""")
    assert charts and any(c["scrolls"] for c in charts), "some chart is wider than a phone"
    for chart in charts:
        assert chart["shown"] >= chart["drawn"] - 0.5, chart  # drawn 12-13 px text is 12-13 px
        assert not chart["scrolls"] or chart["focusable"], chart
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360, "the page itself does not scroll sideways"


# --- a wide table on a phone (ui8) ---------------------------------------------------------------

def edge_strip(tab, region, side: str) -> list[tuple[int, int, int]]:
    """The pixels just inside ``side`` of the members' table, in a body row's top padding (no
    text is drawn there: what shows is the table's background)."""
    first_row = region.locator("tbody tr[data-member]").first
    first_row.scroll_into_view_if_needed()
    box, row = region.bounding_box(), first_row.bounding_box()
    x = box["x"] if side == "left" else box["x"] + box["width"] - 4
    return screen_pixels(tab, {"x": x, "y": row["y"] + 2, "width": 4, "height": 2})[0]


def test_the_members_table_tells_a_phone_it_scrolls_and_shades_the_cut_edge(make_page, serve_site):
    """At 360 px the index table is three times the screen's width: a line above it says that it
    scrolls and which way, and its left edge (where the columns go on, right to left) is shaded
    until the table is scrolled to its end. Before, it was cut between two columns, as if it
    ended there."""
    tab = make_page(width=360, height=800)
    tab.goto(f"{serve_site}/{URLS.members()}")
    tab.evaluate("document.fonts.ready")
    region = tab.locator(".members-glance .table-scroll")
    assert region.evaluate("r => r.scrollWidth > 2 * r.clientWidth"), "the sample's table is wider than a phone"
    hint = tab.locator(".members-glance .scroll-hint")
    assert hint.is_visible() and "سمت چپ" in hint.inner_text() and "بلغزانید" in hint.inner_text()
    assert hint.bounding_box()["y"] + hint.bounding_box()["height"] <= region.bounding_box()["y"] + 1
    shaded = edge_strip(tab, region, "left")
    assert min(shaded[0]) < 225 and shaded[0] < shaded[-1], shaded  # darkest at the very edge
    region.evaluate("r => { r.scrollLeft = -(r.scrollWidth - r.clientWidth); }")
    assert min(min(pixel) for pixel in edge_strip(tab, region, "left")) >= 250, "scrolled to its end, no shade"


AFTER_SCROLL = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def beside_the_names(tab, region) -> list[tuple[int, int, int]]:
    """The pixels just left of the first member's name (the sticky column's edge facing the
    columns that scroll), in its row's top padding, left to right."""
    name = region.locator("tbody tr[data-member] th[scope=row]").first
    box = name.bounding_box()
    return screen_pixels(tab, {"x": box["x"] - 6, "y": box["y"] + 2, "width": 6, "height": 2})[0]


def test_the_members_table_scrolled_shades_the_columns_passing_under_the_names(make_page, serve_site):
    """Scrolled sideways at 360 px, the columns go on under the sticky names: the shade the box
    drew at that edge lay beneath the names, so nothing said columns were hidden there. The names
    now cast a shade on the columns beside them once the table has moved (none before), the left
    edge keeps its own, and the names' column keeps its heading in view."""
    tab = make_page(width=360, height=800)
    tab.goto(f"{serve_site}/{URLS.members()}")
    tab.evaluate("document.fonts.ready")
    region = tab.locator(".members-glance .table-scroll")
    region.locator("tbody tr[data-member]").first.scroll_into_view_if_needed()
    assert min(min(pixel) for pixel in beside_the_names(tab, region)) >= 250, "not scrolled: no shade"
    region.evaluate("r => { r.scrollLeft = -(r.scrollWidth - r.clientWidth) / 2; }")
    tab.evaluate(AFTER_SCROLL)
    shaded = beside_the_names(tab, region)
    assert min(shaded[-1]) < 225 and shaded[0] > shaded[-1], shaded  # darkest against the names
    edge = edge_strip(tab, region, "left")
    assert min(edge[0]) < 225, edge
    head = tab.locator(".members-table thead th").first
    inside = region.bounding_box()
    box = head.bounding_box()
    assert box["x"] >= inside["x"] - 1 and box["x"] + box["width"] <= inside["x"] + inside["width"] + 1, box
    assert head.evaluate("h => { const b = h.getBoundingClientRect();"
                         " return h.contains(document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2)); }")


def test_a_members_table_that_fits_has_no_hint_and_no_shade(make_page, serve_site):
    tab = make_page(width=1280, height=900)
    tab.goto(f"{serve_site}/{URLS.members()}")
    tab.evaluate("document.fonts.ready")
    region = tab.locator(".members-glance .table-scroll")
    assert region.evaluate("r => r.scrollWidth <= r.clientWidth + 1")
    assert not tab.locator(".members-glance .scroll-hint").is_visible()
    for side in ("left", "right"):
        assert min(min(pixel) for pixel in edge_strip(tab, region, side)) >= 250, side


# --- the header's search box ---------------------------------------------------------------------

PLACEHOLDER_FITS = """() => {
  const input = document.querySelector('.site-header input[type=search]');
  const style = getComputedStyle(input), hint = getComputedStyle(input, '::placeholder');
  const pen = document.createElement('canvas').getContext('2d');
  pen.font = `${hint.fontWeight} ${hint.fontSize} ${hint.fontFamily}`;
  return {text: input.placeholder, drawn: pen.measureText(input.placeholder).width,
          room: input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
          size: parseFloat(hint.fontSize), page: document.scrollingElement.scrollWidth};
}"""


@pytest.mark.parametrize("width", [320, 360, 412, 1280])
def test_the_header_search_box_shows_its_whole_placeholder_and_keeps_its_names(make_page, serve_site, width):
    """At 360 px the placeholder «شماره رأی، نشانی، محله، نام عضو…» was cut after «محله»
    (220 px of text in a 145 px box). It is whole at every width, no smaller than 14 px, and the
    field and its button keep the names a screen reader reads."""
    tab = make_page(width=width, height=700)
    tab.goto(f"{serve_site}/{URLS.home()}")
    tab.evaluate("document.fonts.ready")
    box = tab.evaluate(PLACEHOLDER_FITS)
    assert "نام عضو" in box["text"] and box["drawn"] <= box["room"], box
    assert box["size"] >= 14 and box["page"] <= width, box
    header = tab.locator(".site-header")
    assert header.get_by_role("searchbox", name="جست‌وجو در آرا و املاک").is_visible()
    assert header.get_by_role("button", name="جست‌وجو", exact=True).is_visible()


# --- the statistics page on paper ---------------------------------------------------------------

MARK_PARTS = """() => {
  // Chromium writes a named destination (its page, its height) for each element a link points
  // to: point a link, not shown, at each part of each figure and at each row of its table.
  const links = document.createElement('div');
  links.hidden = true;
  const mark = (found, id) => {
    found.id = id;
    const link = document.createElement('a');
    link.href = `#${id}`;
    links.append(link);
  };
  document.querySelectorAll('section.figure').forEach(section => {
    for (const [part, selector] of [['chart', 'figure.chart'], ['table', 'details.numbers'], ['download', '.download']]) {
      const found = section.querySelector(selector);
      if (found) mark(found, `${section.id}--${part}`);
    }
    section.querySelectorAll('table.stats-table tbody tr').forEach((row, i) => mark(row, `${section.id}--row-${i}`));
  });
  document.body.append(links);
  return [...document.querySelectorAll('section.figure')].map(s => ({
    name: s.id, rows: s.querySelectorAll('table.stats-table tbody tr').length,
    head: [...s.querySelectorAll('table.stats-table thead th')].map(th => th.textContent)}));
}"""
DEST = re.compile(r"^\s*(\d+) \[ XYZ\s+\S+\s+(\S+) null\s*\] \"([^\"]+)\"$", re.M)
PGM = re.compile(rb"P5\s+(\d+)\s+(\d+)\s+255\s")
# print.css's @page margins, top and bottom: the page's number stands in the bottom one.
MARGIN_MM = (14, 16)


@dataclass(frozen=True)
class PrintedStats:
    figures: list[dict]
    page_of: dict[str, int]  # named destination -> its page
    texts: list[str]  # each page's text
    reach: list[float]  # how far down each page's text area its content reaches, 0 to 1


def drawn_reach(pdf: Path, folder: Path) -> list[float]:
    """Per page, the lowest dark pixel of its text area (above the page number), as a share of
    that area's height: what is drawn, text or chart alike."""
    dpi = 36
    subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), str(pdf), str(folder / "page")], check=True)
    reach = []
    for image in sorted(folder.glob("page-*.pgm"), key=lambda p: int(p.stem.split("-")[1])):
        data = image.read_bytes()
        header = PGM.match(data)
        width, height = int(header.group(1)), int(header.group(2))
        pixels = data[header.end():]
        top, bottom = (round(mm / 25.4 * dpi) for mm in MARGIN_MM)
        bottom = height - bottom
        dark = [y for y in range(top, bottom) if min(pixels[y * width:(y + 1) * width]) < 160]
        reach.append((dark[-1] - top) / (bottom - top) if dark else 0.0)
    return reach


@pytest.fixture(scope="module")
def printed_stats(browser, serve_site, tmp_path_factory) -> PrintedStats:
    """The statistics page printed to A4 as the print dialog does, once for the tests below."""
    folder = tmp_path_factory.mktemp("stats-print")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fa-IR")
    try:
        tab = context.new_page()
        tab.goto(f"{serve_site}/{URLS.stats()}")
        tab.evaluate("document.fonts.ready")
        figures = tab.evaluate(MARK_PARTS)
        pdf = folder / "stats.pdf"
        tab.pdf(path=str(pdf), format="A4", print_background=True)
    finally:
        context.close()
    info = subprocess.run(["pdfinfo", "-dests", str(pdf)], capture_output=True, text=True, check=True).stdout
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    texts = text.split("\f")
    while texts and not texts[-1].strip():
        texts.pop()
    reach = drawn_reach(pdf, folder)
    assert len(reach) == len(texts), (len(reach), len(texts))
    return PrintedStats(figures, {name: int(page) for page, _, name in DEST.findall(info)}, texts, reach)


def test_the_statistics_page_prints_on_few_pages_each_heading_with_its_chart(printed_stats):
    """The sample's statistics printed on 16 A4 pages, seven of them ending on a figure's
    heading whose chart was on the next. On paper a heading stands on the page of its chart and
    a long table flows in columns: 8 pages (9 while a figure with a short table was kept whole;
    the bound leaves one for a font's metrics)."""
    figures, page_of = printed_stats.figures, printed_stats.page_of
    assert len(figures) >= 10 and {f"{f['name']}--chart" for f in figures} <= set(page_of), page_of
    for figure in figures:
        name = figure["name"]
        assert page_of[name] == page_of[f"{name}--chart"], f"{name}: its heading ends a page without its chart"
    assert len(printed_stats.texts) <= 9, f"{len(printed_stats.texts)} pages"


def test_no_printed_statistics_page_is_left_half_blank(printed_stats):
    """A figure whose table was short (open on screen) was kept whole: the sample's third figure
    did not fit under the second and went to the next sheet, and so on, leaving pages 3 and 4
    half blank (the content reached half of each). The block kept whole is now a figure's
    heading, paragraph and chart, under half a sheet; its table breaks between rows."""
    blank = [(page, f"{reach:.2f}") for page, reach in enumerate(printed_stats.reach[:-1], 1) if reach < 0.75]
    assert not blank, f"pages whose content ends above three quarters of the sheet: {blank}"


def test_a_printed_table_that_crosses_a_page_repeats_its_head_and_leaves_no_lone_row(printed_stats):
    """A table breaks between rows: on each page it reaches, its column titles are printed
    again (print.css: thead as a table-header-group), at least two rows stand under the head at
    its start and at least three end it."""
    page_of, crossing = printed_stats.page_of, 0
    for figure in printed_stats.figures:
        pages = [page_of[f"{figure['name']}--row-{i}"] for i in range(figure["rows"])]
        if not pages or pages[0] == pages[-1]:
            continue
        crossing += 1
        held = Counter(pages)
        first, last = held[pages[0]], held[pages[-1]]
        assert first >= min(2, len(pages)) and last >= min(3, len(pages)), (figure["name"], dict(held))
        head = tokens(" ".join(figure["head"]))
        for page in sorted(held):
            missing = Counter(head) - Counter(tokens(printed_stats.texts[page - 1]))
            assert not missing, f"{figure['name']}: page {page} prints its rows without its head ({missing})"
    assert crossing, "the sample prints a table across pages"


WIDE_LONG_TABLES = """() => {
  // Each long table of five or six columns (folded on screen): the columns of the page its rows
  // stand in, and per row its height against its type's line, and whether its cells stay inside
  // the column the row stands in.
  return [...document.querySelectorAll('details.numbers:not([open]) .table-scroll')]
    .filter(region => [5, 6].includes(region.querySelectorAll('thead th').length))
    .map(region => {
      const style = getComputedStyle(region), box = region.getBoundingClientRect();
      const count = Number(style.columnCount) || 1, gap = parseFloat(style.columnGap) || 0;
      const width = (box.width - gap * (count - 1)) / count;
      const table = region.querySelector('table'), size = parseFloat(getComputedStyle(table).fontSize);
      const rows = [...region.querySelectorAll('tbody tr')].map(row => {
        const r = row.getBoundingClientRect(), column = Math.floor((box.right - r.right + 1) / (width + gap));
        const left = box.right - (column + 1) * width - column * gap, right = left + width;
        const inside = [...row.cells].every(c => { const b = c.getBoundingClientRect(); return b.left >= left - 1 && b.right <= right + 1; });
        return {column, height: r.height, inside};
      });
      return {figure: table.dataset.figure, size, line: size * 1.35, rows};
    });
}"""


def test_the_long_six_column_tables_print_in_two_columns_a_row_a_line(make_page, serve_site):
    """The long tables of six columns (folded on screen) printed as one column of rows across
    the whole sheet, mostly blank beside them, over three pages. On paper they flow in two
    columns like the narrower ones: every row one line, every cell inside its column, type no
    smaller than 7 pt. Read in Chromium's print layout at an A4 sheet's text width (210 mm less
    print.css's 12 mm margins)."""
    tab = make_page(width=round((210 - 24) / 25.4 * 96), height=900)
    tab.emulate_media(media="print")
    tab.goto(f"{serve_site}/{URLS.stats()}")
    tab.evaluate("document.fonts.ready")
    tables = tab.evaluate(WIDE_LONG_TABLES)
    assert {"decisions_by_type", "multipliers_by_type"} <= {t["figure"] for t in tables}, tables
    for table in tables:
        assert table["size"] >= 7 * 96 / 72 - 0.01, table["figure"]
        assert {row["column"] for row in table["rows"]} == {0, 1}, f"{table['figure']}: not in two columns"
        for row in table["rows"]:
            assert row["inside"], f"{table['figure']}: a cell out of its column"
            assert row["height"] < 1.6 * table["line"], f"{table['figure']}: a row on more than one line"


# --- words ---------------------------------------------------------------------------------------

def said_years(text: str) -> set[int]:
    """The years a member's «سال‌هایی که در آن‌ها رأی دارد (…)» names, read as a reader reads it."""
    text = fold(re.sub(r"<[^>]+>", "", text))
    span = re.fullmatch(r"(\d{4}) تا (\d{4})(?:، جز (.*))?", text)
    if span:
        skipped = {int(y) for y in re.findall(r"\d{4}", span.group(3) or "")}
        return set(range(int(span.group(1)), int(span.group(2)) + 1)) - skipped
    assert "تا" not in text, text
    return {int(y) for y in re.findall(r"\d{4}", text)}


def test_a_members_years_are_said_as_they_are(sample_site):
    pages = sorted(sample_site.output.glob("members/*/*/index.html"))
    gapped = 0
    for path in pages:
        html = path.read_text(encoding="utf-8")
        said = re.search(r"سال‌هایی که در آن‌ها رأی دارد \((.*?)\)\.", html, re.S)
        if not said:
            continue
        years = {int(y) for y in re.findall(r'<tr data-year="(\d+)">', html)}
        assert said_years(said.group(1)) == years, (path, said.group(1))
        gapped += max(years) - min(years) + 1 > len(years)
    assert gapped, "the sample has a member with a year without rulings inside their span"


def test_a_captions_quoted_names_stand_inside_their_brackets(sample_site):
    for path in sorted(sample_site.output.glob("members/*/*/index.html")):
        html = path.read_text(encoding="utf-8")
        assert "«(" not in html and ")»" not in html, path


def test_every_page_names_its_icon_and_the_icon_is_published(sample_site):
    icons = set()
    for path in [sample_site.output / "index.html", *sorted(sample_site.output.glob("*/index.html"))]:
        found = re.findall(r'<link rel="icon" href="([^"]+)"', path.read_text(encoding="utf-8"))
        assert len(found) == 1, path
        icons.add((path.parent / found[0]).resolve())
    assert len(icons) == 1 and next(iter(icons)).is_file()


@pytest.mark.parametrize("slug", ["methodology", "about"])
def test_a_static_page_has_its_breadcrumb(sample_site, slug):
    html = html_of(sample_site, URLS.static_page(slug))
    trail = re.search(r'<nav class="breadcrumbs" aria-label="مسیر">(.*?)</nav>', html, re.S)
    assert trail and 'aria-current="page"' in trail.group(1)
