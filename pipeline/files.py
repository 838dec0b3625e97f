"""The one way a file is written into the site, ``content/``, ``state/``, ``cache/`` or ``reports/``.

A file is never rewritten in place: the bytes go to a temporary file beside it, which then
replaces it in one rename. A reader (nginx, Pelican, the next build) sees the old file or the
new one, never half of one, and a kill leaves at worst a ``.tmp`` file, never a truncated
page. The rename also gives the file a new inode, so the old one may be a hard link into the
published site (publish.py links unchanged files) without the site changing under it.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import weakref
import zlib
from collections.abc import Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

# A folder: while it is set, every process (Pelican's too, and every forked worker) appends
# each path it is asked to write, changed or not, to its own ``<folder>/<pid>.written``. A
# publish that starts from the last published site learns so which of its files this build
# still makes; the others are removed (pipeline.incremental).
RECORD = "SHAFAF_WRITTEN"
_recording: tuple[int, str, int] | None = None   # (pid, folder, fd) of this process's record


def code_digest(paths: Iterable[Path]) -> str:
    """The sha256 of source files, each by its name and bytes, in name order: the one
    signature that caches keyed by the code that made them share (any edit, a comment too,
    is a new key; the folder they lie in is not part of it)."""
    digest = hashlib.sha256()
    for path in sorted(map(Path, paths), key=lambda p: p.name):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def sha256_of(path: Path | str) -> str:
    """The sha256 of a file's bytes (hex), read in blocks, never whole."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_atomically(path: Path, data: bytes | Iterable[bytes], *, durable: bool = False) -> None:
    """Replace ``path`` with ``data`` (or its parts end to end, a tuple or made as they are
    written: a large file need not be joined in memory first). ``durable``: also survive a power cut (fsync of the file
    and of its folder), for the few files a later run decides by (the journal, the seal, the
    state); a kill needs none of it, and an fsync per page would make a 10k build minutes slower."""
    record(path)
    tmp = temporary(path)
    try:
        with open(tmp, "wb") as handle:
            for part in (data,) if isinstance(data, (bytes, bytearray, memoryview)) else data:
                handle.write(part)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_folder(path.parent)


@contextmanager
def streaming(tmp: Path) -> Iterator[BinaryIO]:
    """A file written in parts into ``tmp`` (``temporary`` of some path) when its name is known
    only once its bytes are (a state file named by its digest): ``put_in_place`` then renames
    it; an error removes it, and a kill leaves it to be overwritten by the next write."""
    try:
        with open(tmp, "wb") as handle:
            yield handle
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def put_in_place(tmp: Path, path: Path) -> None:
    """The file ``streaming`` wrote becomes ``path``, atomically."""
    record(path)
    os.replace(tmp, path)


def temporary(path: Path) -> Path:
    """Where ``write_atomically`` puts the bytes of ``path`` first: one fixed name, so that a
    file left by a kill is overwritten by the next write, or found and removed by a recovery."""
    return path.with_name(path.name + ".tmp")


def write_if_changed(path: Path, content: str | bytes | Iterable[str | bytes], *, durable: bool = False) -> bool:
    """Write only when the bytes differ, so unchanged files keep their mtime and cache entry.
    ``content`` may be parts made as they are written: they go to the temporary file while
    being compared with the file in place, and neither text is ever held whole (a 100k site's
    inventory and link index, its largest ``.gz``)."""
    if not isinstance(content, (str, bytes)):
        return _write_parts_if_changed(path, content, durable)
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        if path.read_bytes() == data:
            record(path)
            return False
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data, durable=durable)
    return True


def _write_parts_if_changed(path: Path, parts: Iterable[str | bytes], durable: bool) -> bool:
    try:
        kept = open(path, "rb")
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        kept = None
    same = kept is not None
    tmp = temporary(path)
    try:
        with streaming(tmp) as handle:
            for data in _in_blocks(parts):
                handle.write(data)
                same = same and kept.read(len(data)) == data
            same = same and kept.read(1) == b""
            if durable and not same:
                handle.flush()
                os.fsync(handle.fileno())
    finally:
        if kept is not None:
            kept.close()
    if same:
        tmp.unlink()
        record(path)
        return False
    put_in_place(tmp, path)
    if durable:
        fsync_folder(path.parent)
    return True


def _in_blocks(parts: Iterable[str | bytes], size: int = 1 << 16) -> Iterator[bytes]:
    """``parts`` as bytes, small ones gathered (a link index comes a page at a time)."""
    gathered: list[bytes] = []
    length = 0
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        gathered.append(data)
        length += len(data)
        if length >= size:
            yield b"".join(gathered)
            gathered, length = [], 0
    if gathered:
        yield b"".join(gathered)


