"""A member's comparison (member.html) and the members' index table (members.html), read
back from the published ``data/stats-members.json`` (``pipeline/member_stats.py``), so the
pages show exactly what the downloads hold.

Charts are drawn by ``pipeline/charts.py`` as on the statistics page, but only when a member's
page is rendered: ``Comparison.render_key`` stands for the charts in the page's key
(``render.py``), so an unchanged member costs no drawing; and a member page rendered again
because its list of rulings changed reads its unchanged charts back from the chart cache
(``chart_cache.py``) rather than drawing them.
"""
from __future__ import annotations

import json
from pathlib import Path

from pipeline import charts
from pipeline.display import fa_digits, fa_number
from pipeline.schema import APPEAL_RESULTS, DECISIONS, STAGES, VIOLATION_TYPES
from pipeline.urls import URLS

from .render import digest
from .stats_page import SMALL_OPACITY

HEADERS_FA = {
    "stage": "مرحله", "violation_type": "نوع تخلف", "decision": "تصمیم", "violations": "تخلف‌های عضو",
    "share": "سهم", "base_rows": "شمار پایه", "all_violations": "تخلف‌های همه‌ی آرا",
    "all_share": "سهم در همه‌ی آرا", "all_base_rows": "پایه‌ی همه‌ی آرا", "median": "میانه‌ی عضو",
    "peer_median": "میانه‌ی همکاران", "peer_base_rows": "پایه‌ی همکاران", "appeal_result": "نتیجه",
    "appeals": "آرای تجدیدنظر", "rank": "رتبه", "fellow": "هم‌نشین", "fellow_role": "نقش",
    "rulings": "شمار آرا", "jalali_year": "سال", "small_sample": "نمونه‌ی کوچک",
}
# The columns each table shows (the CSV has the keys too: role, member_slug...).
SHOWN = {
    "decisions": ("violation_type", "decision", "violations", "share", "base_rows", "all_violations", "all_share",
                  "all_base_rows", "small_sample"),
    "multipliers": ("violation_type", "median", "base_rows", "peer_median", "peer_base_rows", "small_sample"),
    "appeals": ("appeal_result", "appeals", "share", "base_rows", "small_sample"),
    "fellows": ("rank", "fellow", "fellow_role", "rulings", "share", "small_sample"),
    "years": ("jalali_year", "rulings"),
}
FOLD_ABOVE = 8  # a longer table is folded (<details>): the chart above shows its shape
ME, ALL, PEERS = "این عضو", "همه‌ی آرا", "همکاران"


def load(output_path) -> dict | None:
    """The published document, each member's rows back as dicts (the file holds lists)."""
    path = Path(output_path) / URLS.member_stats_file(None, "json")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    columns = {f["name"]: f["columns"] for f in document["figures"]}
    for figures in document["members"].values():
        for name, rows in figures.items():
            figures[name] = [dict(zip(columns[name], row)) for row in rows]
    return document


MEDIANS = {"median", "peer_median", "median_multiplier", "peer_median_multiplier"}


def exact(value) -> str:
    """A median in full: a middle of two multipliers can have three decimals (1.875), which
    fa_number's two would round."""
    return fa_number(value) if isinstance(value, int) else fa_digits(f"{value:.6f}".rstrip("0").rstrip(".")).replace(".", "٫")


def cell(column: str, value, roles: dict) -> str:
    if value is None:
        return "—"
    if column in MEDIANS:
        return exact(value)
    if column == "small_sample":
        return "بله" if value else ""
    if column == "jalali_year":
        return fa_digits(value)
    if column in ("share", "all_share"):
        return fa_number(round(value * 100, 1)) + "٪"
    if column == "fellow_role":
        return roles.get(value, value)
    if isinstance(value, (int, float)):
        return fa_number(value)
    return fa_digits(value)


def _opacity() -> dict:
    return {"condition": {"test": "datum.small_sample", "value": SMALL_OPACITY}, "value": 1}


