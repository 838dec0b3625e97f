"""The site remembers: each record's history across publications, with old and new values, and
a page kept for a withdrawn record (README, *The change log and the state/ folder*).

Three publications through the real publish path (``python -m pipeline.publish``, as
tests/test_publish.py runs it), each with its own date:

1. rulings 1402/3/100, 101, 102; properties P-05-0001 (vacant, no rent) and P-07-0002;
2. P-05-0001 let, with a monthly rent; ruling 102 withdrawn;
3. ruling 102 back; ruling 100's execution status changed, and its owner (a private field)
   renamed to a planted name that must never reach the state or the site.

After the third, ``output.prev/`` is the site of the second (the publish keeps it). Expected
values are read from the published CSVs (each publication's dated snapshot), never from the
pipeline's code; dates are turned Jalali by jdatetime here, not by the theme's filter.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import jdatetime
import pytest

from browser_helpers import axe_serious, nu_errors
from factory import property_, ruling, violation, write_exports
from pipeline import build, changes, history, pages, settings
from pipeline.urls import URLS
from test_publish import SITEURL, publish
from test_state_format import make_legacy

CITY = settings.load()
DATES = ("2026-11-14", "2026-11-21", "2026-11-28")
PLANTED = "سیاوش پرندوارزاده"      # a private owner's name, only ever in a private column
RENT = "۱۵۰٬۰۰۰٬۰۰۰"
PROPERTY, GONE, CHANGED = "P-05-0001", "1402/3/102", "1402/3/100"
MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
          "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")
FA_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


def exports(folder: Path, number: int) -> Path:
    rulings = [ruling(ruling_no="1402/3/100", **({"execution_status": "اجرا شده", "owner_name": PLANTED}
                                                if number == 3 else {})),
               ruling(ruling_no="1402/3/101", case_no="۵۵۱۰۱", owner_name="کاوه صادقی")]
    violations = [violation(ruling_no="1402/3/100"), violation(ruling_no="1402/3/101")]
    if number != 2:
        rulings.append(ruling(ruling_no=GONE, case_no="۵۵۱۰۲", owner_name="نسرین فرهادی"))
        violations.append(violation(ruling_no=GONE))
    let = {"occupancy": "اجاره", "holder_kind": "حقوقی", "holder": "شرکت نمونه", "monthly_rent_rial": RENT,
           "contract_start": "۱۴۰۳/۰۱/۰۱", "contract_end": "۱۴۰۹/۰۱/۰۱"} if number >= 2 else {}
    properties = [property_(property_code=PROPERTY, **let),
                  property_(property_code="P-07-0002", district="7", title="انبار")]
    return write_exports(folder, rulings=rulings, violations=violations, properties=properties)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    work = tmp_path_factory.mktemp("history")
    for number, date in enumerate(DATES, 1):
        # withdrawing one ruling of three is more than the default shrink limit
        run = publish(exports(work / f"exports{number}", number), work, "--max-shrink", "0.5", date=date)
        assert run.returncode == 0, run.stderr
    return work


# --- reading what a citizen reads ---------------------------------------------------------

class _History(HTMLParser):
    """Each event of a page's history as «<publication date>: <what happened>», the withdrawn
    notice's text, and every href."""

    def __init__(self):
        super().__init__()
        self.events: list[str] = []
        self.notice = ""
        self.hrefs: list[str] = []
        self._in = None          # "history" or "notice"
        self._when = None        # the text of the publication's date, being read or read
        self._reading_when = False
        self._li_depth = 0
        self._event = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "href" in attrs:
            self.hrefs.append(attrs["href"])
        if tag == "section" and attrs.get("class") == "record-history":
            self._in = "history"
        elif tag == "p" and attrs.get("class") == "withdrawn-notice":
            self._in = "notice"
        elif self._in == "history" and tag == "li":
            self._li_depth += 1
            if self._li_depth == 2:
                self._event = ""
        elif self._in == "history" and tag == "span" and attrs.get("class") == "when":
            self._when, self._reading_when = "", True

    def handle_endtag(self, tag):
        if self._in == "history" and tag == "li":
            if self._li_depth == 2:
                when = " ".join(self._when.split()).removeprefix("انتشار ")
                self.events.append(f"{when}: {' '.join(self._event.split())}")
                self._event = None
            self._li_depth -= 1
        elif tag == "span" and self._reading_when:
            self._reading_when = False
        elif (tag == "section" and self._in == "history") or (tag == "p" and self._in == "notice"):
            self._in = None

    def handle_data(self, data):
        if self._reading_when:
            self._when += data
        elif self._event is not None:
            self._event += data
        elif self._in == "notice":
            self.notice += data


