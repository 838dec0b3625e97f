"""Run one function in a second process while this one goes on (the machine has two cores).

``fork`` rather than ``multiprocessing``: the child starts with the parent's memory as it is
(100k records are not pickled to reach it); only the result comes back, pickled through a pipe.
Where there is no ``fork`` the function simply runs in this process.
"""
from __future__ import annotations

import functools
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
        pid, read, write = _fork()
        if pid == 0:
            os.close(read)
            _child(function, args, kwargs, write)
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
            self._pid = None   # reaped: its number may be another process's now, never to be killed
            if value is None:
                raise ChildFailed(f"the second process ended without a result (status {status})")
            self._value = value
        ok, value = self._value
        if not ok:
            if isinstance(value, OSError):
                raise value
            raise ChildFailed(f"the second process failed:\n{value}")
        return value

    def end_unasked(self) -> None:
        """A result nobody asked for (the build stopped early): end the child, do not leave it
        waiting on a full pipe."""
        if self._value is None and self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
                os.close(self._read)
            except OSError:
                pass

    def __del__(self):
        self.end_unasked()


def _fork() -> tuple[int, int, int]:
    """``os.fork()`` with a pipe for the child's result: (pid, read end, write end); the
    buffered output written so far is flushed first, or both processes would write it. The
    child dies with this process (``die_with_parent``): a killed build leaves no half of it
    writing on."""
    read, write = os.pipe()
    _prctl()   # loaded before the fork: no dlopen in a child of a process with threads
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        die_with_parent(parent)
    return pid, read, write


def _child(function, args, kwargs, write: int) -> None:
    """In a forked child: ``function(*args, **kwargs)``, its outcome pickled into ``write``; never returns."""
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


# The parent's ends of every waiting child's pipes: a process forked later must not hold them,
# or a waiting child would not see its parent go (no end of file while another holds the end).
_parent_ends: set[int] = set()


def _close_parent_ends() -> None:
    for fd in list(_parent_ends):
        try:
            os.close(fd)
        except OSError:
            pass
    _parent_ends.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_parent_ends)


def die_with_parent(parent: int | None = None) -> None:
    """Linux: this process is killed when the one that started it ends, however it ends (a
    waiting child would otherwise hold the parent's locks until its work was done, and a
    helper would go on writing into a folder the next publish builds in). ``parent``: that
    process's pid, taken before the fork or the exec (the default, this one's parent now, cannot
    tell a parent that has already ended)."""
    parent = os.getppid() if parent is None else parent
    prctl = _prctl()
    if prctl is not None:
        prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    if os.getppid() != parent:   # the parent ended before the line above
        os._exit(0)


@functools.cache
def _prctl():
    """libc's ``prctl``, or None where there is none (not Linux)."""
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


class Prepared:
    """What ``Waiting``'s ``prepare`` made, for its function to ``take()``: then nothing else
    holds it, and the function may free it (an argument stays held by its caller until the
    call returns)."""

    def __init__(self, value):
        self._value = [value]

    def take(self):
        return self._value.pop()


def _after(prepare, function):
    """``prepare()`` run now; a function that gives ``function(Prepared(prepared), *args)``,
    or raises what ``prepare`` raised."""
    try:
        prepared, failure = prepare(), None
    except BaseException as error:   # noqa: BLE001  (raised again when the function is run)
        prepared, failure = None, error

    def run(*args):
        nonlocal prepared
        if failure is not None:
            raise failure
        given, prepared = Prepared(prepared), None
        return function(given, *args)
    return run


def tied(command: list[str]) -> list[str]:
    """``command`` as a command that is killed when this process ends, however it ends: run
    through this file as a script, which asks for that (``die_with_parent``) and then becomes
    ``command`` (an ``exec`` keeps the request). Pelican, started by a publish that is then
    killed, would otherwise go on writing into the folder the next publish builds in.
    Not a ``preexec_fn``: Python code between fork and exec in a process that has threads (the
    progress bar's) may wait forever on a lock another thread held. The script runs isolated
    (``-I``: no folder of ours on its path, whatever the working directory; it imports only
    the standard library), and ``command`` gets the environment as it was given."""
    return [sys.executable, "-I", os.path.abspath(__file__), str(os.getpid()), *command]


class Waiting(Forked):
    """A process forked now, with the parent's memory as it is now, that runs
    ``function(*args)`` only when ``start(*args)`` sends it the arguments (pickled), and
    ``result()`` as ``Forked``'s. What it reaches of the parent's objects is as they were at
    the fork: made for a check that needs early data (the validated tables, while the parent
    is small) and late data (the built site), run when the parent has grown large.
    ``prepare()``, if given, runs in it at once, while the parent goes on; then
    ``function(Prepared(its value), *args)`` (a failure of ``prepare`` is reported by
    ``result()`` as one of ``function``).
    ``close()`` (or the parent's end) ends it unstarted."""

    def __init__(self, function, prepare=None):
        self._value = self._pid = self._read = self._command = None
        if not hasattr(os, "fork"):
            self._function = function if prepare is None else (lambda *args: function(Prepared(prepare()), *args))
            return
        command_read, command_write = os.pipe()
        pid, read, write = _fork()
        if pid == 0:
            os.close(read)
            os.close(command_write)
            if prepare is not None:
                function = _after(prepare, function)
            with os.fdopen(command_read, "rb") as commands:
                try:
                    args = pickle.load(commands)
                except (EOFError, pickle.UnpicklingError):
                    os._exit(0)   # closed unstarted, or the parent ended
            _child(function, args, {}, write)
        os.close(write)
        os.close(command_read)
        self._pid, self._read, self._command = pid, read, command_write
        _parent_ends.update((read, command_write))

    def start(self, *args) -> Waiting:
        if self._pid is None:
            self._value = (True, self._function(*args))
            return self
        _parent_ends.discard(self._command)
        with os.fdopen(self._command, "wb") as pipe:
            pickle.dump(args, pipe, protocol=pickle.HIGHEST_PROTOCOL)
        self._command = None
        return self

    def result(self):
        if self._command is not None:
            raise RuntimeError("Waiting.result() before start()")
        _parent_ends.discard(self._read)
        return super().result()

    def close(self) -> None:
        """End it unstarted (or abandon its result)."""
        if self._command is not None:
            _parent_ends.discard(self._command)
            os.close(self._command)
            self._command = None
        _parent_ends.discard(self._read)
        self.end_unasked()
        if self._value is None:
            self._value, self._pid = (False, "closed"), None

    def __del__(self):
        self.close()


def in_halves(function, items: list, *args, parallel: bool = True) -> list:
    """``function(items[0::2], *args)`` here and ``function(items[1::2], *args)`` in a second
    process, both results in that order; with ``parallel`` false, ``[function(items, *args)]``."""
    if not parallel:
        return [function(items, *args)]
    other = Forked(function, items[1::2], *args)
    return [function(items[0::2], *args), other.result()]


if __name__ == "__main__":   # tied(): python -I parallel.py PARENT_PID COMMAND...
    die_with_parent(int(sys.argv[1]))
    os.execvp(sys.argv[2], sys.argv[2:])