def gzipped(path: Path | str, block: int = 1 << 20) -> Iterator[bytes]:
    """``gzip.compress(path's bytes, compresslevel=9, mtime=0)``, byte for byte, made a block
    at a time: that call is zlib's own gzip wrapper (``wbits=31``), here fed in blocks (zlib's
    output does not depend on how its input is cut when nothing is flushed between)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "rb") as handle:
        while data := handle.read(block):
            yield deflate.compress(data)
    yield deflate.flush()


def blocks(path: Path | str, block: int = 1 << 20) -> Iterator[bytes]:
    """A file's bytes a block at a time."""
    with open(path, "rb") as handle:
        while data := handle.read(block):
            yield data


def fsync_folder(folder: Path) -> None:
    """Renames survive a power cut only once their folder is on disk; a kill needs none of it."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def record(*paths: Path | str) -> None:
    """Note ``paths`` as written by this build (see ``RECORD``). Unbuffered appends: a forked
    worker ends with ``os._exit``, which flushes nothing."""
    global _recording
    folder = os.environ.get(RECORD)
    if not folder or not paths:
        return
    pid = os.getpid()
    if _recording is None or _recording[:2] != (pid, folder):
        if _recording is not None and _recording[0] == pid:
            os.close(_recording[2])
        fd = os.open(os.path.join(folder, f"{pid}.written"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        _recording = (pid, folder, fd)
    data = b"".join(os.fsencode(os.path.abspath(p)) + b"\0" for p in paths)
    while data:
        data = data[os.write(_recording[2], data):]


@contextmanager
def recording(folder: Path):
    """Record every write of this process and of the processes it starts into ``folder``;
    yields a function that returns the recorded paths (absolute, as strings)."""
    global _recording
    folder.mkdir(parents=True, exist_ok=True)
    before = os.environ.get(RECORD)
    os.environ[RECORD] = str(folder.resolve())

    def written() -> set[str]:
        found: set[str] = set()
        for path in folder.glob("*.written"):
            found.update(os.fsdecode(p) for p in path.read_bytes().split(b"\0") if p)
        return found
    try:
        yield written
    finally:
        if before is None:
            os.environ.pop(RECORD, None)
        else:
            os.environ[RECORD] = before
        if _recording is not None and _recording[0] == os.getpid():
            os.close(_recording[2])
        _recording = None


class Spool(MutableMapping):
    """name -> bytes, each kept in a file of a scratch folder rather than in memory.

    A build makes its datasets (the JSON, the zip, the workbooks: several hundred MB at 100k
    rulings) long before it writes them into the site; held as bytes they were a fifth of the
    pipeline's peak. Here each is in memory only while it is made or read. The folder is
    ``spool-<pid>-…`` under ``parent`` (the system's temporary folder when None), removed by
    ``close`` or when the spool is collected; one left by a killed build is removed by the
    next spool made under the same parent. A forked child reads the same files and never
    removes them. Names are keys only: a file is named by a counter, never by its name.

    Each file's size and sha256 are taken as it is written (``size``, ``digest``): the
    datapackage and ``files.json`` describe the files by them, and reading the files back
    to hash them read every dataset from disk twice more."""

    def __init__(self, parent: Path | None = None):
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
            _sweep_spools(parent)
        self.folder = Path(tempfile.mkdtemp(prefix=f"spool-{os.getpid()}-", dir=parent))
        self._files: dict[str, str] = {}
        self._described: dict[str, tuple[int, str]] = {}   # file -> (bytes, sha256): aliases share it
        self._made = 0
        self._remove = weakref.finalize(self, _remove_spool, self.folder, os.getpid())

    def __setitem__(self, name: str, data: bytes) -> None:
        self._made += 1
        file = str(self._made)
        with open(self.folder / file, "wb") as handle:
            handle.write(data)
        self._files[name] = file
        self._described[file] = (len(data), hashlib.sha256(data).hexdigest())

    def __getitem__(self, name: str) -> bytes:
        return (self.folder / self._files[name]).read_bytes()

    def __delitem__(self, name: str) -> None:
        del self._files[name]   # its file may also be another name's (``same_as``)

    def __iter__(self):
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)

    def __contains__(self, name) -> bool:
        return name in self._files

    def size(self, name: str) -> int:
        """The number of bytes ``name`` holds, without reading them."""
        return self._described[self._files[name]][0]

    def digest(self, name: str) -> str:
        """The sha256 (hex) of the bytes ``name`` holds, without reading them."""
        return self._described[self._files[name]][1]

    def same_as(self, name: str, other: str) -> None:
        """``name`` holds the bytes ``other`` holds, without a second copy."""
        self._files[name] = self._files[other]

    def close(self) -> None:
        self._remove()


def _remove_spool(folder: Path, owner: int) -> None:
    if os.getpid() == owner:    # a forked child that is collected leaves its parent's folder
        shutil.rmtree(folder, ignore_errors=True)


def _sweep_spools(parent: Path) -> None:
    for folder in parent.glob("spool-*-*"):
        try:
            pid = int(folder.name.split("-")[1])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, IndexError, PermissionError):
            continue
