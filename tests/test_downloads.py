"""Downloads a journalist understands: the XLSX read back as Excel would (Persian headers,
right to left, frozen and filtered header), the Jalali date beside every ISO date, the zip of
all datasets, the CSVs of each district and member, and the datasets page's sizes, checksums
and code examples. Expected values come from the published CSVs and from jdatetime."""
from __future__ import annotations

import datetime as dt
import hashlib
import html as htmllib
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jdatetime
import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from browser_helpers import read_csv
from pipeline.schema import TABLES, Kind
from pipeline.urls import URLS
from pipeline.values import match_key

FORMULA_STARTS = ("=", "+", "-", "@")
FA_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٫", "0123456789.")
FRICTIONLESS = Path(sys.executable).parent / "frictionless"
UNITS = {"بایت": 1, "کیلوبایت": 1024, "مگابایت": 1024 ** 2, "گیگابایت": 1024 ** 3}


def jalali_of(iso: str) -> str:
    if not iso:
        return ""
    j = jdatetime.date.fromgregorian(date=dt.date.fromisoformat(iso))
    return f"{j.year:04d}/{j.month:02d}/{j.day:02d}"


@pytest.fixture(scope="module")
def data(sample_site) -> Path:
    return sample_site.output / "data"


@pytest.fixture(scope="module")
def catalogue(data) -> dict:
    return json.loads((data / "files.json").read_text("utf-8"))


# --- XLSX ----------------------------------------------------------------------------------

@pytest.mark.parametrize("table", TABLES, ids=[t.name for t in TABLES])
def test_xlsx_has_persian_headers_rtl_frozen_filtered_header(data, table):
    rows = read_csv(data / f"{table.name}.csv")
    header = list(rows[0]) if rows else []
    book = openpyxl.load_workbook(data / f"{table.name}.xlsx")
    sheet, guide = book.worksheets
    assert sheet.title == table.title_fa and guide.title == "راهنما"
    # The Persian titles are the schema's headers (the data dictionary's «عنوان فارسی»), in
    # the CSV's column order.
    titles = {f.name: f.header for f in table.all_fields}
    assert [c.value for c in sheet[1]] == [titles[name] for name in header]
    assert sheet.sheet_view.rightToLeft and guide.sheet_view.rightToLeft
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    widths = [sheet.column_dimensions[get_column_letter(i + 1)].width for i in range(len(header))]
    # Fit to the data within bounds: openpyxl reports a range's width on its first column.
    assert all(w is None or 8 <= w <= 61 for w in widths) and any(w and w > 15 for w in widths)
    # The guide pairs each Persian title with the English field name of the CSV and JSON.
    pairs = [(r[0], r[1]) for r in guide.iter_rows(min_row=2, values_only=True)]
    assert pairs == [(titles[name], name) for name in header]


@pytest.mark.parametrize("table", TABLES, ids=[t.name for t in TABLES])
def test_xlsx_cells_are_typed_as_the_csv_says(data, table):
    rows = read_csv(data / f"{table.name}.csv")
    sheet = openpyxl.load_workbook(data / f"{table.name}.xlsx").worksheets[0]
    kinds = {f.name: f.kind for f in table.all_fields}
    header = list(rows[0])
    for row, cells in zip(rows, sheet.iter_rows(min_row=2, values_only=True)):
        for name, cell in zip(header, cells):
            text = row[name]
            if text == "":
                assert cell is None, (name, cell)
            elif kinds[name] is Kind.DATE:
                assert cell == dt.datetime.fromisoformat(text), (name, cell)
            elif kinds[name] is Kind.FLAG:
                assert cell is (text == "true") and text in ("true", "false"), (name, cell)
            elif kinds[name] in (Kind.INTEGER, Kind.DECIMAL, Kind.DISTRICT):
                assert isinstance(cell, (int, float)) and cell == float(text), (name, cell)
            else:
                # The CSV neutralises a formula-like text with a quote; the XLSX cell is a string.
                assert isinstance(cell, str) and text in (cell, "'" + cell), (name, cell)