def read_page(path: Path) -> _History:
    parser = _History()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def page_file(output: Path, dataset: str, key: str) -> Path:
    slug = {r["key"]: r["slug"] for r in read_csv(output / URLS.changes_file("csv")) if r["slug"]}[key]
    return output / URLS.save_as(URLS.record(dataset, slug))


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def jalali_long(iso: str) -> str:
    j = jdatetime.date.fromgregorian(date=dt.date.fromisoformat(iso))
    return f"{j.day} {MONTHS[j.month - 1]} {j.year}"


def latin(text: str) -> str:
    return text.translate(FA_DIGITS)


def digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", latin(text))


def snapshot_row(output: Path, date: str, dataset: str, key: str) -> dict | None:
    key_field = "ruling_no" if dataset == "rulings" else "property_code"
    rows = read_csv(output / URLS.data_file(f"{date}/{dataset}.csv"))
    return next((r for r in rows if r[key_field] == key), None)


# --- the pages -------------------------------------------------------------------------------

def test_property_page_lists_both_changes_with_old_and_new_values(published):
    output = published / "output"
    events = read_page(page_file(output, "properties", PROPERTY)).events
    before, after = (snapshot_row(output, d, "properties", PROPERTY) for d in DATES[:2])
    when = jalali_long(DATES[1])

    def event(label: str) -> str:
        return next(e for e in events if latin(e).startswith(latin(when)) and f": {label}: " in e)

    assert before["occupancy"] != after["occupancy"] and before["monthly_rent_rial"] != after["monthly_rent_rial"]
    occupancy, rent = event("وضعیت بهره‌برداری"), event("اجاره ماهانه")
    assert f"از «{before['occupancy']}» به «{after['occupancy']}»" in occupancy
    assert not before["monthly_rent_rial"] and "«ثبت نشده»" in rent          # nothing recorded before
    assert digits(rent.split("» به «")[1]) == after["monthly_rent_rial"]
    assert latin(events[0]).startswith(latin(jalali_long(DATES[0]))) and "افزوده" in events[0]


def test_withdrawn_ruling_keeps_a_page_that_says_so(published):
    second = published / "output.prev"          # the site of the second publication
    page = page_file(second, "rulings", GONE)
    seen = read_page(page)
    assert latin(jalali_long(DATES[1])) in latin(seen.notice)
    assert "برداشته" in seen.notice and "در داده‌های کنونی نیست" in seen.notice
    last = snapshot_row(second, DATES[0], "rulings", GONE)    # its last published values
    text = page.read_text(encoding="utf-8")
    assert last["case_no"] and latin(last["case_no"]) in latin(text)
    assert any("برداشته" in e for e in seen.events)
    # not in the current data: the CSV, the search index, the sitemap, any other page's links
    assert snapshot_row(second, DATES[1], "rulings", GONE) is None
    assert GONE not in {r["ruling_no"] for r in read_csv(second / URLS.data_file("rulings.csv"))}
    url = URLS.ruling(page.parent.name)
    assert url not in (second / URLS.sitemap()).read_text(encoding="utf-8")
    for index in (second / URLS.search()).rglob("*.json"):
        assert GONE not in index.read_text(encoding="utf-8"), index
    for other in second.rglob("*.html"):
        if other != page:
            assert url not in other.read_text(encoding="utf-8"), other
    # the counts stay exact: the home page's statement counts the rulings of the CSV
    home = (second / "index.html").read_text(encoding="utf-8")
    lead = re.search(r'<p class="lead">([^<]*)', home).group(1)
    assert int(re.match(r"\s*([0-9]+) رأی", latin(lead)).group(1)) == len(read_csv(second / URLS.data_file("rulings.csv")))


def test_restored_ruling_is_back_and_its_history_says_so(published):
    output = published / "output"
    page = page_file(output, "rulings", GONE)
    seen = read_page(page)
    assert not seen.notice
    assert GONE in {r["ruling_no"] for r in read_csv(output / URLS.data_file("rulings.csv"))}
    kinds = [("افزوده" in e, "برداشته" in e, "بازگردانده" in e) for e in seen.events]
    assert kinds == [(True, False, False), (False, True, False), (False, False, True)]
    assert URLS.ruling(page.parent.name) in (output / URLS.sitemap()).read_text(encoding="utf-8")