def decisions_chart(rows: list[dict]) -> dict:
    """Per type (its name above, where a phone has room for it), two stacked bars of shares:
    the member's and all rulings'."""
    values = []
    types = [t for t in VIOLATION_TYPES if any(r["violation_type"] == t for r in rows)]
    for r in rows:
        values.append({"violation_type": r["violation_type"], "who": ME, "decision": r["decision"],
                       "share": r["share"] or 0, "small_sample": r["small_sample"]})
        values.append({"violation_type": r["violation_type"], "who": ALL, "decision": r["decision"],
                       "share": r["all_share"] or 0, "small_sample": False})
    bars = charts.bars(values, "who", "share", colour="decision", colour_order=list(DECISIONS), category_order=[ME, ALL],
                       amount_title="سهم از تخلف‌های هر نوع", amount_format=".0%", colour_title="تصمیم", width=240)
    data, encoding = bars.pop("data"), bars["encoding"]
    encoding["opacity"] = _opacity()
    encoding["x"]["scale"]["domain"] = [0, 1]
    bars["height"] = {"step": 18}
    header = {"title": None, "labelOrient": "top", "labelAnchor": "end", "labelAlign": "right", "labelAngle": 0,
              "labelFont": charts.FONT, "labelFontSize": 13, "labelPadding": 2}
    return {"data": data, "facet": {"row": {"field": "violation_type", "type": "nominal", "sort": types,
                                            "header": header}},
            # A little room right of the labels: at 360 px they touched the page's edge.
            "padding": {"left": 5, "top": 5, "bottom": 5, "right": 10},
            "spec": bars, "spacing": 14}  # a gap above each type's name: it heads the pair below it


def multipliers_chart(rows: list[dict], all_types: str) -> dict:
    """A dot for the member's median and one for the peers', per type."""
    values = []
    for r in rows:
        values.append({"type": r["violation_type"], "who": ME, "median": r["median"], "small_sample": r["small_sample"]})
        if r["peer_median"] is not None:
            values.append({"type": r["violation_type"], "who": PEERS, "median": r["peer_median"], "small_sample": False})
    order = [r["violation_type"] for r in rows]
    return {"data": {"values": values}, "mark": {"type": "point", "filled": True, "size": 90},
            "width": 200, "height": {"step": 14},  # a step per dot: two in each type's row
            "encoding": {
                # Side by side within a type's row: equal medians would otherwise hide one another.
                "yOffset": {"field": "who", "type": "nominal", "sort": [ME, PEERS]},
                "y": {"field": "type", "type": "nominal", "sort": order, "axis": charts.category_axis(None)},
                "x": {"field": "median", "type": "quantitative", "scale": {"reverse": True, "domain": [0, 4]},
                      "axis": charts.number_axis("میانه‌ی ضریب", ",.1~f", tickCount=8),
                      # Each dot says its median in full (a screen reader, a test): three decimals.
                      "format": ",.3~f"},
                "color": {"field": "who", "type": "nominal", "sort": [ME, PEERS],
                          "scale": {"domain": [ME, PEERS], "range": [charts.PALETTE[0], charts.PALETTE[1]]},
                          "legend": {"title": None}},
                "shape": {"field": "who", "type": "nominal", "sort": [ME, PEERS],
                          "scale": {"domain": [ME, PEERS], "range": ["circle", "diamond"]}, "legend": {"title": None}},
                "opacity": _opacity()}}


def appeals_chart(rows: list[dict]) -> dict:
    values = [{**r} for r in rows]
    spec = charts.bars(values, "appeal_result", "appeals", category_order=list(APPEAL_RESULTS),
                       amount_title="شمار آرای تجدیدنظر")
    spec["encoding"]["opacity"] = _opacity()
    return spec


def fellows_chart(rows: list[dict], roles: dict) -> dict:
    values = [{**r, "label": f"{r['fellow']} ({roles[r['fellow_role']]})"} for r in rows]
    spec = charts.bars(values, "label", "rulings", category_order=[v["label"] for v in values],
                       amount_title="شمار آرای مشترک")
    spec["encoding"]["opacity"] = _opacity()
    return spec


def years_chart(rows: list[dict]) -> dict:
    values = [{"year": fa_digits(r["jalali_year"]), "rulings": r["rulings"]} for r in rows]
    return charts.bars(values, "year", "rulings", category_order=[v["year"] for v in values], amount_title="شمار آرا")


