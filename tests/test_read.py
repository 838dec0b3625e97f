"""Whole-file errors stop the run with a clear message, a non-zero exit and nothing written;
exports as real systems write them (stray quotes, other formats, formulas, odd headers) lose
no row and leak no private value."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from factory import property_, ruling, violation, write_exports
from pipeline import build, gates, settings
from pipeline.errors import FileError
from pipeline.read import read_exports
from pipeline.schema import PROPERTIES, RULINGS, VIOLATIONS

ROOT = Path(__file__).resolve().parent.parent
CITY = settings.load()


def _header_without(name: str) -> list[str]:
    return [f.header for f in RULINGS.fields if f.name != name]


def break_missing_file(folder: Path):
    (folder / "properties.xlsx").unlink()


def break_garbage_csv(folder: Path):
    (folder / "properties.csv").write_bytes(bytes(range(256)) * 4)


def break_corrupt_xlsx(folder: Path):
    (folder / "rulings.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")


def break_missing_sheet(folder: Path):
    book = openpyxl.load_workbook(folder / "rulings.xlsx")
    book["تخلفات"].title = "Sheet2"
    book.save(folder / "rulings.xlsx")


def break_empty_csv(folder: Path):
    (folder / "violations.csv").write_bytes(b"")


FILE_CASES = [
    ("missing-file", "xlsx", {}, break_missing_file, "properties"),
    ("unreadable-file", "csv", {}, break_garbage_csv, "properties.csv"),
    ("unreadable-file", "xlsx", {}, break_corrupt_xlsx, "rulings.xlsx"),
    ("missing-sheet", "xlsx", {}, break_missing_sheet, "rulings.xlsx"),
    ("missing-column", "xlsx", {"headers": {"rulings": _header_without("ruling_date")}}, None, "rulings.xlsx"),
    ("missing-column", "csv", {"headers": {"rulings": _header_without("district")}}, None, "rulings.csv"),
    ("missing-column", "csv", {}, break_empty_csv, "violations.csv"),
]


@pytest.mark.parametrize("code,fmt,options,breaker,file", FILE_CASES,
                         ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(FILE_CASES)])
def test_file_errors_are_typed(tmp_path, code, fmt, options, breaker, file):
    folder = write_exports(tmp_path / "exports", fmt=fmt, **options)
    if breaker:
        breaker(folder)
    with pytest.raises(FileError) as caught:
        build.prepare(folder, CITY)
    assert caught.value.code == code
    assert file in caught.value.file


def test_missing_column_is_named(tmp_path):
    folder = write_exports(tmp_path, headers={"rulings": _header_without("ruling_date")})
    with pytest.raises(FileError) as caught:
        build.prepare(folder, CITY)
    assert "تاریخ رأی" in str(caught.value)


def _run_pipeline(exports: Path, work: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "--exports", str(exports), "--content", str(work / "content"),
         "--output", str(work / "output"), "--reports", str(work / "reports"), "--cache", str(work / "cache")],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
    )


def test_cli_stops_with_non_zero_exit_and_writes_nothing(tmp_path):
    folder = write_exports(tmp_path / "exports", headers={"rulings": _header_without("stage")})
    result = _run_pipeline(folder, tmp_path / "site")
    assert result.returncode == 2
    assert "missing-column" in result.stderr and "rulings.xlsx" in result.stderr and "مرحله" in result.stderr
    assert not (tmp_path / "site").exists()


def test_cli_writes_content_datasets_and_report(tmp_path):
    folder = write_exports(tmp_path / "exports")
    result = _run_pipeline(folder, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    assert (site / "content" / "rulings" / "1402-3-100.md").exists()
    assert (site / "output" / "data" / "rulings.csv").exists()
    assert (site / "reports" / "summary.json").exists()
    assert not list((site / "output").rglob("summary.json")), "the staff report is never published"
    assert "published" in result.stdout


def test_blank_lines_are_not_records_and_row_numbers_skip_them(tmp_path):
    folder = write_exports(tmp_path)
    book = openpyxl.load_workbook(folder / "rulings.xlsx")
    sheet = book["آرا"]
    sheet.insert_rows(2)                       # an empty row 2; the ruling moves to row 3
    sheet.cell(4, 1, "1402/3/101")             # row 4: a ruling with only its number
    book.save(folder / "rulings.xlsx")
    checked = build.prepare(folder, CITY).validated.rulings
    assert checked.read == 2
    assert {p["row"] for p in checked.problems} == {4}


def test_csv_record_numbers_count_multiline_cells_once(tmp_path):
    folder = write_exports(tmp_path, fmt="csv",
                           rulings=[ruling(ruling_text="خط یک\nخط دو\nخط سه"), ruling(ruling_no="x/1", district="99")])
    checked = build.prepare(folder, CITY).validated.rulings
    assert [p["row"] for p in checked.problems] == [3]


# --- exports as real systems write them (issue 10, items 3 and 8) -----------------------

SURNAMES = ["کاوه", "سپهری", "اردلان", "نوبخت", "فرهمند", "بهاری", "پارسا", "رستگار", "شایان", "آذرنوش"]


def _owners(count: int) -> list[str]:
    """Distinct two-word owners' names (the gate ignores one-word names)."""
    return [f"{first} {SURNAMES[i % 10]}" for i, first in
            enumerate(["بهرام", "ژیلا", "کامران", "شهلا"][i // 10] for i in range(count))]


def _rulings(count: int) -> list[dict]:
    return [ruling(ruling_no=f"1402/3/{100 + i}", owner_name=name, ruling_text=f"متن رأی شماره {i}")
            for i, name in enumerate(_owners(count))]


def _csv_lines(table, rows: list[dict]) -> list[str]:
    """One line per record, as a system that never quotes writes it."""
    header = ",".join(f.header for f in table.fields)
    return [header] + [",".join("" if row.get(f.name) is None else str(row[f.name]) for f in table.fields)
                       for row in rows]


def _write_raw_csv(folder: Path, name: str, lines: list[str]) -> None:
    (folder / name).write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def _stray_quote_exports(folder: Path, rows: list[dict], broken: int, closer: int) -> Path:
    """Ruling ``broken`` opens a quote it never closes; ruling ``closer``'s text holds the
    next quote, so every line in between is swallowed into one cell."""
    rows = [dict(r) for r in rows]
    rows[broken]["ruling_text"] = '"' + rows[broken]["ruling_text"]
    if closer is not None:
        rows[closer]["ruling_text"] = 'گفت "بله" و رفت'
    write_exports(folder, rows, [violation(ruling_no="1402/3/100")], [property_()], fmt="csv")
    _write_raw_csv(folder, "rulings.csv", _csv_lines(RULINGS, rows))
    return folder


def _rows(checked, code):
    return sorted(p["row"] for p in checked.problems if p["code"] == code)


def test_stray_quote_rejects_the_merged_and_every_swallowed_row(tmp_path):
    rows = _rulings(40)
    folder = _stray_quote_exports(tmp_path / "exports", rows, broken=9, closer=12)
    validated = build.prepare(folder, CITY).validated
    checked = validated.rulings
    assert _rows(checked, "stray-quote") == [11, 12, 13, 14]   # ruling 10 (row 11) and the next three
    assert checked.read == checked.published + checked.rejected == 40
    assert checked.rejected == 4
    for problem in checked.problems:
        assert problem["file"] == "rulings.csv" and problem["column"]
    # The gate learns the swallowed rows' private values, read by position.
    private = gates.private_values(validated)
    for name in _owners(40)[9:13]:
        sequence = tuple(gates.tokens(name))
        assert sequence in private.sequences.get(sequence[0], {}).get(len(sequence), set()), name


def test_stray_quote_never_reaches_the_site(tmp_path):
    from conftest import build_site
    folder = _stray_quote_exports(tmp_path / "exports", _rulings(40), broken=9, closer=12)
    site = build_site(folder, tmp_path / "site")
    swallowed = _owners(40)[10:13]
    for path in site.output.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".csv", ".xml", ".md"):
            text = path.read_text(encoding="utf-8", errors="replace")
            for name in swallowed:
                assert name not in text, (name, path)
    for path in site.content.rglob("*.md"):
        assert not any(name in path.read_text(encoding="utf-8") for name in swallowed), path
    assert "read" in site.log


STRAY_QUOTES = [
    # (broken ruling, the ruling whose text closes the quote or None, rows rejected)
    (0, 3, [2, 3, 4, 5]),          # the first ruling
    (9, 10, [11, 12]),             # swallows one row
    (36, None, [38, 39, 40, 41]),  # never closed: the rest of the file
    (38, None, [40, 41]),          # the last but one ruling, never closed
    (20, 39, list(range(22, 42))),  # a long swallow
]


@pytest.mark.parametrize("broken,closer,expected", STRAY_QUOTES, ids=[f"stray-{c[0]}-{c[1]}" for c in STRAY_QUOTES])
def test_stray_quote_variants(tmp_path, broken, closer, expected):
    folder = _stray_quote_exports(tmp_path, _rulings(40), broken=broken, closer=closer)
    checked = build.prepare(folder, CITY).validated.rulings
    assert _rows(checked, "stray-quote") == expected
    assert checked.read == checked.published + checked.rejected == 40


def _quoting_csv(folder: Path, rows: list[dict], break_text) -> Path:
    """Rulings written by a CSV writer that quotes multi-line texts, then one text broken by
    ``break_text`` (which sees the file's text of that ruling, quotes included)."""
    import csv
    import io
    write_exports(folder, rows, [violation(ruling_no="1402/3/100")], [property_()], fmt="csv")
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[f.header for f in RULINGS.fields]]
                                 + [["" if r.get(f.name) is None else str(r[f.name]) for f in RULINGS.fields] for r in rows])
    (folder / "rulings.csv").write_text(break_text(buffer.getvalue()), encoding="utf-8")
    return folder


