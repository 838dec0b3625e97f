"""The theme and the listing plugin against awkward input, on a tiny site built from exports
the test writes itself: odd member spellings, missing optional fields, a missing appeal target,
markup in cells, and a second build that must be byte-identical."""
from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import build_site
from factory import property_, ruling, violation, write_exports

HOSTILE = "<script>alert(1)</script>"
# What a reader sees: the tag as text (digits are shown in Persian).
ESCAPED = re.compile(r"&lt;script&gt;alert\([1۱]\)&lt;/script&gt;")


def _rulings():
    first = ruling(ruling_no="1402/3/100", council_rep="علی کریم‌زاده", neighbourhood=f"مهرشهر {HOSTILE}")
    appeal = ruling(ruling_no="1402/7/200", case_no="۵۵۱۰۰", ruling_date="۱۴۰۲/۰۷/۱۰", stage="تجدیدنظر",
                    commission="تجدیدنظر ۱", appealed_ruling_no="1402/3/100", appeal_result="تأیید",
                    council_rep="علي  كريمزاده")  # Arabic letters, a double space, no ZWNJ
    orphan = ruling(ruling_no="1402/8/300", case_no="۷۷۰۰۱", ruling_date="۱۴۰۲/۰۸/۰۱", stage="تجدیدنظر",
                    appealed_ruling_no="1401/1/999", appeal_result="نقض", commission=None,
                    neighbourhood=None, address="کرج، بلوار ارم", ruling_text=None, total_fine_rial=None,
                    execution_status=None, council_rep="على كريم زاده")  # a space for the ZWNJ
    return [first, appeal, orphan]


def _violations():
    return [violation(ruling_no="1402/3/100"), violation(ruling_no="1402/7/200"),
            violation(ruling_no="1402/8/300", fine_rial=None, legal_basis=None, floor=None)]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    exports = write_exports(tmp_path_factory.mktemp("exports"), _rulings(), _violations(),
                            [property_(), property_(property_code="P-07-0002", district="7",
                                                    title=f"انبار {HOSTILE}", neighbourhood=None,
                                                    address=None, plate=None)])
    return build_site(exports, tmp_path_factory.mktemp("tiny"))


def read(site, path: str) -> str:
    return (site.output / path).read_text(encoding="utf-8")


class Facts(HTMLParser):
    """The <dt>/<dd> pairs of a page, as text."""

    def __init__(self):
        super().__init__()
        self.items: list[list[str]] = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        if tag in ("dt", "dd"):
            self._in = tag
            self.items.append([tag, ""])

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in:
            self.items[-1][1] += data


def facts(html: str) -> list[tuple[str, str]]:
    parser = Facts()
    parser.feed(html)
    return [(kind, text.strip()) for kind, text in parser.items]


def test_odd_spellings_of_a_member_land_on_one_page(tiny):
    pages = sorted(p.name for p in (tiny.output / "members" / "council").iterdir())
    assert len(pages) == 1, pages
    html = read(tiny, f"members/council/{pages[0]}/index.html")
    assert 'data-count="3"' in html
    for slug in ("1402-3-100", "1402-7-200", "1402-8-300"):
        assert f"rulings/{slug}/" in html
        assert f"members/council/{pages[0]}/" in read(tiny, f"rulings/{slug}/index.html")


def test_missing_optional_fields_leave_no_empty_label(tiny):
    """A blank optional field reads «ثبت نشده» (README: empty, zero and missing values)."""
    html = read(tiny, "rulings/1402-8-300/index.html")
    pairs = facts(html)
    shown = {label: value for (_, label), (_, value) in zip(pairs[::2], pairs[1::2])}
    for absent in ("کمیسیون", "محله", "وضعیت اجرا"):
        assert shown[absent] == "ثبت نشده", absent
    assert shown["مبلغ کل جریمه"] in ("ثبت نشده", "جریمه‌ای تعیین نشده")
    assert all(text for kind, text in pairs if kind == "dd"), pairs
    assert "شرح رأی" not in html  # no heading over an empty text
    property_html = read(tiny, "properties/p-07-0002/index.html")
    pairs = facts(property_html)
    assert all(text for kind, text in pairs if kind == "dd")
    assert dict(zip([t for _, t in pairs[::2]], [t for _, t in pairs[1::2]]))["محله"] == "ثبت نشده"


