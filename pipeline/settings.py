"""The municipality's settings, read from the ``MUNICIPALITY`` block of ``pelicanconf.py``.

One place for everything that differs between cities, validated here so that a typo stops
the build with a clear message instead of publishing a wrong site.
"""
from __future__ import annotations

import datetime as dt
import re
import runpy
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .urls import URLS

ROOT = Path(__file__).resolve().parent.parent
REQUIRED_KEYS = {
    "name_fa": str, "name_en": str, "districts": int, "latitude": tuple, "longitude": tuple,
    "license_id": str, "license_title": str, "license_title_fa": str, "license_url": str, "contact": str,
    "publisher_fa": str,
}
# Keys a city may add to its block; absent ones take these defaults.
OPTIONAL_KEYS = {
    "site_url": "",   # the public address, e.g. "https://shafaf.karaj.ir" (SHAFAF_SITEURL wins)
    # The low-rent flag (pipeline/flags.py): a let property whose rent per m² is below this
    # percentage of its comparison group's median, a group of at least this many properties.
    # A whole percentage: the methodology page states it ({city:rent_flag_percent}), exactly.
    "rent_flag_percent": 50,
    "rent_flag_min_group": 5,
}
# What the optional numbers may be.
_OPTIONAL_CHECKS = {
    "rent_flag_percent": ("an integer from 1 to 100",
                          lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 100),
    "rent_flag_min_group": ("an integer of at least 2",
                            lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 2),
}

# --- the map's base tiles (properties/map/ and each property page's small map) -------------
# A city may point these at its own tile server, or set map_tiles to "" for markers over
# district labels only. The tile host is the site's only third-party request, so it is one
# fixed https host (no {s} subdomains): the CSP of deploy/nginx.conf.example names it.
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
MAP_KEYS = {
    "map_tiles": OSM_TILES,
    "map_attribution": "© مشارکت‌کنندگان OpenStreetMap",
    "map_attribution_url": "https://www.openstreetmap.org/copyright",
}
OPTIONAL_KEYS.update(MAP_KEYS)
_TILE_PLACEHOLDERS = {"z", "x", "y", "r"}


def _check_map(block: dict) -> None:
    tiles, attribution, link = (block.get(k, d) for k, d in MAP_KEYS.items())
    if tiles:
        parts = urlsplit(tiles)
        names = set(re.findall(r"\{([^{}]*)\}", tiles))
        if (parts.scheme != "https" or not parts.hostname or "{" in parts.netloc
                or not {"z", "x", "y"} <= names or names - _TILE_PLACEHOLDERS):
            raise SettingsError(f"MUNICIPALITY['map_tiles'] = {tiles!r}: an https address on one host with "
                                "{z}, {x} and {y} (and optionally {r}), or \"\" for no tiles")
        if not attribution.strip():
            raise SettingsError("MUNICIPALITY['map_attribution']: tiles need their attribution")
    if link and (urlsplit(link).scheme != "https" or not urlsplit(link).hostname):
        raise SettingsError(f"MUNICIPALITY['map_attribution_url'] = {link!r}: an https address, or \"\"")


def tile_origin(tiles: str) -> str:
    """The origin the browser fetches tiles from (what the CSP's img-src names), or ''."""
    parts = urlsplit(tiles)
    return f"{parts.scheme}://{parts.netloc}" if tiles else ""
# --- end of the map's tiles ---------------------------------------------------------------


@dataclass(frozen=True)
class Municipality:
    name_fa: str
    name_en: str
    districts: int
    latitude: tuple[float, float]
    longitude: tuple[float, float]
    license_id: str
    license_title: str
    license_title_fa: str
    license_url: str
    contact: str
    publisher_fa: str
    site_url: str = ""
    map_tiles: str = MAP_KEYS["map_tiles"]
    map_attribution: str = MAP_KEYS["map_attribution"]
    map_attribution_url: str = MAP_KEYS["map_attribution_url"]
    rent_flag_percent: int = OPTIONAL_KEYS["rent_flag_percent"]
    rent_flag_min_group: int = OPTIONAL_KEYS["rent_flag_min_group"]


