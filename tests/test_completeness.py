"""The public completeness statement: rows read, published and withheld per dataset, and the
withheld rows by error code, in data/completeness.csv, datapackage.json, the methodology page
and the home page.

Every expected count here is recomputed from the staff's reports (reports/summary.json,
reports/rejections.csv) and the published dataset CSVs, never by calling
pipeline.completeness."""
from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest

import factory
from browser_helpers import fa_int
from conftest import build_site
from pipeline.errors import PUBLIC_REASONS, ROW_ERRORS
from pipeline.schema import TABLES

NAMES = [t.name for t in TABLES]
PERSIAN_LETTER = re.compile(r"[\u0600-\u06FF]")


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def dataset_of(rejection: dict) -> str:
    """The dataset a line of rejections.csv belongs to: by its sheet (a workbook) or its
    file's name (a CSV export)."""
    for table in TABLES:
        if rejection["sheet"] == table.sheet or (not rejection["sheet"] and Path(rejection["file"]).stem == table.name):
            return table.name
    raise AssertionError(f"no dataset for {rejection}")


def expected_counts(site) -> dict[str, dict]:
    """read (summary.json), published (rows of the published CSV), withheld (distinct rows of
    rejections.csv) and, per code, the distinct rows that have it."""
    summary = json.loads((site.reports / "summary.json").read_text(encoding="utf-8"))
    rows: dict[str, set] = defaultdict(set)
    by_code: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for line in read_csv(site.reports / "rejections.csv"):
        where = (line["file"], line["sheet"], line["row"])
        rows[dataset_of(line)].add(where)
        by_code[dataset_of(line)][line["code"]].add(where)
    return {name: {"read": summary[name]["read"],
                   "published": len(read_csv(site.output / "data" / f"{name}.csv")),
                   "withheld": len(rows[name]),
                   "by_code": {code: len(found) for code, found in by_code[name].items()}}
            for name in NAMES}


def published_csv(output: Path) -> dict[str, dict]:
    counts = {name: {"by_code": {}} for name in NAMES}
    for line in read_csv(output / "data" / "completeness.csv"):
        if line["code"]:
            assert line["status"] == "withheld"
            counts[line["dataset"]]["by_code"][line["code"]] = int(line["rows"])
            assert line["explanation_fa"] == PUBLIC_REASONS[line["code"]]
        else:
            counts[line["dataset"]][line["status"]] = int(line["rows"])
    return counts


def package_key(output: Path) -> dict[str, dict]:
    key = json.loads((output / "data" / "datapackage.json").read_text(encoding="utf-8"))["completeness"]
    return {name: {"read": c["read"], "published": c["published"], "withheld": c["withheld"],
                   "by_code": c["withheld_by_code"]} for name, c in key["datasets"].items()}


class Statement(HTMLParser):
    """The methodology page's tables as text: dataset -> status or code -> the cell's text."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, dict[str, str]] = {}
        self.dataset = self.row = None
        self.cell = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-dataset" in attrs:
            self.dataset = attrs["data-dataset"]
            self.tables[self.dataset] = {}
        elif tag == "tr" and self.dataset:
            self.row = attrs.get("data-status") or attrs.get("data-code")
        elif tag == "td" and self.row:
            self.cell = True
            self.tables[self.dataset][self.row] = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self.cell = False
        elif tag == "table":
            self.dataset = None

    def handle_data(self, data):
        if self.cell:
            self.tables[self.dataset][self.row] += data


def page_counts(output: Path) -> dict[str, dict]:
    parser = Statement()
    parser.feed((output / "methodology" / "index.html").read_text(encoding="utf-8"))
    return {name: {**{s: fa_int(cells.pop(s)) for s in ("read", "published", "withheld")},
                   "by_code": {code: fa_int(text) for code, text in cells.items()}}
            for name, cells in parser.tables.items()}


def assert_isolated(html: str) -> None:
    """Every grouped number («۱٬۴۹۶») sits in a <bdi>, out of the Persian text's reordering."""
    outside = re.sub(r"<bdi>.*?</bdi>", "", html, flags=re.S)
    assert not re.search(r"[۰-۹]٬[۰-۹]", outside), outside
    assert re.search(r"<bdi>[۰-۹]+٬[۰-۹]+</bdi>", html)


# --- the codes ---------------------------------------------------------------------------

def test_every_row_error_code_has_a_plain_persian_reason():
    # A CellError can only carry a code of ROW_ERRORS (errors._known): these are every code a
    # withheld row can have.
    assert PUBLIC_REASONS.keys() == ROW_ERRORS.keys()
    for code, reason in PUBLIC_REASONS.items():
        assert PERSIAN_LETTER.search(reason) and reason != ROW_ERRORS[code][0], code


