"""Helpers and fixtures for the tests of the built site (import them into a test module).

Expected values are computed from the published datasets (``output/data/*.csv``), never from
the plugin's code, so that a grouping or counting bug in the plugin makes a test fail.
"""
from __future__ import annotations

import csv
import json
import re
import struct
import subprocess
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from pipeline.flags import FLAGS
from pipeline.urls import URLS
from pipeline.values import match_key

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ROLES = (("interior_rep", "interior"), ("judiciary_rep", "judiciary"), ("council_rep", "council"))


def fa_int(text: str) -> int:
    """«۱٬۲۳۴» (as a reader sees it) → 1234."""
    digits = re.sub(r"[^0-9]", "", text.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")))
    assert digits, f"no number in {text!r}"
    return int(digits)


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass
class SiteData:
    rulings: list[dict]
    violations: list[dict]
    properties: list[dict]

    @property
    def by_no(self) -> dict[str, dict]:
        return {r["ruling_no"]: r for r in self.rulings}

    def member_rulings(self, role: str) -> dict[str, list[dict]]:
        """match key of a member's name → the rulings the member took part in."""
        groups: dict[str, list[dict]] = defaultdict(list)
        for r in self.rulings:
            groups[match_key(r[role])].append(r)
        return groups

    def decisions_of(self, ruling_nos: set[str]) -> Counter:
        return Counter(v["decision"] for v in self.violations if v["ruling_no"] in ruling_nos)

    def appeal_pairs(self) -> list[tuple[dict, dict]]:
        by_no = self.by_no
        return [(r, by_no[r["appealed_ruling_no"]]) for r in self.rulings
                if r["appealed_ruling_no"] and r["appealed_ruling_no"] in by_no]


def load_site_data(output: Path) -> SiteData:
    data = output / "data"
    return SiteData(read_csv(data / "rulings.csv"), read_csv(data / "violations.csv"),
                    read_csv(data / "properties.csv"))


@pytest.fixture(scope="session")
def site_data(sample_site) -> SiteData:
    return load_site_data(sample_site.output)


def linked_member(output: Path, data: SiteData, role: str, pick) -> str:
    """The page of one member of ``role``, read off the link on one of their rulings (as a
    reader finds it); ``pick`` chooses among the members' match keys, sorted."""
    groups = data.member_rulings(role)
    ruling = groups[pick(sorted(groups), groups)][0]
    html = (output / "rulings" / ruling["slug"] / "index.html").read_text(encoding="utf-8")
    match = re.search(rf'<li data-role="{dict(ROLES)[role]}">.*?href="\.\./\.\./(members/[^"]+)"', html)
    assert match, f"the ruling page does not link its {role}"
    return match.group(1)


def most(keys, groups):
    """The member with the most rulings (the first of equals)."""
    return max(keys, key=lambda k: len(groups[k]))


def fewest(keys, groups):
    return min(keys, key=lambda k: len(groups[k]))


@pytest.fixture(scope="session")
def member_path(sample_site, site_data) -> str:
    """The page of the council member with the most rulings (found by the link on a ruling)."""
    return linked_member(sample_site.output, site_data, "council_rep", most)


@dataclass(frozen=True)
class Sample:
    """What a page's path is found from: the built sample site and its published datasets."""
    output: Path
    data: SiteData

    def flags_held(self, row: dict) -> int:
        return sum(row[f.column] == "true" for f in FLAGS)


# Frames in a row in which the map must be still. Leaflet removes its zoom class when its zoom
# transition ends but fires zoomend, where the clusters start their own fade, only in the next
# animation frame: one still frame can fall between the two.
STILL_FRAMES = 3
MAP_STILL = """(frames) => {
  const moving = document.getAnimations().length > 0
    || document.querySelector('.leaflet-zoom-anim, .leaflet-cluster-anim') !== null;
  window.__shafafStillFrames = moving ? 0 : (window.__shafafStillFrames || 0) + 1;
  return window.__shafafStillFrames >= frames;
}"""


def map_still(tab) -> None:
    """Waits until no map moves: no zoom, no cluster splitting or merging, no CSS transition.
    Marker clusters fade in over 0.3 s after each zoom; axe reading a cluster's number half
    faded measures the contrast of the fade (1.66 to 3.65 in the dark scheme, frozen at 70 and
    90 % of it), not the page's: the map page's check failed now and then in a full run."""
    tab.evaluate("() => { window.__shafafStillFrames = 0; }")
    tab.wait_for_function(MAP_STILL, arg=STILL_FRAMES, polling="raf")


def small_map_near(tab) -> None:
    """A property page's small map draws itself only when it comes near: bring it, wait for its pin."""
    if tab.locator(".property-map").count():
        tab.locator(".property-map").scroll_into_view_if_needed()
        tab.locator(".property-map .map-pin").wait_for()
        map_still(tab)


def markers_drawn(tab) -> None:
    """The registry map with its markers placed, and still (what a reader reads)."""
    tab.wait_for_selector("#map-count:not([hidden])")
    tab.locator("#registry-map .marker-cluster, #registry-map .map-pin").first.wait_for()
    map_still(tab)


@dataclass(frozen=True)
class Page:
    """A page of the sample site: how its path is found, the widths axe reads it at (in light and
    dark; none: Nu only, where axe reads another page of the same template, since axe's run is
    what costs), and what to wait for before axe reads it (a map's markers)."""
    path: Callable[[Sample], str]
    widths: tuple[int, ...] = (360,)
    ready: Callable | None = None


NU_ONLY = ()


def _busiest_district(s: Sample) -> str:
    return Counter(r["district"] for r in s.data.rulings).most_common(1)[0][0]


# The pages a citizen lands on, by name: the Nu HTML checker and axe read each
# (tests/test_pages_checked.py), other tests open them by name (``key_pages``). A new page
# joins by one line.
PAGES = {
    "home": Page(lambda s: URLS.home()),
    "appeal": Page(lambda s: URLS.ruling(s.data.appeal_pairs()[0][0]["slug"])),
    "first-instance": Page(lambda s: URLS.ruling(s.data.appeal_pairs()[0][1]["slug"])),
    "member": Page(lambda s: linked_member(s.output, s.data, "council_rep", most)),
    "member-interior": Page(lambda s: linked_member(s.output, s.data, "interior_rep", most)),
    "member-judiciary": Page(lambda s: linked_member(s.output, s.data, "judiciary_rep", most), NU_ONLY),
    "member-fewest": Page(lambda s: linked_member(s.output, s.data, "interior_rep", fewest), widths=(360, 1280)),
    "members": Page(lambda s: URLS.members()),
    "district": Page(lambda s: URLS.district(_busiest_district(s))),
    "district-page-2": Page(lambda s: URLS.page(URLS.district(_busiest_district(s)), 2), NU_ONLY),
    "districts": Page(lambda s: URLS.facets("districts")),
    "types": Page(lambda s: URLS.facets("types"), NU_ONLY),
    "property": Page(lambda s: URLS.property(s.data.properties[0]["slug"]), widths=(360, 1280), ready=small_map_near),
    "property-most-flags": Page(lambda s: URLS.property(max(s.data.properties,
                                                            key=lambda r: (s.flags_held(r), r["slug"]))["slug"])),
    "property-rent-compared": Page(lambda s: URLS.property(next(
        r for r in s.data.properties if r["rent_group_median_per_m2_rial"])["slug"])),
    "properties": Page(lambda s: URLS.properties()),
    "properties-district": Page(lambda s: URLS.property_facet("district", s.data.properties[0]["district"]), NU_ONLY),
    "properties-map": Page(lambda s: URLS.property_map(), widths=(1280,), ready=markers_drawn),
    # The flag listings share one template: axe reads the last.
    **{f"properties-{f.slug}": Page(lambda s, f=f: URLS.property_flag(f.slug), NU_ONLY if f != FLAGS[-1] else (360,))
       for f in FLAGS},
    "stats": Page(lambda s: URLS.stats()),
    "about": Page(lambda s: URLS.static_page("about")),
    "methodology": Page(lambda s: URLS.static_page("methodology")),
    "datasets": Page(lambda s: URLS.data()),
    "dictionary": Page(lambda s: URLS.dictionary()),
    "changes": Page(lambda s: URLS.changes()),
    "search": Page(lambda s: URLS.search()),
    "404": Page(lambda s: URLS.not_found()),
}


@pytest.fixture(scope="session")
def key_pages(sample_site, site_data) -> dict[str, str]:
    """The pages of ``PAGES``, by name → path under the site root."""
    sample = Sample(sample_site.output, site_data)
    return {name: page.path(sample) for name, page in PAGES.items()}


def file_of(output: Path, path: str) -> Path:
    return output / path / "index.html" if path == "" or path.endswith("/") else output / path


def axe_serious(page) -> list:
    """axe's serious and critical violations on the page as it is loaded: (rule, impact, first
    three targets) each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


def nu_messages(files) -> list[tuple[str, str]]:
    """The Nu HTML checker's errors (and fatal messages) on these files, in one run: (the file's
    URL as Nu names it, the message) each."""
    run = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files)],
                         capture_output=True, text=True, check=False, timeout=300)
    messages = json.loads(run.stderr or run.stdout or '{"messages": []}')["messages"]
    return [(m.get("url", ""), m["message"]) for m in messages
            if m.get("type") == "error" or m.get("subType") == "fatal"]


def nu_errors(files) -> list[str]:
    """The Nu HTML checker's errors (and fatal messages) on these files, each with its file."""
    return [f"{url}: {message}" for url, message in nu_messages(files)]


def screen_pixels(tab, clip: dict) -> list[list[tuple[int, int, int]]]:
    """What the screen shows in ``clip`` (CSS px, at scale 1), as rows of RGB: a shadow or a
    colour is a fact of what is drawn, not of which CSS property drew it. Decodes Chromium's
    PNG (8-bit RGB or RGBA, not interlaced) with zlib alone."""
    data = tab.screenshot(clip=clip, scale="css")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat, header = 8, b"", None
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    step = 3 if colour == 2 else 4
    raw, stride, rows, previous = zlib.decompress(idat), width * step, [], bytearray(width * step)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                guess = left + up - corner
                near = min((abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner))
                line[i] = (line[i] + near[2]) & 255
        rows.append([tuple(line[x * step:x * step + 3]) for x in range(width)])
        previous = line
    return rows