def test_xlsx_is_byte_identical_for_the_same_rows(data, catalogue):
    from pipeline import downloads
    for table in TABLES:
        rows = json.loads((data / f"{table.name}.json").read_text("utf-8"))
        first, second = (downloads.xlsx(table, rows, catalogue["updated"]) for _ in range(2))
        assert first == second
        assert first == (data / f"{table.name}.xlsx").read_bytes()


# --- Jalali dates --------------------------------------------------------------------------

def test_every_published_date_has_a_jalali_copy_beside_it():
    seen = 0
    for table in TABLES:
        names = [f.name for f in table.dataset_fields]
        for name in [f.name for f in table.dataset_fields if f.kind is Kind.DATE]:
            assert names[names.index(name) + 1] == f"{name}_jalali"
            assert table.field(f"{name}_jalali").jalali_of == name
            seen += 1
    assert seen == 3  # the ruling's date, a contract's start and end


@pytest.mark.parametrize("table", [t for t in TABLES if any(f.kind is Kind.DATE for f in t.fields)],
                         ids=lambda t: t.name)
def test_jalali_columns_equal_jdatetime_in_csv_json_and_xlsx(data, table):
    csv_rows = read_csv(data / f"{table.name}.csv")
    json_rows = json.loads((data / f"{table.name}.json").read_text("utf-8"))
    sheet = openpyxl.load_workbook(data / f"{table.name}.xlsx").worksheets[0]
    xlsx_rows = list(sheet.iter_rows(min_row=2, values_only=True))
    header = list(csv_rows[0])
    pairs = [(f.name, f"{f.name}_jalali") for f in table.fields if f.kind is Kind.DATE]
    checked = 0
    for row, record, cells in zip(csv_rows, json_rows, xlsx_rows, strict=True):
        for iso, jalali in pairs:
            expected = jalali_of(row[iso])
            assert row[jalali] == expected
            assert record[jalali] == (expected or None) and record[iso] == (row[iso] or None)
            assert (cells[header.index(jalali)] or "") == expected
            checked += bool(expected)
    assert checked, "the sample has dates"


def test_datapackage_declares_the_jalali_fields_and_frictionless_checks_them(data, tmp_path):
    package = json.loads((data / "datapackage.json").read_text("utf-8"))
    for resource in package["resources"]:
        fields = {f["name"]: f for f in resource["schema"]["fields"]}
        for name, field in fields.items():
            if field["type"] == "date":
                copy = fields[f"{name}_jalali"]
                assert copy["type"] == "string" and copy["constraints"]["pattern"]
                assert copy["title"].endswith("(Jalali)")
    frictionless = str(FRICTIONLESS)
    assert json.loads(subprocess.run([frictionless, "validate", "--json", str(data / "datapackage.json")],
                                     capture_output=True, text=True).stdout)["valid"]
    # A Jalali date written the wrong way is caught: the pattern is checked, not decoration.
    for name in ("datapackage.json", "rulings.csv", "violations.csv", "properties.csv"):
        shutil.copy(data / name, tmp_path / name)
    text = (tmp_path / "rulings.csv").read_text("utf-8-sig")
    first = read_csv(data / "rulings.csv")[0]["ruling_date_jalali"]
    (tmp_path / "rulings.csv").write_text(text.replace(f",{first},", f",{first.replace('/', '-')},", 1), "utf-8-sig")
    # The damaged file no longer matches its declared hash and size: drop both, keep the schema.
    damaged = json.loads((tmp_path / "datapackage.json").read_text("utf-8"))
    for resource in damaged["resources"]:
        resource.pop("hash"), resource.pop("bytes")
    (tmp_path / "datapackage.json").write_text(json.dumps(damaged), "utf-8")
    report = json.loads(subprocess.run([frictionless, "validate", "--json", str(tmp_path / "datapackage.json")],
                                       capture_output=True, text=True).stdout)
    assert not report["valid"]
    assert "constraint-error" in json.dumps(report)


