"""Charts made at build time as inline SVG: Vega-Lite specs (plain dicts) rendered by
vl-convert (Vega's own renderer, no browser, no script on the page).

Why it reads right in Persian (README: *Charts*):

* text stays ``<text>`` elements, so the reader's browser shapes and orders Persian itself
  (vl-convert would only turn text into paths for PNG/PDF, never in SVG);
* numbers go through d3-format with ``LOCALE``: Persian digits, «٬» for thousands and «٫»
  for the decimal point, on axes and in labels alike;
* category axes sit on the right and a quantitative x axis grows leftwards (``reverse``),
  legends on the left: a right-to-left reader starts where the labels are;
* Vega measures labels with Vazirmatn itself (the TrueType files of the npm package the
  theme's ``*.woff2`` come from: vl-convert's font database reads no WOFF2), so a label's room
  matches what the browser draws.

The same spec gives the same bytes (no clock, no random id: ``tests/test_stats.py``).
"""
from __future__ import annotations

import atexit
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from . import parallel
from .normalise import PERSIAN_DIGITS

FONT = "Vazirmatn"
ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "node_modules" / "vazirmatn" / "fonts" / "ttf"
LOCALE = {"decimal": "٫", "thousands": "٬", "grouping": [3], "currency": ["", " ریال"],
          "numerals": list(PERSIAN_DIGITS), "percent": "٪", "minus": "−"}
# The site's palette (site.css), then colours that stay apart for colour-blind readers (Okabe-Ito).
PALETTE = ["#0b5563", "#e69f00", "#56b4e9", "#009e73", "#cc79a7", "#d55e00", "#0072b2", "#7a6a00",
           "#999999"]
CONFIG = {
    "font": FONT, "background": None,
    "view": {"stroke": None},
    "axis": {"labelFontSize": 13, "titleFontSize": 13, "titleFontWeight": "normal", "labelColor": "#222",
             "titleColor": "#222", "gridColor": "#e3e3e3", "labelLimit": 220},
    "legend": {"labelFontSize": 13, "titleFontSize": 13, "titleFontWeight": "normal", "orient": "bottom",
               "direction": "horizontal", "columns": 3, "labelLimit": 160, "symbolType": "square"},
    "range": {"category": PALETTE},
    "text": {"font": FONT, "fontSize": 12},
}

class ChartError(RuntimeError):
    """vl-convert could not draw a chart (its message), or its process ended."""


