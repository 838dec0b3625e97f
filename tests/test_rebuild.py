"""Rebuilds: only what changed is rendered and written; nothing stale is left behind.

The renderer (plugins/shafaf/render.py) skips a page when its key (the code, and every value
its templates read) is the one recorded last time and the file is as it was left.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader

from conftest import build_site
from factory import property_, ruling, violation, write_exports
from plugins.shafaf.render import Renderer

ROOT = Path(__file__).resolve().parent.parent


def snapshot(folder: Path) -> dict[str, tuple[int, str]]:
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in folder.rglob("*") if p.is_file()}


def exports(folder: Path, texts: dict[int, str], dropped: int | None = None,
            rulings_changed: dict[int, dict] | None = None, violations_changed: dict[int, dict] | None = None) -> Path:
    numbers = [n for n in range(1, 31) if n != dropped]
    rulings_changed, violations_changed = rulings_changed or {}, violations_changed or {}
    rulings = [ruling(ruling_no=f"1402/3/{n}", case_no=f"55{n:03d}", ruling_text=texts.get(n, f"متن رأی {n}"),
                      **rulings_changed.get(n, {}))
               for n in numbers]
    violations = [violation(ruling_no=f"1402/3/{n}", **violations_changed.get(n, {})) for n in numbers]
    properties = [property_(property_code=f"P-05-{n:04d}") for n in range(1, 6)]
    return write_exports(folder, rulings=rulings, violations=violations, properties=properties, fmt="csv")


def test_a_rebuild_writes_only_what_changed(tmp_path):
    work = tmp_path / "work"
    site = build_site(exports(tmp_path / "a", {}), work)
    output = site.output
    before = snapshot(output)
    page = {n: f"rulings/1402-3-{n}/index.html" for n in (5, 6, 7, 9)}
    assert all(p in before for p in page.values())
    (output / page[9]).write_text("edited by hand", encoding="utf-8")

    # Ruling 5's text changes and ruling 7 is withdrawn.
    build_site(exports(tmp_path / "b", {5: "متن تازه‌ی رأی ۵"}, dropped=7), work)
    after = snapshot(output)

    assert "متن تازه‌ی رأی ۵" in (output / page[5]).read_text("utf-8")
    assert page[7] not in after and "rulings/1402-3-7/record.json" not in after
    assert after[page[9]][1] == before[page[9]][1], "a page changed on disk is rendered again"
    assert after[page[6]] == before[page[6]], "an unchanged ruling's page is not touched"
    rewritten = {name for name in after if name in before and after[name][0] != before[name][0]}
    changed = {name for name in rewritten if after[name][1] != before[name][1]}
    assert sorted(rewritten - {page[9]} - changed) == [], "a file is rewritten only when its bytes change"
    # Ruling 5's page and JSON, and the pages that list ruling 7, change; ruling pages other
    # than 5 (and the one edited by hand) stay as they were.
    assert {page[5], "rulings/1402-3-5/record.json"} <= changed
    assert {n for n in changed if n.startswith("rulings/1402-3-") and n.endswith("index.html")} == {page[5]}
    # ... and only ruling 5's page was rendered at all (and 9's, edited by hand).
    import json
    manifest, = (work / "cache" / "pelican").glob("render-*.json")
    built = json.loads(manifest.read_text("utf-8"))["last_build"]
    assert built["rulings: rendered"] == 2 and built["properties: rendered"] == 0, built
    assert built["removed (no longer built)"] == 2, built  # ruling 7's page and its record.json


def last_build(work: Path) -> dict:
    import json
    manifest, = (work / "cache" / "pelican").glob("render-*.json")
    return json.loads(manifest.read_text("utf-8"))["last_build"]


def charts_shown(output: Path) -> int:
    """The distinct charts the site shows (inline SVG: the statistics page, home, member pages)."""
    import re
    found = set()
    for page in output.rglob("*.html"):
        found.update(re.findall(r'<svg role="img".*?</svg>', page.read_text("utf-8"), flags=re.S))
    return len(found)


def test_a_rebuild_renders_what_the_change_touches_and_equals_a_fresh_build(tmp_path):
    """Listing and member pages are keyed by the rows they show, and charts by their specs:
    a ruling's text renders its page alone; a field its rows show renders the pages that list
    it, whose unchanged charts are read back, not drawn; a member's figures draw their charts
    again. After each, the site is byte for byte what a fresh build of the same exports gives."""
    work = tmp_path / "work"
    site = build_site(exports(tmp_path / "a", {}), work)
    charts, = (work / "cache" / "pelican").glob("charts-*")
    drawn = snapshot(charts)
    assert len(drawn) == charts_shown(site.output) > 0, "every chart shown is kept, once"

    # 1. A ruling's text: its page and record.json, no listing, no member page, no chart.
    build_site(exports(tmp_path / "b", {5: "متن تازه‌ی رأی ۵"}), work)
    built = last_build(work)
    assert built["rulings: rendered"] == 1 and built.get("listings: rendered", 0) == 0, built
    assert snapshot(charts) == drawn, "no chart drawn again"

    # 2. A field the listings show (the neighbourhood): every page listing ruling 5 renders
    # (its district, year, type, decision, all rulings, its three members), no chart is drawn.
    moved = exports(tmp_path / "c", {5: "متن تازه‌ی رأی ۵"}, rulings_changed={5: {"neighbourhood": "گوهردشت"}})
    build_site(moved, work)
    built = last_build(work)
    assert built["listings: rendered"] >= 8 and built["rulings: rendered"] == 1, built
    assert snapshot(charts) == drawn, "a member page rendered again reads its unchanged charts back"
    fresh = build_site(moved, tmp_path / "fresh-c")
    assert snapshot_bytes(site.output) == snapshot_bytes(fresh.output)

    # 3. A member's figures (a decision): their charts are drawn again, the old ones removed.
    decided = exports(tmp_path / "d", {5: "متن تازه‌ی رأی ۵"}, rulings_changed={5: {"neighbourhood": "گوهردشت"}},
                      violations_changed={5: {"decision": "تخریب", "multiplier": None, "unit_value_rial": None,
                                              "fine_rial": None}})
    build_site(decided, work)
    after = snapshot(charts)
    assert set(after) - set(drawn), "the changed figures' charts are drawn"
    assert len(after) == charts_shown(site.output), "charts no page shows are removed"
    fresh = build_site(decided, tmp_path / "fresh-d")
    assert snapshot_bytes(site.output) == snapshot_bytes(fresh.output)


def test_a_damaged_chart_in_the_cache_is_drawn_again(tmp_path):
    from pipeline import charts
    from plugins.shafaf.chart_cache import ChartCache
    spec = charts.bars([{"c": "الف", "n": 3}, {"c": "ب", "n": 5}], "c", "n")
    cache = ChartCache(tmp_path)
    drawn = cache.svg(spec, "آزمون")
    assert drawn == charts.svg(spec, "آزمون") and cache.svg(spec, "آزمون") == drawn
    kept, = tmp_path.glob("*.svg")
    kept.write_bytes(kept.read_bytes()[:-40])   # cut short (a full disk, a hand edit)
    assert ChartCache(tmp_path).svg(spec, "آزمون") == drawn


def test_serial_and_parallel_rendering_give_the_same_site(sample_site, tmp_path):
    serial = build_site(sample_site.exports, tmp_path / "serial", overrides=("RENDER_PROCESSES=1",))
    assert snapshot_bytes(serial.output) == snapshot_bytes(sample_site.output)


def snapshot_bytes(folder: Path) -> dict[str, str]:
    return {name: digest for name, (_, digest) in snapshot(folder).items()}


# --- the key: what a page depends on -------------------------------------------------------

@pytest.fixture()
def renderer(tmp_path):
    theme = tmp_path / "theme" / "templates"
    theme.mkdir(parents=True)
    (theme / "base.html").write_text("{{ SITENAME }}{% block body %}{% endblock %}", encoding="utf-8")
    (theme / "page.html").write_text('{% extends "base.html" %}{% block body %}{{ item.name }}{% endblock %}',
                                     encoding="utf-8")
    env = Environment(loader=FileSystemLoader(str(theme)))
    settings = {"THEME": str(tmp_path / "theme"), "CACHE_PATH": str(tmp_path / "cache"), "RELATIVE_URLS": True}
    return lambda: Renderer(settings, str(tmp_path / "out"), env), theme


CONTEXT = {"SITENAME": "شفاف", "UNUSED": 1}


@pytest.mark.parametrize("change, same", [
    (lambda ctx, kw, theme: None, True),
    (lambda ctx, kw, theme: ctx.update(UNUSED=2), True),                 # not read by the template
    (lambda ctx, kw, theme: ctx.update(SITENAME="x"), False),            # read by the base template
    (lambda ctx, kw, theme: kw.update(item={"name": "y"}), False),       # a page variable
    (lambda ctx, kw, theme: (theme / "base.html").write_text("changed", encoding="utf-8"), False),
])
def test_a_page_key_follows_what_the_page_reads(renderer, change, same):
    make, theme = renderer
    context, kwargs = dict(CONTEXT), {"item": {"name": "x"}}
    first = make().key("p/index.html", "page", context, kwargs)
    change(context, kwargs, theme)
    second = make().key("p/index.html", "page", context, kwargs)
    assert (first == second) is same


def test_a_value_that_cannot_be_hashed_means_always_render(renderer):
    make, _ = renderer
    assert make().key("p/index.html", "page", CONTEXT, {"item": lambda: "x"}) is None


def test_two_pages_on_one_path_are_refused(renderer):
    make, _ = renderer
    with pytest.raises(ValueError, match="two pages"):
        make().render(None, CONTEXT, [("p/index.html", "page", {"item": {"name": "a"}}),
                                      ("p/index.html", "page", {"item": {"name": "b"}})], "test")


def test_a_content_folder_without_pipeline_pages_builds(tmp_path):
    """Before the first export (or with RECORD_PATHS folders missing) the site still builds."""
    import subprocess
    import sys
    pages = tmp_path / "content" / "pages"
    pages.mkdir(parents=True)
    for page in (ROOT / "content" / "pages").glob("*.md"):
        (pages / page.name).write_bytes(page.read_bytes())
    result = subprocess.run([str(Path(sys.executable).parent / "pelican"), str(tmp_path / "content"),
                             "-o", str(tmp_path / "output"), "-s", str(ROOT / "pelicanconf.py"),
                             "-e", f'CACHE_PATH="{tmp_path / "cache"}"'],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "output" / "index.html").is_file()
    assert not list((tmp_path / "output" / "rulings").glob("*/index.html"))
