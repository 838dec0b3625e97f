"""One ``make publish`` or ``make upload`` at a time, and no preview while a publish builds.

A publish and ``make html`` share ``content/`` and ``cache/``: a publish holds
``<content>.lock`` while it builds, and ``make html`` runs its pipeline and Pelican under the
same lock (``flock(1)`` in the Makefile: the same kernel lock), so a preview of unchecked
exports can never be written into the pages a publish is about to check and put live.

Both take an exclusive ``flock`` on ``<output>.lock`` (beside the published folder, not in
it: a swap renames the folder, and the lock must outlive it). The kernel drops the lock
when the process ends, however it ends, so a killed run never leaves a stale lock. The file
itself is never removed: removing a lock file while another process waits on it lets a
third one lock a new file under the same name.
"""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path


class Busy(Exception):
    """Another publish or upload holds the lock."""

    def __init__(self, path: Path, holder: str):
        self.path, self.holder = path, holder
        super().__init__(f"{path} is held by {holder or 'another process'}")


def path_for(output: Path) -> Path:
    return output.with_name(output.name + ".lock")


@contextmanager
def held(output: Path, what: str, wait: bool = False, on_wait=None):
    """Hold the lock of ``output`` for the ``with`` block; ``Busy`` at once if another
    process holds it, unless ``wait`` (then ``on_wait(holder)`` is called once before
    waiting)."""
    path = path_for(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            if not wait:
                raise Busy(path, holder) from None
            if on_wait:
                on_wait(holder)
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{what} (pid {os.getpid()})\n".encode(), 0)
        yield
    finally:
        os.close(fd)
