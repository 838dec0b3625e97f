"""Member figures (issue 14, part 3): each member beside the other rulings.

Expected figures are recomputed here from the published ``rulings.csv`` and ``violations.csv``
with the csv and statistics modules (never by calling ``pipeline/member_stats.py``), then
compared with ``data/stats-members-*.csv``, with the member pages' tables and charts and with
the members' index table."""
import json
import random
import re
import statistics
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict

import jdatetime
import pytest

from browser_helpers import ROLES, fa_int, read_csv, site_data  # noqa: F401
from conftest import build_site
from factory import property_, ruling, violation, write_exports
from pipeline.stats import MIN_ROWS
from pipeline.urls import URLS
from pipeline.values import match_key

FIGURES = ("summary", "decisions", "multipliers", "appeals", "fellows", "years")
FIRST, APPEAL = "بدوی", "تجدیدنظر"
LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹٫٬", "0123456789.,")


def year(iso: str) -> int:
    return jdatetime.date.fromgregorian(date=__import__("datetime").date.fromisoformat(iso)).year


def close(a, b) -> bool:
    if b is None:
        return a in ("", None)
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))


def published(site, name: str) -> list[dict]:
    return read_csv(site.output / URLS.member_stats_file(name))


# --- expected figures, from the published CSVs only -------------------------------------------

def recompute(rulings: list[dict], violations: list[dict]) -> dict[tuple[str, str], dict]:
    """(role, match key of the name) -> every figure of that member, by plain Python."""
    of_ruling = defaultdict(list)
    for v in violations:
        of_ruling[v["ruling_no"]].append(v)
    members = defaultdict(list)
    for r in rulings:
        for role, _ in ROLES:
            if r[role]:
                members[(role, match_key(r[role]))].append(r)
    out = {}
    for (role, key), mine in members.items():
        years = {year(r["ruling_date"]) for r in mine}
        in_years = [r for r in rulings if year(r["ruling_date"]) in years]
        decisions = {}
        for stage in (FIRST, APPEAL):
            own = Counter((v["violation_type"], v["decision"]) for r in mine if r["stage"] == stage
                          for v in of_ruling[r["ruling_no"]])
            every = Counter((v["violation_type"], v["decision"]) for r in in_years if r["stage"] == stage
                            for v in of_ruling[r["ruling_no"]])
            own_base, all_base = Counter(), Counter()
            for (t, _), n in own.items():
                own_base[t] += n
            for (t, _), n in every.items():
                all_base[t] += n
            for (t, d) in set(own) | {k for k in every if k[0] in own_base}:
                decisions[(stage, t, d)] = {"violations": own[(t, d)], "base_rows": own_base[t],
                                            "share": own[(t, d)] / own_base[t], "all_violations": every[(t, d)],
                                            "all_base_rows": all_base[t], "all_share": every[(t, d)] / all_base[t],
                                            "small_sample": own_base[t] < MIN_ROWS}
        own_m, peer_m = defaultdict(list), defaultdict(list)
        for r in in_years:
            if not r[role]:
                continue
            target = own_m if match_key(r[role]) == key else peer_m
            for v in of_ruling[r["ruling_no"]]:
                if v["multiplier"]:
                    target[v["violation_type"]].append(float(v["multiplier"]))
                    target[None].append(float(v["multiplier"]))
        multipliers = {t: {"median": statistics.median(values), "base_rows": len(values),
                           "peer_median": statistics.median(peer_m[t]) if peer_m[t] else None,
                           "peer_base_rows": len(peer_m[t]), "small_sample": len(values) < MIN_ROWS}
                       for t, values in own_m.items()}
        firsts = {r["ruling_no"] for r in mine if r["stage"] == FIRST}
        appeals = [a for a in rulings if a["stage"] == APPEAL and a["appealed_ruling_no"] in firsts]
        results = Counter(a["appeal_result"] for a in appeals if a["appeal_result"])
        fellows = Counter((other, match_key(r[other])) for r in mine for other, _ in ROLES
                          if other != role and r[other])
        violations_n = sum(len(of_ruling[r["ruling_no"]]) for r in mine)
        demolition = sum(1 for r in mine for v in of_ruling[r["ruling_no"]] if v["decision"] == "قلع بنا")
        out[(role, key)] = {
            "rulings": len(mine), "years": Counter(year(r["ruling_date"]) for r in mine),
            "decisions": decisions, "multipliers": multipliers,
            "first_instance_rulings": len(firsts),
            "appealed_rulings": len({a["appealed_ruling_no"] for a in appeals}),
            "results": results, "fellows": fellows,
            "summary": {
                "rulings": len(mine), "violations": violations_n, "first_year": min(years), "last_year": max(years),
                "demolition_violations": demolition,
                "demolition_share": demolition / violations_n if violations_n else None,
                "median_multiplier": multipliers[None]["median"] if None in multipliers else None,
                "peer_median_multiplier": multipliers[None]["peer_median"] if None in multipliers else None,
                "first_instance_rulings": len(firsts),
                "appealed_rulings": len({a["appealed_ruling_no"] for a in appeals}),
                "appealed_share": len({a["appealed_ruling_no"] for a in appeals}) / len(firsts) if firsts else None,
                "appeals": sum(results.values()), "overturned": results["نقض"],
                "overturned_share": results["نقض"] / sum(results.values()) if results else None,
                "small_sample": len(mine) < MIN_ROWS}}
    return out