# --- the sample ------------------------------------------------------------------------

def test_the_statement_equals_counts_recomputed_from_the_reports_and_the_csvs(sample_site):
    expected = expected_counts(sample_site)
    for name, counts in expected.items():
        assert counts["read"] == counts["published"] + counts["withheld"], name
        assert counts["withheld"] > 0, "the sample withholds rows of every dataset"
    assert published_csv(sample_site.output) == expected
    assert package_key(sample_site.output) == expected
    assert page_counts(sample_site.output) == expected


def test_a_row_withheld_for_two_reasons_counts_once_in_the_total(sample_site):
    lines = read_csv(sample_site.reports / "rejections.csv")
    codes = defaultdict(set)
    for line in lines:
        codes[(line["file"], line["sheet"], line["row"])].add(line["code"])
    assert any(len(found) > 1 for found in codes.values()), "the sample has a row with two codes"
    rulings = package_key(sample_site.output)["rulings"]
    assert sum(rulings["by_code"].values()) > rulings["withheld"]


def test_the_home_page_states_published_and_withheld_counts(page, serve_site, sample_site):
    expected = expected_counts(sample_site)
    page.goto(f"{serve_site}/")
    lead = page.locator("p.lead")
    text = lead.inner_text()
    numbers = [fa_int(n) for n in re.findall(r"[۰-۹][۰-۹٬]*", text)]
    nouns = {t.name: t.noun_fa for t in TABLES}
    assert expected["rulings"]["published"] in numbers and expected["properties"]["published"] in numbers
    for name, counts in expected.items():
        shown = re.search(rf"([۰-۹٬]+) ردیف {nouns[name]}\b", text)
        assert shown and fa_int(shown.group(1)) == counts["withheld"], (name, text)
    assert "همه‌ی" not in text, "nothing is «all» while rows were withheld"
    assert_isolated(lead.inner_html())
    why = lead.locator("a", has_text="چرا؟")
    why.click()
    page.wait_for_url("**/methodology/#completeness")
    assert page.locator("#completeness table[data-dataset]").count() == len(NAMES)


def test_the_statement_as_a_reader_sees_it(page, serve_site, sample_site):
    expected = expected_counts(sample_site)
    page.goto(f"{serve_site}/methodology/")
    for name, counts in expected.items():
        table = page.locator(f"#completeness table[data-dataset={name}]")
        for status in ("read", "published", "withheld"):
            assert fa_int(table.locator(f"tr[data-status={status}] td").inner_text()) == counts[status]
        rows = table.locator("tr[data-code]")
        shown = {rows.nth(i).locator("code").inner_text(): fa_int(rows.nth(i).locator("td").inner_text())
                 for i in range(rows.count())}
        assert shown == counts["by_code"], name
        for code in shown:
            assert PUBLIC_REASONS[code] in table.locator(f"tr[data-code={code}] th").inner_text()
    assert not re.search(r"[0-9]", page.locator("#completeness table").first.inner_text())
    assert_isolated(page.locator("#completeness").inner_html())


def test_no_rejected_value_or_personal_data_reaches_the_statement(sample_site):
    from tools.make_sample_exports import generate
    planted = generate(sample_site.output.parent / "planted")
    secrets = {p.note for p in planted["text_plantings"]
               if p.code in ("owner-name-in-text", "national-id-in-text", "mobile-in-text", "postal-code-in-text")}
    # what the rejected rows held, as the staff's reasons quote it («1402/13/01», «جمعکل»;
    # a quoted column header, «منطقه» خالی است, is no content)
    headers = {f.header for t in TABLES for f in t.fields}
    secrets |= {v for line in read_csv(sample_site.reports / "rejections.csv")
                for v in re.findall(r"«([^»]{4,})»", line["reason"]) if v not in headers}
    assert len(secrets) > 10
    html = (sample_site.output / "methodology" / "index.html").read_text(encoding="utf-8")
    texts = {"completeness.csv": (sample_site.output / "data" / "completeness.csv").read_text(encoding="utf-8-sig"),
             "datapackage key": json.dumps(json.loads((sample_site.output / "data" / "datapackage.json")
                                                      .read_text(encoding="utf-8"))["completeness"], ensure_ascii=False),
             "methodology": html[html.index('id="completeness"'):]}
    found = [(where, s) for where, text in texts.items() for s in secrets if s in text]
    assert not found, found


