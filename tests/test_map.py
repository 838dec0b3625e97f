"""The registry's maps in real headless Chromium, the tile server blocked (as offline): the map
page's markers, filters, popups and the list a reader without scripts gets; a property page's
small map; the tile server named only where maps are, and in the example CSP (Nu and axe read
the map pages in tests/test_pages_checked.py).

Expected counts come from the published data/properties.geojson and properties.csv, never from
the plugin.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from urllib.parse import urlsplit

import pytest

from browser_helpers import fa_int, map_still, markers_drawn, read_csv
from conftest import ROOT
from test_nginx import nginx_site  # noqa: F401  (the example server, serving the sample site)
from pipeline import settings
from pipeline.display import fa_number
from pipeline.urls import URLS

TILES = settings.load().map_tiles
TILE_HOST = urlsplit(TILES).netloc
MAP = URLS.property_map()
# The markers a reader sees: each unclustered pin, and the number each cluster holds.
SHOWN_MARKERS = """() => {
  const map = document.getElementById('registry-map');
  const number = t => Number(t.replace(/[۰-۹]/g, d => '۰۱۲۳۴۵۶۷۸۹'.indexOf(d)).replace(/[^0-9]/g, ''));
  let n = map.querySelectorAll('.leaflet-marker-pane .map-pin').length;
  map.querySelectorAll('.leaflet-marker-pane .marker-cluster').forEach(c => { n += number(c.textContent); });
  return n;
}"""
LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


@pytest.fixture(scope="module")
def features(sample_site) -> list[dict]:
    return json.loads((sample_site.output / "data" / "properties.geojson").read_text(encoding="utf-8"))["features"]


@pytest.fixture(scope="module")
def properties(sample_site) -> list[dict]:
    return read_csv(sample_site.output / "data" / "properties.csv")


OFFLINE = (f"https://{TILE_HOST}/**",)  # the tile server blocked, as offline


@pytest.fixture
def tab(make_page):
    """A desktop page, the tile server blocked (``tab.blocked``), failing on any script error."""
    return make_page(width=1280, height=900, block=OFFLINE)


def open_map(tab, serve_site):
    assert tab.goto(f"{serve_site}/{MAP}").ok
    tab.wait_for_selector("#map-count:not([hidden])")
    tab.wait_for_load_state("networkidle")
    return tab


def shown_count(tab) -> tuple[int, int]:
    count = tab.locator("#map-count")
    return fa_int(count.locator("[data-shown]").inner_text()), fa_int(count.locator("[data-total]").inner_text())


def wait_markers(tab, expected: int) -> int:
    """The markers on the map once clustering settles (or what it shows when it does not)."""
    try:
        tab.wait_for_function(f"({SHOWN_MARKERS})() === {expected}", timeout=10_000)
    except Exception:  # noqa: BLE001  (the assert that follows says what was shown)
        pass
    return tab.evaluate(SHOWN_MARKERS)


def test_the_map_shows_every_feature_of_the_geojson(tab, serve_site, features):
    open_map(tab, serve_site)
    assert wait_markers(tab, len(features)) == len(features)
    assert shown_count(tab) == (len(features), len(features))
    assert tab.blocked, "the map asks the tile server for its base map"
    # tiles blocked: the markers stand over the district names, and the reader is told why
    districts = {f["properties"]["district"] for f in features}
    assert tab.locator(".district-label").count() == len(districts)
    assert tab.locator(".map-status").is_visible()


def test_filters_change_the_count_to_the_matching_features(tab, serve_site, features):
    open_map(tab, serve_site)
    uses = Counter(f["properties"]["land_use"] for f in features)
    use = uses.most_common(1)[0][0]
    # by keyboard: the land-use control takes focus and its options are chosen with the arrows
    tab.focus("#filter-use")
    while tab.eval_on_selector("#filter-use", "s => s.value") != use:
        tab.keyboard.press("ArrowDown")
    assert shown_count(tab) == (uses[use], len(features))
    assert wait_markers(tab, uses[use]) == uses[use]
    # two filters together
    in_use = [f for f in features if f["properties"]["land_use"] == use]
    occupancy = Counter(f["properties"]["occupancy"] for f in in_use).most_common(1)[0][0]
    tab.select_option("#filter-occupancy", occupancy)
    both = sum(1 for f in in_use if f["properties"]["occupancy"] == occupancy)
    assert shown_count(tab) == (both, len(features))
    assert wait_markers(tab, both) == both
    assert tab.locator(".map-list li[data-slug]:visible").count() == both
    # a district with no such property: none shown, the list says so too
    # a third filter no such property meets: a district, else a flag (the sample decides which)
    chosen = [f for f in in_use if f["properties"]["occupancy"] == occupancy]
    district = next((d for d in sorted({f["properties"]["district"] for f in features})
                     if not any(f["properties"]["district"] == d for f in chosen)), None)
    if district is not None:
        tab.select_option("#filter-district", str(district))
    else:
        flag = next(c for c in FLAG_COLUMNS if any(f["properties"].get(c) is True for f in features)
                    and not any(f["properties"].get(c) is True for f in chosen))
        tab.select_option("#filter-flag", flag)
    assert shown_count(tab) == (0, len(features))
    assert tab.locator(".map-list li[data-slug]:visible").count() == 0
    tab.click("#map-filters button[type=reset]")
    tab.wait_for_function("document.querySelector('#map-count [data-shown]').textContent"
                          f" === document.querySelector('#map-count [data-total]').textContent")
    assert shown_count(tab) == (len(features), len(features))


def test_a_marker_opens_its_property(tab, serve_site, features, properties):
    open_map(tab, serve_site)
    # the district with the fewest properties on the map, so that clusters open in few clicks
    counts = Counter(f["properties"]["district"] for f in features)
    district = min(sorted(counts), key=lambda d: counts[d])
    tab.select_option("#filter-district", str(district))
    map_still(tab)
    for _ in range(12):
        pins = tab.locator("#registry-map .map-pin")
        if pins.count():
            pins.first.click()
            break
        tab.locator("#registry-map .marker-cluster").first.click()
        map_still(tab)  # the cluster's zoom and its children's fade have ended
    link = tab.locator(".leaflet-popup-content a")
    link.wait_for()
    slug = re.search(r"properties/([^/]+)/$", link.get_attribute("href")).group(1)
    record = next(p for p in properties if p["slug"] == slug)
    assert int(record["district"]) == district
    assert link.inner_text().translate(LATIN) == record["title"].translate(LATIN)
    link.click()
    tab.wait_for_url(f"**/properties/{slug}/")
    assert tab.locator("h1").inner_text().translate(LATIN) == record["title"].translate(LATIN)


# Records what normalise.js's faNumber writes on the page: the UMD wrapper assigns
# window.ShafafNormalise once, and the setter wraps it before any other script reads it.
RECORD_FA_NUMBER = """
  window.__faNumberWrote = [];
  Object.defineProperty(window, 'ShafafNormalise', {
    configurable: true,
    get() { return window.__shafafNormalise; },
    set(normalise) {
      const faNumber = normalise.faNumber;
      normalise.faNumber = value => { const written = faNumber(value); window.__faNumberWrote.push(written); return written; };
      window.__shafafNormalise = normalise;
    }
  });