def slugs(site) -> dict[tuple[str, str], tuple[str, str]]:
    """(role, member_slug) of the CSVs -> (role, match key of the member's name)."""
    return {(r["role"], r["member_slug"]): (r["role"], match_key(r["member"])) for r in published(site, "summary")}


def check(row: dict, want: dict, where) -> None:
    for column, value in want.items():
        if isinstance(value, bool):
            assert row[column] in (str(value), value), (where, column, row[column], value)
        else:
            assert close(row[column], value), (where, column, row[column], value)


@pytest.fixture(scope="module")
def want(site_data):
    return recompute(site_data.rulings, site_data.violations)


def test_every_member_has_a_summary_row_and_no_one_else(sample_site, want):
    assert sorted(slugs(sample_site).values()) == sorted(want)


def test_the_summary_equals_its_recomputation(sample_site, want):
    keys = slugs(sample_site)
    for row in published(sample_site, "summary"):
        check(row, want[keys[(row["role"], row["member_slug"])]]["summary"], row["member_slug"])


def test_decisions_beside_all_rulings_of_the_stage_in_the_members_years(sample_site, want):
    keys = slugs(sample_site)
    got = defaultdict(dict)
    for row in published(sample_site, "decisions"):
        got[keys[(row["role"], row["member_slug"])]][(row["stage"], row["violation_type"], row["decision"])] = row
    assert set(got) == set(want)
    for member, expected in want.items():
        assert set(got[member]) == set(expected["decisions"]), member
        for k, values in expected["decisions"].items():
            check(got[member][k], values, (member, k))


def test_medians_beside_the_peers(sample_site, want):
    keys = slugs(sample_site)
    all_types = {row["violation_type"] for row in published(sample_site, "multipliers")} - {
        v["violation_type"] for v in read_csv(sample_site.output / "data" / "violations.csv")}
    assert len(all_types) == 1  # the one row over every type
    (all_types,) = all_types
    for row in published(sample_site, "multipliers"):
        expected = want[keys[(row["role"], row["member_slug"])]]["multipliers"]
        check(row, expected[None if row["violation_type"] == all_types else row["violation_type"]], row)


def test_appeals_of_first_instance_rulings(sample_site, want):
    keys = slugs(sample_site)
    seen = set()
    for row in published(sample_site, "appeals"):
        member = want[keys[(row["role"], row["member_slug"])]]
        seen.add(keys[(row["role"], row["member_slug"])])
        base = sum(member["results"].values())
        check(row, {"first_instance_rulings": member["first_instance_rulings"],
                    "appealed_rulings": member["appealed_rulings"], "appeals": member["results"][row["appeal_result"]],
                    "base_rows": base, "share": member["results"][row["appeal_result"]] / base if base else None,
                    "small_sample": base < MIN_ROWS}, row)
    assert seen == {m for m, w in want.items() if w["first_instance_rulings"]}


