"""The statistics stage, its page and charts, and the member feeds.

Expected figures are recomputed here with the csv and statistics modules from the published
``rulings.csv`` and ``violations.csv`` (never by calling ``pipeline/stats.py``), then compared
with ``data/stats-*.csv``, with the page's tables and with the charts' marks."""
import json
import re
import statistics
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import unquote

import jdatetime
import pytest

from browser_helpers import fa_int, read_csv, site_data  # noqa: F401
from conftest import ROOT
from pipeline import charts, stats
from pipeline.urls import URLS

ATOM = "{http://www.w3.org/2005/Atom}"
LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹٫٬", "0123456789.,")
STATS = ("rulings_by_year_district", "decisions_by_type", "appeals_by_year", "appeals_by_commission",
         "multipliers_by_type", "fine_per_m2_by_district", "execution_status")


def year(iso: str) -> int:
    return jdatetime.date.fromgregorian(date=__import__("datetime").date.fromisoformat(iso)).year


def number(text: str):
    value = float(text)
    return int(value) if value.is_integer() else value


def published(sample_site, name: str) -> list[dict]:
    return read_csv(sample_site.output / URLS.stats_file(name))


def close(a, b) -> bool:
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))


# --- expected figures, from the published CSVs only -------------------------------------------

def expected(site_data) -> dict[str, dict[tuple, dict]]:
    rulings, violations = site_data.rulings, site_data.violations
    by_no = {r["ruling_no"]: r for r in rulings}
    small = stats.MIN_ROWS
    out: dict[str, dict[tuple, dict]] = {}

    out["rulings_by_year_district"] = {
        (str(y), d): {"rulings": n}
        for (y, d), n in Counter((year(r["ruling_date"]), r["district"]) for r in rulings).items()}

    per_type = Counter(v["violation_type"] for v in violations)
    out["decisions_by_type"] = {
        (t, d): {"violations": n, "share": n / per_type[t], "base_rows": per_type[t],
                 "small_sample": per_type[t] < small}
        for (t, d), n in Counter((v["violation_type"], v["decision"]) for v in violations).items()}

    appeals = [r for r in rulings if r["stage"] == "تجدیدنظر" and r["appeal_result"]]
    per_year = Counter(year(r["ruling_date"]) for r in appeals)
    out["appeals_by_year"] = {
        (str(y), a): {"appeals": n, "share": n / per_year[y], "base_rows": per_year[y]}
        for (y, a), n in Counter((year(r["ruling_date"]), r["appeal_result"]) for r in appeals).items()}

    def commission(r):
        first = by_no.get(r["appealed_ruling_no"])
        return (first or {}).get("commission") or stats.UNKNOWN_FA
    per_commission = Counter(commission(r) for r in appeals)
    out["appeals_by_commission"] = {
        (c, a): {"appeals": n, "base_rows": per_commission[c], "share": n / per_commission[c]}
        for (c, a), n in Counter((commission(r), r["appeal_result"]) for r in appeals).items()}

    rated = defaultdict(list)
    for v in violations:
        if v["multiplier"]:
            rated[v["violation_type"]].append(float(v["multiplier"]))
    out["multipliers_by_type"] = {
        (t, str(number(str(m)))): {"violations": n, "median": statistics.median(rated[t]),
                                   "base_rows": len(rated[t]), "small_sample": len(rated[t]) < small}
        for t in rated for m, n in Counter(rated[t]).items()}

    per_m2 = defaultdict(list)
    for v in violations:
        if v["area_m2"] and v["fine_rial"] and float(v["area_m2"]) > 0 and float(v["fine_rial"]) > 0:
            per_m2[by_no[v["ruling_no"]]["district"]].append(float(v["fine_rial"]) / float(v["area_m2"]))
    out["fine_per_m2_by_district"] = {}
    for d, values in per_m2.items():
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else (values[0],) * 3
        out["fine_per_m2_by_district"][(d,)] = {"base_rows": len(values), "q1": q1,
                                                "median": statistics.median(values), "q3": q3,
                                                "small_sample": len(values) < small}

    status = Counter(r["execution_status"] or stats.UNKNOWN_FA for r in rulings)
    out["execution_status"] = {(s,): {"rulings": n, "share": n / len(rulings), "base_rows": len(rulings)}
                               for s, n in status.items()}
    return out