def _multiline_rulings(count: int) -> list[dict]:
    rows = _rulings(count)
    for i, row in enumerate(rows):
        if i % 2:
            row["ruling_text"] = f"بند یک رأی {i}\nبند دو\n\nبند سه، پایان"
    return rows


SPLITS = [
    # (name, how the file's text is broken, rows rejected)
    ("a lone quote inside a quoted text splits its row",
     lambda text: text.replace('"بند یک رأی 5\nبند دو', '"بند یک رأی 5\nبند" دو', 1), [7]),
    ("an unclosed quote swallows rows with quoted texts",
     lambda text: text.replace(",متن رأی شماره 4,", ',"متن رأی شماره 4,', 1), [6, 7]),
    ("an unclosed quote closed by a quoted number on its line",
     lambda text: text.replace(",متن رأی شماره 8,۱۲۰٬۰۰۰٬۰۰۰,", ',"متن رأی شماره 8,"120,000,000",', 1), [10]),
    ("a lone quote in the last row's text",
     lambda text: text.replace('"بند یک رأی 11\nبند دو', '"بند یک رأی 11\n"بند دو', 1), [13]),
]


@pytest.mark.parametrize("name,breaker,expected", SPLITS, ids=[s[0] for s in SPLITS])
def test_broken_quotes_around_multiline_texts_lose_and_add_no_row(tmp_path, name, breaker, expected):
    rows = _multiline_rulings(12)
    folder = _quoting_csv(tmp_path, rows, breaker)
    assert (folder / "rulings.csv").read_text(encoding="utf-8") != _quoting_csv(tmp_path / "clean", rows, str).joinpath(
        "rulings.csv").read_text(encoding="utf-8"), "the breaker changed the file"
    validated = build.prepare(folder, CITY).validated
    checked = validated.rulings
    assert checked.read == checked.published + checked.rejected == 12
    assert sorted({p["row"] for p in checked.problems if p["code"] in ("stray-quote", "cell-count")}) == expected
    published = set(checked.frame["_row"])
    assert published == set(range(2, 14)) - set(expected)   # every other row kept its own number
    # A row a quote merged or split is read again by position: its owner is a private value.
    # (A row with shifted cells is only rejected: none of its cells is published.)
    private = gates.private_values(validated)
    for row in _rows(checked, "stray-quote"):
        sequence = tuple(gates.tokens(_owners(12)[row - 2]))
        assert sequence in private.sequences.get(sequence[0], {}).get(len(sequence), set())


