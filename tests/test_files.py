"""Shared plumbing: the one atomic write, problems typed without ``assert``, front matter that
one hostile value cannot extend."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from pipeline import compress, faults, files, pages, publish
from plugins.shafaf.records import parse
from plugins.shafaf.writer import UnchangedFilesWriter

# --- one atomic write -----------------------------------------------------------------------

def _writes(tree: ast.AST) -> list[int]:
    """Lines that write or replace a file by themselves instead of through pipeline.files."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        receiver = getattr(func, "value", None)
        # open(path, "w"), Path.open("wb"): the mode is the first argument that is a constant.
        modes = [a.value for a in [*node.args, *(k.value for k in node.keywords if k.arg == "mode")]
                 if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if (name in ("write_bytes", "write_text") and getattr(receiver, "id", "") != "renderer") \
                or (name == "replace" and getattr(receiver, "id", "") == "os") \
                or (name == "open" and modes and set(modes[0]) & set("wax+")):
            found.append(node.lineno)
    return found


@pytest.mark.parametrize("module", sorted(str(p.relative_to(ROOT)) for p in
                                           [*ROOT.glob("pipeline/*.py"), *ROOT.glob("plugins/shafaf/*.py")]
                                           if p.name != "files.py"))
def test_every_file_is_written_through_the_atomic_write(module):
    """``renderer.write_text`` is the plugin's own, which calls pipeline.files."""
    source = (ROOT / module).read_text(encoding="utf-8")
    lines = source.splitlines()
    assert [f"{module}:{n}: {lines[n - 1].strip()}" for n in _writes(ast.parse(source))] == []


@pytest.fixture
def linked(tmp_path) -> tuple[Path, Path]:
    """A page that is a hard link to a page of the published site, as publish.py leaves it."""
    published = tmp_path / "published.html"
    published.write_bytes(b"old")
    path = tmp_path / "page.html"
    os.link(published, path)
    return path, published


@pytest.mark.parametrize("content", [b"new", b"", "نو\n", b"\x00" * 3])
def test_a_write_replaces_the_file_and_leaves_its_hard_links_alone(tmp_path, linked, content):
    path, published = linked
    assert files.write_if_changed(path, content)
    assert path.read_bytes() == (content.encode() if isinstance(content, str) else content)
    assert published.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html", "published.html"]


def test_an_unchanged_file_is_not_touched(tmp_path):
    path = tmp_path / "a" / "page.html"
    assert files.write_if_changed(path, "x")
    before = os.stat(path)
    assert not files.write_if_changed(path, b"x")
    after = os.stat(path)
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


@pytest.mark.parametrize("durable", [False, True])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch, durable):
    path = tmp_path / "state.json"
    path.write_bytes(b"old")

    def refuse(*_):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(OSError):
        files.write_atomically(path, b"new", durable=durable)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_a_temporary_left_by_a_kill_is_overwritten(tmp_path):
    path = tmp_path / "page.html"
    files.temporary(path).write_bytes(b"half a pa")
    files.write_atomically(path, b"whole page")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]


def test_pelican_writer_replaces_a_hard_linked_page(tmp_path, linked):
    path, published = linked
    writer = UnchangedFilesWriter(str(tmp_path), settings={"OUTPUT_PATH": str(tmp_path)})
    with writer._open_w(str(path), "utf-8") as handle:
        handle.write("نو")
    assert path.read_text(encoding="utf-8") == "نو" and published.read_bytes() == b"old"


def test_precompress_replaces_a_hard_linked_copy_and_counts_only_changes(tmp_path):
    site, previous = tmp_path / "site", tmp_path / "previous"
    site.mkdir()
    previous.mkdir()
    (site / "index.html").write_text("new page", encoding="utf-8")
    (previous / "index.html.gz").write_bytes(b"old gzip")
    os.link(previous / "index.html.gz", site / "index.html.gz")
    assert compress.precompress(site) == 1
    assert (previous / "index.html.gz").read_bytes() == b"old gzip"
    assert compress.precompress(site) == 0