# --- the zip of all datasets ---------------------------------------------------------------

def test_zip_holds_exactly_the_files_it_lists_and_is_reproducible(data, catalogue):
    from pipeline import downloads
    described = catalogue["zip"]
    raw = (data / described["path"]).read_bytes()
    assert described["bytes"] == len(raw) and described["sha256"] == hashlib.sha256(raw).hexdigest()
    expected = [f["path"] for d in catalogue["datasets"] for f in d["files"]] + ["datapackage.json"]
    assert described["contents"] == expected
    with zipfile.ZipFile(io.BytesIO(raw)) as book:
        assert book.namelist() == expected
        files = {}
        for info in book.infolist():
            assert info.date_time == data_day(catalogue)
            files[info.filename] = book.read(info)
            assert files[info.filename] == (data / info.filename).read_bytes(), info.filename
    # The same files give the same zip, twice, and the same as the published one.
    updated = catalogue["updated"]
    assert downloads.all_datasets_zip(files, list(TABLES), updated) == \
        downloads.all_datasets_zip(files, list(TABLES), updated) == raw
    # It is in the dated snapshot too, the same bytes.
    assert (data / catalogue["snapshot"] / described["path"]).read_bytes() == raw


# --- dated with the data ----------------------------------------------------------------------

def data_day(catalogue: dict) -> tuple[int, int, int, int, int, int]:
    """The data's date as a zip entry holds it: midnight of ``files.json``'s ``updated`` (the
    newest ruling's date)."""
    day = dt.date.fromisoformat(catalogue["updated"])
    return (day.year, day.month, day.day, 0, 0, 0)


def dates_inside(package: bytes) -> set:
    """Every date a zip holds: its entries' and, for a workbook (or one inside it), its
    creation and modification times, which a spreadsheet shows as the file's."""
    found = set()
    with zipfile.ZipFile(io.BytesIO(package)) as book:
        for info in book.infolist():
            found.add(info.date_time)
            if info.filename.endswith(".xlsx"):
                found |= dates_inside(book.read(info))
        if "docProps/core.xml" in book.namelist():
            found |= set(re.findall(rb"<dcterms:(?:created|modified)\b[^>]*>([^<]*)<", book.read("docProps/core.xml")))
    return found


def test_the_zip_and_the_workbooks_are_dated_with_the_data(data, catalogue):
    """They were dated 2024-01-01 whatever the data: a reader who unzips the datasets or looks
    at a workbook's properties sees the date of the newest ruling they hold."""
    day = data_day(catalogue)
    stamp = f"{catalogue['updated']}T00:00:00Z".encode()
    assert dates_inside((data / catalogue["zip"]["path"]).read_bytes()) == {day, stamp}
    for table in TABLES:
        assert dates_inside((data / f"{table.name}.xlsx").read_bytes()) == {day, stamp}, table.name
        book = openpyxl.load_workbook(data / f"{table.name}.xlsx")
        assert book.properties.created == book.properties.modified == dt.datetime(*day)


