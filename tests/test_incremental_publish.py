"""A publish that starts from the last published site (``pipeline.incremental``): the same bytes
as a publish into an empty folder, the previous site untouched, unchanged files hard links of
the live ones, files no longer made removed, and gates that still catch what became wrong in an
unchanged page."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from factory import ruling, violation, write_exports
from pipeline import files, gates, incremental, parallel
from pipeline.urls import URLS
from test_publish import good_properties, publish, tree

FIRST, SECOND = "2026-11-21", "2026-11-28"
# Withdrawn in B: the listings of its year (its only ruling) and of its only member disappear.
WITHDRAWN, WITHDRAWN_YEAR = "1401/3/102", 1401
ONLY_MEMBER = "ناصر توکلی"
STAFF_PAGE = URLS.save_as(URLS.static_page("links"))   # content/pages/links.md below


def rulings_a() -> list[dict]:
    # twelve rulings: one withdrawn stays below the 10 % shrink gate
    rows = [ruling(ruling_no=f"1402/3/{n}", case_no=f"۵۵{n}", owner_name=f"مالک شماره {n} نیک‌نام")
            for n in range(100, 112)]
    rows[2].update(ruling_no=WITHDRAWN, ruling_date="۱۴۰۱/۰۵/۱۲", interior_rep=ONLY_MEMBER)
    return rows


def exports_a(folder: Path) -> Path:
    rows = rulings_a()
    return write_exports(folder, rulings=rows, violations=[violation(ruling_no=r["ruling_no"]) for r in rows],
                         properties=good_properties())


def exports_b(folder: Path, **added) -> Path:
    """A ruling changed, one added, one withdrawn."""
    rows = [r for r in rulings_a() if r["ruling_no"] != WITHDRAWN]
    rows[0]["total_fine_rial"], rows[0]["ruling_text"] = "۱۳۰٬۰۰۰٬۰۰۰", "اضافه بنا در طبقه سوم."
    # the same date as the others: the newest ruling, in every page's footer, stays the same
    rows.append(ruling(ruling_no="1402/3/120", case_no="۵۵۱۲۰",
                       **{"owner_name": "مالک تازه نیک‌نام", **added}))
    violations = [violation(ruling_no=r["ruling_no"]) for r in rows]
    violations[0]["fine_rial"] = "130000000"
    return write_exports(folder, rulings=rows, violations=violations, properties=good_properties())


def inodes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def page_of(slug: str) -> str:
    return URLS.save_as(URLS.ruling(slug))


def gate_line(run, name: str) -> str:
    return next(line for line in run.stdout.splitlines() if f"  {name}: " in line)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A published, then B published over it incrementally and, from a copy of A's site and
    state, into an empty folder (FULL_CHECK)."""
    root = tmp_path_factory.mktemp("incremental")
    incremental_work, full_work = root / "incremental", root / "full"
    first = publish(exports_a(root / "a"), incremental_work, date=FIRST)
    assert first.returncode == 0, first.stderr
    for name in ("output", "state"):
        shutil.copytree(incremental_work / name, full_work / name, copy_function=shutil.copy2)
    live = incremental_work / "output"
    before, before_inodes = tree(live), inodes(live)
    b = exports_b(root / "b")
    second = publish(b, incremental_work, date=SECOND)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr
    full = publish(b, full_work, date=SECOND, FULL_CHECK="1")
    assert full.returncode == 0, full.stdout[-3000:] + full.stderr
    return {"work": incremental_work, "full_work": full_work, "before": before, "before_inodes": before_inodes,
            "run": second, "full": full}


def test_an_incremental_publish_gives_the_site_a_full_publish_gives(published):
    run, work = published["run"], published["work"]
    assert "started from" in gate_line(run, "start")
    incremental_tree, full_tree = tree(work / "output"), tree(published["full_work"] / "output")
    assert sorted(incremental_tree) == sorted(full_tree), "file for file"
    assert incremental_tree == full_tree, "byte for byte"
    # what the comparison covers: a changed, an added and a withdrawn ruling
    before = published["before"]
    assert before[page_of("1402-3-100")] != incremental_tree[page_of("1402-3-100")]
    assert page_of("1402-3-120") in incremental_tree and page_of("1402-3-120") not in before


