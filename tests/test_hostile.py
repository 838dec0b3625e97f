"""Issue 10's fixes attacked as a hostile tester would: every input a careless or hostile export
could hold, and faults a real deployment meets, kept as a test.

Each attempt records what must happen: a clean error (FileError, or a refusal with no
traceback), a row rejection, or a published row with nothing personal left in it; and always
read = published + rejected. What is still not caught is marked ``xfail(strict=True)`` with the
reason, so that the day it is fixed the marker has to go.

Most attempts run the reader, the validator and the redaction in this process (milliseconds);
the faults publish a tiny site (about 8 s each) in a few subprocesses.
"""
from __future__ import annotations

import contextlib
import csv
import gzip
import html
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from conftest import ROOT
from factory import _table_rows, property_, ruling, violation, write_exports
from pipeline import gates, personal, privacy, seal, settings, values
from pipeline.datasets import FORMULA_PREFIXES
from pipeline.errors import FileError
from pipeline.pages import escape_markdown
from pipeline.read import read_exports
from pipeline.schema import PROPERTIES, RULINGS
from pipeline.validate import validate
from test_publish import good_exports, publish, tree

CITY = settings.load(settings.ROOT / "pelicanconf.py")
MOBILE_DIGITS = "9121234567"    # 0912 123 4567 without its zero: found in any spelling
ID_DIGITS = "499370899"         # 0499370899 (passes the checksum) without its zero


def checked(folder: Path):
    """Read and validate; every dataset must account for every record it read."""
    result = validate(read_exports(folder), CITY)
    for table in result.tables():
        assert table.read == table.published + table.rejected, table.table.name
    return result


def codes(table) -> set[str]:
    return {p["code"] for p in table.problems}


def leaked(text: str | None) -> bool:
    """Whether the mobile's or the ID's digits still stand in a text, however written."""
    digits = personal.digits(text or "")
    return MOBILE_DIGITS in digits or ID_DIGITS in digits


# --- personal data in every spelling -------------------------------------------------------

SPELLINGS = {
    "full-width mobile": "تماس ０９１２１２３４５６７",
    "full-width ID": "کد ملی ０４９９３７０８９９",
    "Arabic-Indic and Latin mixed": "۰۹12١٢٣4567",
    "no-break spaces": "0912\u00a0123\u00a04567",
    "thin spaces U+2009": "0912\u2009123\u20094567",
    "narrow no-break spaces U+202F in an ID": "0499\u202f370\u202f899",
    "figure spaces": "0912\u2007123\u20074567",
    "ideographic spaces": "0912\u3000123\u30004567",
    "four spaces between groups": "0912    123    4567",
    "inside a URL's query": "https://example.org/?m=09121234567",
    "inside a URL's path": "https://example.org/u/0499370899/",
    "a wa.me link": "wa.me/989121234567",
    "a tel: link": "tel:+989121234567",
    "glued to Persian letters": "همراه09121234567",
    "in an HTML attribute": '<a title="0912-123-4567">x</a>',
    "after a date": "1402/05/12 0499370899",
    "em dashes": "0912—123—4567",
    "full-width hyphens (NFKC)": "0912－123－4567",
    "full-width slashes (NFKC)": "0912／123／4567",
    "superscript digits (NFKC)": "⁰⁹¹²¹²³⁴⁵⁶⁷",
    "circled digits (NFKC)": "⓪⑨①②①②③④⑤⑥⑦",
    "mathematical bold digits": "𝟎𝟗𝟏𝟐𝟏𝟐𝟑𝟒𝟓𝟔𝟕",
    "a dash between every digit": "0-9-1-2-1-2-3-4-5-6-7",
    "a space between every digit": "0 9 1 2 1 2 3 4 5 6 7",
    "ZWNJ between groups": "0912\u200c123\u200c4567",
    "ZWJ inside": "0912\u200d1234567",
    "LRM and RLM marks": "\u200e0912\u200f1234567",
    "98 without a plus": "989121234567",
    "0098 and spaces": "0098 912 123 4567",
    "+98 (0) 912": "+98 (0) 912 123 4567",
    "zero dropped, spaced": "912 123 4567",
    "ID with dashes after its label": "کد ملی: 049-937-0899",
    "word joiner inside an ID": "0499\u2060370899",
    "tag characters inside": "0912\U000e0031123\U000e00324567",
    "colons between groups": "0912:123:4567",
    "underscores between groups": "0499_370_899",
    "glued to a Latin word": "Tel09121234567",
    "ID glued to Latin letters": "ID0499370899",
    "glued to a Latin word and a colon": "mobile:0912-123-4567",
}