def test_fellows_are_the_top_five_by_shared_rulings(sample_site, want):
    keys = slugs(sample_site)
    rows = defaultdict(list)
    for row in published(sample_site, "fellows"):
        rows[keys[(row["role"], row["member_slug"])]].append(row)
    for member, expected in want.items():
        got = rows[member]
        counts = sorted(expected["fellows"].values(), reverse=True)
        assert [int(r["rulings"]) for r in got] == counts[:5], member
        for r in got:
            assert expected["fellows"][(r["fellow_role"], match_key(r["fellow"]))] == int(r["rulings"])
            assert close(r["share"], int(r["rulings"]) / expected["rulings"])


def test_rulings_by_year(sample_site, want):
    keys = slugs(sample_site)
    got = defaultdict(Counter)
    for row in published(sample_site, "years"):
        got[keys[(row["role"], row["member_slug"])]][int(row["jalali_year"])] = int(row["rulings"])
    assert {m: w["years"] for m, w in want.items()} == dict(got)


# --- the pages ---------------------------------------------------------------------------------

def member_html(site, role: str, slug: str) -> str:
    return (site.output / URLS.save_as(URLS.member(role, slug))).read_text(encoding="utf-8")


def page_tables(html: str) -> dict[str, list[dict]]:
    """The comparison's tables: figure -> rows of {column: (shown text, data-value)}."""
    tables = defaultdict(list)
    for name, body in re.findall(r'<table class="counts stats-table" data-figure="(\w+)">.*?<tbody>(.*?)</tbody>',
                                 html, re.S):
        tables[name] += [{c: (re.sub(r"<[^>]+>", "", text), value)
                          for c, value, text in re.findall(r'<td data-column="(\w+)" data-value="([^"]*)">(.*?)</td>', row)}
                         for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]
    return tables


def sample_members(site) -> list[tuple[str, str]]:
    """The busiest and the least busy member of each role."""
    rows = published(site, "summary")
    picked = []
    for role, _ in ROLES:
        mine = sorted((r for r in rows if r["role"] == role), key=lambda r: (int(r["rulings"]), r["member_slug"]))
        picked += [(role, mine[0]["member_slug"]), (role, mine[-1]["member_slug"])]
    return picked


def test_the_member_pages_tables_show_the_recomputed_figures(sample_site, want):
    keys = slugs(sample_site)
    for role, slug in sample_members(sample_site):
        expected = want[keys[(role, slug)]]
        tables = page_tables(member_html(sample_site, role, slug))
        shown = Counter((r["violation_type"][1], r["decision"][1], int(r["violations"][1]), int(r["base_rows"][1]),
                         int(r["all_violations"][1]), int(r["all_base_rows"][1])) for r in tables["decisions"])
        assert shown == Counter((t, d, v["violations"], v["base_rows"], v["all_violations"], v["all_base_rows"])
                                for (_, t, d), v in expected["decisions"].items()), slug
        for r in tables["decisions"]:  # a reader sees the same numbers in Persian digits
            assert fa_int(r["violations"][0]) == int(r["violations"][1])
        years = {int(r["jalali_year"][1]): fa_int(r["rulings"][0]) for r in tables["years"]}
        assert years == dict(expected["years"])
        results = {r["appeal_result"][1]: fa_int(r["appeals"][0]) for r in tables["appeals"]}
        assert results == {k: expected["results"][k] for k in results} and len(results) == 3
        fellows = sorted(fa_int(r["rulings"][0]) for r in tables["fellows"])
        assert fellows == sorted(sorted(expected["fellows"].values(), reverse=True)[:5])
        for r in tables["multipliers"]:
            t = r["violation_type"][1]
            m = expected["multipliers"][t if t in expected["multipliers"] else None]
            assert close(r["median"][1], m["median"]) and float(r["median"][0].translate(LATIN)) == pytest.approx(m["median"])


