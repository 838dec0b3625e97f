"""The municipality's settings, read from the ``MUNICIPALITY`` block of ``pelicanconf.py``.

One place for everything that differs between cities, validated here so that a typo stops
the build with a clear message instead of publishing a wrong site.
"""
from __future__ import annotations

import datetime as dt
import runpy
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIRED_KEYS = {
    "name_fa": str, "name_en": str, "districts": int, "latitude": tuple, "longitude": tuple,
    "license_id": str, "license_title": str, "license_url": str, "contact": str,
    "publisher_fa": str,
}
# Keys a city may add to its block; absent ones take these defaults.
OPTIONAL_KEYS = {
    "site_url": "",   # the public address, e.g. "https://shafaf.karaj.ir" (SHAFAF_SITEURL wins)
}


@dataclass(frozen=True)
class Municipality:
    name_fa: str
    name_en: str
    districts: int
    latitude: tuple[float, float]
    longitude: tuple[float, float]
    license_id: str
    license_title: str
    license_url: str
    contact: str
    publisher_fa: str
    site_url: str = ""


class SettingsError(ValueError):
    pass


def municipality_from(block: dict) -> Municipality:
    unknown = set(block) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS)
    missing = set(REQUIRED_KEYS) - set(block)
    if unknown or missing:
        raise SettingsError(f"MUNICIPALITY: missing {sorted(missing)}, unknown {sorted(unknown)}")
    for name, kind in REQUIRED_KEYS.items():
        if not isinstance(block[name], kind):
            raise SettingsError(f"MUNICIPALITY[{name!r}] must be a {kind.__name__}")
    for name, default in OPTIONAL_KEYS.items():
        if not isinstance(block.get(name, default), type(default)):
            raise SettingsError(f"MUNICIPALITY[{name!r}] must be a {type(default).__name__}")
    if not 1 <= block["districts"] <= 99:
        raise SettingsError("MUNICIPALITY['districts'] must be between 1 and 99")
    for name in ("latitude", "longitude"):
        low, high = block[name]
        if not low < high:
            raise SettingsError(f"MUNICIPALITY[{name!r}] must be (low, high)")
    return Municipality(**block)


def load(settings_file: Path = ROOT / "pelicanconf.py") -> Municipality:
    return municipality_from(runpy.run_path(str(settings_file))["MUNICIPALITY"])


def publication_date(value: str | None) -> str | None:
    """A publication date as given (``--date`` or ``SHAFAF_PUBLICATION_DATE``), checked."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise SettingsError(f"publication date {value!r} is not YYYY-MM-DD") from None
