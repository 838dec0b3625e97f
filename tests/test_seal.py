"""The seal costs what changed: a publish keeps the digest of a file untouched since the last
seal (the same inode, size, mtime, and a ctime that moved only with its hard links), and the
seal it writes is byte for byte the one hashing every file gives; ``make upload`` still finds a
file edited by hand, even in place with its size and mtime put back (the ctime moved), and
``FULL_CHECK=1`` hashes every file whatever the record says."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import time
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from pipeline import seal
from pipeline.urls import URLS
from test_incremental_publish import FIRST, SECOND, exports_a, exports_b, gate_line
from test_publish import publish, tree


@pytest.fixture(scope="module")
def twice(tmp_path_factory):
    """A published, then B published from it (the seal keeping the digests it can)."""
    work = tmp_path_factory.mktemp("seal")
    first = publish(exports_a(work / "a"), work, date=FIRST)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr
    second = publish(exports_b(work / "b"), work, date=SECOND)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr
    return {"work": work, "first": first, "second": second}


def counts(run) -> tuple[int, int]:
    line = gate_line(run, "seal")
    return (int(re.search(r"files hashed: (\d+)", line)[1]),
            int(re.search(r"untouched since: (\d+)", line)[1]))


def edit_in_place_keeping_size_and_mtime(path: Path) -> None:
    before = path.stat()
    data = path.read_bytes()
    edited = data.replace(b"/", b"|", 1)
    assert edited != data and len(edited) == len(data)
    with path.open("r+b") as handle:   # the same inode: no writer of ours ever does this
        handle.write(edited)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)


def upload(work: Path, dest: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.upload", "--output", str(work / "output"),
                           "--state", str(work / "state"), "--cache", str(work / "cache")],
                          cwd=ROOT, capture_output=True, text=True, check=False,
                          env={**os.environ, "SHAFAF_UPLOAD_DEST": f"{dest}/", "FULL_CHECK": "", **env})


def test_a_seal_that_keeps_digests_is_the_seal_hashing_every_file_gives(twice, tmp_path):
    work = twice["work"]
    first_hashed, first_kept = counts(twice["first"])
    hashed, kept = counts(twice["second"])
    assert first_kept == 0, "a first publication has no seal to keep digests from"
    assert kept > 0 and hashed > 0, "unchanged files keep their digests, changed ones are hashed"
    assert hashed + kept == len(seal.read(work / "output").files)
    # every digest kept is true of the file's bytes
    assert seal.listing(work / "output") == seal.read(work / "output").files
    # and the seal's bytes are those of sealing a copy whose every file is hashed
    copy = tmp_path / "copy"
    shutil.copytree(work / "output", copy, copy_function=shutil.copy2)
    (copy / seal.NAME).unlink()
    seal.write(copy, SECOND, work / "state")
    assert (copy / seal.NAME).read_bytes() == (work / "output" / seal.NAME).read_bytes()


def test_the_record_is_a_cache_of_signatures_never_in_the_site_or_the_state(twice):
    work = twice["work"]
    path = seal.record_path(work / "cache", work / "output")
    record = json.loads(path.read_text("utf-8"))
    assert record["seal"] == seal.read(work / "output").digest
    assert set(record["files"]) == set(seal.read(work / "output").files)
    inode = os.stat(work / "output" / URLS.robots()).st_ino
    assert record["files"][URLS.robots()][1] == inode
    for folder in ("output", "state"):
        assert not [p for p in (work / folder).rglob("*") if p.name.startswith("seal-")]


def test_the_record_and_the_inventory_are_the_bytes_json_gives(twice):
    """Written by hand, entry by entry, they are what ``json.dumps(sort_keys=True)`` gave
    before: the code before reads them, and this code reads what the code before wrote."""
    from pipeline import incremental
    work = twice["work"]
    for path in (seal.record_path(work / "cache", work / "output"),
                 incremental.inventory_path(work / "cache", work / "output")):
        text = path.read_text("utf-8")
        assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":")), path.name


def test_the_live_site_is_checked_without_loading_its_inventory_or_record_whole(twice, monkeypatch):
    """At 100k each holds 234,000 entries: the inventory is compared as text, the record read
    entry by entry, and the live site held as one packed signature per file."""
    from pipeline import incremental
    from pipeline.link_index import LinkIndex
    work = twice["work"]
    settings = json.loads((work / "state" / incremental.INDEX).read_text("utf-8"))["settings"]
    loads = json.loads

    def whole(text, *args, **kwargs):
        assert not str(text).startswith('{"files":'), "an inventory or a record loaded as one JSON document"
        return loads(text, *args, **kwargs)
    monkeypatch.setattr(json, "loads", whole)
    live, how = incremental.live_site(work / "output", work / "state", work / "cache", False, settings)
    assert live is not None, how
    assert {type(e) for e in live.files.values()} == {bytes}
    assert {len(e) for e in live.files.values()} == {seal.PACKED.size + 1}
    assert isinstance(live.links, LinkIndex) and live.links.pages
    monkeypatch.setattr(json, "loads", loads)
    published = seal.read(work / "output")
    vouched = {name for name in live.files if live.vouched(published).get(name) is not None}
    assert vouched == set(seal.known_digests(work / "output", work / "cache"))


@pytest.fixture
def live(twice, tmp_path):
    """A copy of the published site with a record of its own (the copy's inodes): ``make
    upload`` keeps every digest it can and hashes nothing else."""
    work = tmp_path / "work"
    for name in ("output", "state"):
        shutil.copytree(twice["work"] / name, work / name, copy_function=shutil.copy2)
    # A file whose ctime is within the racy margin of the record is never trusted: the copies
    # are made this instant, so the record is taken past that margin (it failed once in CI).
    time.sleep(2 * seal.RACY_NS / 1e9)
    published = seal.read(work / "output")
    hashing = seal.Hashing()
    assert seal.listing(work / "output", hashing) == published.files
    seal.save_record(work / "cache", work / "output", published.digest, hashing.seen)
    return work


def test_upload_keeps_the_recorded_digests(live):
    known = seal.known_digests(live / "output", live / "cache")
    assert known, "files whose ctime is older than the racy margin keep their digests"
    hashing = seal.Hashing(known=known)
    assert seal.listing(live / "output", hashing) == seal.read(live / "output").files
    assert hashing.kept == len(known) and hashing.hashed == len(seal.read(live / "output").files) - len(known)
    assert seal.check(live / "output", live / "cache") == []


@pytest.mark.parametrize("edit", ["rewritten", "in place, size and mtime put back"])
def test_upload_still_finds_a_file_edited_by_hand(live, tmp_path, edit):
    robots = live / "output" / URLS.robots()
    assert URLS.robots() in seal.known_digests(live / "output", live / "cache"), "a digest the check would keep"
    if edit == "rewritten":
        robots.write_bytes(robots.read_bytes() + b"# edited on the server\n")
    else:
        edit_in_place_keeping_size_and_mtime(robots)
    assert seal.check(live / "output", live / "cache") == [f"changed since publish: {URLS.robots()}"]
    refused = upload(live, tmp_path / "dest")
    assert refused.returncode == 1 and f"changed since publish: {URLS.robots()}" in refused.stderr, refused.stderr
    assert not (tmp_path / "dest").exists()


def test_full_check_hashes_every_file_whatever_the_record_says(live, tmp_path):
    """What the record cannot see (an edit that kept size, mtime and ctime: a disk written
    under the file system) stands here for a record that vouches for an edited file."""
    robots = live / "output" / URLS.robots()
    edit_in_place_keeping_size_and_mtime(robots)
    path = seal.record_path(live / "cache", live / "output")
    record = json.loads(path.read_text("utf-8"))
    record["files"][URLS.robots()] = seal.signature(os.lstat(robots)) + [1]
    path.write_text(json.dumps(record), "utf-8")
    assert seal.check(live / "output", live / "cache") == [], "trusted: the record vouches for it"
    assert seal.check(live / "output", live / "cache", full=True) == [f"changed since publish: {URLS.robots()}"]
    refused = upload(live, tmp_path / "dest", FULL_CHECK="1")
    assert refused.returncode == 1 and f"changed since publish: {URLS.robots()}" in refused.stderr, refused.stderr


def test_a_record_of_another_seal_or_another_copy_keeps_no_digest(live, twice):
    assert seal.known_digests(live / "output", twice["work"] / "cache") == {}, "the record of another path"
    published = seal.read(live / "output")
    (live / "output" / seal.NAME).write_text(
        (live / "output" / seal.NAME).read_text("utf-8").replace(published.digest, "0" * 64), "utf-8")
    assert seal.known_digests(live / "output", live / "cache") == {}, "the record of another seal"


def test_a_live_file_edited_in_place_keeping_size_and_mtime_is_not_started_from(tmp_path):
    """The inventory (device, inode, size, mtime) cannot see such an edit; the record's ctime can."""
    first = publish(exports_a(tmp_path / "a"), tmp_path, date=FIRST)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr
    edit_in_place_keeping_size_and_mtime(tmp_path / "output" / URLS.robots())
    run = publish(exports_b(tmp_path / "b"), tmp_path, date=SECOND)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    assert f"changed since it was published ({URLS.robots()}: its ctime moved" in gate_line(run, "start")
    assert "a full build" in run.stderr
    assert b"|" not in (tmp_path / "output" / URLS.robots()).read_bytes()
    assert seal.check(tmp_path / "output", tmp_path / "cache") == []


def test_the_previous_baseline_is_a_hard_link_of_the_last_published_one_and_keeps_its_values(twice):
    """The staged state's ``previous.json`` is the last ``published.json`` (no 20 MB written
    again at 10k), and the values file it names is kept beside it."""
    from pipeline.changes import load_state
    work = twice["work"]
    previous, last = work / "state" / "previous.json", work / "state.prev" / "published.json"
    assert os.stat(previous).st_ino == os.stat(last).st_ino
    named = json.loads(previous.read_text("utf-8"))["values_file"]
    assert (work / "state" / named).read_bytes() == (work / "state.prev" / named).read_bytes()
    assert load_state(work / "state")["previous"]["published"] == FIRST


# --- the spare: the site before the previous one, recycled as the next build's folder ----------

def test_an_ended_transaction_keeps_the_sites_trash_as_the_spare_and_removes_the_states(tmp_path):
    from pipeline import transaction
    output, state = tmp_path / "output", tmp_path / "state"
    for folder in (output, state):
        for suffix in ("", ".prev", ".new"):
            (folder.with_name(folder.name + suffix) / "f").mkdir(parents=True)
            (folder.with_name(folder.name + suffix) / "f" / "x").write_text(suffix or "live", "utf-8")
    trash = (tmp_path / "output.prev" / "f" / "x").stat().st_ino
    transaction.finish(output, transaction.begin(output, state, "2026-11-28"))
    assert transaction.clean(output, state) == []
    assert (tmp_path / "output.spare" / "f" / "x").stat().st_ino == trash, "renamed, not copied"
    assert not (tmp_path / "output.trash").exists() and not (tmp_path / "state.trash").exists()
    assert not (tmp_path / "state.spare").exists()
    assert transaction.recover(output, state) == [], "a spare is nothing to recover"


def test_a_build_folder_made_from_the_spare_is_a_hard_link_of_every_live_file_and_nothing_else(tmp_path):
    from pipeline import incremental
    live, spare, new = tmp_path / "output", tmp_path / "output.spare", tmp_path / "output.new"
    for name, text in {"a.html": "a", "d/b.html": "b", "d/c.html": "c", "e/f.html": "f"}.items():
        (live / name).parent.mkdir(parents=True, exist_ok=True)
        (live / name).write_text(text, "utf-8")
    (spare / "d").mkdir(parents=True)
    os.link(live / "a.html", spare / "a.html")                     # still the live file
    os.link(live / "d" / "b.html", spare / "d" / "b.html")
    (spare / "d" / "c.html").write_text("c as it was", "utf-8")     # an older version
    (spare / "gone").mkdir()
    (spare / "gone" / "old.html").write_text("no longer made", "utf-8")
    (spare / seal.NAME).write_text("{}", "utf-8")                    # the older site's seal
    (spare / "link.html").symlink_to(live / "a.html")
    before = tree(live)
    site = incremental.Live(live, incremental.inventory(live), {}, set(), set())
    how = incremental.seed(site, new, spare)
    assert not spare.exists() and "from output.spare/: 2 files already the live ones, 4 removed" in how
    assert tree(new) == before and tree(live) == before
    assert {n: os.stat(new / n).st_ino for n in before} == {n: os.stat(live / n).st_ino for n in before}
    assert not (new / "link.html").is_symlink() and not (new / seal.NAME).exists()
    # without a spare: an empty folder, every file linked
    shutil.rmtree(new)
    assert incremental.seed(site, new) == "hard links into an empty folder, 4 linked"
    assert tree(new) == before


def test_a_publish_made_from_the_spare_gives_the_site_and_seal_a_full_publish_gives(tmp_path):
    """Four publications: the fourth's build folder is made from the spare (the first site),
    and its site, seal included, is byte for byte what FULL_CHECK gives from the third."""
    work, full = tmp_path / "work", tmp_path / "full"
    a, b = exports_a(tmp_path / "a"), exports_b(tmp_path / "b")
    for exports, date in ((a, FIRST), (b, SECOND), (b, "2026-12-05")):
        run = publish(exports, work, date=date)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    assert (work / "output.spare").is_dir() and not (work / "output.trash").exists()
    for name in ("output", "state"):
        shutil.copytree(work / name, full / name, copy_function=shutil.copy2)
    fourth = publish(a, work, date="2026-12-12")
    assert fourth.returncode == 0, fourth.stdout[-3000:] + fourth.stderr
    assert "from output.spare/" in gate_line(fourth, "start")
    assert counts(fourth)[1] > 0
    again = publish(a, full, date="2026-12-12", FULL_CHECK="1")
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr
    assert tree(work / "output") == tree(full / "output"), "file for file, byte for byte, the seal too"
    assert seal.check(work / "output", work / "cache") == []


MANY = {f"{'zb'[i % 2]}/{i}/ی «{i}».html": f"{i:064x}" for i in range(3 * seal._ENTRIES_AT_ONCE + 5)}


@pytest.mark.parametrize("files", [{}, {"a.html": "0" * 64, 'b/"q" ی.html': "f" * 64, "c\\d": "1" * 64,
                                        "d": "link:../a.html"}, MANY], ids=["none", "odd names", "many"])
def test_the_seal_is_the_bytes_json_with_an_indent_gives_and_reads_back_without_its_files(tmp_path, files):
    """Made, and its digest taken, a few thousand entries at a time (never one text of every
    file): the bytes and the digest are those of the whole JSON text, whatever the order the
    files were listed in."""
    files = dict(reversed(files.items()))
    data = {"format": seal.FORMAT, "published": FIRST, "state": None, "digest": seal.digest_of(files),
            "count": len(files), "files": files}
    assert data["digest"] == hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    text = b"".join(seal._seal_parts(data, (piece.encode() for piece in seal._entries(files, ",\n")))).decode("utf-8")
    assert text == json.dumps(data, indent=0, sort_keys=True) + "\n"
    (tmp_path / seal.NAME).write_text(text, "utf-8")
    head = seal.read(tmp_path, files=False)
    assert head == seal.Seal(FIRST, None, data["digest"], {}), "its fields, and no list of its files"
    assert seal.read(tmp_path).files == files


TRICKY = ["a-b.html", "a.html", "a0", "a/x.html", "a/b/c.html", "a b/ی.html", "ab", "a!", "A/z", "_/q",
          "ی/ک.html", "ی.html", "یک", "x/a-b/c", "x/a/b", "x/a.b", "x/a0", "z\\w"]


def test_the_seal_written_as_the_site_is_walked_is_the_one_its_sorted_listing_gives(tmp_path):
    """The seal is written entry by entry as the files are hashed, in the walk's order: the walk
    must give the files in sorted order of their names (a folder «a» lists after «a-b.html»
    and «a.html», before «a0»), or the seal would not be the JSON of its sorted listing."""
    site = tmp_path / "site"
    for n, name in enumerate(TRICKY):
        path = site / name
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"file {n}", encoding="utf-8")
    (site / "link-to-a").symlink_to("a.html")
    (site / "folder-link").symlink_to("a")
    (tmp_path / "state").mkdir()
    walked = [relative for relative, _, _ in seal.walk(site)]
    assert walked == sorted(walked) and len(walked) == len(set(walked)) >= len(TRICKY)
    hashing = seal.Hashing()
    digest = seal.write(site, FIRST, tmp_path / "state", hashing)
    files = {name: ("link:" + os.readlink(site / name) if (site / name).is_symlink()
                    else hashlib.sha256((site / name).read_bytes()).hexdigest()) for name in walked}
    data = {"format": seal.FORMAT, "published": FIRST, "state": None,
            "digest": hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest(),
            "count": len(files), "files": files}
    assert (site / seal.NAME).read_text("utf-8") == json.dumps(data, indent=0, sort_keys=True) + "\n"
    assert digest == data["digest"] and hashing.hashed == len(files) - 2 and set(hashing.seen) == set(files) - {
        "link-to-a", "folder-link"}
    assert seal.check(site) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    seal.write(empty, FIRST, tmp_path / "state")
    assert seal.read(empty) == seal.Seal(FIRST, None, hashlib.sha256(b"{}").hexdigest(), {})


