"""Test-only hooks: kill or pause ``make publish`` at a named step of its transaction.

The tests need to know what a kill at every moment leaves behind, and to start a second
publish while a first one is at a known point; timing a ``kill`` from outside would hit a
different moment on every run. Outside the tests neither variable is ever set.

- ``SHAFAF_FAULT=<step>``: the process ends there at once with ``os._exit(137)`` (the exit
  status of a SIGKILL): no ``finally``, no cleanup, no flushed buffers, as after ``kill -9``.
- ``SHAFAF_PAUSE=<step>`` and ``SHAFAF_PAUSE_FILE=<path>``: the process creates ``<path>``
  there and waits, holding its lock, until someone removes it.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from .files import write_atomically

# In the order a publish passes them. The transaction's steps (from "journal" on) are also
# passed by a recovery that finishes an interrupted publication.
STEPS = (
    "pelican",            # Pelican has started building into output.new
    "compressing",        # the gates passed; the .gz copies are about to be written
    "compressed",         # output.new is complete
    "state-staged",       # state.new holds the new baseline and the archive
    "sealed",             # output.new carries its seal (the digest make upload checks)
    "journal",            # the journal is written: from here on, recovery rolls forward
    "site-prev-aside",    # output.prev moved to output.trash
    "site-exchanged",     # output is the new site, output.new the old one
    "site-prev",          # the old site is output.prev
    "state-prev-aside",
    "state-exchanged",
    "state-prev",
    "committed",          # the journal is gone; the trash is still there
    "cleaned",            # the trash is gone
)
KILLED = 137


class UnknownStep(ValueError):
    """``point`` named a step not in STEPS: a bug, which must stop the run even under
    ``python -O`` (an ``assert`` would vanish, and a test aiming at the misspelt step would
    pass without its kill ever happening)."""


def point(step: str) -> None:
    if step not in STEPS:
        raise UnknownStep(f"unknown fault step {step!r}")
    if os.environ.get("SHAFAF_FAULT") == step:
        os._exit(KILLED)
    if os.environ.get("SHAFAF_PAUSE") == step:
        flag = Path(os.environ["SHAFAF_PAUSE_FILE"])
        write_atomically(flag, f"{os.getpid()} paused at {step}\n".encode())  # the test may read it at once
        while flag.exists():
            time.sleep(0.05)
