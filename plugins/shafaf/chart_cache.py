"""Charts drawn once: each SVG kept in ``CACHE_PATH/charts-<output>/`` under the digest of what
draws it.

vl-convert takes 0.03–1 s a chart (BENCHMARKS.md), and a member page whose rows changed
(a ruling's text edited) shows the same figures as before: drawing its six charts again
cost most of a weekly publish's Pelican time. A chart is a function of its Vega-Lite spec,
its title, ``pipeline/charts.py`` (config, locale, the clean-up of the SVG), vl-convert's
version and the fonts it measures labels with; the key hashes all of them, so a change of
any one draws the chart again and an unchanged one is read back, byte for byte what
drawing it gives (``tests/test_rebuild.py``).

One file per chart, written through ``pipeline.files`` (a temporary file renamed into
place): a page rendered in a forked process draws and stores its charts itself, and no
reader sees half a file. The parent knows every chart the site shows (``keys``, from the
specs, which cost nothing to build) and removes the others at the end of the build.
"""
from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

from pipeline import charts
from pipeline.files import code_digest, write_if_changed


def _code() -> str:
    h = hashlib.blake2b(code_digest([Path(charts.__file__)]).encode(), digest_size=16)
    try:
        h.update(metadata.version("vl-convert-python").encode())
    except metadata.PackageNotFoundError:
        pass
    fonts = charts.FONTS
    if fonts.is_dir():
        for path in sorted(fonts.glob("*.ttf")):
            h.update(f"{path.name}\0{path.stat().st_size}\0".encode())
    return h.hexdigest()


def _check(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class ChartCache:
    def __init__(self, folder: Path):
        self.folder = folder
        self.code = _code()
        self.keys: set[str] = set()  # the charts this build shows (those this process asked for)

    def key(self, spec: dict, title: str) -> str:
        # In the order the spec was built (no sort_keys): a spec written another way is drawn again.
        text = json.dumps([self.code, spec, title], ensure_ascii=False, separators=(",", ":"))
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()

    def svg(self, spec: dict, title: str) -> str:
        key = self.key(spec, title)
        self.keys.add(key)
        path = self.folder / f"{key}.svg"
        try:
            check, _, kept = path.read_text(encoding="utf-8").partition("\n")
            if check == _check(kept):
                return kept
        except (FileNotFoundError, UnicodeDecodeError):
            pass
        drawn = charts.svg(spec, title)
        # The drawing's own digest first: a file cut short or edited is drawn again, never shown.
        write_if_changed(path, f"{_check(drawn)}\n{drawn}")
        return drawn

    def prune(self) -> int:
        """Remove the charts no page of this build shows; how many."""
        removed = 0
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return 0
        for entry in entries:
            if entry.name.endswith(".svg") and entry.name[:-4] not in self.keys:
                os.unlink(entry.path)
                removed += 1
        return removed


_CACHES: dict[str, ChartCache] = {}


def _folder(settings: dict, output_path) -> Path:
    # One folder per output folder, as the render manifest: a preview (make html) and a
    # publish share CACHE_PATH, and each removes only the charts its own site no longer shows.
    where = hashlib.blake2b(str(Path(output_path).resolve()).encode(), digest_size=8).hexdigest()
    return Path(settings.get("CACHE_PATH", "cache")) / f"charts-{where}"


def cache_for(settings: dict, output_path) -> ChartCache:
    """The build's one chart cache, shared by the statistics and member pages."""
    folder = _folder(settings, output_path)
    key = str(folder.resolve())
    if key not in _CACHES:
        _CACHES[key] = ChartCache(folder)
    return _CACHES[key]


def finish(settings: dict, output_path) -> None:
    cache = _CACHES.pop(str(_folder(settings, output_path).resolve()), None)
    if cache is not None:
        cache.prune()
