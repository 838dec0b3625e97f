"""Per-member figures: what each commission member decided, beside the other rulings.

Like ``pipeline/stats.py`` (whose ``Column``, ``Figure``, ``MIN_ROWS`` and ``resource`` it
reuses) it reads only the rows the datasets stage publishes, so anyone can recompute every
figure from ``rulings.csv`` and ``violations.csv``. A member is who the member pages say
(``pipeline/slugs.py``: ``member_names``): one of the three roles, the names whose
``match_key`` is equal, shown by their commonest spelling, keyed by ``role`` and
``member_slug``.

Definitions (README: *Statistics*, the methodology's ``#members``):

* **the member's years**: the Jalali years of the rulings the member took part in (either
  stage); every comparison looks at these years only;
* **all rulings** (decisions): every published ruling of the same stage in the member's years,
  theirs included;
* **peers** (multipliers): the rulings of the member's years where another person held the
  same seat (role);
* a figure resting on fewer than ``MIN_ROWS`` rows is marked ``small_sample``.

Written as ``data/stats-members-<figure>.csv`` (each a resource) and, per member, in
``data/stats-members.json``, which ``plugins/shafaf/member_stats_page.py`` reads back.
"""
from __future__ import annotations

import json
from collections import Counter

import pandas as pd

from .slugs import member_names

from . import datasets
from .display import jalali_year
from .normalise import fold
from .schema import APPEAL_RESULTS, DECISIONS, DEMOLITION, FIRST_INSTANCE, MEMBER_ROLES, STAGES, VIOLATION_TYPES
from .stats import BASE, MIN_ROWS, RESULT, SHARE, SMALL, TYPE, YEAR, Figure, _col, _number, resource
from .urls import URLS
from .values import match_key

ROLE_NAMES = tuple(role for role, _, _ in MEMBER_ROLES)
# The members a member sat with most, by shared rulings (README: *Statistics*): five, enough
# to name the usual benches without turning the list into everyone.
TOP_FELLOWS = 5
# The multiplier row over every violation type (beside one row per type).
ALL_TYPES_FA = "همه‌ی انواع"
OVERTURNED = APPEAL_RESULTS[1]

ROLE = _col("role", "string", "Role", "نقش عضو (نام ستون آن در rulings.csv)", ROLE_NAMES)
SLUG = _col("member_slug", "string", "Member", "نشانی صفحه‌ی عضو (members/<role>/<member_slug>/)")
NAME = _col("member", "string", "Member's name", "نام عضو، به نگارشی که بیشتر آرایش دارند")
STAGE = _col("stage", "string", "Stage", "مرحله‌ی رأی", STAGES)
KEY = (ROLE, SLUG)


def _int(name, title, description):
    return _col(name, "integer", title, description)


def _num(name, title, description):
    return _col(name, "number", title, description)


