"""What a build or a publish is doing while it does it (README: *Progress*).

A 100k build ran for minutes and a publish for twelve with nothing on the screen. Now every
stage says when it ends and how long it took, and the long loops (the gates walk every file of
the site) show how far they are:

* on a terminal, a live line from rich (which Pelican already brings): the stage's name, a bar,
  how many files of how many, and an estimate of the time left;
* anywhere else (a log, CI, a test's pipe) nothing live: one plain line per finished stage,
  ``stage <name> <seconds> s``, so a log says where the time went.

``SHAFAF_PROGRESS`` chooses: ``auto`` (the default: live on a terminal, plain otherwise),
``live``, ``plain`` or ``off``. It only ever writes to standard error: the site, the datasets
and the reports are the same bytes whatever it is set to.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO, TypeVar

MODES = ("auto", "live", "plain", "off")
T = TypeVar("T")


class ProgressError(ValueError):
    """``SHAFAF_PROGRESS`` holds a value that is not one of ``MODES``."""


def mode(environ=os.environ, stream: TextIO | None = None) -> str:
    chosen = environ.get("SHAFAF_PROGRESS", "auto") or "auto"
    if chosen not in MODES:
        raise ProgressError(f"SHAFAF_PROGRESS={chosen!r}: use one of {', '.join(MODES)}")
    if chosen == "auto":
        stream = stream or sys.stderr
        return "live" if getattr(stream, "isatty", lambda: False)() else "plain"
    return chosen


class Stages:
    """A run's stages, one after another: ``begin(name)`` ends the stage before it.

    Used as ``stages.begin("validate")`` between the lines of a function rather than as a
    ``with`` block around them, so that timing a stage does not re-indent the code it times."""

    def __init__(self, title: str, stream: TextIO | None = None, chosen: str | None = None):
        self.stream = stream or sys.stderr
        self.mode = chosen or mode(stream=self.stream)
        self.title = title
        self.current: str | None = None
        self.started = 0.0
        self.times: list[tuple[str, float]] = []
        self._status = None

    def begin(self, name: str) -> None:
        self.end()
        self.current, self.started = name, time.perf_counter()
        if self.mode == "live":
            from rich.console import Console
            self._status = Console(file=self.stream, force_terminal=True).status(f"{self.title}: {name} …")
            self._status.start()

    def end(self) -> None:
        if self.current is None:
            return
        elapsed = time.perf_counter() - self.started
        self.times.append((self.current, elapsed))
        if self._status is not None:
            self._status.stop()
            self._status = None
        if self.mode != "off":
            print(f"stage {self.title}/{self.current} {elapsed:.1f} s", file=self.stream, flush=True)
        self.current = None

    def track(self, items: Iterable[T], total: int, what: str) -> Iterator[T]:
        """``items`` as they are, with a bar, a count and an estimate on a terminal."""
        if self.mode != "live" or total == 0:
            yield from items
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
        if self._status is not None:
            self._status.stop()
        columns = (TextColumn(f"{self.title}: {self.current} ({what})"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn())
        from rich.console import Console
        with Progress(*columns, console=Console(file=self.stream, force_terminal=True), transient=True) as bar:
            task = bar.add_task(self.current or what, total=total)
            for item in items:
                yield item
                bar.advance(task)
        if self._status is not None:
            self._status.start()

    @contextmanager
    def drawn_elsewhere(self) -> Iterator[str]:
        """This stage's bar drawn by another process (``elsewhere``): the live line stops meanwhile."""
        if self._status is not None:
            self._status.stop()
        try:
            yield self.mode
        finally:
            if self._status is not None:
                self._status.start()

    @classmethod
    def elsewhere(cls, title: str, stage: str, chosen: str) -> Stages:
        """In a forked process, the bars of the parent's current ``stage``, drawn as it would
        (``track`` only: the parent says when the stage began and ended)."""
        stages = cls(title, chosen=chosen)
        stages.current = stage
        return stages

    def __enter__(self) -> "Stages":
        return self

    def __exit__(self, *exc) -> None:
        # A stage that raised is not reported as finished: its line would claim a time for work
        # that did not complete. The live spinner is stopped either way.
        if exc[0] is not None:
            if self._status is not None:
                self._status.stop()
            self.current = None
            return
        self.end()


class _Unreported(Stages):
    """For calls made outside a run that reports (tests, benchmarks, other modules): keeps nothing."""

    def begin(self, name: str) -> None:
        pass

    def end(self) -> None:
        pass


QUIET = _Unreported("", chosen="off")