def test_a_quoted_multiline_text_is_not_a_stray_quote(tmp_path):
    # Line breaks inside a properly quoted text, even lines with commas, are one cell.
    text = "بند یک، تبصره ۲\nبند دو, با ویرگول, لاتین\n1402/3/999,جمع"
    rows = _rulings(5)
    rows[1]["ruling_text"] = text
    folder = write_exports(tmp_path, rows, [violation()], [property_()], fmt="csv")
    checked = build.prepare(folder, CITY).validated.rulings
    assert checked.read == checked.published == 5
    assert text in set(checked.frame["ruling_text"]) or checked.frame["ruling_text"].str.contains("بند دو").any()


def test_stray_quote_in_violations_and_properties(tmp_path):
    folder = write_exports(tmp_path, _rulings(3), [violation(ruling_no=f"1402/3/{100 + i}", floor=f"طبقه {i}")
                                                    for i in range(3)],
                           [property_(property_code=f"P-05-000{i}") for i in range(1, 5)], fmt="csv")
    lines = _csv_lines(VIOLATIONS, [violation(ruling_no=f"1402/3/{100 + i}", floor=f"طبقه {i}") for i in range(3)])
    lines[1] = lines[1].replace("طبقه 0", '"طبقه 0')
    _write_raw_csv(folder, "violations.csv", lines)
    lines = _csv_lines(PROPERTIES, [property_(property_code=f"P-05-000{i}") for i in range(1, 5)])
    lines[2] = lines[2].replace("زمین بایر", '"زمین بایر')
    _write_raw_csv(folder, "properties.csv", lines)
    validated = build.prepare(folder, CITY).validated
    assert _rows(validated.violations, "stray-quote") == [2, 3, 4]
    assert _rows(validated.properties, "stray-quote") == [3, 4, 5]
    for checked in validated.tables():
        assert checked.read == checked.published + checked.rejected


