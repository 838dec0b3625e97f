"""A publish that costs what changed: ``<output>.new/`` starts as hard links of the live site.

Every writer replaces a file (``pipeline.files``: a new inode) and never rewrites one in place,
so a hard link of a live file in ``<output>.new/`` can be replaced by the build but never
changes the live file through the link. The build then writes what changed; what it no longer
makes is removed: every writer notes each path it was asked for, changed or not
(``files.record``, one list per process, Pelican's and every forked worker's included), and a
file of ``<output>.new/`` that no writer asked for is stale.

A file of ``<output>.new/`` that is still the live file's inode is *unchanged*: the gates
checked it when it was published, so they look at it again only for what is new since then
(``pipeline.publish.check_build``). That needs two records of the last publication:

The *inventory* (``<cache>/publish/inventory-<hash of the output path>.json``): every file of
the site as it was put in place, by device, inode, size and modification time (a rename keeps
them), and the digest of the state it was published with. A live site that no longer matches
it (a file edited, added or removed by hand) is not started from. It names inodes and times,
which differ on every machine and every copy, so it is kept with the other caches, never in
the state (whose bytes the same exports always make the same).

The *index* (``<state>/site-index.json``), what the last publication looked for:

- ``targets``/``links``: each page's internal link targets, for the link gate;
- ``settings``: a digest of the site address and the Pelican settings files: Pelican's renderer
  keys a page by what its template reads, but not by the absolute address every link starts
  with, so a changed address (or settings file) means a build into an empty folder;
- ``private``: the sha256 of every private value the personal-data gate looked for (never a
  value itself); ``public``: shortened sha256 of the numbers it let pass as published.

It lives in the state folder, not beside the seal in the site: the state is never uploaded or
served, and it moves into place in the same transaction as the site it describes
(``pipeline.transaction``), so ``<state>.prev/`` describes ``<output>.prev/``.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import compress, link_index, seal
from .files import write_if_changed
from .link_index import LinkIndex

INDEX = "site-index.json"
FORMAT = 1


@dataclass
class Live:
    """The published site a build starts from, and what its publication recorded."""
    folder: Path
    # relative path -> its seal.PACKED signature when the publish started, then one byte: 1
    # when the live seal's digest is true of it (the seal's record says so), else 0. One
    # ``bytes`` per file, once: the inventory's device, inode, size and mtime are its start.
    files: dict[str, bytes]
    links: LinkIndex | None          # page -> its link targets; dropped once the link gate has read it
    private: Digests | set[str]      # the last publication's sha256 of each private value looked for
    public: Digests | set[str]       # ... and shortened sha256 of each number let pass as published
    seeded: str = ""   # how the build's folder was made from it (``seed``)

    def vouched(self, published: seal.Seal) -> Vouched:
        return Vouched(self.files, published.files)


class Digests:
    """A set of hex digests of one length, as their bytes in one sorted numpy array: at 100k,
    300,000 private values' sha256 take 9.6 MB so, and over 40 MB as a set of strings.
    ``set - Digests`` and ``Digests - set`` give sets of hex strings, as with two sets."""
    __slots__ = ("values",)

    def __init__(self, digests: list[str]):
        width = len(digests[0]) // 2 if digests else 1
        if any(len(d) != 2 * width for d in digests):
            raise ValueError("digests of more than one length")
        self.values = np.sort(np.frombuffer(bytes.fromhex("".join(digests)), dtype=f"S{width}"))

    def _holds(self, digests: list[str]) -> np.ndarray:
        width = self.values.dtype.itemsize
        if not digests or not len(self.values):
            return np.zeros(len(digests), dtype=bool)
        try:
            wanted = np.frombuffer(bytes.fromhex("".join(digests)), dtype=f"S{width}")
        except ValueError:
            return np.array([d in self for d in digests], dtype=bool)
        if len(wanted) != len(digests):
            return np.array([d in self for d in digests], dtype=bool)
        # fixed width: numpy's dropping of trailing NUL bytes loses nothing, order and equality hold
        at = np.minimum(np.searchsorted(self.values, wanted), len(self.values) - 1)
        return self.values[at] == wanted

    def __contains__(self, digest: object) -> bool:
        if not isinstance(digest, str) or len(digest) != 2 * self.values.dtype.itemsize:
            return False
        try:
            return bool(self._holds([digest])[0]) if len(bytes.fromhex(digest)) else False
        except ValueError:
            return False

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self):
        width = self.values.dtype.itemsize
        return (value.ljust(width, b"\0").hex() for value in self.values.tolist())

    def __rsub__(self, other: set[str]) -> set[str]:
        ordered = list(other)
        return {d for d, held in zip(ordered, self._holds(ordered)) if not held}

    def __sub__(self, other: set[str]) -> set[str]:
        others = Digests([d for d in other if len(d) == 2 * self.values.dtype.itemsize])
        gone = self.values[np.isin(self.values, others.values, invert=True)] if len(others) else self.values
        width = self.values.dtype.itemsize
        return {value.ljust(width, b"\0").hex() for value in gone.tolist()}


class Vouched:
    """``seal.Hashing.known`` of a publish that started from the live site: the live seal's
    digest of each file whose signature was, when the publish started, exactly the one recorded
    when the last publish ended, and marked true then. Looked up file by file, never a second
    whole-site dict."""
    __slots__ = ("files", "digests")

    def __init__(self, files: Mapping[str, bytes], digests: Mapping[str, str]):
        self.files, self.digests = files, digests

    def get(self, name: str) -> tuple[bytes, str] | None:
        entry = self.files.get(name)
        if entry is None or not entry[seal.PACKED.size:] == b"\x01" or name not in self.digests:
            return None
        return entry[:seal.PACKED.size], self.digests[name]


def inventory(site: Path) -> dict[str, bytes]:
    """Every regular file of ``site`` but its seal: its ``seal.PACKED`` signature and a 0 (no
    digest vouched for), as ``Live.files`` holds it."""
    return {name: found + b"\x00" for name, found in signatures(site).items()}


def signatures(site: Path) -> dict[str, bytes]:
    """Every regular file of ``site`` but its seal: ``seal.PACKED`` (the inventory's four,
    then ctime and link count)."""
    return {relative: seal.packed(status) for relative, _, status in seal.walk(site)
            if relative != seal.NAME and not stat.S_ISLNK(status.st_mode)}


def _inventory_json(state: str, files: Mapping[str, bytes]) -> str:
    """The inventory file: ``json.dumps({"format": 1, "state": state, "files": {path: [device,
    inode, size, mtime]}}, sort_keys=True, separators=(",", ":"))``, without a list per file.
    The same function makes the bytes to write and the bytes a live site must still give, so a
    live site is checked by comparing two texts, not by loading the kept one as dicts."""
    return "".join(_inventory_parts(state, files))


def _inventory_parts(state: str, files: Mapping[str, bytes], per_part: int = 4096) -> Iterator[str]:
    """``_inventory_json``'s text a few thousand files at a time (477k files at 100k)."""
    unpack = seal.PACKED.unpack_from
    names = sorted(files)
    yield '{"files":{'
    for start in range(0, len(names), per_part):
        yield ("," if start else "") + ",".join(
            json.dumps(name) + ":[%d,%d,%d,%d]" % unpack(files[name])[:4] for name in names[start:start + per_part])
    yield f'}},"format":{FORMAT},"state":{json.dumps(state)}}}'


