"""The seal ``make publish`` puts on a site that passed every gate, and ``make upload`` checks.

``<site>/.shafaf-published`` (JSON) lists every file of the site (and every symbolic link)
with its sha256, the digest of that list, the publication date and the sha256 of the
``published.json`` of the state that goes with the site. A folder without a seal (a
preview, a half-built or emptied ``output/``) or whose files no longer match it (edited,
added or removed by hand) is never uploaded. The seal moves with the site when folders are
swapped, so a site and its seal are never apart. It is never uploaded itself.

**What a digest costs.** Hashing every file (2.3 GB at 100k) would make a weekly publish and
every upload cost the whole site. A file is hashed again only when it may have changed since
its digest was taken: the *record* (``<cache>/publish/seal-<hash of the output path>.json``,
written when a publish has ended) holds every file's signature, device, inode, size, mtime,
ctime and link count. A writer never rewrites a file in place (``pipeline.files``), so a file
the build replaced is a new inode; an edit in place changes the mtime, and one that puts the
mtime back (``touch -d``) still moves the ctime, which no program can set. The ctime also
moves when a hard link of the file is made or removed, which a publish does to every file
(``<output>.new/`` starts as links; ``<output>.prev/`` goes): so between two publishes the
signature must be exactly the recorded one, and only inside a publish, under its lock, may
the ctime move with the link count. Inodes and times differ on every copy, so the record
is a cache (never in the seal, whose bytes stay the same for the same site, nor in the
state); without a record that matches the seal, every file is hashed.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import struct
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .files import sha256_of, write_atomically

NAME = ".shafaf-published"  # JSON; no suffix: it is no file of the site (no .gz, never served)
FORMAT = 1
RECORD_FORMAT = 1
# A ctime is taken from the kernel's coarse clock (a tick of up to 10 ms; whole seconds on a
# file system without nanosecond times): an edit in the tick of the recorded ctime would keep
# it. A file whose ctime is that close to the moment its signature was recorded is hashed again.
RACY_NS = 50_000_000
RACY_COARSE_NS = 2_000_000_000

# A signature held in memory: six 8-byte numbers in one ``bytes`` (81 bytes of Python object)
# rather than a list of six ints (about 300): a publish holds one per file of two sites.
PACKED = struct.Struct("<QQQqqQ")
_INODE, _MTIME, _CTIME = slice(0, 16), slice(0, 32), slice(32, 40)   # byte ranges of PACKED
_LINKS = slice(40, 48)


def signature(status: os.stat_result) -> list[int]:
    """What says a file is untouched: device, inode, size, mtime, ctime (ns), link count."""
    return [status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_nlink]


def packed(status: os.stat_result) -> bytes:
    """``signature`` as ``PACKED`` bytes."""
    return PACKED.pack(status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns,
                       status.st_nlink)


def same_inode(signature_: bytes, status: os.stat_result) -> bool:
    return signature_[_INODE] == PACKED.pack(status.st_dev, status.st_ino, 0, 0, 0, 0)[_INODE]


def untouched(before: bytes, now: bytes, *, links_moved: bool = False) -> bool:
    """``now`` is the file ``before`` described (``PACKED``), with the same bytes.
    ``links_moved``: inside a publish, whose hard links move the ctime of the files they share
    (the link count says so)."""
    if now[:PACKED.size] == before[:PACKED.size]:
        return True
    return links_moved and now[_MTIME] == before[_MTIME] and now[_LINKS] != before[_LINKS]


@dataclass
class Hashing:
    """Which digests may be kept instead of hashing a file again, and what was done."""
    # path -> (PACKED signature, digest); anything with ``get``
    known: Mapping[str, tuple[bytes, str]] = field(default_factory=dict)
    links_moved: bool = False
    seen: dict[str, bytes] = field(default_factory=dict)   # each file's PACKED signature when hashed or kept
    hashed: int = 0
    kept: int = 0


def walk(site: Path):
    """(relative path, path, lstat) of every file and symbolic link under ``site``, in the
    order of their relative paths (``sorted``, as the seal lists them): a folder's entries
    are ordered as if its name ended in «/», so that each folder's files come where their
    full names sort among its siblings («a-b.html», then «a/…», then «a0»). Strings, not
    ``Path`` objects: at 100k a publish walks half a million files."""
    root = os.fspath(site).rstrip("/")
    yield from _walk(root, len(root) + 1)


def _walk(folder: str, cut: int):
    with os.scandir(folder) as found:
        entries = sorted((entry.name + "/" if entry.is_dir(follow_symlinks=False) else entry.name, entry.path)
                         for entry in found)
    for key, path in entries:
        if key.endswith("/"):
            yield from _walk(path, cut)
        else:
            yield path[cut:], path, os.lstat(path)


def _digests(site: Path, hashing: Hashing) -> Iterator[tuple[str, str]]:
    """(relative path, sha256 of its bytes or «link:» and its target) of every file under
    ``site`` but the seal, in sorted order; a digest ``hashing`` knows of a file untouched
    since is kept."""
    known, links_moved = hashing.known, hashing.links_moved
    for relative, path, status in walk(site):
        if relative == NAME:
            continue
        if stat.S_ISLNK(status.st_mode):
            yield relative, "link:" + os.readlink(path)
            continue
        # Taken before the bytes are read: a file written while it is hashed moves its ctime
        # past this signature, and is hashed again next time.
        now = packed(status)
        hashing.seen[relative] = now
        entry = known.get(relative)
        if entry is not None and untouched(entry[0], now, links_moved=links_moved):
            hashing.kept += 1
            yield relative, entry[1]
        else:
            hashing.hashed += 1
            yield relative, sha256_of(path)


def listing(site: Path, hashing: Hashing | None = None) -> dict[str, str]:
    """Every file under ``site`` but the seal -> sha256 of its bytes (of its target, for a
    symbolic link), in sorted order; with ``hashing``, a digest it knows of a file untouched
    since is kept."""
    return dict(_digests(site, hashing if hashing is not None else Hashing()))


# Entries are written and hashed this many at a time: at 100k a site has 470,000 files, whose
# list as one JSON text (66 MB), its bytes and the copies made to place it in the seal were
# the largest part of a cold publish's peak.
_ENTRIES_AT_ONCE = 4096


def _entries(files: Mapping[str, str], separator: str) -> Iterator[str]:
    """``json.dumps(files, sort_keys=True, separators=(separator, ": "))[1:-1]``, in pieces."""
    names = sorted(files)
    for start in range(0, len(names), _ENTRIES_AT_ONCE):
        yield (separator if start else "") + separator.join(
            _entry(name, files[name]) for name in names[start:start + _ENTRIES_AT_ONCE])


def _entry(name: str, value: str) -> str:
    """One file of the seal, as ``json.dumps`` writes a key and its value."""
    return f"{json.dumps(name)}: {json.dumps(value)}"


def digest_of(files: Mapping[str, str]) -> str:
    """The sha256 of ``json.dumps(files, sort_keys=True)``, never made whole."""
    digest = hashlib.sha256(b"{")
    for piece in _entries(files, ", "):
        digest.update(piece.encode())
    digest.update(b"}")
    return digest.hexdigest()


def _seal_parts(data: dict, entries: Iterable[bytes]) -> Iterator[bytes]:
    """The bytes of ``json.dumps(data, indent=0, sort_keys=True) + "\\n"`` in pieces, its list
    of files being ``entries`` (``_entries``' text of ``data["files"]`` with ",\\n" between, in
    blocks), written through json's C encoder (an indent makes json use its pure-Python one:
    seconds for 234,000 files); ``data["files"]`` only says whether the list is empty."""
    before, after = json.dumps({**data, "files": None}, indent=0, sort_keys=True).split('\n"files": null,\n', 1)
    yield (before + '\n"files": ').encode()
    if data["files"]:
        yield b"{\n"
        yield from entries
        yield b"\n}"
    else:
        yield b"{}"
    yield (",\n" + after + "\n").encode()


def state_digest(state: Path) -> str | None:
    """Which publication a state folder records: the sha256 of its ``published.json``."""
    path = state / "published.json"
    return sha256_of(path) if path.is_file() else None


def write(site: Path, published: str, state: Path, hashing: Hashing | None = None) -> str:
    """Seal ``site``; returns the seal's digest. The seal's bytes do not depend on ``hashing``.
    The files are listed in sorted order as they are hashed: each entry goes to a spool file
    and into the digest at once, and the seal is then written from the spool (the list of a
    100k site's digests, held, grew a cold publish's process 138 MB at its peak)."""
    hashing = hashing if hashing is not None else Hashing()
    digest, count = hashlib.sha256(b"{"), 0
    with tempfile.TemporaryFile(dir=site.parent) as spool:
        batch: list[str] = []
        for relative, value in _digests(site, hashing):
            batch.append(_entry(relative, value))
            if len(batch) == _ENTRIES_AT_ONCE:
                count = _spooled(batch, count, digest, spool)
        count = _spooled(batch, count, digest, spool)
        digest.update(b"}")
        spool.seek(0)
        data = {"format": FORMAT, "published": published, "state": state_digest(state),
                "digest": digest.hexdigest(), "count": count, "files": count > 0}
        write_atomically(site / NAME, _seal_parts(data, iter(lambda: spool.read(1 << 20), b"")), durable=True)
    return data["digest"]


def _spooled(batch: list[str], count: int, digest, spool) -> int:
    """``batch``'s entries into the digest (as ``digest_of`` joins them) and into the spool
    (as the seal lays them out); the count so far. Empties ``batch``."""
    if batch:
        digest.update(((", " if count else "") + ", ".join(batch)).encode())
        spool.write(((",\n" if count else "") + ",\n".join(batch)).encode())
        count += len(batch)
        batch.clear()
    return count


@dataclass
class Seal:
    published: str
    state: str | None
    digest: str
    files: dict[str, str]


def read(site: Path, *, files: bool = True) -> Seal | None:
    """The site's seal; None when there is none or it cannot be read (both mean: not sealed).
    ``files=False``: its fields without its list of files (``Seal.files`` empty), which at
    100k is 234,000 strings and their digests, when a publish only asks which state and which
    digest the live seal names."""
    try:
        text = (site / NAME).read_text(encoding="utf-8")
        data = None if files else _fields(text)
        if data is None:
            data = json.loads(text)
        return Seal(data["published"], data["state"], data["digest"], data["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _fields(text: str) -> dict | None:
    """The seal's fields but its files, from the text ``write`` makes (``indent=0``: a file
    name is escaped JSON, never a line break, so the list of files ends at the first line that
    is only «},»); None when the text is not laid out so."""
    if not text.startswith("{\n"):
        return None
    start, end = text.find('\n"files": {'), text.find('\n},\n"format": ')
    if start < 0 or end < start:
        return None
    data = json.loads(text[:start].rstrip(",") + "\n}")
    data.update(json.loads("{" + text[end + 3:]))
    data["files"] = {}
    return data


def check(site: Path, cache: Path | None = None, full: bool = False) -> list[str]:
    """What keeps ``site`` from being the site a publish sealed; empty when nothing does.
    A file whose signature is exactly the one recorded when its publish ended keeps its
    digest; every other file is hashed, every file with ``full`` (FULL_CHECK)."""
    seal = read(site)
    if seal is None:
        return [f"{site}/ has no readable seal ({NAME}): it is not a site make publish checked and put in place"]
    files = listing(site, Hashing(known={} if full else known_digests(site, cache, seal)))
    if digest_of(files) == seal.digest and files == seal.files:
        return []
    problems = [f"changed since publish: {name}" for name in sorted(files.keys() & seal.files.keys())
                if files[name] != seal.files[name]]
    problems += [f"added since publish: {name}" for name in sorted(files.keys() - seal.files.keys())]
    problems += [f"missing since publish: {name}" for name in sorted(seal.files.keys() - files.keys())]
    return problems or ["the seal's digest does not match its own file list"]


# --- the record: each file's signature when its publish ended ------------------------------

def record_path(cache: Path, output: Path) -> Path:
    where = hashlib.blake2b(str(output.resolve()).encode("utf-8"), digest_size=8).hexdigest()
    return cache / "publish" / f"seal-{where}.json"


def read_record(site: Path, cache: Path | None, seal: Seal | None = None) -> dict[str, bytes] | None:
    """path -> its ``PACKED`` signature and one byte more, 1 when the seal's digest is true of
    that signature, else 0; None when there is no record of ``site``'s seal."""
    seal = seal if seal is not None else read(site)
    if cache is None or seal is None:
        return None
    try:
        return dict(record_entries(record_path(cache, site).read_text(encoding="utf-8"), seal.digest))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, struct.error, NotThisSeal):
        return None