# Still published as they are (measured): each is a real leak, left for a decision on the
# boundaries in pipeline/personal.py (which the gate shares, so widening it risks false
# refusals on hashes and JSON that the whole sample site must be checked against).
UNCAUGHT = {
    "asterisks between groups": "0912*123*4567",
}


@pytest.mark.parametrize("text", SPELLINGS.values(), ids=SPELLINGS.keys())
@pytest.mark.parametrize("column", ["ruling_text", "neighbourhood"])
def test_an_id_or_mobile_in_any_spelling_is_masked_in_public_text(text, column):
    parse = values.long_text if column == "ruling_text" else values.text
    published = privacy.redact(parse(text))
    assert not leaked(published), published
    assert privacy.MASK in published


@pytest.mark.parametrize("text", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_an_id_or_mobile_in_any_spelling_is_dropped_from_a_member_name(text):
    published = privacy.official_name(values.text(f"علی کریمی {text}"))
    assert not leaked(published), published
    assert "علی کریمی" in published


@pytest.mark.parametrize("text", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_the_gate_finds_what_redaction_would_have_masked(text):
    """The gate reads pages after the normaliser ran: the stored form must be found."""
    assert personal.find(values.long_text(text))


@pytest.mark.xfail(strict=True, reason="separators and glue personal.py does not read as part of a number")
@pytest.mark.parametrize("text", UNCAUGHT.values(), ids=UNCAUGHT.keys())
def test_spellings_not_yet_recognised(text):
    assert not leaked(privacy.redact(values.long_text(text)))


@pytest.mark.parametrize("text", ["abc0499370899", "a1b0499370899", "0499370899abc", "deadbeef0499370899",
                                  "9f86d081884c7d659a2feaa0c55ad0150499370899"])
def test_digits_inside_a_hexadecimal_hash_are_left_alone(text):
    """The gate reads every shard and asset name: a hash is no personal data."""
    assert personal.find(text) == []


@pytest.mark.parametrize("text", ["0912\n1234567", "0499\n370899", "0912\r\n123 4567"])
def test_a_number_split_over_two_lines_stays_two_lines_or_is_masked_in_a_name(text):
    """By design two lines are two numbers (README): the page must show them as two lines
    (a Markdown hard break), and a one-line name cell joins them, so there it is masked."""
    page = escape_markdown(values.long_text(text))
    assert "  \n" in page
    assert not leaked(privacy.official_name(values.text(text)))


# --- CSV exports a careless system writes --------------------------------------------------

FOUR = range(4)


def four_of_each(folder: Path) -> Path:
    return write_exports(
        folder,
        [ruling(ruling_no=f"1402/3/{100 + i}", case_no=f"۵۵{100 + i}") for i in FOUR],
        [violation(ruling_no=f"1402/3/{100 + i}") for i in FOUR],
        [property_(property_code=f"P-05-000{i + 1}") for i in FOUR], fmt="csv")


def _replace(old: str, new: str, count: int = 1):
    return lambda data: data.replace(old.encode(), new.encode(), count)


def _replace_last(old: str, new: str):
    return lambda data: new.encode().join(data.rsplit(old.encode(), 1))


# file, damage, records read per dataset (rulings, violations, properties), codes expected
CSV_ATTACKS = {
    "stray quote in violations.csv": ("violations.csv", _replace("تبصره ۲ ماده ۱۰۰", '"تبصره ۲'),
                                      (4, 4, 4), {"stray-quote"}),
    "stray quote in properties.csv": ("properties.csv", _replace("زمین بایر بلوار ارم", '"زمین بایر'),
                                      (4, 4, 4), {"stray-quote"}),
    "stray quote in the last property": ("properties.csv", _replace_last("زمین بایر بلوار ارم", '"زمین بایر'),
                                         (4, 4, 4), {"cell-count"}),
    "a quote inside an unquoted ruling text": ("rulings.csv", _replace("اضافه بنا در طبقه دوم.", 'اضافه "بنا'),
                                               (4, 4, 4), set()),
    "a quoted text holding a line that starts with a key": (
        "rulings.csv", _replace("اضافه بنا در طبقه دوم.", '"اضافه ""بنا"" در\r\n1402/3/999,x"'), (4, 4, 4), set()),
    "CR-only line endings (rulings)": ("rulings.csv", _replace("\r\n", "\r", -1), (4, 4, 4), set()),
    "CR-only line endings (violations)": ("violations.csv", _replace("\r\n", "\r", -1), (4, 4, 4), set()),
    "LF-only line endings": ("properties.csv", _replace("\r\n", "\n", -1), (4, 4, 4), set()),
    "a BOM inside a cell": ("rulings.csv", _replace("مهرشهر", "\ufeffمهرشهر", 2), (4, 4, 4), set()),
    "a BOM starting a record": ("properties.csv", _replace("\r\nP-05-0002", "\r\n\ufeffP-05-0002"), (4, 4, 4), set()),
    "two BOMs before the header": ("rulings.csv", lambda data: b"\xef\xbb\xbf" + data, (4, 4, 4), set()),
    "a NUL byte in a cell": ("rulings.csv", _replace("مهرشهر", "مهر\x00شهر"), (4, 4, 4), set()),
    "a NUL byte in a key": ("properties.csv", _replace("P-05-0002", "P-05-\x000002"), (4, 4, 4), set()),
    "a line of NUL bytes": ("violations.csv", lambda data: data + b"\x00\x00\r\n", (4, 4, 4), set()),
    "a form feed ending a line": ("rulings.csv", _replace("\r\n1402/3/102", "\x0c\r\n1402/3/102"), (4, 4, 4), set()),
    "U+2028 inside a cell": ("rulings.csv", _replace("مهرشهر", "مهر\u2028شهر"), (4, 4, 4), set()),
    "a total row with fewer cells": ("properties.csv", lambda data: data + "جمع کل,,,\r\n".encode(),
                                     (4, 4, 5), {"cell-count"}),
    "a lone quote on the last line": ("rulings.csv", lambda data: data + b'"\r\n', (4, 4, 4), set()),
}


@pytest.mark.parametrize("name,damage,read,expected", CSV_ATTACKS.values(), ids=CSV_ATTACKS.keys())
def test_a_damaged_csv_loses_no_record(tmp_path, name, damage, read, expected):
    folder = four_of_each(tmp_path)
    (folder / name).write_bytes(damage((folder / name).read_bytes()))
    result = checked(folder)
    assert tuple(t.read for t in result.tables()) == read
    found = set().union(*(codes(t) for t in result.tables()))
    assert expected <= found, found
    if not expected:
        assert sum(t.rejected for t in result.tables()) == 0, [t.problems for t in result.tables()]


@pytest.mark.parametrize("damage,code", [
    (lambda data: data.decode("utf-8-sig").encode("utf-16"), "unreadable-file"),
    (lambda data: data.replace(b",", b";"), "missing-column"),
    (lambda data: data.replace(b",", b"\t"), "missing-column"),
], ids=["UTF-16", "semicolons", "tabs"])
def test_a_csv_in_another_shape_is_a_clean_file_error(tmp_path, damage, code):
    folder = four_of_each(tmp_path)
    (folder / "properties.csv").write_bytes(damage((folder / "properties.csv").read_bytes()))
    with pytest.raises(FileError) as error:
        read_exports(folder)
    assert error.value.code == code


# --- keys that try to leave their folder or take another page's address ------------------

HOSTILE_KEYS = ["..", "../..", "1402/../100", "%2F", "1402%2F3", "CON", "NUL", "COM1", "1402/3/100.",
                "1402/3/100 ", "1402/3/100\u00a0", ".", "/", "-", "1402/3/100/", "/etc/passwd",
                "..\\..\\x", "a\u202eb", "𝟏𝟒𝟎𝟐/3/100", "١٤٠٢/٣/١٠٠", "1402⁄3⁄100", "1402∕3∕100", "page",
                "PAGE", "Page.", "index", "feeds", "search", "members", "data", "theme", "district", "use",
                "occupancy", "P-05-0001.", "P_05_0001", "p-05-0001", "x" * 64, "x" * 65, "a\x00b",
                "<script>", "1402/3/100?x", "1402#3", "0912-123-4567", "0499 370 899", "1402/3/1\u200b00",
                "P-05-0001\u2060", "1402/3/100\U000e0041", "=1+1", "-1402/3/100", "@1402", "1402/3/100\n"]
SAFE_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_a_hostile_key_is_rejected_or_gets_a_safe_distinct_address(tmp_path, key):
    folder = write_exports(tmp_path, [ruling(ruling_no="1402/3/100"), ruling(ruling_no=key, case_no="۵۵۱۰۲")],
                           [violation(ruling_no="1402/3/100")],
                           [property_(), property_(property_code=key)], fmt="csv")
    result = checked(folder)
    for table in (result.rulings, result.properties):
        slugs = table.frame["slug"].tolist()
        assert len(set(slugs)) == len(slugs)
        assert all(SAFE_SLUG.fullmatch(s) and len(s) <= 80 for s in slugs), slugs
        assert not LISTINGS[table.table.name] & set(slugs), slugs


LISTINGS = {"rulings": {"page"}, "properties": {"page", "district", "use", "occupancy"}}


# --- workbooks whose sheets only look alike ------------------------------------------------

@pytest.mark.parametrize("twin", ["آرا\u2060", "آرا\u200b", "آرا ", " آرا", "ارا", "آرا\u200c", "آ\u034fرا"])
def test_two_sheets_whose_names_differ_only_invisibly_are_refused(tmp_path, twin):
    """The reader once took the first and dropped the other's rows without a word."""
    folder = write_exports(tmp_path, [ruling()], [violation()], [property_()])
    book = openpyxl.load_workbook(folder / "rulings.xlsx")
    sheet = book.create_sheet(twin)
    for row in _table_rows(RULINGS, [ruling(ruling_no="1402/3/555", case_no="۵۵۵")]):
        sheet.append(row)
    book.save(folder / "rulings.xlsx")
    with pytest.raises(FileError) as error:
        read_exports(folder)
    assert error.value.code == "ambiguous-export"


# --- members whose names only look different -----------------------------------------------

NAME = "علی کریمی"
SAME_MEMBER = {
    "Arabic yeh and kaf": "علي كريمي", "alef maksura": "علی كريمى", "ZWNJ for the space": "علی\u200cکریمی",
    "tatweel": "علـی کریمی", "a fatha": "عَلی کریمی", "U+034F": "عل\u034fی کریمی",
    "Hangul filler": "علی\u3164کریمی", "a tag character": "علی کریمی\U000e0041",
    "zero-width space": "علی\u200bکریمی", "no-break space": "علی\u00a0کریمی", "soft hyphen": "عل\u00adی کریمی",
    "Mongolian vowel separator": "علی\u180eکریمی", "hair space": "علی\u200aکریمی", "LRM": "\u200eعلی کریمی",
    "presentation forms": "ﻋﻠﯽ ﮐﺮﯾﻤﯽ", "double space": "علی  کریمی", "yeh U+06D0": "علې کریمې",
}
# Letters of Urdu and Pashto keyboards that look like Persian ones: still separate member pages.
LOOK_ALIKE_LETTERS = {
    "yeh barree U+06D2": "علے کریمے", "swash kaf U+06AA": "علی ڪریمی", "kaf with ring U+06AB": "علی ګریمی",
    "yeh with tail U+06CD": "علۍ کریمۍ", "a combining dot below": "علی کری\u0323می",
}


@pytest.mark.parametrize("variant", SAME_MEMBER.values(), ids=SAME_MEMBER.keys())
def test_a_member_spelled_another_way_keeps_one_page(variant):
    assert values.match_key(values.text(variant)) == values.match_key(values.text(NAME))


@pytest.mark.xfail(strict=True, reason="the normaliser (and normalise.js) maps no Urdu/Pashto look-alike letters")
@pytest.mark.parametrize("variant", LOOK_ALIKE_LETTERS.values(), ids=LOOK_ALIKE_LETTERS.keys())
def test_look_alike_letters_not_yet_folded(variant):
    assert values.match_key(values.text(variant)) == values.match_key(values.text(NAME))


# --- faults a deployment meets --------------------------------------------------------------

PUBLISHED = ("output", "state")
NEXT = "2026-11-28"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    work = tmp_path_factory.mktemp("hostile-live")
    run = publish(good_exports(work / "exports"), work)
    assert run.returncode == 0, run.stderr
    return work


def copy_of(published: Path, target: Path) -> Path:
    for name in (*PUBLISHED, "exports"):
        shutil.copytree(published / name, target / name, copy_function=shutil.copy2)
    return target


def folders(work: Path) -> dict:
    return {name: tree(work / name) for name in PUBLISHED}


def assert_refused_cleanly(run, work: Path, before: dict) -> None:
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    assert "was not changed" in run.stderr
    assert folders(work) == before
    assert seal.check(work / "output") == []


def mount(*args: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a folder needs root")
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if done.returncode:
        pytest.skip(f"mount {' '.join(args)}: {done.stderr.strip()}")


@contextlib.contextmanager
def read_only(folder: Path):
    """``folder`` (made if missing) mounted read-only onto itself for the ``with`` block."""
    folder.mkdir(exist_ok=True)
    mount("--bind", str(folder), str(folder))
    try:
        mount("-o", "remount,bind,ro", str(folder))
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_full_disk_during_the_build_leaves_the_site_alone(published, tmp_path):
    """A tmpfs with room for the published site and a quarter of a new one."""
    work = tmp_path / "small"
    work.mkdir()
    mount("-t", "tmpfs", "-o", "size=64m", "tmpfs", str(work))
    try:
        copy_of(published, work)
        disk = os.statvfs(work)
        used = (disk.f_blocks - disk.f_bfree) * disk.f_frsize
        site = sum(p.stat().st_size for p in (work / "output").rglob("*") if p.is_file())
        mount("-o", f"remount,size={used + site // 4}", str(work))
        before = folders(work)
        run = publish(work / "exports", work, date=NEXT)
        assert "No space left on device" in run.stderr
        assert_refused_cleanly(run, work, before)
        shutil.rmtree(work / "output.new")  # what staff do to make room; then a recovery finds nothing to do
        recovered = subprocess.run([sys.executable, "-m", "pipeline.publish", "--recover", "--output",
                                    str(work / "output"), "--state", str(work / "state")],
                                   cwd=ROOT, capture_output=True, text=True, check=False)
        assert recovered.returncode == 0 and "Traceback" not in recovered.stderr, recovered.stderr
        assert folders(work) == before
    finally:
        subprocess.run(["umount", "-l", str(work)], check=False)


def test_a_read_only_reports_folder_is_a_refusal_not_a_traceback(published, tmp_path):
    work = copy_of(published, tmp_path / "work")
    with read_only(work / "reports"):
        before = folders(work)
        assert_refused_cleanly(publish(work / "exports", work, date=NEXT), work, before)


def test_a_read_only_cache_is_a_refusal_not_a_traceback(published, tmp_path):
    """The workbooks are cached by a second process: its error once came back as a traceback."""
    work = copy_of(published, tmp_path / "work")
    with read_only(work / "cache"):
        before = folders(work)
        run = publish(work / "exports", work, date=NEXT)
        assert "Read-only file system" in run.stderr and "cache" in run.stderr
        assert_refused_cleanly(run, work, before)


def _edit(output: Path) -> None:
    page = output / "index.html"
    page.write_bytes(page.read_bytes().replace(b"</body>", b"<script>alert(1)</script></body>"))


SITE_EDITS = {
    "one page edited": _edit,
    "a file added": lambda output: (output / "leak.csv").write_text("owner,0912 123 4567\n", encoding="utf-8"),
    "a file removed": lambda output: (output / "data" / "rulings.csv").unlink(),
    "a symlink out of the site": lambda output: (output / "passwd").symlink_to("/etc/passwd"),
    "a page replaced by a symlink": lambda output: ((output / "index.html").unlink(),
                                                   (output / "index.html").symlink_to("/etc/hostname")),
    "a symlinked folder out of the site": lambda output: (output / "etc").symlink_to("/etc", target_is_directory=True),
    "only the .gz copy edited (nginx serves it)": lambda output: (output / "index.html.gz").write_bytes(
        gzip.compress(b"<script>alert(1)</script>", mtime=0)),
    "an empty file added": lambda output: (output / "data" / ".keep").touch(),
    "the seal removed": lambda output: (output / seal.NAME).unlink(),
    "the seal truncated": lambda output: (output / seal.NAME).write_text("{", encoding="utf-8"),
}


@pytest.mark.parametrize("edit", SITE_EDITS.values(), ids=SITE_EDITS.keys())
def test_upload_refuses_a_site_edited_after_publish(published, tmp_path, edit):
    work = copy_of(published, tmp_path / "work")
    edit(work / "output")
    destination = tmp_path / "server"
    destination.mkdir()
    sent = subprocess.run([sys.executable, "-m", "pipeline.upload", "--output", str(work / "output"),
                           "--state", str(work / "state")], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "SHAFAF_UPLOAD_DEST": f"{destination}/"}, check=False)
    assert sent.returncode == 1, sent.stdout + sent.stderr
    assert "Traceback" not in sent.stderr
    assert "nothing was sent" in sent.stderr
    assert list(destination.iterdir()) == []


def test_a_publish_killed_while_pelican_writes_leaves_the_site_and_state(published, tmp_path):
    """Killed (SIGKILL, its whole process group) once Pelican has begun to write output.new/."""
    work = copy_of(published, tmp_path / "work")
    before = folders(work)
    content = work / "content" / "pages"
    content.mkdir(parents=True)
    for page in (ROOT / "content" / "pages").glob("*.md"):
        shutil.copy(page, content / page.name)
    environment = {**os.environ, "SHAFAF_SITEURL": "https://shafaf.example.org", "PYTHONHASHSEED": "0",
                   "SHAFAF_PUBLICATION_DATE": NEXT}
    command = [sys.executable, "-m", "pipeline.publish", "--exports", str(work / "exports"), "--output",
               str(work / "output"), "--content", str(work / "content"), "--reports", str(work / "reports"),
               "--state", str(work / "state"), "--cache", str(work / "cache")]
    running = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    pelican_wrote = work / "output.new" / "theme"
    while not pelican_wrote.exists() and running.poll() is None:
        time.sleep(0.02)  # polls for a file; nothing is timed
    assert running.poll() is None, "the publish ended before Pelican wrote anything"
    os.killpg(running.pid, signal.SIGKILL)
    running.wait()
    assert folders(work) == before
    again = publish(work / "exports", work, date=NEXT)
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr
    assert seal.check(work / "output") == [] and seal.read(work / "output").published == NEXT


# --- an HTML table saved as .xls, with cells merged across rows ----------------------------

def html_table(rows: list[list], merged: tuple[int, int]) -> str:
    """``rows`` as an HTML table whose cell ``merged`` (row, column) spans two rows, as an
    office suite or a web system writes a merged cell: the row below has no cell there."""
    lines = ["<html><body><table>"]
    for r, row in enumerate(rows):
        cells = []
        for c, value in enumerate(row):
            if (r - 1, c) == merged:
                continue
            span = ' rowspan="2"' if (r, c) == merged else ""
            cells.append(f"<td{span}>{'' if value is None else html.escape(str(value))}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(lines + ["</table></body></html>"])


@pytest.mark.parametrize("column", ["monthly_rent_rial", "title", "holder", "longitude", "property_code"])
def test_a_cell_merged_across_rows_shifts_no_cell_of_the_row_below(tmp_path, column):
    """The reader once ignored rowspan: every later cell of the row below moved one column to
    the left, and an appraisal was published as a monthly rent."""
    folder = write_exports(tmp_path, [ruling()], [violation()], [property_()])
    (folder / "properties.xlsx").unlink()
    rows = _table_rows(PROPERTIES, [
        property_(holder_kind="حقوقی", holder="بانک ملی", monthly_rent_rial="1000", latitude=None, longitude="50.96"),
        property_(property_code="P-05-0002", holder_kind="حقوقی", holder="بانک ملی", monthly_rent_rial="2000",
                  appraisal_rial="999999", latitude=None, longitude="50.97")])
    merged = (1, [f.name for f in PROPERTIES.fields].index(column))
    (folder / "properties.xls").write_text(html_table(rows, merged), encoding="utf-8")
    below = checked(folder).properties
    if PROPERTIES.field(column).required == "required":
        assert below.rejected == 1 and codes(below) == {"missing-required"}
        assert below.problems[0]["column"] == PROPERTIES.field(column).header
        return
    assert below.published == 2, below.problems
    second = below.frame.set_index("property_code").loc["P-05-0002"]
    assert second["appraisal_rial"] == 999999
    assert second["holder_kind"] == "حقوقی"
    assert second[column] is None  # a merged cell's value stands in its first row, as in a workbook


# --- one build of hostile exports: formulas and personal data in every text column ---------

FORMULAS = ["\u2028=1", "\x85=1", "a\u2029b", '=HYPERLINK("http://example.org","x")', "+98 21 1234", "-2+3",
            "@SUM(A1)", "\t=1", "\r=1", " =1+1", "\u200e=1+1", "＝1+1", "\u00a0=1", "=1\n=2", "\ufeff=1"]
PERSONAL = list(SPELLINGS.values())


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    """The pipeline alone (no Pelican): datasets, search shards, feeds, pages' Markdown, reports."""
    work = tmp_path_factory.mktemp("hostile-build")
    texts = FORMULAS + PERSONAL
    rulings = [ruling(ruling_no=f"1402/3/{100 + i}", case_no=f"۵۵{100 + i}", neighbourhood=text, ruling_text=text,
                      commission=text, council_rep=f"علی {text}", address=f"کرج، {text}")
               for i, text in enumerate(texts)]
    rulings.append(ruling(ruling_no="-1402/3/999", case_no="@55999"))
    exports = write_exports(
        work / "exports", rulings,
        [violation(ruling_no=r["ruling_no"], floor=text, legal_basis=text) for r, text in zip(rulings, texts + ["="])],
        [property_(property_code=f"P-05-{i:04d}", title=f"عنوان {i} {text}", neighbourhood=text, address=text)
         for i, text in enumerate(texts)] + [property_(property_code="=P1", title="=1+1")], fmt="csv")
    run = subprocess.run([sys.executable, "-m", "pipeline", "--exports", str(exports), "--content", str(work / "content"),
                          "--output", str(work / "preview"), "--reports", str(work / "reports"),
                          "--cache", str(work / "cache")], cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    return work, exports


def test_no_csv_we_write_holds_a_live_formula(hostile_build):
    work, _ = hostile_build
    written = sorted((work / "preview").rglob("*.csv")) + sorted((work / "reports").rglob("*.csv"))
    assert len(written) >= 5
    for path in written:
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")):
            live = [c for c in row if c.startswith(FORMULA_PREFIXES) and not NUMBER.fullmatch(c)]
            assert not live, (path.name, live)


NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def test_no_spelling_of_an_id_or_mobile_reaches_any_file(hostile_build):
    work, exports = hostile_build
    private = gates.private_values(validate(read_exports(exports), CITY))
    for folder in ("preview", "content"):
        assert gates.scan_personal_data(work / folder, private) == [], folder


# --- workbook cells that hold an error instead of a value ----------------------------------

def with_error(folder: Path, column: str, error: str, formula: str | None = None) -> Path:
    """rulings.xlsx with the first ruling's ``column`` holding ``error`` (an error cell, as a
    script writes «#N/A»), or a formula whose stored result is that error (as a spreadsheet
    saves a failed VLOOKUP)."""
    book = openpyxl.load_workbook(folder / "rulings.xlsx")
    cell = book["آرا"].cell(row=2, column=[f.name for f in RULINGS.fields].index(column) + 1)
    cell.value, cell.data_type = error, "e"
    book.save(folder / "rulings.xlsx")
    if formula:
        path = folder / "rulings.xlsx"
        with zipfile.ZipFile(path) as package:
            parts = {name: package.read(name) for name in package.namelist()}
        sheet = next(name for name in parts if name.startswith("xl/worksheets/sheet"))
        parts[sheet] = parts[sheet].replace(f"<v>{error}</v>".encode(), f"<f>{formula}</f><v>{error}</v>".encode(), 1)
        with zipfile.ZipFile(path, "w") as package:
            for name, data in parts.items():
                package.writestr(name, data)
    return folder


ERRORS = ["#N/A", "#DIV/0!", "#REF!", "#VALUE!"]


@pytest.mark.parametrize("formula", [None, "VLOOKUP(A2,Z:Z,1,0)"], ids=["error cell", "formula with an error"])
@pytest.mark.parametrize("error", ERRORS)
def test_an_error_cell_in_an_optional_text_is_read_and_warned(tmp_path, error, formula):
    """calamine reads an error as an empty cell: a ruling's text vanished without a word."""
    folder = with_error(write_exports(tmp_path, [ruling()], [violation()], [property_()]), "ruling_text", error, formula)
    rulings = checked(folder).rulings
    assert rulings.frame["ruling_text"].iloc[0] == (f"={formula}" if formula else error)
    assert [w["code"] for w in rulings.warnings] == ["formula-without-value"]


@pytest.mark.parametrize("error", ERRORS)
def test_an_error_cell_in_a_required_column_is_not_called_empty(tmp_path, error):
    folder = with_error(write_exports(tmp_path, [ruling()], [violation()], [property_()]), "ruling_date", error)
    rulings = checked(folder).rulings
    assert rulings.rejected == 1 and codes(rulings) == {"uncomputed-formula", "bad-date"}  # as for a formula


def test_a_preview_with_a_read_only_cache_stops_with_a_message(tmp_path):
    """make html: the same OSError the publish reports plainly once came out as a traceback."""
    exports = write_exports(tmp_path / "exports", [ruling()], [violation()], [property_()])
    with read_only(tmp_path / "cache") as cache:
        run = subprocess.run([sys.executable, "-m", "pipeline", "--exports", str(exports), "--content",
                              str(tmp_path / "content"), "--output", str(tmp_path / "preview"), "--reports",
                              str(tmp_path / "reports"), "--cache", str(cache)],
                             cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    assert "Read-only file system" in run.stderr and str(cache) in run.stderr


def test_a_symlinked_output_and_state_are_published_in_their_targets(published, tmp_path):
    """output → a folder on a larger disk, as deployments do. The build went beside the link
    while the swap looked beside its target: the publish stopped after its journal, and every
    later publish, upload and recover failed on that journal."""
    work = copy_of(published, tmp_path / "work")
    disk = tmp_path / "disk"
    disk.mkdir()
    for name in PUBLISHED:
        (work / name).rename(disk / name)
        (work / name).symlink_to(disk / name, target_is_directory=True)
    run = publish(work / "exports", work, date=NEXT)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    for name in PUBLISHED:
        assert (work / name).is_symlink() and (work / name).resolve() == disk / name
    assert seal.read(work / "output").published == NEXT and seal.check(work / "output") == []
    assert seal.read(disk / "output.prev").published == seal.read(published / "output").published
    assert (disk / "state.prev" / "published.json").read_bytes() == (published / "state" / "published.json").read_bytes()
    assert not (work / "output.journal.json").exists() and not (disk / "output.journal.json").exists()
    destination = tmp_path / "server"
    sent = subprocess.run([sys.executable, "-m", "pipeline.upload", "--output", str(work / "output"),
                           "--state", str(work / "state")], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "SHAFAF_UPLOAD_DEST": f"{destination}/"}, check=False)
    assert sent.returncode == 0, sent.stderr
    assert tree(destination) == {k: v for k, v in tree(disk / "output").items() if k != seal.NAME}


def html_rows(rows: list[list], last: str, close_cells: bool = True, close_rows: bool = True) -> str:
    """``rows`` as an HTML table; ``last`` is appended inside the address cell of the last row."""
    address = [f.name for f in PROPERTIES.fields].index("address")
    lines = ["<html><body><table>"]
    for r, row in enumerate(rows):
        cells = []
        for c, value in enumerate(row):
            text = "" if value is None else html.escape(str(value))
            if r == len(rows) - 1 and c == address:
                text += last
            cells.append(f"<td>{text}" + ("</td>" if close_cells else ""))
        lines.append("<tr>" + "".join(cells) + ("</tr>" if close_rows else ""))
    return "\n".join(lines + ["</table></body></html>"])


HTML_SHAPES = {
    # HTML lets </td> and </tr> out: older web systems write them so.
    "no </td>": dict(last="", close_cells=False),
    "no </td> nor </tr>": dict(last="", close_cells=False, close_rows=False),
    "a table inside a cell": dict(last="<table><tr><td>x</td><td>y</td></tr></table>"),
    "paragraphs and breaks": dict(last="<p>b</p>c<br>d"),
}


@pytest.mark.parametrize("shape", HTML_SHAPES.values(), ids=HTML_SHAPES.keys())
def test_html_cells_as_browsers_read_them_stay_in_their_columns(tmp_path, shape):
    """A cell opened before the last one was closed (valid HTML), or a table inside a cell,
    once dropped a cell and moved every later one a column to the left."""
    folder = write_exports(tmp_path, [ruling()], [violation()], [property_()])
    (folder / "properties.xlsx").unlink()
    rows = _table_rows(PROPERTIES, [
        property_(holder_kind="حقوقی", holder="بانک ملی", monthly_rent_rial="1000", latitude=None),
        property_(property_code="P-05-0002", holder_kind="حقوقی", holder="بانک ملی", monthly_rent_rial="2000",
                  appraisal_rial="999999", latitude=None, longitude="50.97")])
    (folder / "properties.xls").write_text(html_rows(rows, **shape), encoding="utf-8")
    registry = checked(folder).properties
    assert registry.published == 2, registry.problems
    second = registry.frame.set_index("property_code").loc["P-05-0002"]
    assert (second["monthly_rent_rial"], second["appraisal_rial"], second["longitude"]) == (2000, 999999, 50.97)
    assert second["address"].startswith("کرج، مهرشهر، بلوار ارم")