def test_the_same_data_a_week_later_gives_the_same_workbooks_and_newer_data_dates_them_anew(tmp_path):
    """The same exports published a week apart, the workbook cache kept: the same workbooks,
    byte for byte (a weekly publish with nothing new rewrites, and the gates read, none of
    them). A newer ruling dates the cached workbooks anew, their other contents unchanged."""
    from factory import ruling, write_exports
    from pipeline import build, settings
    cache = tmp_path / "cache"
    city = settings.load()
    older = write_exports(tmp_path / "older", rulings=[ruling()], fmt="csv")
    first, second = (build.prepare(older, city, day, cache=cache).files for day in ("2026-11-28", "2026-12-05"))
    newer = write_exports(tmp_path / "newer", rulings=[ruling(ruling_date="۱۴۰۲/۰۶/۱۹")], fmt="csv")
    third = build.prepare(newer, city, "2026-12-12", cache=cache).files
    for table in TABLES:
        name = f"{table.name}.xlsx"
        assert second[name] == first[name], name
        assert dates_inside(first[name]) == {(2023, 8, 3, 0, 0, 0), b"2023-08-03T00:00:00Z"}, name
        assert dates_inside(third[name]) == {(2023, 9, 10, 0, 0, 0), b"2023-09-10T00:00:00Z"}, name
    zipped = URLS.in_data(URLS.data_zip())
    assert dates_inside(first[zipped]) == {(2023, 8, 3, 0, 0, 0), b"2023-08-03T00:00:00Z"}
    with zipfile.ZipFile(io.BytesIO(first["violations.xlsx"])) as one, \
            zipfile.ZipFile(io.BytesIO(third["violations.xlsx"])) as two:
        assert one.namelist() == two.namelist()
        for entry in one.namelist():
            if entry != "docProps/core.xml":   # the violation is the same; only its dates moved
                assert one.read(entry) == two.read(entry), entry


def test_data_without_a_ruling_dates_its_workbooks_with_a_zips_first_day(tmp_path):
    """No ruling, no date of the data (``updated`` is 1970-01-01), which a zip cannot hold: the
    build once stopped on every export whose rulings were all rejected."""
    from factory import property_, write_exports
    from pipeline import build, settings
    exports = write_exports(tmp_path / "exports", rulings=[], properties=[property_()], fmt="csv")
    files = build.prepare(exports, settings.load(), "2026-11-28").files
    for name in [f"{t.name}.xlsx" for t in TABLES] + [URLS.in_data(URLS.data_zip())]:
        assert dates_inside(files[name]) == {(1980, 1, 1, 0, 0, 0), b"1980-01-01T00:00:00Z"}, name


# --- per district and per member -----------------------------------------------------------

def _links(html: str, ending: str) -> list[str]:
    return [htmllib.unescape(h) for h in re.findall(r'href="([^"]+' + re.escape(ending) + ')"', html)]


def _resolve(page: Path, href: str) -> Path:
    return (page.parent / href).resolve()


def test_each_district_csv_holds_exactly_its_rulings(sample_site, data):
    rulings, violations = read_csv(data / "rulings.csv"), read_csv(data / "violations.csv")
    districts = sorted({int(r["district"]) for r in rulings})
    assert len(districts) > 1
    for number in range(1, max(districts) + 1):
        page = sample_site.output / "districts" / str(number) / "index.html"
        html = page.read_text("utf-8")
        ruling_csv, violation_csv = (_resolve(page, h) for h in _links(html, ".csv"))
        expected = [r for r in rulings if r["district"] == str(number)]
        assert read_csv(ruling_csv) == expected
        numbers = {r["ruling_no"] for r in expected}
        assert read_csv(violation_csv) == [v for v in violations if v["ruling_no"] in numbers]
        assert ruling_csv.read_bytes().startswith(b"\xef\xbb\xbf")


def test_each_member_csv_holds_exactly_the_members_rulings(sample_site, data):
    rulings, violations = read_csv(data / "rulings.csv"), read_csv(data / "violations.csv")
    pages = sorted((sample_site.output / "members").glob("*/*/index.html"))
    assert len(pages) > 3
    roles = {"interior": "interior_rep", "judiciary": "judiciary_rep", "council": "council_rep"}
    for page in pages:
        html = page.read_text("utf-8")
        name = htmllib.unescape(re.sub(r"<[^>]+>", "", re.search(r"<h1>(.*?)</h1>", html, re.S).group(1))).strip()
        role = roles[page.parent.parent.name]
        # the member's own downloads (the comparison also links the statistics CSVs of all members)
        own = [URLS.member_data(page.parent.parent.name, page.parent.name, n) for n in ("rulings", "violations")]
        ruling_csv, violation_csv = (_resolve(page, h) for h in _links(html, ".csv")
                                     if any(h.endswith(path) for path in own))
        expected = [r for r in rulings if match_key(r[role]) == match_key(name)]
        assert expected and read_csv(ruling_csv) == expected, page
        numbers = {r["ruling_no"] for r in expected}
        assert read_csv(violation_csv) == [v for v in violations if v["ruling_no"] in numbers]