class NotThisSeal(Exception):
    """The record describes another seal."""


# "path":[dev,ino,size,mtime,ctime,links,true] — one entry of the record as save_record writes it
_RECORD_ENTRY = re.compile(r'"((?:[^"\\]|\\.)*)":\[(\d+),(\d+),(\d+),(-?\d+),(-?\d+),(\d+),([01])\]')


def record_entries(text: str, digest: str) -> Iterator[tuple[str, bytes]]:
    """The record's entries one at a time, never the whole record as lists of ints (at 100k,
    234,000 of them); a text other than the one ``save_record`` writes is read by ``json``."""
    tail = f',"format":{RECORD_FORMAT},"seal":{json.dumps(digest)}}}'
    if not (text.startswith('{"files":{') and text.endswith(tail)):
        data = json.loads(text)
        if data.get("format") != RECORD_FORMAT or data.get("seal") != digest:
            raise NotThisSeal
        for name, entry in data["files"].items():
            if len(entry) != 7:
                raise ValueError(f"{name}: {entry!r}")
            yield name, PACKED.pack(*entry[:6]) + bytes([entry[6] == 1])
        return
    pos, end = len('{"files":{'), len(text) - len(tail) - 1
    while pos < end:
        entry = _RECORD_ENTRY.match(text, pos)
        if entry is None or entry.end() > end or text[entry.end()] not in ",}":
            raise ValueError(f"the record cannot be read at {pos}")
        name = entry.group(1)
        yield (json.loads('"' + name + '"') if "\\" in name else name,
               PACKED.pack(*map(int, entry.group(2, 3, 4, 5, 6, 7))) + bytes([entry.group(8) == "1"]))
        pos = entry.end() + 1