KEYS = {"rulings_by_year_district": ("jalali_year", "district"),
        "decisions_by_type": ("violation_type", "decision"),
        "appeals_by_year": ("jalali_year", "appeal_result"),
        "appeals_by_commission": ("commission", "appeal_result"),
        "multipliers_by_type": ("violation_type", "multiplier"),
        "fine_per_m2_by_district": ("district",),
        "execution_status": ("execution_status",)}


def keyed(rows: list[dict], name: str) -> dict[tuple, dict]:
    return {tuple(str(number(row[k])) if k == "multiplier" else row[k] for k in KEYS[name]): row for row in rows}


def assert_same(name: str, want: dict[tuple, dict], got: dict[tuple, dict]) -> None:
    assert set(got) == set(want), (name, set(got) ^ set(want))
    for key, values in want.items():
        for column, value in values.items():
            shown = got[key][column]
            if isinstance(value, bool):
                assert (shown in ("True", True)) == value, (name, key, column, shown)
            else:
                assert close(shown, value), (name, key, column, shown, value)


@pytest.fixture(scope="module")
def want(site_data):
    return expected(site_data)


@pytest.mark.parametrize("name", STATS)
def test_each_figure_equals_its_recomputation_from_the_published_csvs(sample_site, want, name):
    rows = published(sample_site, name)
    assert rows, name
    assert_same(name, want[name], keyed(rows, name))


def test_the_rows_of_the_figures_add_up_to_the_published_rows(sample_site, site_data):
    years = published(sample_site, "rulings_by_year_district")
    assert sum(int(r["rulings"]) for r in years) == len(site_data.rulings)
    decisions = published(sample_site, "decisions_by_type")
    assert sum(int(r["violations"]) for r in decisions) == len(site_data.violations)


def page_tables(sample_site) -> dict[str, list[dict]]:
    """Each table of the statistics page as {column: (shown text, data-value)} rows."""
    html = (sample_site.output / URLS.save_as(URLS.stats())).read_text(encoding="utf-8")
    tables = {}
    for name, body in re.findall(r'<table class="counts stats-table" data-figure="(\w+)">.*?<tbody>(.*?)</tbody>',
                                 html, re.S):
        tables[name] = [{c: (re.sub(r"<[^>]+>", "", text), value)
                         for c, value, text in re.findall(r'<td data-column="(\w+)" data-value="([^"]*)">(.*?)</td>', row)}
                        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]
    return tables


@pytest.mark.parametrize("name", STATS)
def test_the_pages_tables_show_the_recomputed_figures(sample_site, want, name):
    table = page_tables(sample_site)[name]
    got = {}
    for row in table:
        values = {c: v for c, (_, v) in row.items()}
        got[tuple(str(number(values[k])) if k == "multiplier" else values[k] for k in KEYS[name])] = values
        for column in ("rulings", "violations", "appeals", "base_rows"):
            if column in row:  # what a reader sees is the same number, in Persian digits
                assert fa_int(row[column][0]) == int(row[column][1])
    assert_same(name, want[name], got)


def test_a_small_group_is_marked_on_the_page_as_in_its_csv(sample_site):
    marked = 0
    for name, table in page_tables(sample_site).items():
        for row in table:
            if "small_sample" in row:
                small = int(row["base_rows"][1]) < stats.MIN_ROWS
                assert row["small_sample"] == (("بله", "True") if small else ("", "False")), (name, row)
                marked += small
    assert marked, "the sample has a group under MIN_ROWS rows (a violation type with few multipliers)"