def test_missing_appeal_target_is_a_plain_note(tiny):
    html = read(tiny, "rulings/1402-8-300/index.html")
    appealed = html.split('<dd class="appealed">', 1)[1].split("</dd>", 1)[0]
    assert "<a " not in appealed
    assert "در داده‌های منتشرشده نیست" in appealed
    assert "۱۴۰۱/۱/۹۹۹" in appealed


def test_appeal_links_both_ways(tiny):
    appeal = read(tiny, "rulings/1402-7-200/index.html")
    first = read(tiny, "rulings/1402-3-100/index.html")
    assert 'href="../../rulings/1402-3-100/"' in appeal.split('<dd class="appealed">', 1)[1].split("</dd>")[0]
    assert 'href="../../rulings/1402-7-200/"' in first.split('<dd class="appeals">', 1)[1].split("</dd>")[0]


@pytest.mark.parametrize("path", ["rulings/1402-3-100/index.html", "index.html", "districts/5/index.html",
                                  "members/index.html", "rulings/index.html", "properties/index.html",
                                  "properties/p-07-0002/index.html", "properties/district/7/index.html"])
def test_markup_in_cells_is_text(tiny, path):
    html = read(tiny, path)
    assert "<script>alert" not in html
    shown = ESCAPED.search(html)
    assert shown or "alert" not in html  # a page may not show the hostile field at all


@pytest.mark.parametrize("path", ["rulings/1402-3-100/index.html", "properties/p-07-0002/index.html",
                                  "properties/index.html"])
def test_hostile_cells_are_shown_as_text(tiny, path):
    assert ESCAPED.search(read(tiny, path))



def test_a_ruling_without_address_builds(tmp_path):
    rulings = [ruling(), ruling(ruling_no="1402/3/101", address=None)]
    exports = write_exports(tmp_path / "exports", rulings, [violation()], [property_()])
    site = build_site(exports, tmp_path / "site")
    html = (site.output / "rulings" / "1402-3-101" / "index.html").read_text(encoding="utf-8")
    assert "نشانی" not in [t for k, t in facts(html) if k == "dt"]


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_second_build_is_byte_identical(tiny, tmp_path):
    again = build_site(tiny.exports, tmp_path)
    first, second = _digest(tiny.output), _digest(again.output)
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
    for name in ("feeds/rulings.atom.xml", "sitemap.xml", "rulings/1402-3-100/record.json",
                 "members/index.html"):
        assert name in first


# --- keys that crashed the run -------------------------------------------------------------

CRASHING_RULINGS = {"page": "reserved-key", "PAGE": "reserved-key", "1402/" + "1" * 495: "key-too-long"}
CRASHING_PROPERTIES = {"use": "reserved-key", "district": "reserved-key", "occupancy": "reserved-key",
                       "Page": "reserved-key", "P-" + "9" * 300: "key-too-long"}


@pytest.fixture(scope="module")
def crashing(tmp_path_factory):
    """Before: "file name too long" after 14 pages were written, or a Pelican traceback."""
    good_rulings = [ruling(), ruling(ruling_no="1402/3/101")]
    good_properties = [property_(), property_(property_code="P-05-0002")]
    rulings = good_rulings + [ruling(ruling_no=key, case_no=f"9{i}") for i, key in enumerate(CRASHING_RULINGS)]
    properties = good_properties + [property_(property_code=key) for key in CRASHING_PROPERTIES]
    exports = write_exports(tmp_path_factory.mktemp("exports"), rulings, [violation()], properties)
    # One record a listing page, so that rulings/page/2/ and properties/page/2/ exist.
    return build_site(exports, tmp_path_factory.mktemp("crashing"), overrides=("LISTING_PAGE_SIZE=1",))


