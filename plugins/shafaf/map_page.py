"""The registry on a map (``URLS.property_map()``) and the base-map settings every property
page's small map reads (``_property_map.html``).

The browser draws the markers from the published GeoJSON (``theme/static/js/map.js``); this
page gives it the filters and, for a reader without scripts (and for print), the list of the
properties on the map, by district, each linking to its page.

The filters are declared once in ``MAP_FILTERS``: each names a facet of the property listings
(``listings.property_groups``: its option order and titles) and the GeoJSON property a marker
is matched on; the flags' filter (``field`` empty) offers each flag of ``pipeline/flags.py``
and matches the markers whose column is true.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from pelican.generators import Generator

from pipeline.display import fa_digits
from pipeline.flags import FLAGS_BY_SLUG
from pipeline.schema import PROPERTIES
from pipeline.settings import municipality_from, tile_origin
from pipeline.urls import URLS

from .listings import property_groups


@dataclass(frozen=True)
class MapFilter:
    facet: str       # the facet of property_groups (and of URLS.property_facet)
    field: str       # the GeoJSON property a marker is matched on; "" for the flags' filter,
                     # whose options each name a yes/no column (pipeline/flags.py FLAGS)
    label: str       # the control's label
    district: bool = False   # options read «منطقه ۵», not the bare number


MAP_FILTERS = (
    MapFilter("district", "district", "منطقه", district=True),
    MapFilter("use", "land_use", "کاربری"),
    MapFilter("occupancy", "occupancy", "وضعیت بهره‌برداری"),
    MapFilter("flag", "", "نکته‌ها"),
)


def option_value(value) -> str:
    """A GeoJSON value as the script compares it: text as it is, anything else as JSON
    (1, true), so a number or a flag matches the same way as a name."""
    return value if isinstance(value, str) else json.dumps(value)


def has_point(record: dict) -> bool:
    """The GeoJSON's rule (pipeline/downloads.py): both coordinates present."""
    return all(record.get(name) is not None for name in PROPERTIES.point)


def map_settings(block: dict) -> dict:
    """The base map, checked (a bad setting stops the build with its SettingsError)."""
    city = municipality_from(block)
    return {"tiles": city.map_tiles, "attribution": city.map_attribution,
            "attribution_url": city.map_attribution_url, "tile_origin": tile_origin(city.map_tiles)}


def map_filters(pages: list, districts: int) -> list[dict]:
    """Each declared filter with its options (value, label) among the properties on the map,
    in the listings' order."""
    facets = {facet: groups for facet, _, groups in property_groups([p.row for p in pages], districts)}
    on_map = {p.slug for p in pages if p.facts["on_map"]}
    # a filter's fields (MAP_FILTERS) are shown in the listings: the rows hold them
    rows = {p.slug: p.row for p in pages}
    result = []
    for f in MAP_FILTERS:
        options = []
        for group in facets[f.facet]:
            slugs = [row["slug"] for row in group.items if row["slug"] in on_map]
            if slugs and not f.field:
                options.append((FLAGS_BY_SLUG[group.slug].column, group.title))
            elif slugs:
                value = rows[slugs[0]][f.field]
                options.append((option_value(value), f"منطقه {fa_digits(group.title)}" if f.district else group.title))
        result.append({"field": f.field, "label": f.label, "id": f"filter-{f.facet}", "options": options})
    return result


def district_lists(pages: list, districts: int) -> list[tuple[str, str, list[dict]]]:
    """(district number, its listing's URL, its properties on the map) for the list beside the map."""
    on_map = {p.slug for p in pages if p.facts["on_map"]}
    facets = {facet: groups for facet, _, groups in property_groups([p.row for p in pages], districts)}
    return [(g.title, URLS.property_facet("district", g.slug), [row for row in g.items if row["slug"] in on_map])
            for g in facets["district"] if any(row["slug"] in on_map for row in g.items)]


class MapPageGenerator(Generator):
    def generate_context(self):
        block = self.settings["MUNICIPALITY"]
        # Every property page's small map reads MAP (records.py renders them with this context).
        self.context["MAP"] = map_settings(block)
        self.pages = sorted(self.context.get("record_pages", {}).get("properties", []), key=lambda p: p.slug)

    def generate_output(self, writer):
        districts = int(self.settings["MUNICIPALITY"]["districts"])
        url = URLS.property_map()
        on_map = sum(1 for p in self.pages if p.facts["on_map"])
        writer.write_file(URLS.save_as(url), self.get_template("map"), self.context, url=url,
                          filters=map_filters(self.pages, districts),
                          district_lists=district_lists(self.pages, districts),
                          on_map=on_map, without_point=len(self.pages) - on_map,
                          relative_urls=self.settings["RELATIVE_URLS"])
