"""What a reader of the property registry should notice, computed from the published fields.

One stage, ``flag``: the public property rows (after ``privacy``) in, the same rows with the
computed fields of ``schema.PROPERTIES`` (``Field.computed``) added. It reads only public
columns, the rows' own comparison groups and the publication date given to it (never a
clock), so anyone can recompute every column from ``properties.csv`` and the same runs give
the same bytes. The methodology page (``#flags``) defines each one in words; ``FLAGS`` names
the yes/no ones for the pages (their notes, the listing ``properties/flag/<slug>/``).

Edges, all strict: a lease ending *on* the publication date has not ended; a rent *at* the
percentage of the median is not below it; a group of fewer than ``rent_flag_min_group`` rows
gives no median and no low-rent flag (empty, not false: it was not compared).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .schema import ASSIGNED, LET, OCCUPIED_ILLEGALLY, PROPERTIES, VACANT
from .settings import Municipality

# ``rent_to_appraisal`` is a small fraction (0.0123 = 1.23 % a year): six places, as the
# statistics round their numbers. Rials per m² are whole Rials: a Rial has no smaller unit, and
# six decimals of 65386.59081 made a ten-digit run that passes the national-ID checksum, which
# the personal-data gate rightly refused (a generated 10k publish). The flags compare the
# unrounded values.
DIGITS = 6
RIAL_DIGITS = 0
# The group a rent is compared within: the same district and land use.
GROUP = ("district", "land_use")


@dataclass(frozen=True)
class Flag:
    column: str      # the field of schema.PROPERTIES (true/false in the datasets)
    slug: str        # its listing: URLS.property_flag(slug)
    label_fa: str    # the listing's name for it
    note_fa: str     # what a property page says when it holds, neutrally
    anchor: str      # its definition on the methodology page
    listing_fa: str  # the listing's one sentence: which properties it lists

    @property
    def field(self):
        return PROPERTIES.field(self.column)


FLAGS = (
    Flag("flag_lease_expired", "lease-expired", "قرارداد اجاره‌ی پایان‌یافته",
         f"وضعیت این ملک «{LET}» ثبت شده، ولی تاریخ پایان قراردادش پیش از تاریخ این انتشار است.",
         "flag-lease-expired",
         f"املاکی که وضعیتشان «{LET}» ثبت شده و تاریخ پایان قراردادشان پیش از تاریخ این انتشار است."),
    Flag("flag_no_contract", "no-contract", "بهره‌برداری بی‌تاریخ قرارداد",
         f"این ملک «{LET}» یا «{ASSIGNED}» ثبت شده، ولی تاریخ شروع و پایان قراردادی برایش ثبت نشده است.",
         "flag-no-contract",
         f"املاکی که «{LET}» یا «{ASSIGNED}» ثبت شده‌اند و نه تاریخ شروع و نه تاریخ پایان قرارداد دارند."),
    Flag("flag_occupied_illegally", "occupied-illegally", "متصرف غیرقانونی",
         f"وضعیت بهره‌برداری این ملک «{OCCUPIED_ILLEGALLY}» ثبت شده است.", "flag-occupied-illegally",
         f"املاکی که وضعیت بهره‌برداری‌شان «{OCCUPIED_ILLEGALLY}» ثبت شده است."),
    Flag("flag_vacant", "vacant", "خالی",
         f"وضعیت بهره‌برداری این ملک «{VACANT}» ثبت شده است.", "flag-vacant",
         f"املاکی که وضعیت بهره‌برداری‌شان «{VACANT}» ثبت شده است."),
    Flag("flag_low_rent", "low-rent", "اجاره‌ی بسیار کمتر از میانه",
         "اجاره‌ی ماهانه‌ی این ملک برای هر مترمربع بسیار کمتر از میانه‌ی املاک اجاره‌ای همان منطقه و همان کاربری است.",
         "flag-low-rent",
         "املاک اجاره‌ای که اجاره‌ی ماهانه‌شان برای هر مترمربع کمتر از درصدی تعیین‌شده از میانه‌ی املاک "
         "اجاره‌ای همان منطقه و همان کاربری است (فقط در گروه‌هایی که به اندازه‌ی کافی ملک دارند)."),
)
FLAGS_BY_SLUG = {f.slug: f for f in FLAGS}


def _given(series: pd.Series) -> pd.Series:
    return series.notna()


def flag(frame: pd.DataFrame, city: Municipality, published: str) -> pd.DataFrame:
    """``frame``: public property rows; ``published``: the publication date (ISO)."""
    frame = frame.copy()
    occupancy = frame["occupancy"]
    end = frame["contract_end"]
    # ISO dates compare as text; an empty end never ended.
    frame["flag_lease_expired"] = (occupancy == LET) & _given(end) & (end.fillna("9999") < published)
    frame["flag_no_contract"] = (occupancy.isin((LET, ASSIGNED)) & ~_given(frame["contract_start"])
                                 & ~_given(end))
    frame["flag_occupied_illegally"] = occupancy == OCCUPIED_ILLEGALLY
    frame["flag_vacant"] = occupancy == VACANT

    rent = pd.to_numeric(frame["monthly_rent_rial"], errors="raise").astype(float)
    building = pd.to_numeric(frame["building_area_m2"]).astype(float)
    land = pd.to_numeric(frame["land_area_m2"]).astype(float)
    # Rent is paid for the floor space; a plot without a building (or none recorded) by its land.
    area = building.where(building > 0, land)
    compared = (occupancy == LET) & rent.notna()
    per_m2 = (rent / area).where(compared)
    groups = per_m2.groupby([frame[c] for c in GROUP])
    rows = groups.transform("count")
    # Only a compared row has a group: an unlet neighbour is not given its street's median.
    median = groups.transform("median").where(compared & (rows >= city.rent_flag_min_group))
    # In whole numbers where the data are: 100 × rent per m² against percent × median.
    low = 100 * per_m2 < city.rent_flag_percent * median
    frame["rent_per_m2_rial"] = _numbers(per_m2, RIAL_DIGITS)
    frame["rent_group_rows"] = [int(n) if c else None for n, c in zip(rows.fillna(0), compared)]
    frame["rent_group_median_per_m2_rial"] = _numbers(median, RIAL_DIGITS)
    frame["flag_low_rent"] = [bool(x) if m == m else None for x, m in zip(low, median)]

    appraisal = pd.to_numeric(frame["appraisal_rial"]).astype(float)
    frame["rent_to_appraisal"] = _numbers((12 * rent / appraisal).where(rent.notna() & (appraisal > 0)))
    for f in FLAGS:
        if f.column != "flag_low_rent":
            frame[f.column] = frame[f.column].astype(bool).astype(object)
    return frame


def _numbers(series: pd.Series, digits: int = DIGITS) -> list:
    """Plain floats (an integral one as int), None where empty: the same bytes every run."""
    result = []
    for value in series:
        if value != value:  # NaN
            result.append(None)
        else:
            value = round(float(value), digits)
            result.append(int(value) if value.is_integer() else value)
    return result
