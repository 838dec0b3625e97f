"""Every page of ``PAGES`` (tests/browser_helpers.py) through the Nu HTML checker and axe.

Nu reads all the pages in one run (a Java start each would cost more than the checking); axe
reads each page in real headless Chromium, in light and in dark, at each of the page's widths
(a page of a template axe already reads elsewhere has none: Nu only), the tile server blocked
(as offline). A new page joins by one line in ``PAGES``."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from browser_helpers import PAGES, axe_serious, file_of, key_pages, nu_messages, site_data  # noqa: F401
from pipeline import settings

OFFLINE = (f"https://{urlsplit(settings.load().map_tiles).netloc}/**",)
SCHEMES = ("light", "dark")


@pytest.fixture(scope="session")
def nu_report(sample_site, key_pages) -> dict[Path, list[str]]:
    """Nu's errors on every page of PAGES, in one run: file → its messages."""
    files = {file_of(sample_site.output, path).resolve() for path in key_pages.values()}
    report: dict[Path, list[str]] = {file: [] for file in files}
    for url, message in nu_messages(sorted(files)):
        file = Path(unquote(urlsplit(url).path)).resolve() if url else None
        # A message naming no page read (or none at all) is every page's failure, never lost.
        for target in ([file] if file in report else report):
            report[target].append(f"{url}: {message}")
    return report


@pytest.mark.parametrize("name", PAGES)
def test_the_page_passes_nu_and_axe(name, sample_site, serve_site, key_pages, nu_report, make_page):
    path, page = key_pages[name], PAGES[name]
    file = file_of(sample_site.output, path)
    assert file.is_file(), path
    assert nu_report[file.resolve()] == [], path
    if not page.widths:
        return
    tab = make_page(block=OFFLINE)
    bad = {}
    for width in page.widths:
        tab.set_viewport_size({"width": width, "height": 800})
        for scheme in SCHEMES:
            tab.emulate_media(color_scheme=scheme)
            response = tab.goto(f"{serve_site}/{path}")
            assert response is not None and response.ok, path
            if page.ready:
                page.ready(tab)
            found = axe_serious(tab)
            if found:
                bad[(width, scheme)] = found
    assert not bad, (path, bad)


# Marker clusters fade over 0.3 s after a zoom; slowed here so that a ready hook that did not
# wait for the fade itself would find it running, whatever the machine's load.
SLOW_FADE = ".leaflet-cluster-anim .leaflet-marker-icon { transition-duration: 3s !important; }"
MOVING = "() => document.getAnimations().length + document.querySelectorAll('.leaflet-zoom-anim, .leaflet-cluster-anim').length"


def test_axe_reads_the_map_only_once_it_is_still(serve_site, key_pages, make_page, site_data):
    """The map page's ready hook: after a filter zooms the map, no zoom, cluster split or fade is
    running when it returns (axe once read a cluster's number half faded: a contrast failure
    that was the fade's, not the page's)."""
    page = PAGES["properties-map"]
    tab = make_page(width=1280, block=OFFLINE)
    tab.emulate_media(color_scheme="dark")
    assert tab.goto(f"{serve_site}/{key_pages['properties-map']}").ok
    page.ready(tab)
    assert tab.evaluate(MOVING) == 0
    tab.add_style_tag(content=SLOW_FADE)
    busiest = Counter(r["district"] for r in site_data.properties if r["latitude"]).most_common(1)[0][0]
    tab.select_option("#filter-district", busiest)
    page.ready(tab)
    assert tab.evaluate(MOVING) == 0
    assert axe_serious(tab) == []