"""
# Every number map.js writes over the page: the counts above the map, each district's count
# in the list, each cluster's (its first text node: the rest is the hidden word «ملک»).
MAP_NUMBERS = """() => [
  ...[...document.querySelectorAll('#map-count [data-shown], #map-count [data-total]')].map(e => e.textContent),
  ...[...document.querySelectorAll('.map-district .count')].map(e => e.textContent.replace(/^\\(| ملک\\)$/g, '')),
  ...[...document.querySelectorAll('#registry-map .marker-cluster > span')].map(e => e.firstChild.textContent),
]"""


def test_the_map_writes_its_numbers_with_the_sites_normaliser(tab, serve_site, features):
    """map.js has no number formatting of its own: each count it writes is normalise.js's
    faNumber (pinned to display.fa_number by tests/normalise_vectors.json). The sample maps
    fewer than a thousand properties, so the GeoJSON is served with each feature repeated
    until there are more, and the total needs its thousands separator."""
    copies = 1000 // len(features) + 1
    many = [{**f, "properties": {**f["properties"], "slug": f"{f['properties']['slug']}-{i}"}}
            for i in range(copies) for f in features]
    tab.add_init_script(RECORD_FA_NUMBER)
    tab.route(f"**/{URLS.data_file('properties.geojson')}", lambda route: route.fulfill(
        content_type="application/geo+json", body=json.dumps({"type": "FeatureCollection", "features": many})))
    open_map(tab, serve_site)
    markers_drawn(tab)
    assert tab.locator("#map-count [data-total]").inner_text() == fa_number(len(many))
    numbers = tab.evaluate(MAP_NUMBERS)
    assert len(numbers) > 2 + len({f["properties"]["district"] for f in features}), "no cluster drawn"
    assert [n for n in numbers if n != fa_number(fa_int(n))] == []
    wrote = set(tab.evaluate("window.__faNumberWrote"))
    assert [n for n in numbers if n not in wrote] == [], "a number not written by normalise.js"


def test_a_property_page_shows_its_place_on_a_small_map(tab, serve_site, properties):
    placed = next(p for p in properties if p["latitude"] and p["longitude"])
    assert tab.goto(f"{serve_site}/{URLS.property(placed['slug'])}").ok
    small = tab.locator(".property-map")
    small.scroll_into_view_if_needed()
    tab.locator(".property-map .map-pin").wait_for()
    assert tab.locator(".property-map .map-pin").count() == 1
    assert tab.locator(".property-map .leaflet-marker-pane > *").count() == 1
    # the coordinates and map links stay beside it
    assert tab.locator("dd.coordinates a.osm").count() == 1
    unplaced = [p for p in properties if not (p["latitude"] and p["longitude"])]
    if unplaced:
        assert tab.goto(f"{serve_site}/{URLS.property(unplaced[0]['slug'])}").ok
        assert tab.locator(".property-map").count() == 0


def test_the_small_map_loads_leaflet_only_when_it_comes_near(make_page, serve_site, properties):
    placed = next(p for p in properties if p["latitude"] and p["longitude"])
    page = make_page(height=400, block=OFFLINE)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{serve_site}/{URLS.property(placed['slug'])}")
    page.wait_for_load_state("networkidle")
    assert not [u for u in asked if "leaflet" in u or TILE_HOST in u], "loaded before it was near"
    page.locator(".property-map").scroll_into_view_if_needed()
    page.locator(".property-map .map-pin").wait_for()
    assert [u for u in asked if u.endswith("leaflet.js")]


def test_without_scripts_the_map_page_lists_its_properties(make_page, serve_site, features, properties):
    page = make_page(java_script_enabled=False)
    assert page.goto(f"{serve_site}/{MAP}").ok
    assert not page.locator("#registry-map").is_visible()
    assert not page.locator("#map-filters").is_visible()
    links = page.locator(".map-list li[data-slug] a")
    expected = sorted(f["properties"]["slug"] for f in features)
    hrefs = links.evaluate_all("links => links.map(a => a.href)")
    assert sorted(re.search(r"properties/([^/]+)/$", h).group(1) for h in hrefs) == expected
    assert all(link.is_visible() for link in links.all()[:5])
    # each district's heading counts its properties on the map, and links to its listing
    by_district = Counter(f["properties"]["district"] for f in features)
    headings = page.locator(".map-district h3")
    assert headings.count() == len(by_district)
    for i in range(headings.count()):
        district = fa_int(headings.nth(i).locator("a").inner_text())
        assert fa_int(headings.nth(i).locator(".count").inner_text()) == by_district[district]
    # the properties without coordinates are counted, and sent to the full listing
    without = len(properties) - len(features)
    lead = page.locator(".lead").inner_text()
    assert fa_int(lead.split("؛")[0]) == len(features)
    if without:
        assert str(without) in lead.translate(LATIN)


def test_the_tile_server_is_named_only_on_map_pages_and_in_the_csp(sample_site):
    output = sample_site.output
    # a page refers to the server in a tag (a map's data-tiles, a src); a script or a style
    # sheet anywhere; the about page only names it in its text
    in_tag = re.compile(rf"<[^>]*{re.escape(TILE_HOST)}[^>]*>")
    naming = sorted(str(p.relative_to(output)) for p in output.rglob("*")
                    if p.is_file() and p.suffix in (".html", ".js", ".css", ".json", ".xml", ".txt")
                    and (in_tag if p.suffix == ".html" else re.compile(re.escape(TILE_HOST))).search(
                        p.read_text(encoding="utf-8", errors="replace")))
    map_pages = {URLS.save_as(MAP)} | {URLS.save_as(URLS.property(p["slug"]))
                                       for p in read_csv(output / "data" / "properties.csv")
                                       if p["latitude"] and p["longitude"]}
    assert URLS.save_as(MAP) in naming
    assert [n for n in naming if n not in map_pages] == []
    # the example server's policy lets the map pages, and only them, fetch its images
    config = (ROOT / "deploy" / "nginx.conf.example").read_text(encoding="utf-8")
    policies = dict(re.findall(r'^\s*set \$(\w+) "([^"]*)";', config, re.M))
    img = {name: re.search(r"img-src ([^;]*)", policy).group(1).split() for name, policy in policies.items()}
    origin = settings.tile_origin(TILES)
    assert origin in img["csp_map"]
    assert origin not in img["csp"]
    location = re.search(r"location /properties/ \{(.*?)\}", config, re.S).group(1)
    assert "Content-Security-Policy $csp_map" in location
    assert URLS.property_map().startswith("properties/")


def test_the_map_pages_run_under_the_example_csp(nginx_site, sample_site, make_page, properties):
    """Through the example nginx: Leaflet, the clusters and the tiles' requests break no rule
    of the policy (the tile server is blocked after the policy allowed it)."""
    placed = next(p for p in properties if p["latitude"] and p["longitude"])
    page = make_page(block=OFFLINE, ignore_https_errors=True)
    page.context.add_init_script("""
        window.__violations = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
    """)
    for path in (MAP, URLS.property(placed["slug"])):
        assert page.goto(f"{nginx_site}/{path}").status == 200
        if page.locator(".property-map").count():
            page.locator(".property-map").scroll_into_view_if_needed()
        page.locator(".map-pin, .marker-cluster").first.wait_for()
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__violations") == [], path
    assert page.blocked, "the policy let the tile requests through to the network"


KARAJ_BLOCK = settings.site(ROOT / "pelicanconf.py")[1]["MUNICIPALITY"]


@pytest.mark.parametrize("tiles", ["http://tiles.example.org/{z}/{x}/{y}.png",        # not https
                                   "https://{s}.tiles.example.org/{z}/{x}/{y}.png",   # many hosts
                                   "https://tiles.example.org/{z}/{x}.png",           # no {y}
                                   "https://tiles.example.org/{z}/{x}/{y}{q}.png",    # unknown part
                                   "tiles.example.org/{z}/{x}/{y}.png"])
def test_a_tile_setting_the_maps_cannot_use_stops_the_build(tiles):
    with pytest.raises(settings.SettingsError, match=r"map_tiles.*\{z\}"):
        settings.municipality_from({**KARAJ_BLOCK, "map_tiles": tiles})


def test_a_city_may_use_its_own_tile_server_or_none():
    own = settings.municipality_from({**KARAJ_BLOCK, "map_tiles": "https://maps.city.example/t/{z}/{x}/{y}{r}.png",
                                      "map_attribution": "City GIS", "map_attribution_url": ""})
    assert settings.tile_origin(own.map_tiles) == "https://maps.city.example"
    bare = settings.municipality_from({**KARAJ_BLOCK, "map_tiles": "", "map_attribution": ""})
    assert settings.tile_origin(bare.map_tiles) == ""
    with pytest.raises(settings.SettingsError, match="map_attribution"):
        settings.municipality_from({**KARAJ_BLOCK, "map_attribution": " "})


@pytest.mark.parametrize("width", [360, 1280])
def test_the_map_page_fits_the_screen(tab, serve_site, width):
    tab.set_viewport_size({"width": width, "height": 800})
    open_map(tab, serve_site)
    assert tab.evaluate("document.documentElement.scrollWidth") <= width
    # the map and its controls are in the page's column, the zoom buttons on the start side
    box = tab.locator("#registry-map").bounding_box()
    assert 0 <= box["x"] and box["x"] + box["width"] <= width
    zoom = tab.locator(".leaflet-control-zoom").bounding_box()
    assert zoom["x"] > box["x"] + box["width"] / 2, "the zoom buttons stand on the right, where RTL starts"


@pytest.mark.parametrize("width", [360, 1280])
def test_district_names_stand_above_the_clusters_and_over_them(tab, serve_site, width):
    """A district's name is placed on its properties' centroid, where their cluster is drawn:
    under the markers it was hidden by it (look7). It is drawn above the markers, and stands
    beside its point (above it when that place is free), so the cluster's count on that point
    stays in view."""
    tab.set_viewport_size({"width": width, "height": 800})
    open_map(tab, serve_site)
    markers_drawn(tab)
    found = tab.evaluate("""() => {
      const z = s => Number(getComputedStyle(document.querySelector(s)).zIndex);
      const labels = [...document.querySelectorAll('.district-label')].map(l => {
        const point = l.getBoundingClientRect(), name = l.firstElementChild.getBoundingClientRect();
        const across = Math.max(name.left - point.left, 0, point.left - name.right);
        const down = Math.max(name.top - point.top, 0, point.top - name.bottom);
        return {off: Math.hypot(across, down), opaque: getComputedStyle(l.firstElementChild).backgroundColor};
      });
      return {names: z('.district-pane'), markers: z('.leaflet-marker-pane'), popups: z('.leaflet-popup-pane'), labels};
    }""")
    assert found["markers"] < found["names"] < found["popups"], found
    assert found["labels"]
    for label in found["labels"]:
        assert label["off"] >= 20, label  # a cluster is 40 px across, centred on the point
        assert label["opaque"] not in ("rgba(0, 0, 0, 0)", "transparent"), label


NAMES_AND_MARKERS = """() => {
  const box = e => { const r = e.getBoundingClientRect(); return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const map = box(document.getElementById('registry-map'));
  const inside = b => b.right > map.left && b.left < map.right && b.bottom > map.top && b.top < map.bottom;
  const names = [...document.querySelectorAll('#registry-map .district-label > span')]
    .filter(n => getComputedStyle(n).visibility === 'visible').map(n => ({text: n.textContent, ...box(n)})).filter(inside);
  const markers = [...document.querySelectorAll('#registry-map .leaflet-marker-pane .leaflet-marker-icon')].map(box).filter(inside)
    .map(b => ({x: (b.left + b.right) / 2, y: (b.top + b.bottom) / 2}));
  return {names, markers};
}"""


def crowding(tab) -> tuple[list, list, int]:
    """The district names drawn in the map that overlap another drawn name, the names drawn over
    a marker's middle (a cluster's count, a pin), and how many names are drawn."""
    found = tab.evaluate(NAMES_AND_MARKERS)
    names = found["names"]
    overlapping = [(a["text"], b["text"]) for i, a in enumerate(names) for b in names[i + 1:]
                   if a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]]
    covering = [(n["text"], m) for n in names for m in found["markers"]
                if n["left"] < m["x"] < n["right"] and n["top"] < m["y"] < n["bottom"]]
    return overlapping, covering, len(names)


def test_on_a_phone_the_district_names_leave_out_those_that_crowd(tab, serve_site, features, properties):
    """At 360 px the whole city's twelve names lay over each other and over the clusters' counts.
    A name that would cover another or a marker's middle is left out at that zoom (the busier
    districts keep theirs); zoomed in, the names are placed again by the same rule. Every
    property stays on the map and in the list under it."""
    tab.set_viewport_size({"width": 360, "height": 800})
    open_map(tab, serve_site)
    assert wait_markers(tab, len(features)) == len(features)
    markers_drawn(tab)
    overlapping, covering, drawn = crowding(tab)
    assert not overlapping and not covering, (overlapping, covering)
    assert drawn >= 1, "the whole city's map still names districts"
    tab.locator(".leaflet-control-zoom-in").click()
    markers_drawn(tab)
    overlapping, covering, _ = crowding(tab)
    assert not overlapping and not covering, (overlapping, covering)
    assert tab.locator(".map-list li[data-slug]:not([hidden])").count() == len(features)


def test_on_a_desktop_every_district_is_named_on_the_whole_citys_map(tab, serve_site, features):
    """At 1280 px only six of the twelve names were drawn (one in this 900 px high window): each
    had one place, above its point, and was left out when that place was taken. A name now
    tries the places around its point (above, below, beside, across, then farther out) before
    it is left out: all twelve stand inside the map, none over another or a marker's middle."""
    districts = {f["properties"]["district"] for f in features}
    open_map(tab, serve_site)
    assert wait_markers(tab, len(features)) == len(features)
    markers_drawn(tab)
    overlapping, covering, drawn = crowding(tab)
    assert not overlapping and not covering, (overlapping, covering)
    assert drawn == len(districts) == 12, f"{drawn} of {len(districts)} district names drawn"