def settings_digest(siteurl: str, settings: list[Path]) -> str:
    h = hashlib.sha256(siteurl.encode("utf-8") + b"\0")
    for path in settings:
        h.update(path.name.encode("utf-8") + b"\0" + (path.read_bytes() if path.is_file() else b"") + b"\0")
    return h.hexdigest()


def inventory_path(cache: Path, output: Path) -> Path:
    where = hashlib.blake2b(str(output.resolve()).encode("utf-8"), digest_size=8).hexdigest()
    return cache / "publish" / f"inventory-{where}.json"


def live_site(output: Path, state: Path, cache: Path | None, full_check: bool,
              settings: str = "") -> tuple[Live | None, str]:
    """The live site to start from, or None and why a build starts from an empty folder.
    ``settings``: this build's ``settings_digest``."""
    if full_check:
        return None, "FULL_CHECK: a fresh folder, every gate over every file"
    published = seal.read(output, files=False)
    if not output.is_dir() or published is None:
        return None, f"no sealed site in {output}/ to start from"
    if published.state is None or published.state != seal.state_digest(state):
        return None, f"{state}/ is not the state {output}/ was published with"
    if cache is None:
        return None, "no cache folder to keep the inventory of the published site in"
    try:
        index, fields = link_index.loads((state / INDEX).read_text(encoding="utf-8"))
        if fields.get("format") != FORMAT:
            raise ValueError(f"format {fields.get('format')!r}")
        live = Live(output, {}, index, Digests(fields["private"]), Digests(fields["public"]))
        del index, fields["private"], fields["public"]
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        return None, f"{state}/{INDEX} cannot be read ({error}): the site was published without one"
    try:
        kept = inventory_path(cache, output).read_text(encoding="utf-8")
    except (OSError, ValueError) as error:
        return None, f"no inventory of {output}/ as published in {cache}/ ({error})"
    if not kept.endswith(f',"format":{FORMAT},"state":{json.dumps(published.state)}}}'):
        try:   # not the text _inventory_json writes for this publication: why, as before
            data = json.loads(kept)
            if data.get("state") != published.state:
                raise ValueError("it describes another publication")
            data["files"]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            return None, f"no inventory of {output}/ as published in {cache}/ ({error})"
    if fields.get("settings") != settings:
        return None, "the site address or the Pelican settings changed since the last publication"
    live.files = signatures(output)
    if _inventory_json(published.state, live.files) != kept:
        try:
            recorded = {name: tuple(entry) for name, entry in json.loads(kept)["files"].items()}
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            return None, f"no inventory of {output}/ as published in {cache}/ ({error})"
        found = {name: seal.PACKED.unpack_from(entry)[:4] for name, entry in live.files.items()}
        changed = sorted(found.keys() ^ recorded.keys()) or sorted(
            name for name in found if found[name] != recorded[name])
        if changed:
            return None, f"{output}/ changed since it was published ({changed[0]}, {len(changed)} in all)"
        del recorded, found
    del kept
    # The seal's record (when the last publish ended) also holds each file's ctime: an edit
    # in place that put size and mtime back still moved it. A file exactly as recorded keeps
    # the record's word on its digest (the last byte), for the seal (``Vouched``).
    moved = []
    try:
        text = seal.record_path(cache, output).read_text(encoding="utf-8")
        entries = seal.record_entries(text, published.digest)
        files, size = live.files, seal.PACKED.size
        for name, entry in entries:
            now = files.get(name)
            if now is None or now != entry[:size]:
                moved.append(name)
            else:
                files[name] = now + entry[size:]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, seal.struct.error, seal.NotThisSeal):
        # no (readable) record of this seal: every file will be hashed, nothing is vouched for
        moved = []
        for name, entry in live.files.items():
            live.files[name] = entry[:seal.PACKED.size]
    for name, entry in live.files.items():
        if len(entry) == seal.PACKED.size:
            live.files[name] = entry + b"\x00"
    if moved:
        moved.sort()
        return None, (f"{output}/ changed since it was published ({moved[0]}: its ctime moved, an edit that "
                      f"kept its size and modification time; {len(moved)} in all)")
    return live, f"started from {output}/ ({len(live.files)} files linked)"