def test_a_planted_small_group_gets_the_mark_and_a_large_one_does_not():
    rulings = [{"ruling_no": f"1402/1/{n}", "ruling_date": "2023-08-03", "stage": "بدوی", "commission": "بدوی 1",
                "district": 5, "appealed_ruling_no": None, "appeal_result": None, "execution_status": None}
               for n in range(stats.MIN_ROWS + 3)]
    violations = ([{"ruling_no": f"1402/1/{n}", "violation_type": "کسری پارکینگ", "decision": "جریمه",
                    "area_m2": 10, "multiplier": 1.5, "fine_rial": 1000} for n in range(stats.MIN_ROWS)]
                  + [{"ruling_no": f"1402/1/{n}", "violation_type": "تجاوز به معبر", "decision": "رفع تجاوز",
                      "area_m2": None, "multiplier": 2, "fine_rial": None} for n in range(3)])
    made = stats.tables({"rulings": rulings, "violations": violations, "properties": []})
    small = {(r["violation_type"], r["small_sample"]) for r in made["decisions_by_type"]}
    assert small == {("کسری پارکینگ", False), ("تجاوز به معبر", True)}
    assert {(r["violation_type"], r["median"], r["small_sample"]) for r in made["multipliers_by_type"]} == {
        ("کسری پارکینگ", 1.5, False), ("تجاوز به معبر", 2, True)}
    # The fine per m² rests on the rows with an area and a fine only: 20 of 23.
    assert made["fine_per_m2_by_district"] == [{"district": 5, "base_rows": stats.MIN_ROWS, "q1": 100,
                                                "median": 100, "q3": 100, "small_sample": False}]
    assert [r["execution_status"] for r in made["execution_status"]] == [stats.UNKNOWN_FA]


# --- charts --------------------------------------------------------------------------------

def svgs(sample_site) -> dict[str, str]:
    html = (sample_site.output / URLS.save_as(URLS.stats())).read_text(encoding="utf-8")
    return dict(re.findall(r'<section class="figure" id="(\w+)".*?(<svg.*?</svg>)', html, re.S))


def mark_labels(svg: str) -> list[dict]:
    """What Vega wrote on each bar or cell (a path; the heatmap's printed numbers are text
    marks of their own): «field: value; field: value»."""
    root = ET.fromstring(svg)
    labels = []
    for element in root.iter():
        label = element.get("aria-label") or ""
        if element.tag.endswith("path") and element.get("role") == "graphics-symbol" and ": " in label and "axis" not in label.lower():
            labels.append(dict(part.split(": ", 1) for part in label.split("; ")))
    return labels


def test_the_charts_numbers_equal_their_tables(sample_site):
    drawn = svgs(sample_site)
    assert set(drawn) == {f.name for f in stats.FIGURES} >= set(STATS)  # the registry's: test_flags.py
    heat = [m for m in mark_labels(drawn["rulings_by_year_district"]) if "district_fa" in m]
    years = published(sample_site, "rulings_by_year_district")
    assert sorted((int(m["year"].translate(LATIN)), int(m["district_fa"].translate(LATIN)),
                   int(m["rulings"].translate(LATIN).replace(",", ""))) for m in heat) == sorted(
        (int(r["jalali_year"]), int(r["district"]), int(r["rulings"])) for r in years)
    bars = [m for m in mark_labels(drawn["appeals_by_commission"]) if "appeals" in m]
    rows = published(sample_site, "appeals_by_commission")
    assert sorted((m["commission"].translate(LATIN), m["appeal_result"], int(m["appeals"].translate(LATIN)))
                  for m in bars) == sorted((r["commission"], r["appeal_result"], int(r["appeals"])) for r in rows)
    status = [m for m in mark_labels(drawn["execution_status"]) if "rulings" in m]
    assert sorted((m["execution_status"], int(m["rulings"].translate(LATIN).replace(",", ""))) for m in status) == \
        sorted((r["execution_status"], int(r["rulings"])) for r in published(sample_site, "execution_status"))