NAMED_ON_THE_MAP = """() => {
  const map = document.getElementById('registry-map');
  return {
    shown: [...map.querySelectorAll('.district-label > span')].filter(n => getComputedStyle(n).visibility === 'visible')
      .map(n => n.textContent),
    clusters: [...map.querySelectorAll('.leaflet-marker-pane .marker-cluster')].map(c => c.querySelector('[title]')?.title || ''),
    pins: [...map.querySelectorAll('.leaflet-marker-pane .map-pin')].map(p => p.title),
  };
}"""


def test_a_district_whose_name_is_left_out_is_named_by_its_markers(tab, serve_site, features):
    """On a phone's whole-city view a name with no free place is left out. Its district is still
    named on the map: each cluster's title says the districts of the properties it holds, each
    pin's title is its property's (whose page and popup name the district); so together they
    name every district, the ones left out included."""
    tab.set_viewport_size({"width": 360, "height": 800})
    open_map(tab, serve_site)
    assert wait_markers(tab, len(features)) == len(features)
    markers_drawn(tab)
    found = tab.evaluate(NAMED_ON_THE_MAP)
    districts = {f["properties"]["district"] for f in features}
    district_of_title = {f["properties"]["title"].translate(LATIN): f["properties"]["district"] for f in features}
    shown = {int(name.translate(LATIN).split()[-1]) for name in found["shown"]}
    assert shown < districts, "the sample's phone view leaves a name out"
    named = set()
    for title in found["clusters"]:
        assert re.fullmatch(r"منطقه(‌های)? [۰-۹]+(، [۰-۹]+)*", title), title
        named |= {int(n) for n in re.findall(r"\d+", title.translate(LATIN))}
    named |= {district_of_title[title.translate(LATIN)] for title in found["pins"]}
    assert named == districts, (sorted(named), sorted(districts))


FLAG_COLUMNS = ("flag_lease_expired", "flag_no_contract", "flag_occupied_illegally", "flag_vacant", "flag_low_rent")


@pytest.mark.parametrize("column", FLAG_COLUMNS)
def test_the_flag_filter_shows_the_features_holding_the_flag(tab, serve_site, features, column):
    """The expected count is read from the GeoJSON's own columns (true, not merely present)."""
    holding = sum(1 for f in features if f["properties"].get(column) is True)
    open_map(tab, serve_site)
    options = tab.eval_on_selector_all("#filter-flag option", "os => os.map(o => o.value)")
    if not holding:
        assert column not in options, "a flag no mapped property holds is not offered"
        return
    tab.select_option("#filter-flag", column)
    assert shown_count(tab) == (holding, len(features))
    assert wait_markers(tab, holding) == holding
    assert tab.locator(".map-list li[data-slug]:visible").count() == holding