@pytest.mark.parametrize("size", [0, 1, 999, 1000, 1001, 3017, 70_000])
@pytest.mark.parametrize("kind", ["random", "repeating"])
def test_a_gzip_made_in_blocks_is_gzip_compress_byte_for_byte(tmp_path, size, kind):
    """The .gz of a large file is made a block at a time; the site must not change for it."""
    import gzip
    import random
    data = (random.Random(size).randbytes(size) if kind == "random"
            else ("رأی کمیسیون ماده ۱۰۰ " * (size // 10 + 1)).encode("utf-8")[:size])
    (tmp_path / "data.csv").write_bytes(data)
    made = b"".join(files.gzipped(tmp_path / "data.csv", block=1000))
    assert made == gzip.compress(data, compresslevel=9, mtime=0)
    assert gzip.decompress(made) == data


def _parts(text: str, cut: int):
    return (text[i:i + cut] for i in range(0, len(text), cut))


@pytest.mark.parametrize("kept, new, changed", [
    ("same text، همان متن", "same text، همان متن", False),
    ("same text", "same tex", True),
    ("same tex", "same text", True),
    ("same text", "same texT", True),
    ("", "", False),
    (None, "new", True),
    (None, "", True),
])
def test_a_file_written_in_parts_is_replaced_only_when_its_bytes_differ(tmp_path, kept, new, changed):
    path = tmp_path / "deep" / "index.json"
    if kept is not None:
        path.parent.mkdir()
        path.write_text(kept, encoding="utf-8")
        os.utime(path, (1, 1))
        inode = path.stat().st_ino
    assert files.write_if_changed(path, _parts(new, 3)) is changed
    assert path.read_text(encoding="utf-8") == new
    if kept is not None and not changed:
        assert path.stat().st_mtime == 1 and path.stat().st_ino == inode
    assert sorted(p.name for p in path.parent.iterdir()) == ["index.json"], "no temporary file is left"


def test_a_file_written_in_parts_replaces_a_hard_link_and_an_error_keeps_the_old(tmp_path, linked):
    path, published = linked
    assert files.write_if_changed(path, iter([b"n", "ew"])) is True
    assert path.read_bytes() == b"new" and published.read_bytes() == b"old"

    def failing():
        yield b"half"
        raise OSError("disk full")
    with pytest.raises(OSError):
        files.write_if_changed(path, failing())
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in path.parent.iterdir()) == ["page.html", "published.html"], "no temporary file"


# --- problems typed without assert ----------------------------------------------------------

@pytest.mark.parametrize("step", ["", "journal ", "Journal", "compressed\n", "no-such-step"])
def test_an_unknown_fault_step_is_a_typed_error(step):
    with pytest.raises(faults.UnknownStep):
        faults.point(step)


def test_an_unknown_fault_step_stops_even_under_python_O():
    run = subprocess.run([sys.executable, "-O", "-c", "from pipeline.faults import point; point('jornal')"],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode != 0 and "UnknownStep" in run.stderr


LINE_ENDS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\n\n"]


@pytest.mark.parametrize("end", LINE_ENDS)
def test_a_line_end_in_a_value_cannot_add_front_matter(end):
    record = {"title": f"ملک{end}Template: evil{end}Url: properties/evil/", "property_code": f"P-1{end}",
              "slug": "p-1-abcdef"}
    text = pages.property_page(record)
    head = text.partition("\n\n")[0]
    assert len(head.splitlines()) == 6  # Title, Slug, Url, Save_as, Template, Record
    metadata, body = parse(text.replace("\r\n", "\n").replace("\r", "\n"), "p-1.md", "properties")
    assert metadata["template"] == "property" and metadata["url"] == "properties/p-1-abcdef/"
    assert "evil" in metadata["title"] and body == ""


# --- one signature of the code -----------------------------------------------------------------

def test_code_digest_follows_names_and_bytes_not_order_or_folder(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
        (folder / "one.py").write_bytes(b"x = 1\n")
        (folder / "two.py").write_bytes(b"y = 2\n")
    base = files.code_digest([first / "one.py", first / "two.py"])
    assert files.code_digest([first / "two.py", first / "one.py"]) == base
    assert files.code_digest([second / "one.py", second / "two.py"]) == base
    (second / "two.py").write_bytes(b"y = 2\n# a comment is a change too\n")
    assert files.code_digest([second / "one.py", second / "two.py"]) != base
    (second / "three.py").write_bytes(b"y = 2\n")
    # the same bytes under another name: another file
    assert files.code_digest([first / "one.py", second / "three.py"]) != base


def test_the_caches_keyed_by_code_use_the_one_digest(monkeypatch):
    from pipeline import downloads, rowcache
    from pipeline.settings import load
    assert downloads._CODE.startswith(
        files.code_digest([ROOT / "pipeline" / "downloads.py", ROOT / "pipeline" / "schema.py"]).encode())
    city = load(ROOT / "pelicanconf.py")
    versions = set()
    for code in ("one", "other"):
        monkeypatch.setattr(rowcache, "code_digest", lambda paths, code=code: code)
        versions.add(rowcache.version(city))
    assert len(versions) == 2
