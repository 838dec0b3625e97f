"""The ``.gz`` copy beside every text file of a site (nginx ``gzip_static on``), on both cores.

The publish's process walks the site, keeps the ``.gz`` of every file that is unchanged
beside its unchanged ``.gz``, and finds the files whose bytes are another's (a publication's
dated folder holds its datasets again), which are compressed once and copied. The rest is
split by size between it and a second process started for the purpose: a fresh Python, not
a fork, because at 100k rulings the publish's process holds 1.9 GB by now and a forked child
would count all of it again. The second process dies with the publish (``parallel
.die_with_parent``), so a killed publish leaves nothing writing into its folder.

Every ``.gz`` is ``gzip.compress(bytes, compresslevel=9, mtime=0)`` byte for byte, whichever
process made it: the same site from the same exports.

``python -m pipeline.compress PARENT_PID`` is that second process: it reads the site's folder
and its files' sizes and names (JSON) on standard input and prints how many ``.gz`` it wrote.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from . import files, parallel, seal
from .files import write_if_changed

GZIP_SUFFIXES = {".html", ".css", ".js", ".json", ".csv", ".xml", ".txt", ".svg", ".geojson"}
# From this size a file's digest is taken to find its twins, and it is compressed in blocks
# (datasets; not 234k pages).
TWIN_BYTES = 1 << 16


def precompress(root: Path) -> int:
    """``name.gz`` beside every text file, for static hosts (nginx ``gzip_static on``)."""
    return compress(root)[0]


def compress(root: Path, unchanged: set[str] = frozenset(), twins: dict[str, str] | None = None,
             both_cores: bool = True, listed: tuple[list[tuple[str, int]], int] | None = None) -> tuple[int, int]:
    """``precompress``, but a file that is unchanged beside its unchanged ``.gz`` (both still
    the live site's) keeps it, and a large file whose bytes are those of another is compressed
    once: in this run, or by an earlier one when ``twins`` (the sha256 of an unchanged file ->
    its unchanged ``.gz``, relative) names it. ``listed``: ``texts``' answer, when the walk
    that found what is unchanged made it (``incremental.settle``). Returns (written, kept)."""
    found, kept = listed if listed is not None else texts(root, unchanged)
    jobs: list[tuple[int, str]] = []      # (size, name) to compress
    copies: list[tuple[str, str]] = []    # (name, the .gz whose bytes its .gz is)
    made: dict[bytes, str] = {}           # sha256 -> the .gz this run makes for those bytes
    for relative, size in found:
        if size >= TWIN_BYTES:
            with open(root / relative, "rb") as handle:
                digest = hashlib.file_digest(handle, "sha256")
            twin = made.get(digest.digest()) or (twins or {}).get(digest.hexdigest())
            if twin:
                copies.append((relative, twin))
                continue
            made[digest.digest()] = relative + ".gz"
        jobs.append((size, relative))
    here, there = balanced(jobs) if both_cores else (jobs, [])
    helper = _Helper(root, there) if there else None
    try:
        written = gzip_files(root, here)
        if helper is not None:
            written += helper.result()
    finally:
        if helper is not None:
            helper.stop()
    for relative, twin in copies:   # after both: a twin made in this run is written by now
        written += write_if_changed(root / (relative + ".gz"), files.blocks(root / twin))
    return written, kept


def is_text(relative: str) -> bool:
    """A file that gets a ``.gz`` beside it."""
    return os.path.splitext(relative)[1] in GZIP_SUFFIXES


def keeps_gz(relative: str, unchanged: set[str]) -> bool:
    """A text file unchanged beside its unchanged ``.gz`` (both still the live site's) keeps it."""
    return relative in unchanged and relative + ".gz" in unchanged


def texts(root: Path, unchanged: set[str] = frozenset()) -> tuple[list[tuple[str, int]], int]:
    """(relative, size) of every regular text file of ``root`` whose ``.gz`` may be new, in the
    order of a walk; and how many keep theirs, unchanged beside an unchanged ``.gz``."""
    found, kept = [], 0
    for relative, _, status in seal.walk(root):
        if not is_text(relative) or not stat.S_ISREG(status.st_mode):
            continue
        if keeps_gz(relative, unchanged):
            kept += 1
        else:
            found.append((relative, status.st_size))
    return found, kept


def balanced(jobs: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """``jobs`` (size, name) in two lists whose sizes add up to about the same: the largest
    first, each to the lighter list (a few datasets are most of the bytes)."""
    halves: tuple[list[tuple[int, str]], list[tuple[int, str]]] = ([], [])
    weight = [0, 0]
    for job in sorted(jobs, key=lambda job: (-job[0], job[1])):
        lighter = 0 if weight[0] <= weight[1] else 1
        halves[lighter].append(job)
        weight[lighter] += job[0] + 4096   # a small file costs its open and its write too
    return halves


def gzip_files(root: Path, jobs: list[tuple[int, str]]) -> int:
    """Write ``name.gz`` beside each (size, name); how many were new bytes."""
    written = 0
    for size, name in jobs:
        path = root / name
        if size < TWIN_BYTES:
            packed = gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)
        else:   # neither the file nor its .gz held whole (a cold 100k publish grew 206 MB here)
            packed = files.gzipped(path)
        written += write_if_changed(root / (name + ".gz"), packed)
    return written


class _Helper:
    """``python -m pipeline.compress`` compressing ``jobs`` while this process does its half."""

    def __init__(self, root: Path, jobs: list[tuple[int, str]]):
        with tempfile.TemporaryFile() as request:
            request.write(json.dumps({"root": os.fspath(root.resolve()), "jobs": jobs}).encode("utf-8"))
            request.seek(0)
            self._process = subprocess.Popen(
                [sys.executable, "-m", "pipeline.compress", str(os.getpid())],
                cwd=Path(__file__).resolve().parent.parent, stdin=request, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE)

    def result(self) -> int:
        out, err = self._process.communicate()
        try:
            answer = json.loads(out)
        except ValueError:
            raise parallel.ChildFailed(f"the second gzip process ended without a result "
                                       f"(status {self._process.returncode}): {err.decode('utf-8', 'replace')[-2000:]}")
        if "error" in answer:   # a full disk or a read-only folder: reported as if it were this process's
            raise OSError(*answer["error"])
        return answer["written"]

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.communicate()


def _main(parent: int) -> int:
    parallel.die_with_parent(parent)
    request = json.loads(sys.stdin.buffer.read())
    try:
        written = gzip_files(Path(request["root"]), [(size, name) for size, name in request["jobs"]])
    except OSError as error:
        print(json.dumps({"error": [error.errno, error.strerror, error.filename]}))
        return 1
    print(json.dumps({"written": written}))
    return 0


if __name__ == "__main__":
    sys.exit(_main(int(sys.argv[1])))