def known_digests(site: Path, cache: Path | None, seal: Seal | None = None) -> dict[str, tuple[bytes, str]]:
    """The digests of ``site``'s seal still true of the recorded signatures."""
    seal = seal if seal is not None else read(site)
    record = read_record(site, cache, seal)
    if not record:
        return {}
    return {name: (entry[:PACKED.size], seal.files[name]) for name, entry in record.items()
            if entry[-1] and name in seal.files}


def _record_json(digest: str, files: Mapping[str, bytes]) -> Iterator[str]:
    """``json.dumps({"format": ..., "seal": digest, "files": {path: [signature..., true]}},
    sort_keys=True, separators=(",", ":"))`` in pieces, without a list per file."""
    yield '{"files":{'
    for n, name in enumerate(sorted(files)):
        entry = files[name]
        yield (("," if n else "") + json.dumps(name) + ":["
               + ",".join(map(str, PACKED.unpack_from(entry))) + f",{entry[PACKED.size]}]")
    yield f'}},"format":{RECORD_FORMAT},"seal":{json.dumps(digest)}}}'


def save_record(cache: Path | None, site: Path, digest: str, at_seal: Mapping[str, bytes]) -> None:
    """Once a publish has ended (site in place, the previous one's trash removed: no hard link
    will move again): every file's signature now, marked true when the file is untouched since
    its digest was taken (``at_seal``, ``PACKED``) and its ctime is not in the last ticks before now."""
    if cache is None:
        return
    taken = time.time_ns()
    now = {}
    root = os.fspath(site)
    for name in at_seal:
        try:
            now[name] = packed(os.lstat(os.path.join(root, name)))
        except FileNotFoundError:
            continue
    coarse = all(PACKED.unpack_from(entry)[4] % 1_000_000_000 == 0 for entry in now.values())
    racy = taken - (RACY_COARSE_NS if coarse else RACY_NS)
    for name, entry in now.items():
        now[name] = entry + bytes([untouched(at_seal[name], entry, links_moved=True)
                                   and PACKED.unpack_from(entry)[4] < racy])
    path = record_path(cache, site)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, (piece.encode("utf-8") for piece in _record_json(digest, now)))   # never one text
