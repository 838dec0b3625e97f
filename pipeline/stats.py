"""The statistics stage: figures about the published rulings, violations and properties.

It reads only what the datasets stage publishes (the rows of ``rulings.csv``,
``violations.csv`` and ``properties.csv``, as dicts), never a private field or a rejected row,
so every figure can be recomputed by anyone from the public CSVs. Each figure is a small tidy
table, written as ``data/stats-<name>.csv`` (formula-neutralised by ``datasets.excel_csv``,
its own resource in ``datapackage.json``) and, all together, as ``data/stats.json``, which the
plugin (``plugins/shafaf/stats_page.py``) reads back to draw the statistics page.

A share, median or quartile computed from fewer than ``MIN_ROWS`` rows is published with
``small_sample`` true: it is exact for these rows, but too few to say much.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pandas as pd

from . import datasets
from .display import jalali_year
from .schema import (APPEAL_RESULTS, COLLECTED, DECISIONS, DEMOLITION, EXECUTION_STATUSES, LAND_USES, OCCUPANCIES,
                     OCCUPIED_ILLEGALLY, PROPERTIES, RULINGS, VACANT, VIOLATION_TYPES)
from .urls import URLS

# Below this many rows a share, median or quartile is marked ``small_sample`` (README:
# *Statistics*). 20: a share of one row in twenty is 5 %, the finest step a reader should read.
MIN_ROWS = 20

UNKNOWN_FA = "نامشخص"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a Frictionless type
    title: str
    description: str
    enum: tuple = ()


def _col(name, type_, title, description, enum=()) -> Column:
    return Column(name, type_, title, description, tuple(enum))


YEAR = _col("jalali_year", "integer", "Jalali year", "سال خورشیدی رأی")
DISTRICT = _col("district", "integer", "District", "منطقه‌ی شهرداری")
TYPE = _col("violation_type", "string", "Violation type", "نوع تخلف", VIOLATION_TYPES)
BASE = _col("base_rows", "integer", "Rows the figure rests on",
            "شمار ردیف‌هایی که این رقم بر آن‌ها استوار است")
SMALL = _col("small_sample", "boolean", "Small sample",
             f"کمتر از {MIN_ROWS} ردیف: رقم دقیق است ولی بر ردیف‌های اندک (fewer than {MIN_ROWS} rows)")
RESULT = _col("appeal_result", "string", "Appeal result", "نتیجه‌ی تجدیدنظر", APPEAL_RESULTS)
SHARE = _col("share", "number", "Share", "سهم از base_rows (۰ تا ۱)")


@dataclass(frozen=True)
class Figure:
    name: str
    title_fa: str
    title_en: str
    counts_fa: str  # what it counts, exactly (the methodology paragraph and the resource)
    columns: tuple[Column, ...]


FIGURES = (
    Figure("rulings_by_year_district", "آرا به تفکیک سال و منطقه", "Rulings by Jalali year and district",
           "شمار آرای منتشرشده (بدوی و تجدیدنظر) در هر سال خورشیدیِ تاریخ رأی و هر منطقه؛ "
           "ترکیبی که رأیی ندارد نوشته نمی‌شود.",
           (YEAR, DISTRICT, _col("rulings", "integer", "Rulings", "شمار آرا"))),
    Figure("decisions_by_type", "تصمیم‌ها به تفکیک نوع تخلف", "Decisions by violation type",
           "شمار تخلف‌های منتشرشده (هر ردیف violations.csv یک تخلف است) با هر تصمیم، در هر نوع تخلف؛ "
           "سهم، شمار آن تصمیم است بخش بر همه‌ی تخلف‌های همان نوع.",
           (TYPE, _col("decision", "string", "Decision", "تصمیم کمیسیون", DECISIONS),
            _col("violations", "integer", "Violations", "شمار تخلف‌ها"), SHARE, BASE, SMALL)),
    Figure("appeals_by_year", "نتیجه‌ی تجدیدنظرها به تفکیک سال", "Appeal outcomes by year",
           "شمار آرای تجدیدنظر منتشرشده با هر نتیجه (تأیید، نقض، اصلاح) در هر سال خورشیدیِ تاریخ رأی تجدیدنظر؛ "
           "سهم، بخش بر همه‌ی آرای تجدیدنظر همان سال.",
           (YEAR, RESULT, _col("appeals", "integer", "Appeal rulings", "شمار آرای تجدیدنظر"), SHARE, BASE, SMALL)),
    Figure("appeals_by_commission", "نتیجه‌ی تجدیدنظرها به تفکیک کمیسیون بدوی",
           "Appeal outcomes by first-instance commission",
           "شمار آرای تجدیدنظر منتشرشده با هر نتیجه، به تفکیک کمیسیونِ رأی بدویِ بازبینی‌شده "
           f"(ستون «{RULINGS.field('commission').header}» آن رأی)؛ اگر آن رأی منتشر نشده یا کمیسیونش خالی است: «{UNKNOWN_FA}».",
           (_col("commission", "string", "First-instance commission", "کمیسیون بدوی"),
            RESULT, _col("appeals", "integer", "Appeal rulings", "شمار آرای تجدیدنظر"), SHARE, BASE, SMALL)),
    Figure("multipliers_by_type", "ضریب‌ها به تفکیک نوع تخلف", "Multipliers by violation type",
           "شمار تخلف‌های منتشرشده با هر مقدار ضریب، در هر نوع تخلف؛ فقط تخلف‌هایی که ضریب دارند. "
           "میانه، میانه‌ی ضریب همه‌ی تخلف‌های آن نوع که ضریب دارند.",
           (TYPE, _col("multiplier", "number", "Multiplier", "ضریب"),
            _col("violations", "integer", "Violations", "شمار تخلف‌ها"),
            _col("median", "number", "Median multiplier of the type", "میانه‌ی ضریب آن نوع تخلف"), BASE, SMALL)),
    Figure("fine_per_m2_by_district", "جریمه برای هر مترمربع به تفکیک منطقه", "Fine per m² by district",
           "برای هر تخلف منتشرشده که هم مساحت (بیشتر از صفر) و هم جریمه (بیشتر از صفر) دارد، جریمه بخش بر مساحت "
           "(ریال برای هر مترمربع)؛ چارک اول، میانه و چارک سوم آن‌ها در منطقه‌ی رأی (با درون‌یابی خطی). تخلف بی‌مساحت یا بی‌جریمه (مثلاً قلع بنا) شمرده نمی‌شود.",
           (DISTRICT, BASE, _col("q1", "number", "First quartile (IRR/m²)", "چارک اول"),
            _col("median", "number", "Median (IRR/m²)", "میانه"),
            _col("q3", "number", "Third quartile (IRR/m²)", "چارک سوم"), SMALL)),
    Figure("execution_status", "وضعیت اجرای آرا", "Execution status of rulings",
           f"شمار آرای منتشرشده با هر وضعیت اجرا؛ رأیی که وضعیت اجرایش خالی است: «{UNKNOWN_FA}».",
           (_col("execution_status", "string", "Execution status", "وضعیت اجرا", (*EXECUTION_STATUSES, UNKNOWN_FA)),
            _col("rulings", "integer", "Rulings", "شمار آرا"), SHARE, BASE, SMALL)),
)

# The property registry's figures (issue 15), from the rows of properties.csv.
PROPERTY_COUNT = _col("properties", "integer", "Properties", "شمار املاک")
LAND_AREA = _col("land_area_m2", "number", "Land area (m²)", "جمع مساحت عرصه (مترمربع)")
LAND_USE = _col("land_use", "string", "Land use", "کاربری", LAND_USES)
OCCUPANCY = _col("occupancy", "string", "Occupancy", "وضعیت بهره‌برداری", OCCUPANCIES)
FIGURES += (
    Figure("properties_by_use", "املاک به تفکیک کاربری", "Properties by land use",
           "شمار املاک منتشرشده و جمع مساحت عرصه‌ی آن‌ها در هر کاربری؛ "
           "کاربری‌ای که ملکی ندارد نوشته نمی‌شود. نمودار: جمع مساحت عرصه.",
           (LAND_USE, PROPERTY_COUNT, LAND_AREA)),
    Figure("properties_by_occupancy", "املاک به تفکیک وضعیت بهره‌برداری", "Properties by occupancy",
           "شمار املاک منتشرشده و جمع مساحت عرصه‌ی آن‌ها در هر وضعیت بهره‌برداری؛ سهم، شمار آن وضعیت "
           "بخش بر همه‌ی املاک منتشرشده. نمودار: شمار املاک.",
           (OCCUPANCY, PROPERTY_COUNT, LAND_AREA, SHARE, BASE, SMALL)),
    Figure("properties_by_district", "املاک به تفکیک منطقه و وضعیت بهره‌برداری",
           "Properties by district and occupancy",
           "شمار املاک منتشرشده و جمع مساحت عرصه‌ی آن‌ها در هر منطقه، به تفکیک وضعیت بهره‌برداری؛ "
           "ترکیبی که ملکی ندارد نوشته نمی‌شود. نمودار: شمار املاک.",
           (DISTRICT, OCCUPANCY, PROPERTY_COUNT, LAND_AREA)),
    Figure("rent_against_appraisal", "اجاره‌ی سالانه در برابر ارزش کارشناسی به تفکیک منطقه",
           "Annual rent against appraised value by district",
           "فقط املاکی که هم اجاره‌ی ماهانه (صفر هم) و هم ارزش کارشناسی بیشتر از صفر دارند، در هر منطقه: "
           "جمع اجاره‌ی سالانه (۱۲ برابر اجاره‌ی ماهانه)، جمع ارزش کارشناسی همان املاک، نسبت این دو جمع، "
           f"و میانه‌ی نسبت هر ملک (ستون «{PROPERTIES.field('rent_to_appraisal').header}» در properties.csv). "
           "نمودار: نسبت دو جمع.",
           (DISTRICT, BASE,
            _col("annual_rent_rial", "integer", "Annual rent (IRR)", "جمع اجاره‌ی سالانه (ریال)"),
            _col("appraisal_rial", "integer", "Appraised value (IRR)", "جمع ارزش کارشناسی (ریال)"),
            _col("rent_to_appraisal", "number", "Annual rent / appraised value",
                 "جمع اجاره‌ی سالانه بخش بر جمع ارزش کارشناسی"),
            _col("median", "number", "Median of each property's ratio", "میانه‌ی نسبت اجاره‌ی سالانه به ارزش کارشناسی هر ملک"),
            SMALL)),
)
FIGURES_BY_NAME = {f.name: f for f in FIGURES}

# The home page's figures ("collected": schema.COLLECTED says why only «وصول شده»).
HEADLINE_MEASURES = (
    ("rulings", "آرای منتشرشده (بدوی و تجدیدنظر)"),
    ("violations", "تخلف‌های منتشرشده"),
    ("demolition_violations", f"تخلف‌هایی که تصمیمشان «{DEMOLITION}» است"),
    ("fines_imposed_rial", "جمع مبلغ کل جریمه‌ی آرای منتشرشده (ریال)"),
    ("fines_collected_rial", f"جمع مبلغ کل جریمه‌ی آرایی که وضعیت اجرایشان «{COLLECTED}» است (ریال)"),
    ("appeals", "آرای تجدیدنظر منتشرشده که نتیجه دارند"),
    *((f"appeals_{key}", f"آرای تجدیدنظر با نتیجه‌ی «{result}»")
      for key, result in zip(("confirmed", "overturned", "modified"), APPEAL_RESULTS)),
    ("properties", "املاک منتشرشده"),
    ("properties_vacant", f"املاکی که وضعیت بهره‌برداری‌شان «{VACANT}» است"),
    ("properties_occupied_illegally", f"املاکی که وضعیت بهره‌برداری‌شان «{OCCUPIED_ILLEGALLY}» است"),
)
HEADLINE = Figure("headline", "رقم‌های اصلی", "Headline figures",
                  "رقم‌های صفحه‌ی نخست، هر یک شمار یا جمعی دقیق از جدول‌های منتشرشده: "
                  + "؛ ".join(f"{key}: {fa}" for key, fa in HEADLINE_MEASURES) + ".",
                  (_col("measure", "string", "Measure", "نام رقم", [k for k, _ in HEADLINE_MEASURES]),
                   _col("value", "integer", "Value", "مقدار (شمار، یا ریال برای *_rial)"),
                   _col("description", "string", "What it counts", "آنچه این رقم می‌شمارد")))


def _number(value):
    """A plain int or float (JSON, CSV), an integral float as int: same bytes every run."""
    value = float(value)
    return int(value) if value.is_integer() else round(value, 6)


def _small(base: int) -> bool:
    return bool(base < MIN_ROWS)


def _shares(frame: pd.DataFrame, group: list[str], count: str) -> pd.DataFrame:
    frame = frame.copy()
    frame["base_rows"] = frame.groupby(group)[count].transform("sum")
    frame["share"] = frame[count] / frame["base_rows"]
    frame["small_sample"] = frame["base_rows"] < MIN_ROWS
    return frame


def _order(values, order) -> pd.Categorical:
    return pd.Categorical(values, categories=list(order), ordered=True)


def rulings_by_year_district(rulings: pd.DataFrame) -> pd.DataFrame:
    return (rulings.groupby(["jalali_year", "district"]).size().rename("rulings").reset_index()
            .sort_values(["jalali_year", "district"]))


def decisions_by_type(violations: pd.DataFrame) -> pd.DataFrame:
    counts = violations.groupby(["violation_type", "decision"]).size().rename("violations").reset_index()
    counts = _shares(counts, ["violation_type"], "violations")
    counts["_t"], counts["_d"] = _order(counts["violation_type"], VIOLATION_TYPES), _order(counts["decision"], DECISIONS)
    return counts.sort_values(["_t", "_d"]).drop(columns=["_t", "_d"])


def _appeals(rulings: pd.DataFrame) -> pd.DataFrame:
    appeals = rulings[rulings["stage"] == "تجدیدنظر"]
    return appeals[appeals["appeal_result"].notna()]


def appeals_by_year(rulings: pd.DataFrame) -> pd.DataFrame:
    counts = _appeals(rulings).groupby(["jalali_year", "appeal_result"]).size().rename("appeals").reset_index()
    counts = _shares(counts, ["jalali_year"], "appeals")
    counts["_r"] = _order(counts["appeal_result"], APPEAL_RESULTS)
    return counts.sort_values(["jalali_year", "_r"]).drop(columns="_r")


def appeals_by_commission(rulings: pd.DataFrame) -> pd.DataFrame:
    commission_of = dict(zip(rulings["ruling_no"], rulings["commission"]))
    appeals = _appeals(rulings).copy()
    appeals["commission"] = [commission_of.get(target) or UNKNOWN_FA for target in appeals["appealed_ruling_no"]]
    counts = appeals.groupby(["commission", "appeal_result"]).size().rename("appeals").reset_index()
    counts = _shares(counts, ["commission"], "appeals")
    counts["_u"] = counts["commission"] == UNKNOWN_FA
    counts["_r"] = _order(counts["appeal_result"], APPEAL_RESULTS)
    return counts.sort_values(["_u", "commission", "_r"]).drop(columns=["_u", "_r"])


def multipliers_by_type(violations: pd.DataFrame) -> pd.DataFrame:
    rated = violations[violations["multiplier"].notna()]
    counts = rated.groupby(["violation_type", "multiplier"]).size().rename("violations").reset_index()
    summary = rated.groupby("violation_type")["multiplier"].agg(["median", "size"])
    counts["median"] = counts["violation_type"].map(summary["median"])
    counts["base_rows"] = counts["violation_type"].map(summary["size"])
    counts["small_sample"] = counts["base_rows"] < MIN_ROWS
    counts["_t"] = _order(counts["violation_type"], VIOLATION_TYPES)
    return counts.sort_values(["_t", "multiplier"]).drop(columns="_t")


def fine_per_m2_by_district(violations: pd.DataFrame) -> pd.DataFrame:
    rated = violations[(violations["area_m2"] > 0) & (violations["fine_rial"] > 0)].copy()
    rated["per_m2"] = rated["fine_rial"] / rated["area_m2"]
    grouped = rated.groupby("district")["per_m2"]
    table = pd.DataFrame({"base_rows": grouped.size(), "q1": grouped.quantile(0.25),
                          "median": grouped.median(), "q3": grouped.quantile(0.75)}).reset_index()
    table["small_sample"] = table["base_rows"] < MIN_ROWS
    return table.sort_values("district")


def execution_status(rulings: pd.DataFrame) -> pd.DataFrame:
    status = rulings["execution_status"].fillna(UNKNOWN_FA)
    counts = status.value_counts().rename("rulings").rename_axis("execution_status").reset_index()
    counts["_k"] = "k"
    counts = _shares(counts, ["_k"], "rulings")
    counts["_s"] = _order(counts["execution_status"], (*EXECUTION_STATUSES, UNKNOWN_FA))
    return counts.sort_values("_s").drop(columns=["_k", "_s"])


def _properties(rows: list[dict]) -> pd.DataFrame:
    columns = ["district", "land_use", "occupancy", "land_area_m2", "monthly_rent_rial", "appraisal_rial"]
    frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)
    for column in ("land_area_m2", "monthly_rent_rial", "appraisal_rial"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    return frame


def _count_area(properties: pd.DataFrame, group: list[str]) -> pd.DataFrame:
    grouped = properties.groupby(group, observed=True)["land_area_m2"]
    return pd.DataFrame({"properties": grouped.size(), "land_area_m2": grouped.sum()}).reset_index()


def properties_by_use(properties: pd.DataFrame) -> pd.DataFrame:
    table = _count_area(properties, ["land_use"])
    table["_u"] = _order(table["land_use"], LAND_USES)
    return table.sort_values("_u").drop(columns="_u")


def properties_by_occupancy(properties: pd.DataFrame) -> pd.DataFrame:
    table = _count_area(properties, ["occupancy"])
    table["_k"] = "k"
    table = _shares(table, ["_k"], "properties")
    table["_o"] = _order(table["occupancy"], OCCUPANCIES)
    return table.sort_values("_o").drop(columns=["_k", "_o"])


def properties_by_district(properties: pd.DataFrame) -> pd.DataFrame:
    table = _count_area(properties, ["district", "occupancy"])
    table["_o"] = _order(table["occupancy"], OCCUPANCIES)
    return table.sort_values(["district", "_o"]).drop(columns="_o")


def rent_against_appraisal(properties: pd.DataFrame) -> pd.DataFrame:
    both = properties[properties["monthly_rent_rial"].notna() & (properties["appraisal_rial"] > 0)].copy()
    both["annual"] = 12 * both["monthly_rent_rial"]
    both["ratio"] = both["annual"] / both["appraisal_rial"]
    grouped = both.groupby("district")
    table = pd.DataFrame({"base_rows": grouped.size(), "annual_rent_rial": grouped["annual"].sum(),
                          "appraisal_rial": grouped["appraisal_rial"].sum(),
                          "median": grouped["ratio"].median()}).reset_index()
    table["rent_to_appraisal"] = table["annual_rent_rial"] / table["appraisal_rial"]
    table["small_sample"] = table["base_rows"] < MIN_ROWS
    return table.sort_values("district")


def headline(rulings: pd.DataFrame, violations: pd.DataFrame, properties: list[dict]) -> pd.DataFrame:
    fines = pd.to_numeric(rulings["total_fine_rial"]).fillna(0)
    appeals = _appeals(rulings)["appeal_result"]
    occupancy = [p.get("occupancy") for p in properties]
    values = {
        "rulings": len(rulings), "violations": len(violations),
        "demolition_violations": int((violations["decision"] == DEMOLITION).sum()),
        "fines_imposed_rial": int(fines.sum()),
        "fines_collected_rial": int(fines[rulings["execution_status"] == COLLECTED].sum()),
        "appeals": len(appeals),
        **{f"appeals_{key}": int((appeals == result).sum())
           for key, result in zip(("confirmed", "overturned", "modified"), APPEAL_RESULTS)},
        "properties": len(properties),
        "properties_vacant": occupancy.count(VACANT),
        "properties_occupied_illegally": occupancy.count(OCCUPIED_ILLEGALLY),
    }
    return pd.DataFrame([{"measure": key, "value": values[key], "description": fa} for key, fa in HEADLINE_MEASURES])


def frames(rows: dict[str, list[dict]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The published rulings (with their Jalali year) and violations (with their ruling's
    district); only the columns the figures use."""
    ruling_columns = ["ruling_no", "ruling_date", "stage", "commission", "district", "appealed_ruling_no",
                      "appeal_result", "execution_status", "total_fine_rial"]
    rulings = pd.DataFrame([{c: r.get(c) for c in ruling_columns} for r in rows["rulings"]], columns=ruling_columns)
    rulings["jalali_year"] = [jalali_year(d) for d in rulings["ruling_date"]]
    violation_columns = ["ruling_no", "violation_type", "decision", "area_m2", "multiplier", "fine_rial"]
    violations = pd.DataFrame([{c: v.get(c) for c in violation_columns} for v in rows["violations"]],
                              columns=violation_columns)
    for column in ("area_m2", "multiplier", "fine_rial"):
        violations[column] = pd.to_numeric(violations[column])
    violations["district"] = violations["ruling_no"].map(dict(zip(rulings["ruling_no"], rulings["district"])))
    return rulings, violations