def test_chart_text_is_text_in_persian_digits_and_the_same_bytes_twice(sample_site):
    def svgs_of_page():
        return svgs(sample_site)

    document = json.loads((sample_site.output / URLS.stats_file("stats", "json")).read_text(encoding="utf-8"))
    from plugins.shafaf.stats_page import chart
    figure = document["figures"][0]
    first, second = (charts.svg(chart(figure), figure["title_fa"]) for _ in range(2))
    assert first == second
    root = ET.fromstring(first)
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts and not list(root.iter("{http://www.w3.org/2000/svg}image"))
    assert "منطقه" in texts and "سال" in texts  # the axis titles, as text the browser shapes
    assert not any(re.search(r"[0-9]", t) for t in texts), [t for t in texts if re.search(r"[0-9]", t)]
    assert all(t.get("font-family") == charts.FONT for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for name, drawn in svgs_of_page().items():  # every chart of the page, as published
        shown = [t.text or "" for t in ET.fromstring(drawn).iter("{http://www.w3.org/2000/svg}text")]
        assert shown and not [t for t in shown if re.search(r"[0-9]", t)], name


def test_hostile_text_in_a_chart_stays_text():
    spec = charts.bars([{"c": '<script>alert(1)</script> & "x"', "n": 3}], "c", "n")
    drawn = charts.svg(spec, 'a "title" <b>')
    root = ET.fromstring(drawn)  # well-formed: the text is escaped
    assert "<script" not in drawn and root.get("aria-label") == 'a "title" <b>'


# --- the published resources ------------------------------------------------------------------

def test_frictionless_validates_the_statistics(sample_package_report):
    report = sample_package_report
    assert report["valid"], json.dumps(report)[:2000]
    names = {task["name"] for task in report["tasks"]}
    assert {f"stats-{n.replace('_', '-')}" for n in STATS} <= names


def test_the_stats_csvs_are_formula_neutralised(sample_site):
    for name in STATS:
        data = (sample_site.output / URLS.stats_file(name)).read_bytes()
        assert data.startswith("\ufeff".encode()) and b"\r\n" in data
        for row in read_csv(sample_site.output / URLS.stats_file(name)):
            assert not any(str(v).startswith(("=", "+", "@")) for v in row.values())


# --- the page in a browser and the checkers -------------------------------------------------

def test_the_page_links_every_csv_and_the_nav_links_the_page(sample_site):
    html = (sample_site.output / URLS.save_as(URLS.stats())).read_text(encoding="utf-8")
    for name in STATS:
        assert f'href="../{URLS.stats_file(name)}"' in html
        assert (sample_site.output / URLS.stats_file(name)).is_file()
    home = (sample_site.output / "index.html").read_text(encoding="utf-8")
    assert f'href="./{URLS.stats()}"' in home or f'href="{URLS.stats()}"' in home or URLS.stats() in home


def render_figure(**arguments) -> str:
    """The one figure macro of _macros.html (the statistics page's and a member's comparison),
    rendered as Pelican renders it."""
    import jinja2

    import pelicanconf
    from pipeline.display import FILTERS
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "theme" / "templates"),
                             **pelicanconf.JINJA_ENVIRONMENT)
    env.filters.update(FILTERS)
    env.globals["urls"] = URLS
    template = env.from_string('{% from "_macros.html" import figure with context %}'
                               '{{ figure(f, "x", title, 2, caption, 20, "CSV:", empty=empty) }}')
    return template.render(SITEURL="..", title="<i>عنوان</i>", caption="<b>شرح</b> 1403-11-06", **arguments)


@pytest.mark.parametrize("empty", [None, "هنوز ردیفی نیست."])
def test_the_figure_macro_says_its_empty_sentence_only_when_given_and_escapes_hostile_text(empty):
    hostile = '<img src=x onerror="alert(1)">'
    figure = {"name": "n", "svg": "", "small": False, "folded": False, "rows": [], "csv": "data/stats-n.csv",
              "headers": [("a", hostile)], "table": []}
    html = render_figure(f=figure, empty=empty)
    assert ("<p>هنوز ردیفی نیست.</p>" in html) == bool(empty)
    assert "<figure" not in html and "<figcaption" not in html, "no chart, no caption"
    assert "<img" not in html and "&lt;img" in html and "<i>" not in html
    assert '<a href="../data/stats-n.csv" dir="ltr">data/stats-n.csv</a>' in html