CELL_COUNTS = [
    ("one cell missing", lambda line: line.rsplit(",", 1)[0], True),
    ("one cell past the header", lambda line: line + ",بیرون", True),
    ("an unquoted comma in a name", lambda line: line.replace("حسن رضایی", "حسن, رضایی"), True),
    ("only half the cells", lambda line: ",".join(line.split(",")[:10]), True),
    ("empty cells past the header", lambda line: line + ",,", False),
]


@pytest.mark.parametrize("name,change,rejected", CELL_COUNTS, ids=[c[0] for c in CELL_COUNTS])
def test_csv_row_with_the_wrong_number_of_cells(tmp_path, name, change, rejected):
    rows = _rulings(3)
    folder = write_exports(tmp_path, rows, [violation()], [property_()], fmt="csv")
    lines = _csv_lines(RULINGS, rows)
    lines[2] = change(lines[2])
    _write_raw_csv(folder, "rulings.csv", lines)
    checked = build.prepare(folder, CITY).validated.rulings
    assert checked.read == checked.published + checked.rejected == 3
    assert _rows(checked, "cell-count") == ([3] if rejected else [])


@pytest.mark.parametrize("fmt", ["csv", "html"])
def test_an_oversized_cell_rejects_its_row_and_names_it(tmp_path, fmt):
    # (openpyxl and office suites cut a workbook cell at 32,767 characters; CSV and HTML do not.)
    rows = _rulings(3)
    rows[1]["ruling_text"] = "متن " * 250_000   # 1 MB
    folder = write_exports(tmp_path, rows, [violation()], [property_()], fmt="csv")
    if fmt == "html":
        _as_html_workbook(folder, rows, [violation()])
    checked = build.prepare(folder, CITY).validated.rulings
    assert [(p["row"], p["column"], p["code"]) for p in checked.problems] == [(3, "شرح رأی", "oversized-cell")]
    assert checked.read == 3 and checked.published == 2