FIGURES = (
    Figure("summary", "اعضا در یک نگاه", "Members at a glance",
           "برای هر عضو: شمار آرا و تخلف‌هایش، نخستین و واپسین سال، سهم تخلف‌هایش با تصمیم «قلع بنا»، "
           "میانه‌ی ضریب تخلف‌هایش و همکارانش (همان نقش، همان سال‌ها)، و از آرای بدوی‌اش سهم تجدیدنظرشده و "
           "سهم «نقض» در نتیجه‌ی تجدیدنظرها؛ small_sample اگر کمتر از MIN_ROWS رأی دارد.",
           (*KEY, NAME, _int("rulings", "Rulings", "شمار آرا"), _int("violations", "Violations", "شمار تخلف‌ها"),
            _int("first_year", "First Jalali year", "نخستین سال"), _int("last_year", "Last Jalali year", "واپسین سال"),
            _int("demolition_violations", "Demolition violations", f"تخلف‌های با تصمیم «{DEMOLITION}»"),
            _num("demolition_share", "Demolition share", "سهم «قلع بنا» از تخلف‌ها (۰ تا ۱)"),
            _num("median_multiplier", "Median multiplier", "میانه‌ی ضریب تخلف‌های عضو"),
            _num("peer_median_multiplier", "Peers' median multiplier", "میانه‌ی ضریب همکاران"),
            _int("first_instance_rulings", "First-instance rulings", "آرای بدوی"),
            _int("appealed_rulings", "Appealed", "آرای بدوی که رأی تجدیدنظری منتشرشده به آن‌ها می‌پردازد"),
            _num("appealed_share", "Appealed share", "سهم تجدیدنظرشده از آرای بدوی (۰ تا ۱)"),
            _int("appeals", "Appeal rulings", "آرای تجدیدنظر با نتیجه، درباره‌ی آرای بدوی عضو"),
            _int("overturned", "Overturned", f"آرای تجدیدنظر با نتیجه‌ی «{OVERTURNED}»"),
            _num("overturned_share", "Overturned share", f"سهم «{OVERTURNED}» از آن آرای تجدیدنظر (۰ تا ۱)"),
            SMALL)),
    Figure("decisions", "تصمیم‌های عضو در برابر همه‌ی آرا", "A member's decisions beside all rulings",
           "در هر مرحله و هر نوع تخلف: شمار تخلف‌های آرای عضو با هر تصمیم و سهمش از تخلف‌های آن نوع در آرای عضو؛ "
           "کنار آن همین سهم در همه‌ی آرای منتشرشده‌ی همان مرحله در سال‌های عضو (آرای خود عضو هم در آن است).",
           (*KEY, STAGE, TYPE, _col("decision", "string", "Decision", "تصمیم کمیسیون", DECISIONS),
            _int("violations", "Violations", "شمار تخلف‌های آرای عضو"), SHARE, BASE,
            _int("all_violations", "All violations", "شمار تخلف‌های همه‌ی آرا با آن تصمیم"),
            _num("all_share", "Share in all rulings", "سهم در همه‌ی آرا (۰ تا ۱)"),
            _int("all_base_rows", "All rows", "شمار تخلف‌های آن نوع در همه‌ی آرا"), SMALL)),
    Figure("multipliers", "میانه‌ی ضریب عضو و همکارانش", "A member's median multiplier beside their peers'",
           "میانه‌ی ضریب تخلف‌های آرای عضو که ضریب دارند، برای هر نوع تخلف و برای همه‌ی انواع؛ کنار آن میانه‌ی "
           "ضریب در آرای سال‌های عضو که دیگری همان نقش را داشت (همکاران).",
           (*KEY, _col("violation_type", "string", "Violation type", "نوع تخلف", (*VIOLATION_TYPES, ALL_TYPES_FA)),
            _num("median", "Median multiplier", "میانه‌ی ضریب عضو"), BASE,
            _num("peer_median", "Peers' median multiplier", "میانه‌ی ضریب همکاران"),
            _int("peer_base_rows", "Peers' rows", "شمار تخلف‌های همکاران که ضریب دارند"), SMALL)),
    Figure("appeals", "تجدیدنظر در آرای بدوی عضو", "Appeals of a member's first-instance rulings",
           "از آرای بدوی عضو: شمار آن‌هایی که رأی تجدیدنظری منتشرشده (ستون appealed_ruling_no) به آن‌ها می‌پردازد، "
           "و شمار آن آرای تجدیدنظر با هر نتیجه؛ سهم، بخش بر همه‌ی آن آرای تجدیدنظر که نتیجه دارند.",
           (*KEY, _int("first_instance_rulings", "First-instance rulings", "آرای بدوی عضو"),
            _int("appealed_rulings", "Appealed", "آرای بدوی تجدیدنظرشده"), RESULT,
            _int("appeals", "Appeal rulings", "شمار آرای تجدیدنظر با این نتیجه"), SHARE, BASE, SMALL)),
    Figure("fellows", "هم‌نشینان عضو", "Members they sat with most",
           f"دیگر اعضای آرای عضو (دو نقش دیگر) و شمار آرای مشترک؛ {TOP_FELLOWS} نفر با بیشترین آرای مشترک؛ "
           "سهم، بخش بر همه‌ی آرای عضو.",
           (*KEY, _int("rank", "Rank", "رتبه"), _col("fellow_role", "string", "Fellow's role", "نقش هم‌نشین", ROLE_NAMES),
            _col("fellow_slug", "string", "Fellow", "نشانی صفحه‌ی هم‌نشین"),
            _col("fellow", "string", "Fellow's name", "نام هم‌نشین"),
            _int("rulings", "Shared rulings", "شمار آرای مشترک"), SHARE, BASE, SMALL)),
    Figure("years", "آرای عضو به تفکیک سال", "A member's rulings by Jalali year",
           "شمار آرای عضو (بدوی و تجدیدنظر) در هر سال خورشیدیِ تاریخ رأی.",
           (*KEY, YEAR, _int("rulings", "Rulings", "شمار آرا"))),
)
FIGURES_BY_NAME = {f.name: f for f in FIGURES}
# Blank where there is nothing to take a median or a share of (a member without multipliers).
OPTIONAL = {"median_multiplier", "peer_median_multiplier", "demolition_share", "appealed_share",
            "overturned_share", "median", "peer_median", "share", "all_share"}