def test_the_figure_macro_links_a_cell_that_has_a_link_and_isolates_one_that_has_none():
    figure = {"name": "n", "svg": "<svg></svg>", "small": True, "folded": True, "rows": [{}, {}],
              "csv": "data/stats-n.csv", "headers": [("a", "A"), ("b", "B")],
              "table": [[("a", "<b>نام</b>", "v", "members/council/x/"), ("b", "1403-11-06", None, None)],
                        [("a", "۱۴۰۳-۱۱-۰۶", 2), ("small_sample", "بله", True)]]}
    html = render_figure(f=figure, empty=None)
    assert '<td data-column="a" data-value="v"><a href="../members/council/x/">&lt;b&gt;نام&lt;/b&gt;</a></td>' in html
    assert '<td data-column="b" data-value=""><bdi>1403-11-06</bdi></td>' in html
    assert '<td data-column="a" data-value="2"><bdi>۱۴۰۳-۱۱-۰۶</bdi></td>' in html
    assert re.search(r'<tr class="small-sample"><td data-column="a" data-value="2">', html), "the small row is marked"
    caption = re.search(r"<figcaption>(.*?)</figcaption>", html).group(1)
    assert caption.startswith("&lt;b&gt;شرح&lt;/b&gt; <bdi>1403-11-06</bdi>؛ کم‌رنگ: نمونه‌ی کوچک (کمتر از ۲۰ ردیف)")
    assert '<details class="numbers">' in html, "a folded table is closed"


# --- follow a member -------------------------------------------------------------------------

def test_each_member_feed_holds_exactly_that_members_newest_rulings(sample_site, site_data):
    import runpy
    limit = runpy.run_path(str(Path(__file__).resolve().parent.parent / "pelicanconf.py"))["RULINGS_FEED_ITEMS"]
    feeds = sorted((sample_site.output / "feeds" / "members").rglob("*.atom.xml"))
    assert feeds
    checked = 0
    for role, role_slug in (("interior_rep", "interior"), ("judiciary_rep", "judiciary"), ("council_rep", "council")):
        for feed in sorted((sample_site.output / "feeds" / "members" / role_slug).glob("*.atom.xml")):
            root = ET.parse(feed).getroot()
            page = unquote(root.find(f"{ATOM}link[@rel='alternate']").get("href")).split("members/", 1)[1]
            member_html = (sample_site.output / "members" / page / "index.html").read_text(encoding="utf-8")
            name = re.search(r"<h1>(.*?)</h1>", member_html, re.S).group(1)
            name = re.sub(r"<[^>]+>", "", name).strip()
            mine = [r for r in site_data.rulings if r[role] and _same_person(r[role], name)]
            entries = [e.find(f"{ATOM}id").text.rsplit("/", 1)[1] for e in root.findall(f"{ATOM}entry")]
            assert len(entries) == min(limit, len(mine)), feed
            assert set(entries) <= {r["slug"] for r in mine}
            newest = sorted(mine, key=lambda r: r["ruling_date"], reverse=True)
            cut = newest[len(entries) - 1]["ruling_date"] if entries else None
            assert all(r["slug"] in entries for r in newest if cut and r["ruling_date"] > cut)
            assert f'href="../../../{URLS.member_feed(role_slug, Path(feed.name).name[:-len(".atom.xml")])}"' in member_html
            assert 'rel="alternate" type="application/atom+xml"' in member_html
            checked += 1
    assert checked == len(feeds)


def _same_person(published_name: str, heading: str) -> bool:
    from pipeline.values import match_key
    return match_key(published_name) == match_key(heading)


