"""The statistics page (``URLS.stats()``): each figure of ``pipeline/stats.py`` as a chart
(inline SVG drawn at build time by ``pipeline/charts.py``), a caption, the table of its
numbers and a link to its CSV.

It reads the figures back from the published ``data/stats.json`` (as ``data_pages.py`` reads
``datapackage.json``): the page shows exactly what the downloads hold.
"""
from __future__ import annotations

import json
from pathlib import Path

from pelican.generators import Generator

from pipeline import charts, stats
from pipeline.display import fa_digits, fa_number
from pipeline.schema import (APPEAL_RESULTS, COLLECTED, DECISIONS, DEMOLITION, EXECUTION_STATUSES, LAND_USES,
                             OCCUPANCIES, OCCUPIED_ILLEGALLY, VACANT, VIOLATION_TYPES)
from pipeline.stats import UNKNOWN_FA
from pipeline.urls import URLS

from pipeline.slugs import ENUM_SLUGS

from .chart_cache import cache_for

HEADERS_FA = {
    "jalali_year": "سال", "district": "منطقه", "rulings": "شمار آرا", "violation_type": "نوع تخلف",
    "decision": "تصمیم", "violations": "شمار تخلف‌ها", "share": "سهم", "base_rows": "شمار پایه",
    "appeal_result": "نتیجه‌ی تجدیدنظر", "appeals": "آرای تجدیدنظر", "commission": "کمیسیون بدوی",
    "multiplier": "ضریب", "median": "میانه", "q1": "چارک اول", "q3": "چارک سوم",
    "execution_status": "وضعیت اجرا", "small_sample": "نمونه‌ی کوچک",
    "land_use": "کاربری", "occupancy": "وضعیت بهره‌برداری", "properties": "شمار املاک",
    "land_area_m2": "مساحت عرصه (مترمربع)", "annual_rent_rial": "اجاره‌ی سالانه",
    "appraisal_rial": "ارزش کارشناسی", "rent_to_appraisal": "اجاره‌ی سالانه ÷ ارزش کارشناسی",
}
# Rial sums of the registry shown in billions (میلیارد ریال), so a figure fits a phone's column.
BILLIONS = {"annual_rent_rial", "appraisal_rial"}
# Columns shown in Rial per m²: in millions, so a figure fits a phone's column.
MILLIONS = ("q1", "median", "q3")  # a tuple: in a set their order (and the chart's key) followed the hash seed
# A table longer than this is folded (<details>): the chart above it already shows its shape.
FOLD_ABOVE = 12
SMALL_OPACITY = 0.4
# How to read a chart whose marks are not plain bars (its caption).
HOW_TO_READ = {
    "rulings_by_year_district": "هر خانه: شمار آرای یک سال در یک منطقه؛ رنگ تیره‌تر، آرای بیشتر",
    "multipliers_by_type": "هر دایره: شمار تخلف‌های آن نوع با آن ضریب (دایره‌ی بزرگ‌تر، تخلف بیشتر)؛ خط نارنجی: میانه‌ی ضریب آن نوع",
    "fine_per_m2_by_district": "خط: از چارک اول تا چارک سوم (نیمی از تخلف‌های منطقه)؛ نقطه: میانه",
    "properties_by_use": "هر میله: جمع مساحت عرصه‌ی املاک آن کاربری، به هکتار (ده هزار مترمربع)؛ شمار املاک در جدول",
    "rent_against_appraisal": "هر میله: جمع اجاره‌ی سالانه‌ی املاک منطقه بخش بر جمع ارزش کارشناسی همان املاک؛ ارقام ریالی جدول به میلیارد ریال",
}


def cell(column: str, value, figure: str) -> str:
    """A table cell's text: Persian digits, shares as percentages."""
    if column == "small_sample":
        return "بله" if value else ""
    if column in ("jalali_year", "district"):
        return fa_digits(value)  # a name, not an amount: no thousands separator (۱۴۰۲)
    if column == "share" or (figure == "rent_against_appraisal" and column in ("rent_to_appraisal", "median")):
        return fa_number(round(value * 100, 2 if figure == "rent_against_appraisal" else 1)) + "٪"
    if column in BILLIONS:
        return fa_number(round(value / 1_000_000_000, 2))
    if column == "land_area_m2":
        return fa_number(round(value))
    if figure == "fine_per_m2_by_district" and column in MILLIONS:
        return fa_number(round(value / 1_000_000, 2))
    if isinstance(value, (int, float)):
        return fa_number(value)
    return fa_digits(value)