class Comparison:
    """One member's figures for member.html; the charts are drawn when first asked for."""

    def __init__(self, rows: dict[str, list[dict]], document: dict, roles: dict, charts_cache):
        self.rows, self.document, self.roles = rows, document, roles
        self.charts = charts_cache  # chart_cache.ChartCache: a chart drawn once, read back after
        self._sections = None

    def render_key(self) -> str:
        return digest(self.rows, self.document["min_rows"], self.document["all_types"], self.roles)

    @property
    def summary(self) -> dict:
        return (self.rows.get("summary") or [{}])[0]

    @property
    def sections(self) -> list[dict]:
        if self._sections is None:
            self._sections = self._make(self.charts.svg)
        return self._sections

    def chart_keys(self) -> set[str]:
        """The cache keys of this member's charts, without drawing them (the cache keeps these)."""
        keys: set[str] = set()
        self._make(lambda spec, title: keys.add(self.charts.key(spec, title)) or "")
        return keys

    def _section(self, draw, key, name, title, caption, rows, spec):
        figure = next(f for f in self.document["figures"] if f["name"] == name)
        columns = SHOWN[name]
        return {
            "id": key, "name": name, "title": title, "caption": caption, "counts_fa": figure["counts_fa"],
            "csv": figure["csv"], "rows": rows,
            "svg": draw(spec, title) if rows else "",
            "headers": [(c, HEADERS_FA[c]) for c in columns],
            # (column, text, value, link or None): a fellow's name links to their page.
            "table": [[(c, cell(c, row[c], self.roles), row[c],
                        URLS.member(row["fellow_role"], row["fellow_slug"]) if c == "fellow" else None)
                       for c in columns] for row in rows],
            "small": any(row.get("small_sample") for row in rows),
            # The years repeat the summary's year table above the comparison: folded.
            "folded": len(rows) > FOLD_ABOVE or name == "years",
        }

    def _make(self, draw) -> list[dict]:
        rows = self.rows
        made = []
        for stage in STAGES:
            mine = [r for r in rows["decisions"] if r["stage"] == stage]
            if mine:
                made.append(self._section(
                    draw, f"compare-decisions-{STAGES.index(stage) + 1}", "decisions", f"تصمیم‌ها در آرای {stage}",
                    f"برای هر نوع تخلف، سهم هر تصمیم در تخلف‌های آرای {stage} این عضو («{ME}») و در همه‌ی "
                    f"آرای {stage} منتشرشده در سال‌های عضو («{ALL}»)", mine, decisions_chart(mine)))
        if rows["multipliers"]:
            made.append(self._section(
                draw, "compare-multipliers", "multipliers", "میانه‌ی ضریب، کنار همکاران",
                f"دایره: میانه‌ی ضریب تخلف‌های آرای این عضو؛ لوزی: میانه‌ی ضریب همکاران (همان نقش، همان سال‌ها)؛ "
                f"ردیف «{self.document['all_types']}» همه‌ی تخلف‌ها با هم", rows["multipliers"],
                multipliers_chart(rows["multipliers"], self.document["all_types"])))
        if rows["appeals"]:
            first = rows["appeals"][0]
            made.append(self._section(
                draw, "compare-appeals", "appeals", "تجدیدنظر در آرای بدوی",
                f"از {fa_number(first['first_instance_rulings'])} رأی بدوی این عضو، "
                f"{fa_number(first['appealed_rulings'])} رأی تجدیدنظرشده است؛ نمودار: نتیجه‌ی آرای تجدیدنظر",
                rows["appeals"], appeals_chart(rows["appeals"])))
        if rows["fellows"]:
            made.append(self._section(
                draw, "compare-fellows", "fellows", "هم‌نشینان",
                f"اعضای دیگری که بیشترین رأی را با این عضو داده‌اند ({fa_number(self.document['top_fellows'])} نفر نخست)",
                rows["fellows"], fellows_chart(rows["fellows"], self.roles)))
        made.append(self._section(draw, "compare-years", "years", "آرا به تفکیک سال", "شمار آرای این عضو در هر سال خورشیدی",
                                  rows["years"], years_chart(rows["years"])))
        return made


def comparisons(document: dict | None, roles: dict, charts_cache) -> dict[tuple[str, str], Comparison]:
    """(role, slug) -> the member's Comparison; empty while none was published."""
    if not document:
        return {}
    return {tuple(key.split("/", 1)): Comparison(rows, document, roles, charts_cache)
            for key, rows in document["members"].items()}


def index_rows(document: dict | None) -> dict[str, dict]:
    """«role/slug» -> the member's summary row, for the members' index (a string key: the
    page's render key is JSON)."""
    if not document:
        return {}
    return {key: {**rows["summary"][0], "shown": {c: exact(rows["summary"][0][c]) for c in MEDIANS
                                                  if rows["summary"][0].get(c) is not None}}
            for key, rows in document["members"].items() if rows["summary"]}
