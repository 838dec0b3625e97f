"""The second process (pipeline/parallel.py): its result, however large, or a plain failure."""
from __future__ import annotations

import os

import pytest

from pipeline import parallel


def test_a_result_larger_than_the_pipe_comes_back_whole():
    big = {f"file-{i}": bytes([i % 256]) * 70_000 for i in range(40)}   # 2.8 MB, far beyond a pipe's buffer
    assert parallel.Forked(lambda: big).result() == big


def test_a_child_that_dies_before_its_result_is_a_failure():
    with pytest.raises(parallel.ChildFailed, match="without a result"):
        parallel.Forked(os._exit, 3).result()


def test_a_child_reaped_without_a_result_is_never_signalled_again(monkeypatch):
    """Once reaped, the child's number may be another process's: ending the unasked result
    (``__del__``) must not kill it."""
    forked = parallel.Forked(os._exit, 3)
    with pytest.raises(parallel.ChildFailed):
        forked.result()
    killed = []
    monkeypatch.setattr(parallel.os, "kill", lambda pid, sig: killed.append(pid))
    forked.end_unasked()
    assert killed == []


def test_a_child_that_dies_halfway_through_its_result_is_a_failure(monkeypatch):
    import pickle

    def half_then_die(value, pipe, protocol=None):
        pipe.write(pickle.dumps(value, protocol=protocol)[:1000])
        pipe.flush()
        os._exit(1)

    monkeypatch.setattr(parallel.pickle, "dump", half_then_die)
    with pytest.raises(parallel.ChildFailed, match="without a result"):
        parallel.Forked(lambda: b"x" * 100_000).result()


def test_the_result_is_unpickled_from_the_pipe_as_it_arrives(monkeypatch):
    """Not read whole first (``pipe.read()`` then ``pickle.loads``): at 100k rulings the search's
    files would be held twice in the build's process."""
    def whole(_data):
        raise AssertionError("the result was read whole before it was unpickled")

    monkeypatch.setattr(parallel.pickle, "loads", whole)
    assert parallel.Forked(lambda: [1, "two"]).result() == [1, "two"]


# --- Waiting: forked now, started later ----------------------------------------------------

def test_a_waiting_process_works_on_the_memory_of_its_fork_and_the_arguments_of_its_start():
    early = {"tables": [1, 2, 3]}
    waiting = parallel.Waiting(lambda late: (early["tables"], late, os.getpid()))
    early["tables"] = ["changed after the fork"]
    tables, late, pid = waiting.start("the built site").result()
    assert tables == [1, 2, 3] and late == "the built site"
    assert pid not in (os.getpid(), None)


def test_a_waiting_process_fails_as_a_forked_one_does():
    def fails(_):
        raise ValueError("a bug in the check")
    with pytest.raises(parallel.ChildFailed, match="a bug in the check"):
        parallel.Waiting(fails).start(1).result()


def test_a_waiting_process_prepares_at_once_and_is_given_what_it_prepared(tmp_path):
    """``prepare`` runs as soon as the process is forked, not when it is started: the
    personal-data gate makes its values while the build goes on."""
    import time
    prepared = tmp_path / "prepared"

    def prepare():
        prepared.write_text(str(os.getpid()))
        return "made early"
    waiting = parallel.Waiting(lambda early, late: (early.take(), late, os.getpid()), prepare=prepare)
    for _ in range(400):   # a bound on waiting for the event; it is not started meanwhile
        if prepared.exists() and prepared.read_text():
            break
        time.sleep(0.05)
    child = waiting._pid
    assert prepared.read_text() == str(child)
    assert waiting.start("the built site").result() == ("made early", "the built site", child)


def test_what_was_prepared_is_freed_once_the_function_has_taken_it():
    """At 100k the gate's candidates are hundreds of MB: once made into the values looked
    for, nothing may keep them for the scan."""
    import gc
    import weakref

    class Made:
        pass

    def check(prepared, _):
        made = weakref.ref(taken := prepared.take())
        del taken
        gc.collect()
        return made() is None
    assert parallel.Waiting(check, prepare=Made).start(1).result() is True


def test_a_failure_to_prepare_is_the_result_of_the_waiting_process():
    def prepare():
        raise ValueError("a bug in the early half")
    waiting = parallel.Waiting(lambda early, late: late, prepare=prepare)
    with pytest.raises(parallel.ChildFailed, match="a bug in the early half"):
        waiting.start(1).result()


def _gone(pid: int, seconds: float = 20.0) -> bool:
    """Whether ``pid`` has ended (reaped by us, or no longer a process) within ``seconds``: a
    bound on waiting for an event, not a measure of speed."""
    import time
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return True
        except ChildProcessError:   # not our child: is it still a process?
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
        time.sleep(0.05)
    return False


def test_a_waiting_process_closed_unstarted_ends():
    waiting = parallel.Waiting(lambda _: None)
    pid = waiting._pid
    waiting.close()
    assert _gone(pid)


def test_a_process_forked_later_does_not_keep_a_waiting_one_alive():
    """A process forked after the waiting one (the search, the workbooks) must not hold the
    parent's end of its pipe: the waiting one would never see that it is not wanted."""
    import signal
    import time
    waiting = parallel.Waiting(lambda _: None)
    pid = waiting._pid
    later = parallel.Forked(time.sleep, 600)
    # the parent's end closed without a kill, as when the publish's process ends: the waiting
    # process must see the end of file and end by itself, though ``later`` lives on
    parallel._parent_ends.discard(waiting._command)
    os.close(waiting._command)
    waiting._command = None
    try:
        assert _gone(pid)
    finally:
        os.kill(later._pid, signal.SIGKILL)
        os.waitpid(later._pid, 0)
        later._pid = waiting._pid = None


def test_a_forked_process_dies_with_its_parent():
    """Killed, a publish leaves no half of Pelican's rendering, no link gate and no second
    scan going on (forked by it, or by Pelican, which dies with it)."""
    import subprocess
    import sys
    script = ("import os, sys, time; sys.path.insert(0, sys.argv[1]); from pipeline import parallel; "
              "f = parallel.Forked(time.sleep, 600); os.write(1, b'%d\\n' % f._pid); time.sleep(600)")
    parent = subprocess.Popen([sys.executable, "-c", script, str(parallel.__file__).rsplit("/pipeline/", 1)[0]],
                              stdout=subprocess.PIPE, text=True)
    pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    assert _gone(pid)


def test_a_waiting_process_dies_with_its_parent(tmp_path):
    """Killed (SIGKILL), a publish leaves no waiting process holding its locks."""
    import subprocess
    import sys
    # started: at work on the check when its parent is killed, not waiting on the pipe
    script = ("import os, sys, time; sys.path.insert(0, sys.argv[1]); from pipeline import parallel; "
              "w = parallel.Waiting(lambda s: os.write(1, b'working\\n') and time.sleep(s)).start(600); "
              "os.write(1, b'%d\\n' % w._pid); time.sleep(600)")   # one write each: lines never interleave
    parent = subprocess.Popen([sys.executable, "-c", script, str(parallel.__file__).rsplit("/pipeline/", 1)[0]],
                              stdout=subprocess.PIPE, text=True)
    lines = {parent.stdout.readline().strip(), parent.stdout.readline().strip()}
    assert "working" in lines   # the check has begun: a parent that dies now is the case
    pid = int((lines - {"working"}).pop())
    parent.kill()
    parent.wait()
    assert _gone(pid)