def test_the_methodology_page_states_the_small_sample_rule_and_links_the_page(sample_site):
    from pipeline.display import fa_number
    html = (sample_site.output / URLS.save_as(URLS.static_page("methodology"))).read_text(encoding="utf-8")
    section = html.split('id="stats"', 1)[1]
    assert f"کمتر از {fa_number(stats.MIN_ROWS)} سطر" in section
    assert f'href="../{URLS.stats()}"' in section


def test_the_dated_snapshot_holds_every_file_its_datapackage_names(sample_site):
    data = sample_site.output / URLS.data()
    snapshot = json.loads((data / "files.json").read_text(encoding="utf-8"))["snapshot"]
    package = json.loads((sample_site.output / URLS.datapackage(snapshot)).read_text(encoding="utf-8"))
    missing = [r["path"] for r in package["resources"] if not (data / snapshot / r["path"]).is_file()]
    assert not missing, missing
    assert any(r["name"].startswith("stats-") for r in package["resources"])


FORK_AFTER_A_CHART = """
import sys
from pipeline import charts
from pipeline.parallel import in_halves
spec = {"data": {"values": [{"a": "x", "b": 1}]}, "mark": "bar",
        "encoding": {"y": {"field": "a", "type": "nominal"}, "x": {"field": "b", "type": "quantitative"}}}
first = charts.svg(spec, "t")
assert "vl_convert" not in sys.modules, "vl-convert was loaded into the drawing process"
halves = in_halves(lambda items: [charts.svg(spec, "t") == first for _ in items], [1, 2, 3, 4])
print(halves)
"""


def test_a_process_that_drew_a_chart_can_fork_and_draw_again():
    """Pelican draws charts and then renders pages in two forked halves. With vl-convert loaded
    in the drawing process the forked child waited forever on a lock of its engine (``make
    html`` hung at 100k); the drawer is now a process of its own. The timeout only turns a
    hang into a failure: it measures nothing."""
    run = subprocess.run([sys.executable, "-c", FORK_AFTER_A_CHART], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[[True, True], [True, True]]"


DRAWERS_WAITED = """
import os, resource
from pipeline import charts, parallel
spec = {"data": {"values": [{"a": "x", "b": 1}]}, "mark": "bar",
        "encoding": {"y": {"field": "a", "type": "nominal"}, "x": {"field": "b", "type": "quantitative"}}}

def child_draws(_):
    charts.svg(spec, "t")
    return charts._drawers[os.getpid()].process.pid

drawer = parallel.Forked(child_draws, None).result()
charts.svg(spec, "t")
own = charts._drawers[os.getpid()].process
charts.close()
print(own.returncode is not None, os.getpid() not in charts._drawers)
try:
    os.kill(drawer, 0)
    print("child's drawer still running")
except ProcessLookupError:
    print("child's drawer ended")
"""


def test_every_drawer_is_waited_for_by_the_process_that_started_it():
    """A drawer's CPU counts in its build's (rusage of waited children, what ``make bench``
    reports) only if it is waited for; a forked child waits for its own before it ends."""
    run = subprocess.run([sys.executable, "-c", DRAWERS_WAITED], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:2] == ["True True", "child's drawer ended"]


def test_a_chart_vl_convert_refuses_is_an_error_with_its_message():
    with pytest.raises(charts.ChartError, match="Error"):
        charts.svg({"mark": "no-such-mark", "data": {"values": []}}, "t")


def test_chart_coordinates_carry_no_long_runs_of_digits(sample_site):
    """Vega wrote coordinates such as 14.499999999999995; in a generated 10k site one of them
    read as a national ID that passes the checksum and the personal-data gate refused the
    publish. No chart of the statistics page or of a member page has a number with more than
    two decimals."""
    pages = [sample_site.output / URLS.stats() / "index.html",
             *sorted((sample_site.output / URLS.members()).glob("*/*/index.html"))[:3]]
    for page in pages:
        for drawn in re.findall(r"<svg.*?</svg>", page.read_text("utf-8"), re.S):
            assert not re.findall(r"\d+\.\d{3,}", drawn), page