class _Drawer:
    """vl-convert in a process of its own (``python -m pipeline.charts``), fed one spec per line.

    vl-convert runs a JavaScript engine with threads of its own. A process that has started it
    and then forks (Pelican renders pages in two halves, ``pipeline.parallel``) hands the child a
    copy of that engine without its threads, and the child's first chart waits forever on a lock
    (seen at 100k: ``make html`` hung). So no process of the build ever loads vl-convert: each
    process that draws starts its own drawer, by exec, never by fork, and a forked child starts
    a new one rather than share its parent's pipes."""

    def __init__(self):
        self.process = subprocess.Popen([sys.executable, "-m", "pipeline.charts"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, cwd=str(ROOT), text=True, encoding="utf-8")

    def draw(self, spec: dict) -> str:
        self.process.stdin.write(json.dumps(spec, ensure_ascii=False) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise ChartError(f"the chart process ended (exit {self.process.wait()})")
        answer = json.loads(answer)
        if "error" in answer:
            raise ChartError(answer["error"])
        return answer["svg"]


_drawers: dict[int, _Drawer] = {}


def _drawer() -> _Drawer:
    pid = os.getpid()
    if pid not in _drawers:
        _drawers[pid] = _Drawer()
        # Waited for at the end, so that its CPU counts in the build's own (rusage of waited
        # children: what `make bench` reports), and no drawer outlives the process that drew.
        atexit.register(close)
        parallel.at_child_exit(close)
    return _drawers[pid]


def close() -> None:
    """End this process's drawer, if it has one, and wait for it."""
    drawer = _drawers.pop(os.getpid(), None)
    if drawer is not None:
        drawer.process.stdin.close()
        drawer.process.wait()


def _serve() -> None:
    """The drawer's side: a spec per line in, ``{"svg": …}`` or ``{"error": …}`` per line out."""
    import vl_convert as vlc
    if not (FONTS / f"{FONT}-Regular.ttf").is_file():
        raise SystemExit(f"{FONTS}/{FONT}-Regular.ttf is missing: run `make setup` (npm ci), "
                         "the charts measure their labels with it")
    vlc.register_font_directory(str(FONTS))
    for line in sys.stdin:
        try:
            answer = {"svg": vlc.vegalite_to_svg(json.loads(line), format_locale=LOCALE)}
        except Exception as error:  # noqa: BLE001  (sent back: the build names it)
            answer = {"error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
        sys.stdout.flush()


_LONG_DECIMAL = re.compile(r"(?<![\d.])\d+\.\d{3,}")


def _hundredths(match: re.Match) -> str:
    text = f"{float(match.group(0)):.2f}".rstrip("0").rstrip(".")
    return text


def svg(spec: dict, title: str) -> str:
    """The chart as an SVG element for inline use: ``role="img"`` with ``title`` as its
    accessible name (the table beside it carries the numbers for a screen reader)."""
    drawn = _drawer().draw({"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "config": CONFIG, **spec})
    # Coordinates to a hundredth of a pixel: Vega writes 14.499999999999995, and such runs of
    # digits read as national IDs that pass the checksum to the personal-data gate, which
    # refused a generated 10k publish. (Labels are Persian digits: untouched.)
    drawn = _LONG_DECIMAL.sub(_hundredths, drawn)
    # The XML head and the white page background belong to a file, not to an inline element.
    drawn = re.sub(r"^<\?xml[^>]*>\s*", "", drawn)
    drawn = re.sub(r'<rect width="[\d.]+" height="[\d.]+" fill="white"/>', "", drawn, count=1)
    label = (title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;"))
    return drawn.replace("<svg ", f'<svg role="img" aria-label="{label}" focusable="false" ', 1)


def category_axis(title: str | None, **extra) -> dict:
    """An axis of categories on the right: where a right-to-left reader starts."""
    return {"title": title, "orient": "right", "labelAlign": "left", **extra}


def number_axis(title: str | None, fmt: str = ",d", **extra) -> dict:
    return {"title": title, "format": fmt, **extra}


def bars(values: list[dict], category: str, amount: str, *, colour: str | None = None,
         colour_order: list | None = None, category_order: list | None = None, category_title=None,
         amount_title=None, amount_format=",d", colour_title=None, width: int = 260,
         stack: str | bool = "zero") -> dict:
    """Horizontal bars, growing leftwards from the category labels on the right; stacked by
    ``colour`` when given (its legend below, read right to left)."""
    x = {"field": amount, "type": "quantitative", "stack": stack, "scale": {"reverse": True},
         "axis": number_axis(amount_title, amount_format, orient="bottom", tickCount=4)}
    y = {"field": category, "type": "nominal", "sort": category_order or None,
         "axis": category_axis(category_title)}
    encoding = {"x": x, "y": y}
    if colour:
        encoding["color"] = {"field": colour, "type": "nominal", "sort": colour_order,
                             "scale": {"domain": colour_order} if colour_order else {},
                             "legend": {"title": colour_title}}
        encoding["order"] = {"field": "_order", "type": "quantitative"}
        if colour_order:
            index = {value: i for i, value in enumerate(colour_order)}
            values = [{**v, "_order": index.get(v[colour], len(index))} for v in values]
    return {"data": {"values": values}, "mark": {"type": "bar"}, "encoding": encoding,
            "width": width, "height": {"step": 22}}


if __name__ == "__main__":
    _serve()