def _as_html_workbook(folder: Path, rows: list[dict], violations: list[dict]) -> None:
    (folder / "rulings.csv").unlink()
    (folder / "violations.csv").unlink()
    (folder / "rulings.xls").write_bytes(_html_page(_html_table(_table(RULINGS, rows), "آرا"),
                                                   _html_table(_table(VIOLATIONS, violations), "تخلفات")))


MIXED = [
    ("a UTF-8 row in a Windows-1256 file", "cp1256", 3, "utf-8", "line 3 is UTF-8"),
    ("a Windows-1256 row in a UTF-8 file", "utf-8", 2, "cp1256", "line 2 is Windows-1256"),
    ("a UTF-8 header over Windows-1256 rows", "cp1256", 1, "utf-8", "line 2 is Windows-1256"),
]


@pytest.mark.parametrize("name,encoding,line,other,message", MIXED, ids=[m[0] for m in MIXED])
def test_mixed_encodings_are_a_clear_file_error(tmp_path, name, encoding, line, other, message):
    from factory import CP1256_SPELLING
    rows = _rulings(4)
    folder = write_exports(tmp_path, rows, [violation()], [property_()], fmt="csv", encoding="cp1256")
    lines = [text.translate(CP1256_SPELLING) for text in _csv_lines(RULINGS, rows)]
    data = [text.encode(other if number == line else encoding) for number, text in enumerate(lines, start=1)]
    (folder / "rulings.csv").write_bytes(b"\r\n".join(data) + b"\r\n")
    with pytest.raises(FileError) as caught:
        build.prepare(folder, CITY)
    assert caught.value.code == "mixed-encoding"
    assert "rulings.csv" in caught.value.file and message in str(caught.value)


AMBIGUOUS = [
    ("rulings.xlsx and rulings.csv", "xlsx", ["rulings.csv"]),
    ("rulings.xlsx and rulings.xls", "xlsx", ["rulings.xls"]),
    ("rulings.xlsx and violations.csv", "xlsx", ["violations.csv"]),
    ("properties.csv and properties.ods", "csv", ["properties.ods"]),
    ("properties.xlsx and properties.xlsb", "xlsx", ["properties.xlsb"]),
]


@pytest.mark.parametrize("name,fmt,extra", AMBIGUOUS, ids=[a[0] for a in AMBIGUOUS])
def test_two_exports_of_one_table_are_refused(tmp_path, name, fmt, extra):
    folder = write_exports(tmp_path, fmt=fmt)
    other = write_exports(tmp_path / "other", fmt="csv" if fmt == "xlsx" else "xlsx")
    for file in extra:
        source = other / file if (other / file).exists() else next(other.glob(file.split(".")[0] + ".*"))
        (folder / file).write_bytes(source.read_bytes())
    with pytest.raises(FileError) as caught:
        read_exports(folder)
    assert caught.value.code == "ambiguous-export"
    assert extra[0] in str(caught.value)


def _html_table(rows: list[list], title: str = "") -> str:
    def cell(value):
        text = "" if value is None else str(value)
        return "<td>" + text.replace("&", "&amp;").replace("<", "&lt;").replace("\n", "<br>") + "</td>"
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>\n" for row in rows)
    caption = f"<h2>{title}</h2>" if title else ""
    return f"{caption}<table border=1>\n{body}</table>\n"


def _html_page(*tables: str) -> bytes:
    return ("<html><head><meta charset='utf-8'><title>خروجی</title></head><body>"
            + "".join(tables) + "</body></html>").encode("utf-8")


def _table(table, rows):
    return [[f.header for f in table.fields]] + [[row.get(f.name) for f in table.fields] for row in rows]