def test_group_csvs_are_neutralised_and_hold_no_private_column(data):
    private = {f.name for t in TABLES for f in t.private_fields} - {f.name for t in TABLES for f in t.dataset_fields}
    files = sorted((data / "districts").rglob("*.csv")) + sorted((data / "members").rglob("*.csv"))
    assert files
    for path in files:
        rows = read_csv(path)
        for row in rows:
            assert not private & set(row), path
            assert not any(v.startswith(FORMULA_STARTS) for v in row.values()), path


# --- the datasets page ---------------------------------------------------------------------

def test_sizes_shown_match_files_json_and_checksums_are_folded(sample_site, catalogue):
    html = (sample_site.output / "data" / "index.html").read_text("utf-8")
    described = [f for d in catalogue["datasets"] for f in d["files"]] + [catalogue["zip"]]
    shown = {}
    for value, text in re.findall(r'<data value="(\d+)"[^>]*>([^<]+)</data>', html):
        number, unit = text.strip().split(" ")
        shown.setdefault(int(value), []).append((float(number.translate(FA_DIGITS)), UNITS[unit]))
    for f in described:
        assert f["bytes"] in shown, f["path"]
        for number, unit in shown[f["bytes"]]:
            # One decimal of the largest unit the size reaches.
            assert unit <= max(f["bytes"], 1) < unit * 1024
            assert abs(number - f["bytes"] / unit) <= 0.05 + 1e-9, (f["path"], number)
    assert "بایت</td>" not in html and "حجم (بایت)" not in html
    hashes = re.findall(r'<details class="checksum">.*?</details>', html, re.S)
    assert all(any(f["sha256"] in h for h in hashes) for f in described)


def test_from_code_examples_use_real_addresses(sample_site):
    output = sample_site.output
    html = htmllib.unescape((output / "data" / "index.html").read_text("utf-8"))
    code = "".join(re.findall(r"<pre[^>]*><code>(.*?)</code></pre>", html, re.S))
    base = re.search(r'base = "([^"]+)"', code).group(1)
    addresses = re.findall(re.escape(base) + r'([^"\s]+)', code)
    assert any(a.endswith("record.json") for a in addresses) and any(a.endswith("datapackage.json") for a in addresses)
    for address in addresses:
        assert (output / address).is_file(), address


def test_datasets_page_on_a_phone_and_a_desktop(page, serve_site, catalogue):
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{serve_site}/data/")
        hash_code = page.locator("details.checksum code.hash").first
        assert not hash_code.is_visible(), "a checksum fills a phone card: folded until asked"
        page.locator("details.checksum summary").first.click()
        assert hash_code.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        zipped = page.locator(f'a[href$="{catalogue["zip"]["path"]}"]').first
        assert zipped.is_visible()


