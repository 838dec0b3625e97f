"""The last publication's digests of private values and published numbers, as a publish holds
them (``incremental.Digests``): one sorted array of their bytes, not a set of strings, with
the set arithmetic ``pipeline.publish`` does on them."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from pipeline.incremental import Digests

PRIVATE = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(300)]
PUBLIC = [d[:16] for d in PRIVATE] + ["00" * 8, "ab" + "00" * 7, "00" * 7 + "01"]   # NUL bytes at the end too


@pytest.mark.parametrize("digests", [PRIVATE, PUBLIC])
def test_digests_are_held_as_one_array_and_subtract_as_sets_do(digests):
    held = Digests(digests[:200])
    assert isinstance(held.values, np.ndarray) and held.values.nbytes == 200 * len(digests[0]) // 2
    now = set(digests[100:])
    assert now - held == now - set(digests[:200])
    assert held - now == set(digests[:200]) - now
    assert set(held) == set(digests[:200]) and len(held) == 200
    assert digests[5] in held and digests[250] not in held and "not hex" not in held


def test_no_digests_and_digests_of_two_lengths():
    assert set(PRIVATE[:3]) - Digests([]) == set(PRIVATE[:3]) and Digests([]) - set() == set()
    with pytest.raises(ValueError):
        Digests([PRIVATE[0], PUBLIC[0]])