def test_an_html_table_saved_as_xls_is_read(tmp_path):
    rows = _rulings(4)
    rows[0]["ruling_text"] = "خط یک\nخط دو <script>alert(1)</script> & «نقل»"
    violations = [violation(ruling_no=r["ruling_no"]) for r in rows]
    reference = build.prepare(write_exports(tmp_path / "xlsx", rows, violations, [property_()]), CITY).validated
    folder = tmp_path / "html"
    folder.mkdir()
    (folder / "rulings.xls").write_bytes(_html_page(_html_table(_table(VIOLATIONS, violations), "تخلفات"),
                                                   _html_table(_table(RULINGS, rows), "آرا")))
    (folder / "properties.xls").write_bytes(_html_page(_html_table(_table(PROPERTIES, [property_()]))))
    validated = build.prepare(folder, CITY).validated
    for ours, theirs in zip(validated.tables(), reference.tables()):
        columns = [f.name for f in ours.table.fields]
        assert ours.frame[columns].reset_index(drop=True).equals(theirs.frame[columns].reset_index(drop=True))
        assert ours.read == theirs.read
    assert validated.rulings.frame["ruling_text"].iloc[0] == "خط یک\nخط دو <script>alert(1)</script> & «نقل»"


def test_an_html_export_without_the_table_is_a_clear_error(tmp_path):
    folder = write_exports(tmp_path)
    (folder / "rulings.xlsx").unlink()
    (folder / "rulings.xls").write_bytes(_html_page(_html_table([["ستون"], ["مقدار"]])))
    with pytest.raises(FileError) as caught:
        read_exports(folder)
    assert caught.value.code == "missing-sheet" and "rulings.xls" in caught.value.file


FORMULAS = [
    # (field, formula, the codes its row is rejected with: none for an optional text)
    ("ruling_text", '=CONCATENATE("اضافه"," بنا")', []),
    ("ruling_date", "=TODAY()", ["uncomputed-formula", "bad-date"]),
    ("ruling_no", '="1402/"&"3/101"', ["uncomputed-formula", "bad-key"]),
    ("interior_rep", "=Sheet2!A1", ["uncomputed-formula"]),
    ("total_fine_rial", "=SUM(A1:A3)", ["bad-number"]),
]


@pytest.mark.parametrize("name,formula,codes", FORMULAS, ids=[f[0] for f in FORMULAS])
def test_a_formula_without_value_is_read_as_its_text_and_warned(tmp_path, name, formula, codes):
    # openpyxl writes a cell starting with «=» as a formula and stores no value, as scripts do.
    rows = [ruling(), ruling(**{"ruling_no": "1402/3/101", name: formula})]
    folder = write_exports(tmp_path, rows)
    checked = build.prepare(folder, CITY).validated.rulings
    header = RULINGS.field(name).header
    warned = [(w["row"], w["column"], w["code"]) for w in checked.warnings if w["code"] == "formula-without-value"]
    assert warned == [(3, header, "formula-without-value")]
    assert sorted((p["row"], p["code"]) for p in checked.problems) == sorted((3, code) for code in codes)
    assert all(p["column"] == header for p in checked.problems)
    if not codes:
        assert checked.frame["ruling_text"].iloc[1] == formula


def test_formulas_past_the_cells_with_values_are_read(tmp_path):
    # A formula-only row below the last value lies outside the range calamine reports.
    folder = write_exports(tmp_path)
    book = openpyxl.load_workbook(folder / "rulings.xlsx")
    sheet = book["آرا"]
    sheet.cell(3, 1, '="1402/3/"&"777"')
    book.save(folder / "rulings.xlsx")
    checked = build.prepare(folder, CITY).validated.rulings
    assert checked.read == 2
    assert [(w["row"], w["code"]) for w in checked.warnings] == [(3, "formula-without-value")]