def test_files_cut_at_the_line_ends_excel_csv_gives_are_the_files_it_writes():
    """A district's or member's CSV is cut from the table's CSV where ``excel_csv`` (through
    ``to_csv``) said each row's line ends: byte for byte what it writes of those rows; hostile
    cells included (quotes, line breaks, formulas, commas, empty and float values). The bytes
    themselves are checked against the csv module's whole text in the test below."""
    from array import array

    from pipeline.datasets import excel_csv, to_csv
    from pipeline.schema import RULINGS, VIOLATIONS

    texts = ['ساده', 'با "نقل" قول', 'سطر\r\nدو\nسه', '=HYPERLINK("x")', '-2+3', 'a,b', '', None, '@x']
    plain = [[text, i, i * 1.5] for i, text in enumerate(texts)]
    ends = array("q")
    data = excel_csv(["a", "=b", "c"], plain, ends=ends)
    assert data == excel_csv(["a", "=b", "c"], plain) and len(ends) == len(plain) + 1 and ends[-1] == len(data)
    for group in (plain, plain[::-1], plain[2:5], []):
        cut = b"".join([data[:ends[0]], *(data[ends[plain.index(r)]:ends[plain.index(r) + 1]] for r in group)])
        assert cut == excel_csv(["a", "=b", "c"], group)
    for table in (RULINGS, VIOLATIONS):
        rows = []
        for i, text in enumerate(texts):
            row = {f.name: text for f in table.record_fields}
            row.update({f.name: (i * 1.5 if i % 2 else i) for f in table.record_fields
                        if f.kind in (Kind.INTEGER, Kind.DECIMAL, Kind.DISTRICT)})
            row.update({f.name: "2024-01-0" + str(i + 1) for f in table.record_fields if f.kind is Kind.DATE})
            rows.append(row)
        ends = array("q")
        data = to_csv(table, rows, ends)
        assert len(ends) == len(rows) + 1 and ends[-1] == len(data)
        for group in (rows, rows[::-1], rows[2:5], []):
            cut = b"".join([data[:ends[0]], *(data[ends[rows.index(r)]:ends[rows.index(r) + 1]] for r in group)])
            assert cut == to_csv(table, group)


def test_district_and_member_csvs_are_joined_when_written_not_kept():
    """At 100k rulings these files hold every ruling about four times (440 MB): the build
    hands them to the writer one at a time, each the bytes ``to_csv`` makes of its rows."""
    from pipeline import build, settings
    from pipeline.datasets import to_csv
    from pipeline.schema import RULINGS

    root = Path(__file__).resolve().parent.parent
    publication = build.prepare(root / "data" / "sample", settings.load(), "2026-11-28")
    files = publication.files
    district = URLS.in_data(URLS.district_data(1, RULINGS.name))
    assert files[district] == to_csv(RULINGS, [r for r in publication.rulings if r["district"] == 1])
    members = [name for name in files if name.startswith(URLS.in_data(URLS.member_data("interior_rep", "x", "y"))
                                                          .rsplit("/", 3)[0] + "/")]
    assert members and district in list(files)
    for name in (district, *members):
        assert files[name] == files[name] and files[name] is not files[name], name


def test_csv_and_json_encoded_row_by_row_are_the_bytes_of_the_whole_text():
    """``excel_csv`` and ``to_json`` encode each row as they write it (the text of a 100k-row
    file is never held beside its bytes): the bytes are those of the whole text encoded once."""
    import csv as csv_module
    from pipeline.datasets import csv_cell, excel_csv, getters, to_json
    from pipeline.schema import RULINGS

    texts = ['ساده', 'با "نقل" قول', 'سطر\r\nدو', '=HYPERLINK("x")', 'a,b', '', None, '😀 \u200c']
    rows = [[text, i, i * 1.5] for i, text in enumerate(texts)]
    buffer = io.StringIO(newline="")
    writer = csv_module.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(name) for name in ["a", "=b", "c"]])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    assert excel_csv(["a", "=b", "c"], iter(rows)) == ("\ufeff" + buffer.getvalue()).encode("utf-8")
    assert excel_csv(["a"], []) == "\ufeffa\r\n".encode("utf-8")

    records = [{f.name: text for f in RULINGS.record_fields} | {"ruling_date": "2024-01-02"} for text in texts]
    columns, get = [f.name for f in RULINGS.dataset_fields], getters(RULINGS.dataset_fields)
    lines = [json.dumps(dict(zip(columns, (g(r) for g in get))), ensure_ascii=False) for r in records]
    assert to_json(RULINGS, records) == ("[\n" + ",\n".join(lines) + "\n]\n").encode("utf-8")
    assert to_json(RULINGS, []) == b"[]\n"