def test_the_previous_site_is_byte_identical_to_what_was_live(published):
    """Although the new site shares its unchanged files with it."""
    previous = published["work"] / "output.prev"
    assert set(inodes(previous).values()) & set(inodes(published["work"] / "output").values())
    assert tree(previous) == published["before"]
    assert inodes(previous) == published["before_inodes"]


def test_unchanged_files_are_hard_links_of_the_live_ones_and_changed_ones_are_not(published):
    work, before = published["work"], published["before"]
    now, new_inodes, old_inodes = tree(work / "output"), inodes(work / "output"), published["before_inodes"]
    same = [name for name in now if before.get(name) == now[name] and not name.startswith(".shafaf")]
    changed = [name for name in now if name in before and before[name] != now[name]]
    assert page_of("1402-3-101") in same and page_of("1402-3-100") in changed
    assert [name for name in same if new_inodes[name] != old_inodes[name]] == []
    assert [name for name in changed if new_inodes[name] == old_inodes[name]] == []
    kept = gate_line(published["run"], "gzip")
    assert kept.endswith(f"unchanged: {sum(1 for n in same if n.endswith('.gz'))}")


def test_files_no_longer_made_are_removed(published):
    before, now = published["before"], tree(published["work"] / "output")
    gone = sorted(set(before) - set(now))
    member_pages = [name for name in gone if name.startswith(URLS.members().strip("/"))]
    year_page = URLS.save_as(URLS.facet("years", WITHDRAWN_YEAR))
    assert year_page in gone and year_page + ".gz" in gone
    assert member_pages, "the page of a member who sat only on the withdrawn ruling"
    assert sorted(set(tree(published["full_work"] / "output")) - set(now)) == []
    # the writers remove some themselves (search shards, pages the renderer no longer makes);
    # no writer removes a .gz: those the publish removed as no longer made
    removed = int(re.search(r"(\d+) files no longer made removed", gate_line(published["run"], "start"))[1])
    assert removed >= len([g for g in gone if g.endswith(".gz")]) > 0


def test_full_check_builds_into_an_empty_folder_and_checks_every_file(published):
    full, work = published["full"], published["full_work"]
    assert "FULL_CHECK" in gate_line(full, "start")
    assert "scanned in full" in gate_line(full, "personal-data") and "unchanged" not in gate_line(full, "personal-data")
    shared = set(inodes(work / "output").values()) & set(inodes(work / "output.prev").values())
    snapshot = URLS.data().strip("/") + "/" + FIRST
    # only the dated snapshot of the first publication is carried over (from the state's archive)
    assert {n for n, i in inodes(work / "output").items() if i in shared} <= \
        {n for n in inodes(work / "output") if n.startswith(snapshot)}
    assert gate_line(full, "gzip").endswith("unchanged: 0")


def test_the_index_in_the_state_holds_no_private_value_in_clear(published):
    text = (published["work"] / "state" / incremental.INDEX).read_text("utf-8")
    index = json.loads(text)
    assert index["private"] and all(len(d) == 64 for d in index["private"])
    for value in ("نیک‌نام", "نیک نام", "0499370899", "09121234567", "9121234567"):
        assert value not in text
    assert not list((published["work"] / "output").rglob(incremental.INDEX)), "never published"


# --- gates that cost what changed -----------------------------------------------------------

def _two_publications(work: Path, page: str, b_exports) -> tuple:
    """Publish A with a staff page, then try B; returns (the second run, the live tree before)."""
    first = publish(exports_a(work / "a"), work, date=FIRST, pages={"links.md": page})
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr
    before = tree(work / "output")
    second = publish(b_exports(work / "b"), work, date=SECOND, pages={"links.md": page})
    return second, before


def _refused_with_the_page_unchanged(work: Path, run, before: dict, gate: str) -> None:
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr
    assert f"gate «{gate}» failed" in run.stderr and STAFF_PAGE in run.stderr, run.stderr
    assert tree(work / "output") == before, "a refused publish leaves the live site byte-identical"
    # caught in a page the build did not change: the refused build's page is the live file
    assert os.stat(work / "output.new" / STAFF_PAGE).st_ino == os.stat(work / "output" / STAFF_PAGE).st_ino


def test_the_link_gate_catches_a_removed_target_linked_from_an_unchanged_page(tmp_path):
    page = f"Title: پیوندها\nSlug: links\n\n[آرای {WITHDRAWN_YEAR}](/{URLS.facet('years', WITHDRAWN_YEAR)})\n"
    run, before = _two_publications(tmp_path, page, exports_b)
    _refused_with_the_page_unchanged(tmp_path, run, before, "links")
    assert URLS.save_as(URLS.facet("years", WITHDRAWN_YEAR)) in run.stderr