def _opacity(small_field="small_sample") -> dict:
    return {"condition": {"test": f"datum.{small_field}", "value": SMALL_OPACITY}, "value": 1}


def _year(row) -> str:
    return fa_digits(row["jalali_year"])


def chart(figure: dict) -> dict:
    """The Vega-Lite spec of one figure, from the rows its table shows."""
    name, rows = figure["name"], figure["rows"]
    if name == "rulings_by_year_district":
        values = [{**r, "year": _year(r), "district_fa": fa_digits(r["district"])} for r in rows]
        years = sorted({r["jalali_year"] for r in rows})
        districts = sorted({r["district"] for r in rows})
        encoding = {
            "x": {"field": "district_fa", "type": "ordinal", "sort": [fa_digits(d) for d in reversed(districts)],
                  "axis": {"title": "منطقه", "orient": "top", "labelAngle": 0}},
            "y": {"field": "year", "type": "ordinal", "sort": [fa_digits(y) for y in years],
                  "axis": charts.category_axis("سال")},
        }
        return {"data": {"values": values}, "encoding": encoding, "width": {"step": 30}, "height": {"step": 26},
                "layer": [{"mark": "rect", "encoding": {"color": {"field": "rulings", "type": "quantitative",
                                                                   "scale": {"scheme": "blues"}, "legend": None}}},
                          {"mark": {"type": "text", "fontSize": 11},
                           "encoding": {"text": {"field": "rulings", "type": "quantitative", "format": ",d"},
                                        "color": {"condition": {"test": f"datum.rulings > {_midpoint(rows)}",
                                                                "value": "white"}, "value": "#111"}}}]}
    if name == "decisions_by_type":
        spec = charts.bars(rows, "violation_type", "share", colour="decision", colour_order=list(DECISIONS),
                           category_order=[t for t in VIOLATION_TYPES if any(r["violation_type"] == t for r in rows)],
                           amount_title="سهم از تخلف‌های هر نوع", amount_format=".0%", colour_title="تصمیم")
        spec["encoding"]["opacity"] = _opacity()
        spec["encoding"]["x"]["scale"]["domain"] = [0, 1]  # shares: the whole is the whole bar
        return spec
    if name in ("appeals_by_year", "appeals_by_commission"):
        category = "year" if name == "appeals_by_year" else "commission"
        values = [{**r, "year": _year(r)} if category == "year" else {**r, "commission": fa_digits(r["commission"])}
                  for r in rows]
        order = list(dict.fromkeys(v[category] for v in values))
        spec = charts.bars(values, category, "appeals", colour="appeal_result", colour_order=list(APPEAL_RESULTS),
                           category_order=order, amount_title="شمار آرای تجدیدنظر", colour_title="نتیجه")
        spec["encoding"]["opacity"] = _opacity()
        return spec
    if name == "multipliers_by_type":
        order = [t for t in VIOLATION_TYPES if any(r["violation_type"] == t for r in rows)]
        y = {"field": "violation_type", "type": "nominal", "sort": order, "axis": charts.category_axis(None)}
        x_scale = {"reverse": True, "domain": [0, 4]}
        medians = list({r["violation_type"]: {"violation_type": r["violation_type"], "median": r["median"],
                                               "small_sample": r["small_sample"]} for r in rows}.values())
        return {"width": 260, "height": {"step": 24}, "layer": [
            {"data": {"values": rows}, "mark": {"type": "circle", "color": charts.PALETTE[0]},
             "encoding": {"y": y, "x": {"field": "multiplier", "type": "quantitative", "scale": x_scale,
                                        "axis": charts.number_axis("ضریب", ",.1~f", tickCount=8)},
                          "size": {"field": "violations", "type": "quantitative",
                                   # A value held by one violation still shows a dot.
                                   "scale": {"zero": False, "range": [16, 500]},
                                   "legend": {"title": "شمار تخلف‌ها", "format": ",d"}},
                          "opacity": _opacity()}},
            {"data": {"values": medians}, "mark": {"type": "tick", "color": charts.PALETTE[5], "thickness": 2},
             "encoding": {"y": y, "x": {"field": "median", "type": "quantitative", "scale": x_scale}}},
        ]}
    if name == "fine_per_m2_by_district":
        values = [{**r, "district_fa": f"منطقه {fa_digits(r['district'])}",
                   **{f"{k}_m": r[k] / 1_000_000 for k in MILLIONS}} for r in rows]
        y = {"field": "district_fa", "type": "nominal", "sort": [v["district_fa"] for v in values],
             "axis": charts.category_axis(None)}
        x = {"type": "quantitative", "scale": {"reverse": True, "zero": True},
             "axis": charts.number_axis("میلیون ریال برای هر مترمربع", ",.0f", tickCount=5)}
        return {"data": {"values": values}, "width": 260, "height": {"step": 24}, "encoding": {"y": y},
                "layer": [
                    {"mark": {"type": "rule", "strokeWidth": 3, "color": charts.PALETTE[2]},
                     "encoding": {"x": {**x, "field": "q1_m"}, "x2": {"field": "q3_m"}, "opacity": _opacity()}},
                    {"mark": {"type": "point", "filled": True, "size": 60, "color": charts.PALETTE[0]},
                     "encoding": {"x": {**x, "field": "median_m"}, "opacity": _opacity()}}]}
    if name == "execution_status":
        return charts.bars(rows, "execution_status", "rulings",
                           category_order=[*EXECUTION_STATUSES, UNKNOWN_FA], amount_title="شمار آرا")
    if name == "properties_by_use":
        values = [{**r, "hectares": r["land_area_m2"] / 10_000} for r in rows]
        return charts.bars(values, "land_use", "hectares", category_order=[u for u in LAND_USES
                                                                            if any(r["land_use"] == u for r in rows)],
                           amount_title="مساحت عرصه (هکتار)", amount_format=",.1~f")
    if name == "properties_by_occupancy":
        spec = charts.bars(rows, "occupancy", "properties", category_order=list(OCCUPANCIES), amount_title="شمار املاک")
        spec["encoding"]["opacity"] = _opacity()
        return spec
    if name == "properties_by_district":
        values = [{**r, "district_fa": f"منطقه {fa_digits(r['district'])}"} for r in rows]
        return charts.bars(values, "district_fa", "properties", colour="occupancy", colour_order=list(OCCUPANCIES),
                           category_order=list(dict.fromkeys(v["district_fa"] for v in values)),
                           amount_title="شمار املاک", colour_title="وضعیت بهره‌برداری")
    if name == "rent_against_appraisal":
        values = [{**r, "district_fa": f"منطقه {fa_digits(r['district'])}"} for r in rows]
        spec = charts.bars(values, "district_fa", "rent_to_appraisal",
                           category_order=[v["district_fa"] for v in values],
                           amount_title="اجاره‌ی سالانه ÷ ارزش کارشناسی", amount_format=".1%")
        spec["encoding"]["opacity"] = _opacity()
        return spec
    raise KeyError(name)