def test_changed_ruling_field_shows_old_and_new(published):
    output = published / "output"
    events = read_page(page_file(output, "rulings", CHANGED)).events
    before, after = (snapshot_row(output, d, "rulings", CHANGED) for d in DATES[1:])
    assert before["execution_status"] != after["execution_status"]
    event = next(e for e in events if "وضعیت اجرا" in e)
    assert latin(event).startswith(latin(jalali_long(DATES[2])))
    assert f"از «{before['execution_status']}» به «{after['execution_status']}»" in event


def test_history_csv_rows_are_what_the_pages_say(published):
    output = published / "output"
    rows = read_csv(output / URLS.history_file())
    labels = {"occupancy": "وضعیت بهره‌برداری", "monthly_rent_rial": "اجاره ماهانه", "execution_status": "وضعیت اجرا",
              "holder_kind": "نوع بهره‌بردار", "holder": "بهره‌بردار", "contract_start": "تاریخ شروع قرارداد",
              "contract_end": "تاریخ پایان قرارداد"}
    words = {"added": "افزوده", "withdrawn": "برداشته", "restored": "بازگردانده"}
    for dataset, key in (("properties", PROPERTY), ("rulings", GONE), ("rulings", CHANGED)):
        # oldest publication first; within one, the change log's order (as the page)
        mine = sorted((r for r in rows if r["dataset"] == dataset and r["key"] == key), key=lambda r: r["published"])
        events = read_page(page_file(output, dataset, key)).events
        assert len(mine) == len(events), (key, mine, events)
        for row, event in zip(mine, events):
            assert latin(event).startswith(latin(jalali_long(row["published"])))
            if row["change"] == "changed":
                assert labels[row["field"]] in event
                new = event.split("» به «")[1]
                if row["new"].isdigit():
                    assert digits(new) == row["new"]
                elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["new"]):
                    assert latin(new).startswith(latin(jalali_long(row["new"])))
                else:
                    assert new == f"{row['new']}»"
            else:
                assert words[row["change"]] in event
    rent = next(r for r in rows if r["key"] == PROPERTY and r["field"] == "monthly_rent_rial")
    assert (rent["published"], rent["old"], rent["change"]) == (DATES[1], "", "changed")
    package = json.loads((output / URLS.datapackage()).read_text(encoding="utf-8"))
    resource = next(r for r in package["resources"] if r["name"] == "history")
    assert resource["path"] == URLS.in_data(URLS.history_file())
    assert [f["name"] for f in resource["schema"]["fields"]] == list(history.COLUMNS)


def test_a_planted_private_value_reaches_neither_state_nor_site(published):
    needle = PLANTED.encode("utf-8")
    for folder in ("state", "output", "state.prev", "output.prev"):
        for path in (published / folder).rglob("*"):
            if path.is_file() and path.suffix != ".gz":
                assert needle not in path.read_bytes(), path
    state = json.loads((published / "state" / "changes.json").read_text(encoding="utf-8"))
    newest = state["publications"][0]
    entry = next(c for c in newest["changes"] if c["key"] == CHANGED)
    assert entry["fields"] == ["execution_status"] and "owner_name" not in entry.get("values", {})


def test_the_state_keeps_public_values_only(published):
    manifest = json.loads((published / "state" / "published.json").read_text(encoding="utf-8"))
    assert manifest["format"] == changes.FORMAT == 3
    kept = {"rulings": [], "properties": []}
    for line in (published / "state" / manifest["values_file"]).read_bytes().splitlines():
        dataset, _key, _slug, values = line.split(b"\t", 3)
        kept[json.loads(dataset)].append(json.loads(values))
    for table in (build.RULINGS, build.PROPERTIES):
        private = {f.name for f in table.private_fields}
        assert kept[table.name]
        for values in kept[table.name]:
            assert not private & values.keys()
    assert manifest["withdrawn"] == {"rulings": {}, "properties": {}}   # 102 is back


# --- a FORMAT 1 state is still read ------------------------------------------------------------