def seed(live: Live, new: Path, spare: Path | None = None) -> str:
    """``new`` (absent): a hard link of every file of the live site. From ``spare`` (an older
    site, ``transaction.Slot.spare``) when there is one: it is renamed to ``new`` and only its
    files that are not the live file of their path are removed or replaced, instead of
    unlinking one site and linking another, file by file. Returns how it was made."""
    source, target = os.fspath(live.folder), os.fspath(new)
    there: set[str] = set()
    fixed = 0
    if spare is not None and spare.is_dir() and not spare.is_symlink():
        spare.rename(new)
        for relative, path, status in seal.walk(new):
            wanted = live.files.get(relative)
            if wanted is not None and stat.S_ISREG(status.st_mode) and seal.same_inode(wanted, status):
                there.add(relative)
            else:   # an older file, the old seal, anything not the live file: never written through
                os.unlink(path)
                fixed += 1
        how = f"from {spare.name}/: {len(there)} files already the live ones, {fixed} removed"
    else:
        os.makedirs(target)
        how = "hard links into an empty folder"
    made = set()
    for relative in live.files:
        if relative in there:
            continue
        folder = os.path.dirname(relative)
        if folder not in made:
            os.makedirs(os.path.join(target, folder), exist_ok=True)
            made.add(folder)
        try:   # strings and a bare link: nothing is there yet
            os.link(os.path.join(source, relative), os.path.join(target, relative))
        except OSError:
            link(live.folder / relative, new / relative)
    return how + f", {len(live.files) - len(there)} linked"


def link(source: Path, target: Path) -> None:
    """``target`` becomes a hard link of ``source`` (a copy across devices); an existing
    ``target`` is removed first, never written through (it may be a link of a live file)."""
    if target.exists() or target.is_symlink():
        if os.path.samefile(source, target):
            return
        target.unlink()
    try:
        os.link(source, target)
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise
        shutil.copy2(source, target)


