"""The end of a publish as one transaction: the new site, its state and the backups of both
move into place together, or a later run finishes the move.

Before the transaction, everything new is staged beside what it replaces: the site in
``<output>.new/``, the state in ``<state>.new/``. Each folder then goes through one rotation:

    <live>.prev  -> <live>.trash      (the one before the previous one, until the end)
    <live>.new  <-> <live>            (one renameat2 RENAME_EXCHANGE; two renames without it)
    <live>.new   -> <live>.prev       (after the exchange it holds the replaced folder)
    <live>.trash -> <live>.spare      (the site's, once the journal is gone; the state's is removed)

first for the site, then for the state. A journal, ``<output>.journal.json``, is written
(atomically) before the first rename and removed after the last; it records the folders by
device and inode, which a rename keeps. Every step is therefore decided by what is where,
not by remembering how far a killed run got: ``finish`` can be repeated after a kill at any
point, and always ends with the new site in ``<output>``, the new state in ``<state>``, and
the replaced pair in ``<output>.prev`` and ``<state>.prev``.

Without a journal, a run finds either nothing of a transaction (a kill before it began: the
staged folders are removed, the live ones were never touched) or only its ``.trash``
folders (a kill after it ended), which are removed.
"""
from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .faults import point
from .files import fsync_folder, temporary, write_atomically

FORMAT = 1


class RecoveryError(Exception):
    """A journal names folders that are no longer where a publish could have left them."""


@dataclass(frozen=True)
class Slot:
    """A folder that a publish replaces, and its siblings."""
    live: Path

    def sibling(self, suffix: str) -> Path:
        return self.live.with_name(self.live.name + suffix)

    @property
    def new(self) -> Path:
        return self.sibling(".new")

    @property
    def prev(self) -> Path:
        return self.sibling(".prev")

    @property
    def trash(self) -> Path:
        return self.sibling(".trash")

    @property
    def spare(self) -> Path:
        """The site before the previous one, kept when a publish ends for the next one to start
        from (``pipeline.incremental.seed``): most of its files are hard links of the live
        ones, so fixing the few that differ costs less than removing it and linking anew."""
        return self.sibling(".spare")


def real_folder(folder: Path) -> Path:
    """A folder given as a symbolic link (``output`` → a larger disk) is published in its
    target: every sibling (``.new``, ``.prev``, the journal, the lock) lies beside the target,
    where the renames happen, and the link goes on naming the live folder."""
    return folder.resolve() if folder.is_symlink() else folder


def journal_path(output: Path) -> Path:
    return output.with_name(output.name + ".journal.json")


def identity(path: Path) -> list[int] | None:
    try:
        status = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return None
    return [status.st_dev, status.st_ino]


# --- the transaction ----------------------------------------------------------------------

def begin(output: Path, state: Path, published: str) -> dict:
    """Write the journal of moving ``<output>.new`` and ``<state>.new`` into place."""
    journal = {"format": FORMAT, "published": published, "slots": []}
    for name, folder in (("site", output), ("state", state)):
        slot = Slot(folder.resolve())
        journal["slots"].append({"name": name, "live": str(slot.live), "new": identity(slot.new),
                                 "old": identity(slot.live)})
    write_atomically(journal_path(output), json.dumps(journal, indent=1).encode(), durable=True)
    point("journal")
    return journal


def finish(output: Path, journal: dict) -> None:
    """Move every staged folder of ``journal`` into place, then end the transaction."""
    for entry in journal["slots"]:
        _rotate(Slot(Path(entry["live"])), entry["new"], entry["old"], entry["name"])
    journal_path(output).unlink()
    fsync_folder(output.parent)
    point("committed")