class SettingsError(ValueError):
    """A setting that would build a wrong site: every entry point (the pipeline, the publish,
    Pelican's plugin) stops with its message, never a traceback."""


# The site's own settings below the block (read by the plugin, documented in the README),
# with what each must be.
SITE_SETTINGS = {
    "LISTING_PAGE_SIZE": lambda v: isinstance(v, int) and v >= 1,
    "RULINGS_FEED_ITEMS": lambda v: isinstance(v, int) and v >= 1,
    "LATEST_RULINGS_ON_HOME": lambda v: isinstance(v, int) and v >= 0,
    "RECORD_PATHS": lambda v: isinstance(v, list) and all(isinstance(x, str) and re.fullmatch("[a-z]+", x) for x in v),
    "RENDER_PROCESSES": lambda v: v in (1, 2),
    # Pelican's caches and the plugin's: "" would put them in the code folder itself (Pelican
    # reads a relative path from the settings file's folder).
    "CACHE_PATH": lambda v: isinstance(v, str) and v.strip() != "",
}

# Pelican's own path settings for pages it writes itself, and what the scheme makes them.
PELICAN_PATHS = {
    "SEARCH_URL": URLS.search(),
    "SEARCH_SAVE_AS": URLS.save_as(URLS.search()),
    "PAGE_URL": URLS.static_page("{slug}"),
    "PAGE_SAVE_AS": URLS.save_as(URLS.static_page("{slug}")),
    "THEME_STATIC_DIR": URLS.theme("").rstrip("/"),
}


def check_site(values) -> None:
    """``values``: pelicanconf.py's names, or Pelican's settings once it has read them."""
    for name, valid in SITE_SETTINGS.items():
        if name not in values:
            raise SettingsError(f"pelicanconf.py: {name} is not set (see the README's settings)")
        if not valid(values[name]):
            raise SettingsError(f"pelicanconf.py: {name} = {values[name]!r} is not allowed "
                                "(see the README's settings)")
    for name, path in PELICAN_PATHS.items():
        if values.get(name) != path:
            raise SettingsError(f"pelicanconf.py: {name} = {values.get(name)!r}, but "
                                f"pipeline/urls.py makes it {path!r}")


def municipality_from(block: dict) -> Municipality:
    unknown = set(block) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS)
    missing = set(REQUIRED_KEYS) - set(block)
    if unknown or missing:
        raise SettingsError(f"MUNICIPALITY: missing {sorted(missing)}, unknown {sorted(unknown)}")
    for name, kind in REQUIRED_KEYS.items():
        if not isinstance(block[name], kind):
            raise SettingsError(f"MUNICIPALITY[{name!r}] must be a {kind.__name__}")
    for name, default in OPTIONAL_KEYS.items():
        if name in _OPTIONAL_CHECKS:
            what, valid = _OPTIONAL_CHECKS[name]
            if not valid(block.get(name, default)):
                raise SettingsError(f"MUNICIPALITY[{name!r}] must be {what}")
        elif not isinstance(block.get(name, default), type(default)):
            raise SettingsError(f"MUNICIPALITY[{name!r}] must be a {type(default).__name__}")
    if not 1 <= block["districts"] <= 99:
        raise SettingsError("MUNICIPALITY['districts'] must be between 1 and 99")
    for name in ("latitude", "longitude"):
        low, high = block[name]
        if not low < high:
            raise SettingsError(f"MUNICIPALITY[{name!r}] must be (low, high)")
    _check_map(block)
    return Municipality(**block)


def site(settings_file: Path = ROOT / "pelicanconf.py") -> tuple[Municipality, dict]:
    """The municipality and every name of the settings file, all checked."""
    names = runpy.run_path(str(settings_file))
    if "MUNICIPALITY" not in names:
        raise SettingsError(f"{settings_file}: no MUNICIPALITY block")
    city = municipality_from(names["MUNICIPALITY"])
    check_site(names)
    return city, names


def load(settings_file: Path = ROOT / "pelicanconf.py") -> Municipality:
    return site(settings_file)[0]


def publication_date(value: str | None) -> str | None:
    """A publication date as given (``--date`` or ``SHAFAF_PUBLICATION_DATE``), checked."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise SettingsError(f"publication date {value!r} is not YYYY-MM-DD") from None