def _midpoint(rows) -> float:
    counts = [r["rulings"] for r in rows]
    return (max(counts) + min(counts)) / 2 if counts else 0


def page_figures(document: dict | None, draw) -> list[dict]:
    """Each figure with its chart (SVG text, from ``draw``: the chart cache's), table and CSV
    link, for the template."""
    if not document:
        return []
    result = []
    for figure in document["figures"]:
        columns = figure["columns"]
        result.append({
            **figure,
            "svg": draw(chart(figure), figure["title_fa"]) if figure["rows"] else "",
            "headers": [(c, HEADERS_FA[c] + (" (میلیون ریال)" if c in MILLIONS and
                                              figure["name"] == "fine_per_m2_by_district" else "")
                         + (" (میلیارد ریال)" if c in BILLIONS else "")
                         + (" نسبت هر ملک" if c == "median" and figure["name"] == "rent_against_appraisal" else ""))
                        for c in columns],
            "table": [[(c, cell(c, row[c], figure["name"]), row[c]) for c in columns] for row in figure["rows"]],
            "small": any(row.get("small_sample") for row in figure["rows"]),
            "how_to_read": HOW_TO_READ.get(figure["name"]),
            "folded": len(figure["rows"]) > FOLD_ABOVE,
        })
    return result


def _anchor(page: str, fragment: str) -> str:
    return f"{page}#{fragment}"


