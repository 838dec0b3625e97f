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