def mark_labels(svg: str) -> list[dict]:
    """What Vega wrote on each mark: «field: value; field: value»."""
    labels = []
    for element in ET.fromstring(svg).iter():
        label = element.get("aria-label") or ""
        if element.get("role") == "graphics-symbol" and ": " in label and "axis" not in label.lower():
            labels.append(dict(part.split(": ", 1) for part in label.split("; ")))
    return labels


def section_svg(html: str, section: str) -> str:
    return re.search(rf'<section class="figure" id="{section}".*?(<svg.*?</svg>)', html, re.S).group(1)


def test_the_charts_numbers_equal_their_tables(sample_site):
    for role, slug in sample_members(sample_site):
        html = member_html(sample_site, role, slug)
        tables = page_tables(html)
        bars = mark_labels(section_svg(html, "compare-years"))
        assert sorted((int(b["year"].translate(LATIN)), int(b["rulings"].translate(LATIN))) for b in bars) == \
            sorted((int(r["jalali_year"][1]), int(r["rulings"][1])) for r in tables["years"])
        bars = mark_labels(section_svg(html, "compare-fellows"))
        assert sorted(int(b["rulings"].translate(LATIN)) for b in bars) == \
            sorted(int(r["rulings"][1]) for r in tables["fellows"])
        bars = mark_labels(section_svg(html, "compare-appeals"))
        assert sorted((b["appeal_result"], int(b["appeals"].translate(LATIN))) for b in bars) == \
            sorted((r["appeal_result"][1], int(r["appeals"][1])) for r in tables["appeals"])
        dots = [d for d in mark_labels(section_svg(html, "compare-multipliers")) if "median" in d]
        assert sorted(float(d["median"].translate(LATIN)) for d in dots) == sorted(
            [float(r["median"][1]) for r in tables["multipliers"]]
            + [float(r["peer_median"][1]) for r in tables["multipliers"] if r["peer_median"][1]])


def index_rows(site) -> dict[str, dict]:
    html = (site.output / URLS.save_as(URLS.members())).read_text(encoding="utf-8")
    table = re.search(r'<table class="counts members-table">(.*?)</table>', html, re.S).group(1)
    return {member: dict(re.findall(r'data-column="(\w+)" data-value="([^"]*)"', row))
            for member, row in re.findall(r'<tr data-member="([^"]+)"[^>]*>(.*?)</tr>', table, re.S)}


def test_the_members_index_equals_the_per_member_csvs(sample_site, want):
    keys = slugs(sample_site)
    rows = index_rows(sample_site)
    summary = published(sample_site, "summary")
    assert set(rows) == {f"{r['role']}/{r['member_slug']}" for r in summary}
    years = defaultdict(list)
    for r in published(sample_site, "years"):
        years[f"{r['role']}/{r['member_slug']}"].append(int(r["jalali_year"]))
    medians = {f"{r['role']}/{r['member_slug']}": r for r in published(sample_site, "multipliers")
               if r["violation_type"] not in {v["violation_type"] for v in read_csv(sample_site.output / "data" / "violations.csv")}}
    for member, shown in rows.items():
        role, slug = member.split("/", 1)
        expected = want[keys[(role, slug)]]["summary"]
        check(shown, {c: expected[c] for c in ("rulings", "demolition_share", "median_multiplier",
                                                "peer_median_multiplier", "appealed_share", "overturned_share",
                                                "small_sample")}, member)
        assert shown["years"] == f"{min(years[member])}-{max(years[member])}"
        assert close(shown["median_multiplier"], float(medians[member]["median"]))


def test_frictionless_validates_the_member_figures(sample_package_report):
    report = sample_package_report
    assert report["valid"], json.dumps(report)[:2000]
    assert {f"stats-members-{n}" for n in FIGURES} <= {task["name"] for task in report["tasks"]}