def real_paths(paths: set[str]) -> set[str]:
    """``paths`` with their folders' symbolic links resolved (Pelican and the pipeline may
    name one folder differently); one ``realpath`` per folder, not per file."""
    folders: dict[str, str] = {}
    found = set()
    for path in paths:
        folder, name = os.path.split(path)
        if folder not in folders:
            folders[folder] = os.path.realpath(folder)
        found.add(os.path.join(folders[folder], name))
    return found


@dataclass
class Settled:
    """``new`` once ``settle`` has walked it."""
    removed: list[str]               # files no writer asked for, removed (relative, sorted)
    unchanged: set[str]              # files still the live site's (the same inode)
    # ``compress.texts``' answer: (relative, size) of each text file whose .gz may be new, and
    # how many text files keep theirs (unchanged beside an unchanged .gz)
    texts: tuple[list[tuple[str, int]], int]


def settle(new: Path, produced: set[str], live: Live | None = None) -> Settled:
    """One walk of ``new`` once every writer is done: every file not in ``produced``
    (``real_paths``) is removed, then the folders left empty; of the files that stay, those
    still the live site's (``live``) are ``unchanged``, and the regular text files
    (``compress.is_text``) are listed with their sizes for ``compress``, bar those that keep
    their ``.gz`` (``compress.keeps_gz``). At 100k the site has 478,000 files: a walk with a ``stat`` of each
    took 4.6 s, and the removal, the unchanged files and the ``.gz`` copies each made one.
    A linked folder is kept and not entered. ``produced`` is used up: a path the walk has
    found is taken out of it (at 100k, 478,000 paths held while their relative names are made
    raised the publish's peak by 100 MB)."""
    root = os.path.realpath(new)
    cut = len(root) + 1
    files = live.files if live is not None else {}
    removed: list[str] = []
    same: set[str] = set()
    texts: list[tuple[str, int]] = []

    def visit(folder: str) -> bool:
        """Whether ``folder`` is left empty."""
        left = 0
        with os.scandir(folder) as found:
            entries = list(found)
        for entry in entries:
            path = entry.path
            if entry.is_dir():    # a link to a folder too, as os.walk lists it: kept, not entered
                if entry.is_symlink() or not visit(path):
                    left += 1
                else:
                    os.rmdir(path)
                continue
            if path not in produced:
                os.unlink(path)
                removed.append(path[cut:])
                continue
            produced.discard(path)   # each path's string freed as the walk's own are made
            left += 1
            status = os.lstat(path)
            relative = path[cut:]
            old = files.get(relative)
            if old is not None and not stat.S_ISLNK(status.st_mode) and seal.same_inode(old, status):
                same.add(relative)   # a text file among them: looked at once the walk has found its .gz
            elif stat.S_ISREG(status.st_mode) and compress.is_text(relative):
                texts.append((relative, status.st_size))
        return left == 0

    visit(root)
    # An unchanged text file keeps its .gz when that is unchanged too (a weekly publish: nearly
    # all of them, not listed); else it is listed, its size taken again.
    kept = 0
    for name in same:
        if compress.is_text(name):
            if compress.keeps_gz(name, same):
                kept += 1
            else:
                status = os.lstat(os.path.join(root, name))
                if stat.S_ISREG(status.st_mode):
                    texts.append((name, status.st_size))
    texts.sort()   # the order of a walk (``seal.walk``): the same twins compressed, the same copies
    return Settled(sorted(removed), same, (texts, kept))


def save(state: Path, site: Path, published: str, links: LinkIndex | link_index.Saved | Mapping[str, list[str]],
         private: set[str], public: set[str], settings: str = "", cache: Path | None = None, output: Path | None = None,
         found: Mapping[str, bytes] | None = None) -> None:
    """The index of ``site`` (about to be put in place as ``output``) into the staged
    ``state``, and its inventory into ``cache``. Both before the swap: a publish that does not
    complete leaves an inventory that matches no live site, so the next one starts afresh.
    ``found``: the ``seal.PACKED`` signatures of ``site``'s files, when the seal has just taken them."""
    if cache is not None and output is not None:
        write_if_changed(inventory_path(cache, output),
                         _inventory_parts(seal.state_digest(state), found if found is not None else signatures(site)))
    if not isinstance(links, (LinkIndex, link_index.Saved)):
        links = LinkIndex.from_lists(links)
    write_if_changed(state / INDEX, link_index.dumps(links, {
        "format": FORMAT, "published": published, "private": sorted(private), "public": sorted(public),
        "settings": settings}))