def test_a_blank_header_above_data_is_warned_with_its_letter_and_count(tmp_path):
    rows = _rulings(5)
    folder = write_exports(tmp_path, rows, headers={"rulings": [
        "" if f.name == "neighbourhood" else f.header for f in RULINGS.fields]})
    book = openpyxl.load_workbook(folder / "rulings.xlsx")
    sheet = book["آرا"]
    for row in (2, 4, 5):                    # data in column W, two columns past the header
        sheet.cell(row, len(RULINGS.fields) + 3, f"یادداشت {row}")
    book.save(folder / "rulings.xlsx")
    checked = build.prepare(folder, CITY).validated.rulings
    unnamed = sorted((w["column"], w["reason"]) for w in checked.warnings if w["code"] == "unnamed-column")
    assert [column for column, _ in unnamed] == ["G", "W"]
    assert " 5 سطر" in unnamed[0][1] and " 3 سطر" in unnamed[1][1]
    assert checked.published == 5


def test_a_csv_header_with_an_empty_cell_over_data_is_warned(tmp_path):
    rows = _rulings(2)
    folder = write_exports(tmp_path, rows, [violation()], [property_()], fmt="csv")
    lines = _csv_lines(RULINGS, rows)
    lines = [lines[0] + ","] + [line + ",یادداشت" for line in lines[1:]]
    _write_raw_csv(folder, "rulings.csv", lines)
    checked = build.prepare(folder, CITY).validated.rulings
    assert [(w["column"], w["code"]) for w in checked.warnings] == [("U", "unnamed-column")]
    assert checked.published == 2


def test_a_workbook_is_read_by_its_content_not_its_name(tmp_path):
    folder = write_exports(tmp_path)
    (folder / "rulings.xlsx").rename(folder / "rulings.xls")     # an .xlsx named .xls
    checked = build.prepare(folder, CITY).validated.rulings
    assert checked.read == checked.published == 1


def _html_exports(folder: Path, page: bytes) -> Path:
    write_exports(folder)
    (folder / "rulings.xlsx").unlink()
    (folder / "rulings.xls").write_bytes(page)
    return folder


def _ruling_rows_html(**cells) -> list[list]:
    return _table(RULINGS, [ruling(**cells)])


HOSTILE_HTML = [
    # (name, page, code of the file error or None, rulings read)
    ("nested layout table", _html_page("<table><tr><td>" + _html_table(_ruling_rows_html(), "آرا") + "</td></tr></table>",
                                       _html_table(_table(VIOLATIONS, [violation()]), "تخلفات")), None, 1),
    ("a colspan of a billion", _html_page(_html_table(_ruling_rows_html(), "آرا").replace("<td>", '<td colspan="999999999">', 1),
                                          _html_table(_table(VIOLATIONS, [violation()]))), None, 1),
    ("sdval that is not finite", _html_page(_html_table(_ruling_rows_html(), "آرا").replace(
        "<td>منطقه ۵", '<td sdval="inf" sdnum="1033;0;YYYY-MM-DD">منطقه ۵'), _html_table(_table(VIOLATIONS, [violation()]))), None, 1),
    ("a date no calendar holds", _html_page(_html_table(_ruling_rows_html(), "آرا").replace(
        "<td>۱۴۰۲/۰۵/۱۲", '<td sdval="1e300" sdnum="1033;0;YYYY-MM-DD">۱۴۰۲/۰۵/۱۲'), _html_table(_table(VIOLATIONS, [violation()]))), None, 1),
    ("cells outside a row", _html_page(_html_table(_ruling_rows_html(), "آرا").replace("<tr>", "", 1),
                                       _html_table(_table(VIOLATIONS, [violation()]))), None, 1),
    ("a charset that lies", _html_page(_html_table(_ruling_rows_html())).replace(b"charset='utf-8'", b"charset='ascii'"),
     "unreadable-file", 0),
    ("an unknown charset", _html_page(_html_table(_ruling_rows_html())).replace(b"charset='utf-8'", b"charset='klingon'"),
     "unreadable-file", 0),
    ("an Excel 2003 XML spreadsheet", b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
     b"<Worksheet/></Workbook>", "unreadable-file", 0),
    ("two tables of rulings", _html_page(_html_table(_ruling_rows_html()), _html_table(_ruling_rows_html()),
                                         _html_table(_table(VIOLATIONS, [violation()]))), "ambiguous-export", 0),
    ("tab-separated text named .xls", "\t".join(f.header for f in RULINGS.fields).encode("utf-8"), "unreadable-file", 0),
]