def test_a_value_in_an_unchanged_page_that_becomes_private_is_caught(tmp_path):
    page = "Title: پیوندها\nSlug: links\n\nبا سپاس از فرهاد شکوهی‌زاده برای عکس‌ها.\n"
    run, before = _two_publications(tmp_path, page, lambda folder: exports_b(folder, owner_name="فرهاد شکوهی‌زاده"))
    _refused_with_the_page_unchanged(tmp_path, run, before, "personal-data")
    assert "a value of a private column" in run.stderr and "شکوهی" not in run.stderr


def test_a_site_changed_by_hand_or_moved_to_another_address_is_not_started_from(tmp_path):
    first = publish(exports_a(tmp_path / "a"), tmp_path, date=FIRST)
    assert first.returncode == 0, first.stderr
    robots = tmp_path / "output" / URLS.robots()
    robots.write_bytes(robots.read_bytes() + b"# edited on the server\n")  # in place: the same inode
    second = publish(exports_b(tmp_path / "b"), tmp_path, date=SECOND)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr
    assert f"changed since it was published ({URLS.robots()}" in gate_line(second, "start")
    assert "a full build" in second.stderr
    assert b"edited" not in (tmp_path / "output" / URLS.robots()).read_bytes()
    # Pelican's renderer does not key a page by the site address its links start with
    moved = publish(exports_b(tmp_path / "b"), tmp_path, date="2026-12-05", SHAFAF_SITEURL="https://new.example.org")
    assert moved.returncode == 0, moved.stdout[-3000:] + moved.stderr
    assert "site address or the Pelican settings changed" in gate_line(moved, "start")
    assert b"shafaf.example.org" not in (tmp_path / "output" / page_of("1402-3-101")).read_bytes()


def test_the_link_gate_looks_up_the_recorded_targets_of_unchanged_pages(tmp_path):
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text('<a href="/b.html">b</a><a href="/c.html">c</a>', "utf-8")
    (site / "b.html").write_text("b", "utf-8")
    (site / "c.html").write_text("c", "utf-8")
    findings, _, found = gates.check_links(site)
    assert findings == [] and found["index"]["a/index.html"] == ["b.html", "c.html"]
    (site / "c.html").unlink()
    (site / "a" / "index.html").write_text("not read again: unchanged", "utf-8")
    findings, _, found = gates.check_links(site, "", {"a/index.html"}, found["index"])
    assert [f.file for f in findings] == ["a/index.html"] and "c.html" in findings[0].cause
    assert (found["full"], found["incremental"]) == (1, 1)


def test_a_forked_worker_records_what_it_was_asked_to_write(tmp_path):
    page = tmp_path / "site" / "page.html"
    with files.recording(tmp_path / "written") as written:
        parallel.Forked(files.write_if_changed, page, "x").result()
        parallel.Forked(files.write_if_changed, page, "x").result()   # unchanged: recorded too
        files.write_if_changed(tmp_path / "site" / "other.html", "y")
        found = written()
    assert found == {str(page), str(tmp_path / "site" / "other.html")}
    assert files.RECORD not in os.environ


def test_the_sample_publishes_with_full_check_and_then_incrementally_to_the_same_site(tmp_path):
    """CI's FULL_CHECK run on the sample exports, and a week later, nothing changed, the same
    exports published from it give what FULL_CHECK gives."""
    sample = ROOT / "data" / "sample"
    first = publish(sample, tmp_path / "incremental", date=FIRST, FULL_CHECK="1")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr
    assert "FULL_CHECK" in gate_line(first, "start")
    for name in ("output", "state"):
        shutil.copytree(tmp_path / "incremental" / name, tmp_path / "full" / name, copy_function=shutil.copy2)
    second = publish(sample, tmp_path / "incremental", date=SECOND)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr
    assert "started from" in gate_line(second, "start")
    assert "no value being new" in gate_line(second, "personal-data")
    full = publish(sample, tmp_path / "full", date=SECOND, FULL_CHECK="1")
    assert full.returncode == 0, full.stdout[-3000:] + full.stderr
    assert tree(tmp_path / "incremental" / "output") == tree(tmp_path / "full" / "output")
