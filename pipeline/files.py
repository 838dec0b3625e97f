"""The one way a file is written into the site, ``content/``, ``state/``, ``cache/`` or ``reports/``.

A file is never rewritten in place: the bytes go to a temporary file beside it, which then
replaces it in one rename. A reader (nginx, Pelican, the next build) sees the old file or the
new one, never half of one, and a kill leaves at worst a ``.tmp`` file, never a truncated
page. The rename also gives the file a new inode, so the old one may be a hard link into the
published site (publish.py links unchanged files) without the site changing under it.
"""
from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, data: bytes, *, durable: bool = False) -> None:
    """Replace ``path`` with ``data``. ``durable``: also survive a power cut (fsync of the file
    and of its folder), for the few files a later run decides by (the journal, the seal, the
    state); a kill needs none of it, and an fsync per page would make a 10k build minutes slower."""
    tmp = temporary(path)
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_folder(path.parent)


def temporary(path: Path) -> Path:
    """Where ``write_atomically`` puts the bytes of ``path`` first: one fixed name, so that a
    file left by a kill is overwritten by the next write, or found and removed by a recovery."""
    return path.with_name(path.name + ".tmp")


def write_if_changed(path: Path, content: str | bytes, *, durable: bool = False) -> bool:
    """Write only when the bytes differ, so unchanged files keep their mtime and cache entry."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data, durable=durable)
    return True


def fsync_folder(folder: Path) -> None:
    """Renames survive a power cut only once their folder is on disk; a kill needs none of it."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