def test_one_walk_settles_the_build_folder_as_the_removal_the_unchanged_walk_and_the_gzip_walk_did(tmp_path):
    """``incremental.settle`` removes every file no writer asked for and the folders left empty
    (a linked folder kept, not entered), finds the files still the live site's, and lists the
    text files whose ``.gz`` may be new: what ``os.walk`` removed, ``seal.walk`` found
    unchanged and ``compress.texts`` lists, in one walk."""
    from pipeline import compress, incremental
    live, new = tmp_path / "output", tmp_path / "output.new"
    names = {"a.html": "a", "a.html.gz": "gz of a", "d/b.html": "b", "d/b.html.gz": "gz of b", "d/c.css": "c",
             "e/f/old.html": "no longer made", "e/f/g/older.js": "no longer made", "k.png": "k", "z/ی.json": "{}",
             "z/ی.json.gz": "gz"}
    for name, text in names.items():
        (live / name).parent.mkdir(parents=True, exist_ok=True)
        (live / name).write_text(text, "utf-8")
    site = incremental.Live(live, incremental.inventory(live), {}, set(), set())
    incremental.seed(site, new)
    (new / "d" / "b.html").unlink()
    (new / "d" / "b.html").write_text("b, changed", "utf-8")   # a new inode beside the old .gz
    (new / "n.html").write_text("new", "utf-8")
    (new / "linked").symlink_to(live / "d", target_is_directory=True)
    (new / "to-a.html").symlink_to(new / "a.html")
    (new / "broken.html").symlink_to(new / "nowhere")
    (new / "empty" / "deeper").mkdir(parents=True)
    stale = {"e/f/old.html", "e/f/g/older.js", "broken.html"}
    produced = {os.path.join(os.path.realpath(new), name) for name in
                {*names, "n.html", "to-a.html", "linked"} - stale}
    walked_unchanged = {relative for relative, _, status in seal.walk(new)
                        if relative in site.files and not stat.S_ISLNK(status.st_mode)
                        and seal.same_inode(site.files[relative], status)}

    settled = incremental.settle(new, set(produced), site)

    assert settled.removed == sorted(stale)
    assert not (new / "e").exists() and not (new / "empty").exists(), "folders left empty are removed"
    assert (new / "linked").is_symlink() and (live / "d" / "c.css").exists(), "a linked folder: kept, not entered"
    assert settled.unchanged == walked_unchanged - stale == {"a.html", "a.html.gz", "d/b.html.gz", "d/c.css",
                                                            "k.png", "z/ی.json", "z/ی.json.gz"}
    assert settled.texts == compress.texts(new, settled.unchanged)
    assert settled.texts == ([("d/b.html", 10), ("d/c.css", 1), ("n.html", 3)], 2)
    nothing_live = incremental.settle(new, set(produced), None)
    assert nothing_live.removed == [] and nothing_live.unchanged == set()
    assert nothing_live.texts == compress.texts(new)