def test_the_same_rows_in_another_order_give_the_same_bytes(site_data):
    from pipeline import member_stats

    def made(rulings):
        files, package = {}, {"resources": []}
        rows = [{**r, **{k: r[k] or None for k in ("appealed_ruling_no", "appeal_result")}} for r in rulings]
        member_stats.add({"rulings": rows, "violations": site_data.violations}, files, package)
        return files
    shuffled = list(site_data.rulings)
    random.Random(4).shuffle(shuffled)
    assert made(site_data.rulings) == made(shuffled)


def test_the_methodology_states_the_member_definitions(sample_site):
    from pipeline.display import fa_number
    from pipeline.member_stats import TOP_FELLOWS
    html = (sample_site.output / URLS.save_as(URLS.static_page("methodology"))).read_text(encoding="utf-8")
    section = html.split('id="members"', 1)[1]
    assert f"کمتر از {fa_number(MIN_ROWS)} سطر" in section and f"{fa_number(TOP_FELLOWS)} نفر" in section
    assert "سال‌های عضو" in section and "همکاران" in section
    page = member_html(sample_site, *sample_members(sample_site)[0])
    assert f'{URLS.static_page("methodology")}#members"' in page


# --- a member with a handful of rulings -------------------------------------------------------

FEW = "نرگس تنها"


@pytest.fixture(scope="module")
def small_site(tmp_path_factory):
    """Exports where one prosecutor's representative sat on three rulings and the others on
    many: only the three are a small sample."""
    rulings, violations = [], []
    for n in range(MIN_ROWS + 4):
        no = f"1402/3/{100 + n}"
        rulings.append(ruling(ruling_no=no, case_no=f"۵۵{100 + n}", ruling_date=f"۱۴۰{1 + n % 2}/۰۵/{10 + n % 15:02d}",
                              judiciary_rep=FEW if n < 3 else "مریم احمدی"))
        violations.append(violation(ruling_no=no, multiplier=str(1 + n % 3)))
    exports = write_exports(tmp_path_factory.mktemp("exports"), rulings, violations, [property_()])
    return build_site(exports, tmp_path_factory.mktemp("few"))


def test_a_member_with_a_handful_of_rulings_shows_the_small_sample_mark(small_site):
    summary = {match_key(r["member"]): r for r in published(small_site, "summary")}
    few, many = summary[match_key(FEW)], summary[match_key("مریم احمدی")]
    assert (few["small_sample"], many["small_sample"]) == ("True", "False")
    html = member_html(small_site, "judiciary_rep", few["member_slug"])
    compare = html.split('class="member-compare', 1)[1]
    assert "نمونه‌ی کوچک" in compare and 'class="small-mark"' in compare
    assert 'class="small-sample"' in compare  # its table rows
    # faded in the chart: Vega draws a small sample's marks with the lower opacity
    assert re.search(r'opacity="0\.4"', section_svg(html, "compare-multipliers"))
    busy = member_html(small_site, "judiciary_rep", many["member_slug"]).split('class="member-compare', 1)[1]
    assert 'class="small-mark"' not in busy
    rows = index_rows(small_site)
    assert rows[f"judiciary_rep/{few['member_slug']}"]["small_sample"] == "True"
    assert rows[f"judiciary_rep/{many['member_slug']}"]["small_sample"] == "False"
    index = (small_site.output / URLS.save_as(URLS.members())).read_text(encoding="utf-8")
    assert re.search(rf'<tr data-member="judiciary_rep/{re.escape(few["member_slug"])}" class="small-sample">', index)


def test_the_index_reads_at_360_px(page, serve_site):
    """The table scrolls inside its region, never the page; the scroll region is focusable
    only when it scrolls."""
    page.goto(f"{serve_site}/{URLS.members()}")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    region = page.locator(".members-glance .table-scroll")
    scrolls = region.evaluate("r => r.scrollWidth > r.clientWidth + 1")
    assert region.get_attribute("tabindex") == ("0" if scrolls else None)