def home_figures(document: dict | None) -> list[dict]:
    """The home page's headline figures: each its value (``kind`` says how to show it), a label,
    a note and the page that explains it (URLS only). Empty while no statistics were published."""
    head = (document or {}).get("headline")
    if not head:
        return []
    method = _anchor(URLS.static_page("methodology"), "headline")
    violations, appeals, properties = head["violations"], head["appeals"], head["properties"]

    def share(part, whole):
        return round(part * 100 / whole, 1) if whole else None

    return [
        {"key": "rulings", "value": head["rulings"], "kind": "count", "label": "رأی منتشرشده",
         "note": "بدوی و تجدیدنظر", "href": URLS.rulings()},
        {"key": "demolition", "value": share(head["demolition_violations"], violations), "kind": "share",
         "label": f"از تخلف‌ها با رأی «{DEMOLITION}»",
         "note": f"{fa_number(head['demolition_violations'])} از {fa_number(violations)} تخلف",
         "href": _anchor(URLS.stats(), "decisions_by_type")},
        {"key": "fines_imposed", "value": head["fines_imposed_rial"], "kind": "rial", "label": "جریمه‌ی تعیین‌شده",
         "note": "جمع مبلغ کل جریمه‌ی آرا", "href": method},
        {"key": "fines_collected", "value": head["fines_collected_rial"], "kind": "rial",
         "label": "جریمه‌ی وصول‌شده", "note": f"آرای با وضعیت اجرای «{COLLECTED}»",
         "href": _anchor(URLS.stats(), "execution_status")},
        {"key": "appeals", "value": appeals, "kind": "count", "label": "رأی تجدیدنظر",
         "note": "، ".join(f"{fa_number(head[f'appeals_{k}'])} {fa}" for k, fa in
                          (("confirmed", "تأیید"), ("overturned", "نقض"), ("modified", "اصلاح"))),
         "href": _anchor(URLS.stats(), "appeals_by_year")},
        {"key": "properties", "value": properties, "kind": "count", "label": "ملک شهرداری",
         "note": "فهرست املاک", "href": URLS.properties()},
        {"key": "properties_vacant", "value": head["properties_vacant"], "kind": "count",
         "label": f"ملک «{VACANT}»", "note": "وضعیت بهره‌برداری",
         "href": URLS.property_facet("occupancy", ENUM_SLUGS["occupancy"][VACANT])},
        {"key": "properties_occupied_illegally", "value": head["properties_occupied_illegally"], "kind": "count",
         "label": f"ملک «{OCCUPIED_ILLEGALLY}»", "note": "وضعیت بهره‌برداری",
         "href": URLS.property_facet("occupancy", ENUM_SLUGS["occupancy"][OCCUPIED_ILLEGALLY])},
    ]


def home_chart(document: dict | None, draw) -> str:
    """Rulings by year (the sum over districts of the statistics page's first figure), small."""
    figure = next((f for f in (document or {}).get("figures", []) if f["name"] == "rulings_by_year_district"), None)
    if not figure or not figure["rows"]:
        return ""
    by_year: dict[int, int] = {}
    for row in figure["rows"]:
        by_year[row["jalali_year"]] = by_year.get(row["jalali_year"], 0) + row["rulings"]
    values = [{"year": fa_digits(y), "rulings": n} for y, n in sorted(by_year.items())]
    spec = charts.bars(values, "year", "rulings", category_order=[v["year"] for v in values],
                       amount_title="شمار آرا", width=220)
    return draw(spec, "شمار آرا به تفکیک سال")


class StatsPageGenerator(Generator):
    def generate_context(self):
        path = Path(self.output_path) / URLS.stats_file("stats", "json")
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            document = None
        self.min_rows = (document or {}).get("min_rows")
        draw = cache_for(self.settings, self.output_path).svg  # drawn once, read back while the figures stay the same
        self.figures = page_figures(document, draw)
        # The home page (listings.py writes it) leads with these.
        self.context["HOME_FIGURES"] = home_figures(document)
        self.context["HOME_CHART"] = home_chart(document, draw)

    def generate_output(self, writer):
        url = URLS.stats()
        writer.write_file(URLS.save_as(url), self.get_template("stats"), self.context, url=url,
                          figures=self.figures, min_rows=self.min_rows,
                          relative_urls=self.settings["RELATIVE_URLS"])