def csv_path(name: str) -> str:
    return URLS.in_data(URLS.member_stats_file(name))


def median(counts: dict) -> float | None:
    """The median of a multiset given as value -> count (the mean of the two middle values
    when the count is even, as pandas and ``statistics.median``)."""
    total = sum(counts.values())
    if not total:
        return None
    wanted, seen, found = ((total - 1) // 2, total // 2), 0, []
    for value in sorted(counts):
        n = counts[value]
        found += [value for i in wanted if seen <= i < seen + n]
        seen += n
    return (found[0] + found[1]) / 2


def _share(part, whole):
    return part / whole if whole else None


def frames(rows: dict[str, list[dict]]):
    """The members (role, key -> name, slug), every seat (one row per member per ruling) and
    the violations with their ruling's stage and year."""
    spellings: dict[str, dict[str, Counter]] = {role: {} for role in ROLE_NAMES}
    seats = []
    for r in rows["rulings"]:
        year = jalali_year(r["ruling_date"])
        for role in ROLE_NAMES:
            if r.get(role):
                key = match_key(r[role])
                spellings[role].setdefault(key, Counter())[r[role]] += 1
                seats.append((role, key, r["ruling_no"], r["stage"], year))
    names = member_names(spellings)
    seats = pd.DataFrame(seats, columns=["role", "key", "ruling_no", "stage", "year"])
    rulings = pd.DataFrame([{c: r.get(c) for c in ("ruling_no", "stage", "appealed_ruling_no", "appeal_result",
                                                   "ruling_date")} for r in rows["rulings"]],
                           columns=["ruling_no", "stage", "appealed_ruling_no", "appeal_result", "ruling_date"])
    rulings["year"] = [jalali_year(d) for d in rulings["ruling_date"]]
    violations = pd.DataFrame([{c: v.get(c) for c in ("ruling_no", "violation_type", "decision", "multiplier")}
                               for v in rows["violations"]],
                              columns=["ruling_no", "violation_type", "decision", "multiplier"])
    violations["multiplier"] = pd.to_numeric(violations["multiplier"])
    violations = violations.merge(rulings[["ruling_no", "stage", "year"]], on="ruling_no", how="inner")
    return names, seats, rulings, violations


def _grouped(frame: pd.DataFrame, by: list[str]) -> dict:
    """key tuple -> {last column value -> count}, from a count Series grouped by ``by``."""
    out: dict = {}
    for index, n in frame.groupby(by).size().items():
        out.setdefault(index[:-1], {})[index[-1]] = int(n)
    return out


def tables(rows: dict[str, list[dict]]) -> tuple[dict[str, list[dict]], list[tuple[str, str, str]]]:
    """Every figure as rows (plain values, the columns' order), and the members as (role,
    slug, name) in the order of the CSVs."""
    names, seats, rulings, violations = frames(rows)
    members = sorted(((role, key) for role in ROLE_NAMES for key in names[role]),
                     key=lambda m: (ROLE_NAMES.index(m[0]), names[m[0]][m[1]][1]))
    years_of = {m: set(g) for m, g in seats.groupby(["role", "key"])["year"]}
    rulings_of = Counter(zip(seats["role"], seats["key"]))
    # The member's violations (a violation once per member of its ruling).
    held = seats[["role", "key", "ruling_no"]].merge(violations, on="ruling_no")
    # Decisions: all rulings' counts by (stage, year, type) -> decision; the member's by (role, key, stage, type).
    all_decisions = _grouped(violations, ["stage", "year", "violation_type", "decision"])
    own_decisions = _grouped(held, ["role", "key", "stage", "violation_type", "decision"])
    # Multipliers: every seat-holder's by (role, year, type) and the member's own, by value.
    rated = held[held["multiplier"].notna()]
    role_rated = _grouped(rated, ["role", "year", "violation_type", "multiplier"])
    own_rated = _grouped(rated, ["role", "key", "violation_type", "multiplier"])
    # Appeals: each published appeal ruling, with the members of the first-instance ruling it names.
    first = seats[seats["stage"] == FIRST_INSTANCE]
    appeals = rulings[(rulings["stage"] != FIRST_INSTANCE) & rulings["appealed_ruling_no"].notna()]
    appealed = first.merge(appeals[["appealed_ruling_no", "appeal_result"]], left_on="ruling_no",
                           right_on="appealed_ruling_no")
    first_of = Counter(zip(first["role"], first["key"]))
    appealed_of = Counter(m for m, _ in set(zip(zip(appealed["role"], appealed["key"]), appealed["ruling_no"])))
    results_of = _grouped(appealed[appealed["appeal_result"].notna()], ["role", "key", "appeal_result"])
    # Fellows: the other seats of the same rulings.
    pairs = seats[["role", "key", "ruling_no"]].merge(seats[["role", "key", "ruling_no"]], on="ruling_no",
                                                       suffixes=("", "_f"))
    pairs = pairs[pairs["role"] != pairs["role_f"]]
    fellows_of = _grouped(pairs.assign(fellow=list(zip(pairs["role_f"], pairs["key_f"]))),
                          ["role", "key", "fellow"])
    by_year = _grouped(seats, ["role", "key", "year"])

    made = {f.name: [] for f in FIGURES}
    for role, key in members:
        name, slug = names[role][key]
        ident = {"role": role, "member_slug": slug}
        years = years_of[(role, key)]
        base = {"rulings": rulings_of[(role, key)]}
        # decisions, per stage the member sat in and type the member ruled on
        for stage in STAGES:
            for vtype in VIOLATION_TYPES:
                own = own_decisions.get((role, key, stage, vtype))
                if not own:
                    continue
                every = Counter()
                for year in years:
                    every.update(all_decisions.get((stage, year, vtype), {}))
                own_total, all_total = sum(own.values()), sum(every.values())
                for decision in DECISIONS:
                    if own.get(decision) or every.get(decision):
                        made["decisions"].append({
                            **ident, "stage": stage, "violation_type": vtype, "decision": decision,
                            "violations": own.get(decision, 0), "share": _share(own.get(decision, 0), own_total),
                            "base_rows": own_total, "all_violations": every.get(decision, 0),
                            "all_share": _share(every.get(decision, 0), all_total), "all_base_rows": all_total,
                            "small_sample": own_total < MIN_ROWS})
        # multipliers: per type, then over all types
        totals_own, totals_peer = Counter(), Counter()
        medians = []
        for vtype in VIOLATION_TYPES:
            own = Counter(own_rated.get((role, key, vtype), {}))
            peer = Counter()
            for year in years:
                peer.update(role_rated.get((role, year, vtype), {}))
            peer.subtract(own)
            peer = +peer
            # Over all types, the peers' every violation counts, of a type the member never had too.
            totals_own.update(own)
            totals_peer.update(peer)
            if own:
                medians.append((vtype, own, peer))
        for vtype, own, peer in [*medians, (ALL_TYPES_FA, totals_own, totals_peer)]:
            if not own:
                continue
            made["multipliers"].append({
                **ident, "violation_type": vtype, "median": median(own), "base_rows": sum(own.values()),
                "peer_median": median(peer), "peer_base_rows": sum(peer.values()),
                "small_sample": sum(own.values()) < MIN_ROWS})
        # appeals
        n_first = first_of[(role, key)]
        results = results_of.get((role, key), {})
        n_results = sum(results.values())
        if n_first:
            for result in APPEAL_RESULTS:
                made["appeals"].append({
                    **ident, "first_instance_rulings": n_first, "appealed_rulings": appealed_of[(role, key)],
                    "appeal_result": result, "appeals": results.get(result, 0),
                    "share": _share(results.get(result, 0), n_results), "base_rows": n_results,
                    "small_sample": n_results < MIN_ROWS})
        # fellows
        fellows = fellows_of.get((role, key), {})
        ranked = sorted(fellows, key=lambda f: (-fellows[f], fold(names[f[0]][f[1]][0]), names[f[0]][f[1]][1]))
        for rank, (f_role, f_key) in enumerate(ranked[:TOP_FELLOWS], 1):
            made["fellows"].append({
                **ident, "rank": rank, "fellow_role": f_role, "fellow_slug": names[f_role][f_key][1],
                "fellow": names[f_role][f_key][0], "rulings": fellows[(f_role, f_key)],
                "share": _share(fellows[(f_role, f_key)], base["rulings"]), "base_rows": base["rulings"],
                "small_sample": base["rulings"] < MIN_ROWS})
        for year, n in sorted(by_year[(role, key)].items()):
            made["years"].append({**ident, "jalali_year": year, "rulings": n})
        # the summary
        own_all = sum(sum(own_decisions.get((role, key, s, t), {}).values())
                                            for s in STAGES for t in VIOLATION_TYPES)
        demolition = sum(own_decisions.get((role, key, s, t), {}).get(DEMOLITION, 0)
                         for s in STAGES for t in VIOLATION_TYPES)
        made["summary"].append({
            **ident, "member": name, "rulings": base["rulings"], "violations": own_all,
            "first_year": min(years), "last_year": max(years), "demolition_violations": demolition,
            "demolition_share": _share(demolition, own_all),
            "median_multiplier": median(totals_own), "peer_median_multiplier": median(totals_peer),
            "first_instance_rulings": n_first, "appealed_rulings": appealed_of[(role, key)],
            "appealed_share": _share(appealed_of[(role, key)], n_first), "appeals": n_results,
            "overturned": results.get(OVERTURNED, 0), "overturned_share": _share(results.get(OVERTURNED, 0), n_results),
            "small_sample": base["rulings"] < MIN_ROWS})
    result = {f.name: [{c.name: _plain(row[c.name], c) for c in f.columns} for row in made[f.name]] for f in FIGURES}
    return result, [(role, names[role][key][1], names[role][key][0]) for role, key in members]


def _plain(value, column):
    if value is None:
        return None
    if column.type == "boolean":
        return bool(value)
    if column.type in ("integer", "number"):
        return _number(value)
    return str(value)


def _resource(figure: Figure, data: bytes) -> dict:
    made = resource(figure, data)
    made["name"] = f"stats-members-{figure.name}"
    made["path"] = csv_path(figure.name)
    for field in made["schema"]["fields"]:
        if field["name"] in OPTIONAL:
            field["constraints"]["required"] = False
    return made


def add(rows: dict[str, list[dict]], files: dict[str, bytes], package: dict) -> None:
    """Every member figure into the datasets: its CSV and resource, and ``stats-members.json``
    (per member, for the member pages and the members' index)."""
    made, members = tables(rows)
    for figure in FIGURES:
        data = datasets.excel_csv([c.name for c in figure.columns],
                                  ([row[c.name] for c in figure.columns] for row in made[figure.name]))
        files[csv_path(figure.name)] = data
        package["resources"].append(_resource(figure, data))
    # Per member, each figure's rows as lists in the order of its ``columns`` (the key columns
    # left out): the same numbers as the CSVs in a third of the bytes of one object per row.
    per_member = {f"{role}/{slug}": {f.name: [] for f in FIGURES} for role, slug, _ in members}
    for figure in FIGURES:
        columns = [c.name for c in figure.columns[len(KEY):]]
        for row in made[figure.name]:
            per_member[f"{row['role']}/{row['member_slug']}"][figure.name].append([row[c] for c in columns])
    document = {"min_rows": MIN_ROWS, "top_fellows": TOP_FELLOWS, "all_types": ALL_TYPES_FA,
                "figures": [{"name": f.name, "title_fa": f.title_fa, "title_en": f.title_en, "counts_fa": f.counts_fa,
                             "csv": URLS.member_stats_file(f.name), "columns": [c.name for c in f.columns[len(KEY):]]}
                            for f in FIGURES],
                "members": per_member}
    files[URLS.in_data(URLS.member_stats_file(None, "json"))] = (
        json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")

