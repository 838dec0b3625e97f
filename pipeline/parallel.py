"""Run one function in a second process while this one goes on (the machine has two cores).

``fork`` rather than ``multiprocessing``: the child starts with the parent's memory as it is
(100k records are not pickled to reach it); only the result comes back, pickled through a pipe.
Where there is no ``fork`` the function simply runs in this process.
"""
from __future__ import annotations

import logging
import os
import pickle
import signal
import sys
import traceback


class ChildFailed(RuntimeError):
    pass


_at_child_exit: list = []


def at_child_exit(function) -> None:
    """``function()`` runs in a forked child once it has sent its result, before it ends
    (``os._exit`` runs no ``atexit`` hook)."""
    _at_child_exit.append(function)


class Forked:
    """``Forked(function, *args).result()``: the function's return value, or ChildFailed."""

    def __init__(self, function, *args, **kwargs):
        self._value = self._pid = self._read = None
        if not hasattr(os, "fork"):
            self._value = (True, function(*args, **kwargs))
            return
        read, write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            # Pelican logs through rich, whose console lock another thread of the parent may
            # have held at the fork: the child logs plainly instead.
            logging.getLogger().handlers = [logging.StreamHandler(sys.stderr)]
            try:
                outcome = (True, function(*args, **kwargs))
            except OSError as error:
                # A full disk or a read-only folder is an error the caller reports plainly, as
                # it would had the same write failed in its own process: no traceback.
                outcome = (False, OSError(error.errno, error.strerror, error.filename))
            except BaseException:
                outcome = (False, traceback.format_exc())
            try:
                with os.fdopen(write, "wb") as pipe:
                    pickle.dump(outcome, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            finally:
                for hook in _at_child_exit:
                    try:
                        hook()
                    except BaseException:  # noqa: BLE001  (the result is sent; nothing to tell)
                        pass
                os._exit(0)
        os.close(write)
        self._pid, self._read = pid, read

    def result(self):
        if self._value is None:
            # Unpickled as it arrives: the search's files (180 MB at 100k rulings) are not
            # also held whole as the pipe's bytes.
            with os.fdopen(self._read, "rb") as pipe:
                try:
                    value = pickle.load(pipe)
                except (EOFError, pickle.UnpicklingError):
                    value = None
            _, status = os.waitpid(self._pid, 0)
            if value is None:
                raise ChildFailed(f"the second process ended without a result (status {status})")
            self._value = value
        ok, value = self._value
        if not ok:
            if isinstance(value, OSError):
                raise value
            raise ChildFailed(f"the second process failed:\n{value}")
        return value

    def __del__(self):
        # A result nobody asked for (the build stopped early): end the child, do not leave it
        # waiting on a full pipe.
        if self._value is None and self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
                os.close(self._read)
            except OSError:
                pass


def in_halves(function, items: list, *args, parallel: bool = True) -> list:
    """``function(items[0::2], *args)`` here and ``function(items[1::2], *args)`` in a second
    process, both results in that order; with ``parallel`` false, ``[function(items, *args)]``."""
    if not parallel:
        return [function(items, *args)]
    other = Forked(function, items[1::2], *args)
    return [function(items[0::2], *args), other.result()]