@pytest.mark.parametrize("name,page,code,read", HOSTILE_HTML, ids=[h[0] for h in HOSTILE_HTML])
def test_hostile_html_exports(tmp_path, name, page, code, read):
    folder = _html_exports(tmp_path, page)
    if code:
        with pytest.raises(FileError) as caught:
            build.prepare(folder, CITY)
        assert caught.value.code == code and "rulings.xls" in caught.value.file
        return
    checked = build.prepare(folder, CITY).validated.rulings
    assert checked.read == read == checked.published + checked.rejected


def test_an_html_export_in_windows_1256_without_a_charset(tmp_path):
    from factory import CP1256_SPELLING
    page = _html_page(_html_table(_ruling_rows_html(), "آرا"), _html_table(_table(VIOLATIONS, [violation()])))
    page = page.decode("utf-8").replace("<meta charset='utf-8'>", "").translate(CP1256_SPELLING).encode("cp1256")
    checked = build.prepare(_html_exports(tmp_path, page), CITY).validated.rulings
    assert checked.published == 1


def test_formula_cells_without_references_are_placed_by_order(tmp_path):
    # «r» is optional in a sheet's XML (a cell without it follows the one before); scripts
    # that write the XML by hand leave it out.
    import re
    import zipfile
    folder = write_exports(tmp_path, [ruling(), ruling(ruling_no="1402/3/101", ruling_text="=1+1")])
    path = folder / "rulings.xlsx"
    with zipfile.ZipFile(path) as package:
        members = {name: package.read(name) for name in package.namelist()}
    sheet = next(name for name in members if name.startswith("xl/worksheets/sheet1"))
    members[sheet], stripped = re.subn(rb'<c r="[A-Z]+\d+"([^>]*><f>)', rb"<c\1", members[sheet])
    assert stripped == 1
    with zipfile.ZipFile(path, "w") as package:
        for name, data in members.items():
            package.writestr(name, data)
    checked = build.prepare(folder, CITY).validated.rulings
    assert [(w["row"], w["column"]) for w in checked.warnings] == [(3, "شرح رأی")]
    assert checked.frame["ruling_text"].iloc[1] == "=1+1"


def test_short_rows_under_empty_trailing_headers_are_whole(tmp_path):
    rows = _rulings(2)
    folder = write_exports(tmp_path, rows, [violation()], [property_()], fmt="csv")
    lines = _csv_lines(RULINGS, rows)
    _write_raw_csv(folder, "rulings.csv", [lines[0] + ",,"] + lines[1:])
    checked = build.prepare(folder, CITY).validated.rulings
    assert checked.published == 2 and checked.problems == [] and checked.warnings == []


def test_shared_formulas_without_values_are_read_as_their_first_cells_text(tmp_path):
    # A shared formula's later cells hold only its index («si»): they show the first one's text.
    import re
    import zipfile
    rows = [ruling(), ruling(ruling_no="1402/3/101", ruling_text="=A1"), ruling(ruling_no="1402/3/102", ruling_text="=A2")]
    path = write_exports(tmp_path, rows) / "rulings.xlsx"
    with zipfile.ZipFile(path) as package:
        members = {name: package.read(name) for name in package.namelist()}
    sheet = next(name for name in members if name.startswith("xl/worksheets/sheet1"))
    xml = members[sheet]
    xml, first = re.subn(rb"<f>A1</f>", b'<f t="shared" ref="N3:N4" si="0">A1</f>', xml)
    xml, later = re.subn(rb"<f>A2</f>", b'<f t="shared" si="0"/>', xml)
    assert first == later == 1
    members[sheet] = xml
    with zipfile.ZipFile(path, "w") as package:
        for name, data in members.items():
            package.writestr(name, data)
    checked = build.prepare(path.parent, CITY).validated.rulings
    assert [(w["row"], w["code"]) for w in checked.warnings] == [(3, "formula-without-value"), (4, "formula-without-value")]
    assert list(checked.frame["ruling_text"])[1:] == ["=A1", "=A1"]
