"""Pelican builds the listings from an index of the records, not from every record's page.

``plugins/shafaf/records.py`` keeps, per record, what the listings, member pages, feeds, map
and sitemap show of it (a ``RecordEntry``), in one marshal file of ``CACHE_PATH``; a record's
full page is read from its Markdown file only when that page is rendered.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import build_site
from test_rebuild import exports, snapshot, snapshot_bytes

from plugins.shafaf import records

ROOT = Path(__file__).resolve().parent.parent


def index_file(work: Path) -> Path:
    found, = (work / "cache" / "pelican").glob("record-index-*.marshal")
    return found


def last_build(work: Path) -> dict:
    manifest, = (work / "cache" / "pelican").glob("render-*.json")
    return json.loads(manifest.read_text(encoding="utf-8"))["last_build"]


def test_the_index_holds_what_the_listings_show_not_the_pages(tmp_path):
    work = tmp_path / "work"
    site = build_site(exports(tmp_path / "a", {5: "متنی که فقط صفحه‌ی رأی نشان می‌دهد"}), work)
    data = index_file(work).read_bytes()
    assert "متنی که فقط صفحه‌ی رأی نشان می‌دهد".encode() not in data, "a ruling's text is not kept"
    entries = records._load(index_file(work))
    assert len(entries) == len(list(site.content.glob("rulings/*.md"))) + len(list(site.content.glob("properties/*.md")))
    entry = records.RecordEntry(*entries["rulings/1402-3-5.md"][2:])
    assert entry.row["ruling_no"] == "1402/3/5" and set(entry.facts) == {"slug", "members", "types", "decisions"}
    assert "record" not in entry.row and "history" not in entry.row


def test_an_old_cache_of_full_pages_is_removed_and_a_damaged_index_read_again(tmp_path):
    """The pickle of every page the previous code kept is deleted, not read; an index cut
    short is ignored whole: every entry is made again and the site is the same."""
    work = tmp_path / "work"
    made = exports(tmp_path / "a", {})
    site = build_site(made, work)
    before = snapshot_bytes(site.output)
    where = hashlib.blake2b(str(site.content.resolve()).encode(), digest_size=8).hexdigest()
    old = work / "cache" / "pelican" / f"records-{where}.pickle"
    old.write_bytes(b"\x80\x05 a pickle of the previous version")
    index = index_file(work)
    index.write_bytes(index.read_bytes()[:-50])
    build_site(made, work)
    assert not old.exists()
    assert records._load(index), "the index is made again"
    assert snapshot_bytes(site.output) == before
    assert last_build(work).get("rulings: rendered", 0) == 0, "the pages' keys are the entries' keys"


def test_a_setting_the_record_pages_read_renders_them_from_their_files_as_a_fresh_build(tmp_path):
    """Every record page renders again (its full page read back from its Markdown file) and
    the site is what a fresh build with that setting makes."""
    work = tmp_path / "work"
    made = exports(tmp_path / "a", {})
    build_site(made, work)
    renamed = ('SITENAME="شفاف دیگر"',)
    site = build_site(made, work, overrides=renamed)
    assert last_build(work)["rulings: rendered"] == len(list(site.content.glob("rulings/*.md")))
    fresh = build_site(made, tmp_path / "fresh", overrides=renamed)
    assert snapshot_bytes(site.output) == snapshot_bytes(fresh.output)


# Pelican in a child, every read of a Markdown page recorded: (file, converted to HTML?).
COUNTING_PELICAN = """
import json, sys
sys.path.insert(0, "plugins")
import shafaf.records as records
reads = []
original = records.read_page
def counted(path, source, folder, markdown):
    reads.append((source, markdown is not None))
    return original(path, source, folder, markdown)
records.read_page = counted
from pelican import main
try:
    main(sys.argv[1:])
except SystemExit as exit_:
    assert not exit_.code, exit_.code
print("READS=" + json.dumps(sorted(reads)))
"""


def counted_pelican(site, work: Path) -> list:
    run = subprocess.run([sys.executable, "-c", COUNTING_PELICAN, str(site.content), "-o", str(site.output),
                          "-s", str(ROOT / "pelicanconf.py"),
                          "-e", f'CACHE_PATH="{work / "cache" / "pelican"}"', "RENDER_PROCESSES=1"],
                         cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"}, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    line, = (line for line in run.stdout.splitlines() if line.startswith("READS="))
    return [tuple(read) for read in json.loads(line[len("READS="):])]


def test_a_rebuild_reads_only_the_changed_page(tmp_path):
    """With nothing changed no page is read; after one ruling's text changed, that file alone:
    once for its entry, once (converted) to render it."""
    work = tmp_path / "work"
    site = build_site(exports(tmp_path / "a", {}), work)
    assert counted_pelican(site, work) == []
    before = snapshot(site.output)
    subprocess.run([sys.executable, "-m", "pipeline", "--exports", str(exports(tmp_path / "c", {5: "باز هم تازه"})),
                    "--content", str(site.content), "--output", str(site.output), "--reports", str(site.reports),
                    "--cache", str(work / "cache")], cwd=ROOT, check=True, capture_output=True)
    assert counted_pelican(site, work) == [("rulings/1402-3-5.md", False), ("rulings/1402-3-5.md", True)]
    assert "باز هم تازه" in (site.output / "rulings/1402-3-5/index.html").read_text("utf-8")
    after = snapshot(site.output)
    assert after["rulings/1402-3-6/index.html"] == before["rulings/1402-3-6/index.html"]


def test_a_page_changed_after_its_entry_was_made_stops_the_build(tmp_path):
    folder = tmp_path / "rulings"
    folder.mkdir()
    page = folder / "1402-3-1.md"
    record = {"slug": "1402-3-1", "ruling_no": "1402/3/1", "ruling_date": "2024-01-01", "stage": "بدوی",
              "district": 1, "violations": []}
    text = ("Title: t\nTemplate: ruling\nUrl: rulings/1402-3-1/\nSave_as: rulings/1402-3-1/index.html\n"
            f"Record: {json.dumps(record, ensure_ascii=False)}\n\nمتن")
    page.write_text(text, encoding="utf-8")
    entry = records.entry_of(records.read_page(str(page), "rulings/1402-3-1.md", "rulings", None), "rulings")
    reader = records.PageReader(str(tmp_path), {})
    assert reader.page(entry).content == "<p>متن</p>" and reader.record(entry) == record
    page.write_text(text + " دیگر", encoding="utf-8")
    with pytest.raises(records.RecordPageError, match="changed while"):
        reader.page(entry)
    with pytest.raises(records.RecordPageError, match="changed while"):
        reader.record(entry)