def test_the_datasets_page_links_the_statement(sample_site):
    html = (sample_site.output / "data" / "index.html").read_text(encoding="utf-8")
    assert 'href="../methodology/#completeness"' in html and 'href="../data/completeness.csv"' in html


def test_frictionless_validates_the_statement(sample_package_report):
    report = sample_package_report
    assert report["valid"], json.dumps(report)[:2000]
    assert "completeness" in [task["name"] for task in report["tasks"]]


# --- planted bad rows ----------------------------------------------------------------------

PLANTED = {  # dataset -> code -> rows planted with it
    "rulings": {"bad-date": 2, "out-of-range": 1, "duplicate-key": 1, "unknown-enum": 1},
    "violations": {"orphan-violation": 1, "orphan-of-rejected": 2, "bad-number": 1},
    "properties": {"date-order": 1, "bad-number": 2},
}


def planted_exports(folder: Path) -> Path:
    good = [factory.ruling(ruling_no=f"1402/3/{n}", case_no=f"5510{n}") for n in range(1, 5)]
    bad = [factory.ruling(ruling_no="1402/3/20", case_no="55120", ruling_date="1402/13/01"),
           factory.ruling(ruling_no="1402/3/21", case_no="55121", ruling_date="1401/12/30"),
           factory.ruling(ruling_no="1402/3/22", case_no="55122", district="منطقه ۴۰"),
           factory.ruling(ruling_no="1402/3/1", case_no="55123"),
           factory.ruling(ruling_no="1402/3/23", case_no="55124", stage="فرجامی")]
    violations = ([factory.violation(ruling_no=f"1402/3/{n}") for n in range(1, 5)]
                  + [factory.violation(ruling_no="1402/3/999"),
                     factory.violation(ruling_no="1402/3/20"), factory.violation(ruling_no="1402/3/22"),
                     factory.violation(ruling_no="1402/3/2", area_m2="بیست")])
    properties = ([factory.property_(property_code=f"P-05-000{n}") for n in range(1, 4)]
                  + [factory.property_(property_code="P-05-0010", occupancy="اجاره", holder_kind="حقوقی",
                                       holder="شرکت نمونه", contract_start="1402/05/01", contract_end="1401/05/01"),
                     factory.property_(property_code="P-05-0011", land_area_m2="زیاد"),
                     factory.property_(property_code="P-05-0012", appraisal_rial="یک میلیارد")])
    return factory.write_exports(folder, rulings=good + bad, violations=violations, properties=properties)


@pytest.fixture(scope="module")
def planted_site(tmp_path_factory):
    work = tmp_path_factory.mktemp("planted-completeness")
    return build_site(planted_exports(work / "exports"), work / "site")


def test_planted_bad_rows_show_each_code_with_its_count(planted_site):
    expected = expected_counts(planted_site)
    assert {name: c["by_code"] for name, c in expected.items()} == PLANTED, "the exports plant what they say"
    assert published_csv(planted_site.output) == expected
    assert package_key(planted_site.output) == expected
    assert page_counts(planted_site.output) == expected
    home = (planted_site.output / "index.html").read_text(encoding="utf-8")
    assert "۵ ردیف رأی، ۴ ردیف تخلف و ۳ ردیف ملک از پرونده‌های دریافتی منتشر نشد" in home


def test_planted_personal_data_reaches_no_statement(planted_site):
    row = factory.ruling()
    secrets = [row["owner_name"], row["owner_national_id"], row["owner_mobile"], "شرکت نمونه",
               "1402/13/01", "فرجامی", "بیست", "یک میلیارد", "1402/3/999"]
    html = (planted_site.output / "methodology" / "index.html").read_text(encoding="utf-8")
    texts = [(planted_site.output / "data" / "completeness.csv").read_text(encoding="utf-8-sig"),
             json.dumps(json.loads((planted_site.output / "data" / "datapackage.json").read_text(encoding="utf-8"))
                        ["completeness"], ensure_ascii=False),
             html[html.index('id="completeness"'):]]
    assert not [s for s in secrets for text in texts if s in text]


def test_nothing_withheld_says_every_row_was_published(tmp_path):
    site = build_site(factory.write_exports(tmp_path / "exports"), tmp_path / "site")
    lead = re.search(r'<p class="lead">(.*?)</p>', (site.output / "index.html").read_text(encoding="utf-8"), re.S).group(1)
    assert "همه‌ی ردیف‌های پرونده‌های دریافتی منتشر شد" in lead and "منتشر نشد" not in lead
    assert all(line["code"] == "" for line in read_csv(site.output / "data" / "completeness.csv"))