def test_crashing_keys_are_rejected_rows_and_the_site_builds(crashing):
    import csv
    with open(crashing.reports / "rejections.csv", encoding="utf-8-sig", newline="") as handle:
        rejected = [(r["file"], int(r["row"]), r["code"]) for r in csv.DictReader(handle)]
    expected = [("rulings.xlsx", row, code) for row, code in enumerate(CRASHING_RULINGS.values(), start=4)]
    expected += [("properties.xlsx", row, code) for row, code in enumerate(CRASHING_PROPERTIES.values(), start=4)]
    assert rejected == expected
    assert (crashing.output / "rulings" / "1402-3-100" / "index.html").is_file()
    assert (crashing.output / "properties" / "p-05-0001" / "index.html").is_file()
    assert sorted(p.name for p in (crashing.content / "rulings").iterdir()) == ["1402-3-100.md", "1402-3-101.md"]
    assert sorted(p.name for p in (crashing.content / "properties").iterdir()) == ["p-05-0001.md", "p-05-0002.md"]


@pytest.mark.parametrize("folder", ["rulings", "properties"])
def test_every_listing_segment_beside_record_pages_is_reserved(crashing, folder):
    from pipeline.schema import RESERVED_SLUGS
    records = {p.stem for p in (crashing.content / folder).glob("*.md")}
    listings = {p.name for p in (crashing.output / folder).iterdir() if p.is_dir()} - records
    assert "page" in listings and listings <= set(RESERVED_SLUGS[folder])


@pytest.mark.parametrize("slug", ["x" * 300, "../escape", "page", "", "a/b"])
def test_content_is_not_half_written_when_a_page_name_is_unsafe(tmp_path, slug):
    from pipeline import pages
    good = [{"slug": f"1402-1-{i}", "ruling_no": f"1402/1/{i}", "ruling_date": "2023-08-03"} for i in range(20)]
    with pytest.raises(pages.PageError):
        pages.write_content(tmp_path, [*good, {**good[0], "slug": slug}], [])
    assert list(tmp_path.rglob("*")) == []


# --- every CSV we write is formula-neutral ------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://example.invalid\",\"x\")", "+98 912 000 0000", "-2+3", "@SUM(A1:A9)",
            "\tcmd", "\r=1+1"]


def _formula_cells(path: Path) -> list[tuple[str, str]]:
    import csv
    with open(path, encoding="utf-8-sig", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    number = re.compile(r"-?\d+(\.\d+)?")
    return [(path.name, cell) for cell in cells
            if cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n")) and not number.fullmatch(cell)]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_hostile_cells_are_neutralised_in_every_csv(tmp_path, fmt):
    from pipeline import build, settings
    from pipeline.schema import RULINGS
    city = settings.load()
    header = [f.header for f in RULINGS.fields] + FORMULAS
    rulings = [ruling(ruling_no="-1402/3/100"), ruling(ruling_no="1402/3/101", total_fine_rial="-5")]
    folder = write_exports(tmp_path / "exports", rulings, [violation(ruling_no="-1402/3/100")],
                           [property_(property_code="-P-05-0001")], fmt=fmt, headers={"rulings": header})
    publication = build.prepare(folder, city, "2024-01-01")
    build.write(publication, tmp_path / "content", tmp_path / "output", tmp_path / "reports", city)
    written = sorted((tmp_path / "output").rglob("*.csv")) + sorted((tmp_path / "reports").rglob("*.csv"))
    names = {str(p.relative_to(tmp_path)) for p in written}
    assert {"output/data/changes.csv", "output/data/2024-01-01/changes.csv", "output/data/rulings.csv",
            "reports/rejections.csv", "reports/warnings.csv"} <= names
    assert [cell for path in written for cell in _formula_cells(path)] == []
    warnings = (tmp_path / "reports" / "warnings.csv").read_text("utf-8-sig")
    assert "'@SUM(A1:A9)" in warnings and "'-2+3" in warnings
    assert "'=HYPERLINK" in warnings or fmt == "xlsx"  # openpyxl writes it as a formula, read back blank
    assert "'-1402/3/100" in (tmp_path / "output" / "data" / "changes.csv").read_text("utf-8-sig")
    assert "'-5 " in (tmp_path / "reports" / "rejections.csv").read_text("utf-8-sig")


def test_numbers_in_the_datasets_are_not_quoted(tmp_path):
    from pipeline.datasets import excel_csv
    data = excel_csv(["a", "b", "c", "d"], [[-5, -2.5, "-5", None]])
    assert data == "\ufeffa,b,c,d\r\n-5,-2.5,'-5,\r\n".encode("utf-8")