def test_a_format_1_state_is_read_and_its_entries_have_no_values(tmp_path):
    state = tmp_path / "state"
    first = build.prepare(exports(tmp_path / "a", 1), CITY, DATES[0], None)
    changes.commit_state(state, first.change_log, None)
    make_legacy(state, 1)
    second = build.prepare(exports(tmp_path / "b", 2), CITY, DATES[1], state)
    changed = next(c for c in second.change_log.changes if c["key"] == PROPERTY)
    assert changed["change"] == "changed" and "values" not in changed
    assert second.change_log.withdrawn["rulings"] == {}        # no values to keep a page from
    events = history.events(second.change_log.history)[("properties", PROPERTY)]
    changed_events = [e for e in events if e["change"] == "changed"]
    assert len(changed_events) == 6 and not any(e["has_values"] for e in changed_events)
    rows = read_csv_bytes(second.files[URLS.in_data(URLS.history_file())])
    assert {(r["field"], r["old"], r["new"]) for r in rows if r["key"] == PROPERTY and r["change"] == "changed"} \
        == {("occupancy", "", ""), ("monthly_rent_rial", "", ""), ("holder_kind", "", ""), ("holder", "", ""),
            ("contract_start", "", ""), ("contract_end", "", "")}
    # and the state it then writes is FORMAT 3, with values
    changes.commit_state(state, second.change_log, changes.load_state(state)["published"])
    assert json.loads((state / "published.json").read_text(encoding="utf-8"))["format"] == 3
    bad = json.loads((state / "published.json").read_text(encoding="utf-8")) | {"format": 4}
    (state / "published.json").write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(changes.ChangesError):
        changes.load_state(state)


def read_csv_bytes(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_same_exports_and_state_give_the_same_pages(tmp_path):
    state = tmp_path / "state"
    first = build.prepare(exports(tmp_path / "a", 1), CITY, DATES[0], state)
    changes.commit_state(state, first.change_log, None)
    contents = []
    for attempt in ("x", "y"):
        publication = build.prepare(exports(tmp_path / f"b{attempt}", 2), CITY, DATES[1], state)
        content = tmp_path / f"content-{attempt}"
        pages.write_content(content, publication.rulings, publication.properties, publication.change_log)
        contents.append({str(p.relative_to(content)): p.read_bytes() for p in sorted(content.rglob("*.md"))})
    assert contents[0] == contents[1]
    withdrawn = [name for name, text in contents[0].items() if b"\nWithdrawn: " + DATES[1].encode() in text]
    assert withdrawn == ["rulings/1402-3-102.md"]


# --- checkers on a page with history and on a withdrawn page -----------------------------------

@pytest.fixture(scope="module")
def checked_pages(published):
    return [page_file(published / "output", "properties", PROPERTY),
            page_file(published / "output.prev", "rulings", GONE)]


def test_history_and_withdrawn_pages_pass_the_nu_checker(checked_pages):
    errors = nu_errors(checked_pages)
    assert not errors, errors


@pytest.mark.parametrize("width", [360, 1280])
def test_history_and_withdrawn_pages_have_no_serious_axe_violation(page, published, checked_pages, width):
    sites = {"output": published / "output", "output.prev": published / "output.prev"}
    page.set_viewport_size({"width": width, "height": 800})
    for file in checked_pages:
        root = sites[file.relative_to(published).parts[0]]
        # the published pages link absolutely to the site's address: served from the folder
        page.route(f"{SITEURL}/**", serve_from(root))
        page.goto(f"{SITEURL}/{file.relative_to(root).as_posix()}")
        bad = axe_serious(page)
        assert not bad, (file, bad)
        page.unroute(f"{SITEURL}/**")


def serve_from(root: Path):
    def fulfill(route, request):
        path = request.url[len(SITEURL) + 1:].split("#")[0].split("?")[0]
        target = root / path / "index.html" if path == "" or path.endswith("/") else root / path
        route.fulfill(path=str(target)) if target.is_file() else route.fulfill(status=404, body="")
    return fulfill


def test_history_csv_neutralises_formulas_in_old_and_new_values(tmp_path):
    state = tmp_path / "state"
    first = build.prepare(exports(tmp_path / "a", 1), CITY, DATES[0], state)
    changes.commit_state(state, first.change_log, None)
    hostile = "=HYPERLINK(\"http://evil.example\",\"x\")"
    rows = [ruling(ruling_no="1402/3/100", neighbourhood=hostile),
            ruling(ruling_no="1402/3/101", case_no="۵۵۱۰۱"), ruling(ruling_no=GONE, case_no="۵۵۱۰۲")]
    folder = write_exports(tmp_path / "b", rulings=rows,
                           violations=[violation(ruling_no=r["ruling_no"]) for r in rows],
                           properties=[property_(property_code=PROPERTY),
                                       property_(property_code="P-07-0002", district="7", title="انبار")])
    second = build.prepare(folder, CITY, DATES[1], state)
    text = second.files[URLS.in_data(URLS.history_file())].decode("utf-8-sig")
    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["field"] == "neighbourhood")
    assert row["old"] == "مهرشهر" and row["new"] == "'" + hostile