def _rotate(slot: Slot, new: list[int], old: list[int] | None, name: str) -> None:
    if identity(slot.live) != new and identity(slot.new) != new:
        raise RecoveryError(f"the new {name} is neither in {slot.new} nor in {slot.live}")
    if old is not None and slot.prev.exists() and identity(slot.prev) != old:
        _remove(slot.trash)
        slot.prev.rename(slot.trash)
        point(f"{name}-prev-aside")
    if identity(slot.live) != new:
        if not slot.live.exists():
            slot.new.rename(slot.live)
        elif not exchange(slot.new, slot.live):
            slot.live.rename(slot.prev)
            slot.new.rename(slot.live)
        point(f"{name}-exchanged")
    if slot.new.exists() and identity(slot.new) == old:
        slot.new.rename(slot.prev)
        point(f"{name}-prev")
    fsync_folder(slot.live.parent)


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False when unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(a))


def clean(output: Path, state: Path) -> list[str]:
    """Remove the trash of an ended transaction, but keep the site's as ``<output>.spare``
    (a rename; removing it would unlink every file of a site); what could not be removed is
    said, not raised (the publication itself is complete)."""
    problems = []
    site = Slot(output)
    if site.trash.is_dir() and not site.trash.is_symlink():
        problems += _remove(site.spare)
        try:
            if not site.spare.exists():
                site.trash.rename(site.spare)
        except OSError as error:   # then the trash is removed below, as before there was a spare
            problems.append(f"{site.trash} (not kept as {site.spare.name}: {error})")
    for slot in (site, Slot(state)):
        problems += _remove(slot.trash)
    point("cleaned")
    return problems


# --- what a run finds -------------------------------------------------------------------

def recover(output: Path, state: Path) -> list[str]:
    """Finish or clear whatever an interrupted publish left; returns what was done, in words."""
    said = []
    path = journal_path(output)
    if path.exists():
        journal = _read_journal(path)
        finish(output, journal)
        live = {e["name"]: e["live"] for e in journal["slots"]}
        said.append(f"Recovered: the publication of {journal['published']} had been interrupted after its "
                     f"checks passed; it is now complete: the new site is {live['site']}/ with its state "
                     f"{live['state']}/, the ones they replaced are in {live['site']}.prev/ and {live['state']}.prev/.")
        state = Path(live["state"])
    temporary(path).unlink(missing_ok=True)
    # <output>.new is left alone: it may be a refused build kept for inspection, and the
    # next build replaces it anyway. A staged state without a journal was never committed.
    for leftover in (Slot(output).trash, Slot(state).trash, Slot(state).new):
        if leftover.exists():
            problems = _remove(leftover)
            said.append(f"Recovered: removed {leftover}/, left by an interrupted publish"
                        + (f" (not all of it: {problems[0]})" if problems else "") + ".")
    return said


def _read_journal(path: Path) -> dict:
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
        if journal.get("format") != FORMAT:
            raise ValueError(f"format {journal.get('format')!r}")
        return journal
    except (OSError, ValueError) as error:
        raise RecoveryError(f"{path} cannot be read ({error})") from None


def unwritable(output: Path, state: Path) -> list[Path]:
    """The folders a publish renames, fills or removes that this process cannot change.

    ``os.access`` alone is not enough: it answers for permissions and read-only mounts,
    and root passes every permission check, so a file is also created and removed in each
    (an immutable folder, ``chattr +i``, refuses that even to root)."""
    found = []
    for slot in (Slot(output), Slot(state)):
        for folder in (slot.live.parent, slot.live, slot.new, slot.prev, slot.spare):
            if folder.is_dir() and folder not in found and not _can_write(folder):
                found.append(folder)
    return found


def _can_write(folder: Path) -> bool:
    if not os.access(folder, os.W_OK):
        return False
    probe = folder / f".shafaf-probe-{os.getpid()}"
    try:
        probe.touch()
        probe.unlink()
    except OSError:
        return False
    return True


# --- helpers ------------------------------------------------------------------------------

def _remove(folder: Path) -> list[str]:
    problems: list[str] = []
    if folder.exists() or folder.is_symlink():
        shutil.rmtree(folder, onerror=lambda _f, p, e: problems.append(f"{p}: {e[1]}"))
    return problems