def _property_tables(properties: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {"properties_by_use": properties_by_use(properties),
            "properties_by_occupancy": properties_by_occupancy(properties),
            "properties_by_district": properties_by_district(properties),
            "rent_against_appraisal": rent_against_appraisal(properties)}


def tables(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Every figure as a list of rows (plain values, in the columns' order)."""
    rulings, violations = frames(rows)
    made = {
        "rulings_by_year_district": rulings_by_year_district(rulings),
        "decisions_by_type": decisions_by_type(violations),
        "appeals_by_year": appeals_by_year(rulings),
        "appeals_by_commission": appeals_by_commission(rulings),
        "multipliers_by_type": multipliers_by_type(violations),
        "fine_per_m2_by_district": fine_per_m2_by_district(violations),
        "execution_status": execution_status(rulings),
        **_property_tables(_properties(rows.get("properties", []))),
        "headline": headline(rulings, violations, rows.get("properties", [])),
    }
    result = {}
    for figure in (*FIGURES, HEADLINE):
        frame = made[figure.name]
        result[figure.name] = [{c.name: _plain(row[c.name], c) for c in figure.columns}
                               for _, row in frame.iterrows()]
    return result


def _plain(value, column: Column):
    if column.type == "boolean":
        return bool(value)
    if column.type in ("integer", "number"):
        return _number(value)
    return str(value)


def csv_path(name: str) -> str:
    """A figure's CSV inside the data folder (its public path is ``URLS.stats_file``)."""
    return URLS.stats_file(name)[len(URLS.data()):]


def resource(figure: Figure, data: bytes) -> dict:
    fields = []
    for c in figure.columns:
        field = {"name": c.name, "title": c.title, "type": c.type, "description": c.description,
                 "constraints": {"required": True}}
        if c.enum and figure.name != "appeals_by_commission":
            field["constraints"]["enum"] = list(c.enum)
        if c.type == "boolean":
            field["trueValues"], field["falseValues"] = ["True"], ["False"]
        fields.append(field)
    return {
        "name": f"stats-{figure.name.replace('_', '-')}", "path": csv_path(figure.name),
        "profile": "tabular-data-resource", "title": f"Statistics: {figure.title_en}",
        "description": f"{figure.title_fa}. {figure.counts_fa} Small sample: fewer than {MIN_ROWS} rows.",
        "format": "csv", "mediatype": "text/csv", "encoding": "utf-8-sig",
        "bytes": len(data), "hash": f"sha256:{hashlib.sha256(data).hexdigest()}",
        "schema": {"fields": fields, "missingValues": [""]},
    }


def add(rows: dict[str, list[dict]], files: dict[str, bytes], package: dict) -> None:
    """Add every figure to the datasets: its CSV and resource, and ``stats.json``."""
    made = tables(rows)
    for figure in (*FIGURES, HEADLINE):
        data = datasets.excel_csv([c.name for c in figure.columns],
                                  ([row[c.name] for c in figure.columns] for row in made[figure.name]))
        files[csv_path(figure.name)] = data
        package["resources"].append(resource(figure, data))
    document = {"min_rows": MIN_ROWS,
                "figures": [{"name": f.name, "title_fa": f.title_fa, "title_en": f.title_en,
                             "counts_fa": f.counts_fa, "csv": URLS.stats_file(f.name),
                             "columns": [c.name for c in f.columns], "rows": made[f.name]}
                            for f in FIGURES],
                # Not a chart of the statistics page: the home page's figures (README: *Statistics*).
                "headline": {r["measure"]: r["value"] for r in made["headline"]}}
    files[URLS.stats_file("stats", "json")[len(URLS.data()):]] = (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
