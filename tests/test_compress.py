"""The .gz copies (``pipeline.compress``): gzip.compress's bytes, made by two processes, a
large file never held whole, its twins compressed once."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from pipeline import compress


def _text_files(root: Path, sizes: list[int]) -> dict[str, bytes]:
    made = {}
    for n, size in enumerate(sizes):
        name = f"{'data' if size >= compress.TWIN_BYTES else 'rulings'}/{n:03d}/{'file.csv' if n % 2 else 'index.html'}"
        data = (f"رأی {n} " * (size // 8 + 1)).encode("utf-8")[:size]
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
        made[name] = data
    return made


def test_a_large_file_whose_bytes_are_anothers_is_compressed_once(tmp_path, monkeypatch):
    """This publication's dated folder holds the datasets again: each is compressed once, its
    copy's ``.gz`` read back from the first's; neither is ever read or compressed whole."""
    big = ("رأی " * 40_000).encode("utf-8")
    assert len(big) >= compress.TWIN_BYTES
    for name in ("data/rulings.csv", "data/2026-11-21/rulings.csv", "data/other.csv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(big if "rulings" in name else big + b"!")
    compressed = []
    real = compress.files.gzipped
    monkeypatch.setattr(compress.files, "gzipped", lambda path: compressed.append(path) or real(path))
    monkeypatch.setattr(compress.gzip, "compress", lambda *a, **k: pytest.fail("a dataset compressed whole"))
    monkeypatch.setattr(compress.Path, "read_bytes", lambda *a: pytest.fail("a dataset read whole"))
    assert compress.compress(tmp_path, both_cores=False) == (3, 0)
    assert len(compressed) == 2, "the copy's .gz is the first's"
    monkeypatch.undo()
    for name in ("data/rulings.csv", "data/2026-11-21/rulings.csv", "data/other.csv"):
        assert gzip.decompress((tmp_path / (name + ".gz")).read_bytes()) == (tmp_path / name).read_bytes()
    assert (tmp_path / "data/rulings.csv.gz").read_bytes() == (tmp_path / "data/2026-11-21/rulings.csv.gz").read_bytes()


def test_the_gz_copies_are_made_by_two_processes_with_the_bytes_one_makes(tmp_path, monkeypatch):
    """Half the work goes to a second process (``python -m pipeline.compress``); every .gz is
    ``gzip.compress(..., mtime=0)``'s bytes, a twin is copied, the counts are one process's."""
    sizes = [300_000, 5, 0, 70_000, 1_000, 200_000, 12, 65_536, 65_535, 4_000] * 3
    one, two = tmp_path / "one", tmp_path / "two"
    for root in (one, two):
        made = _text_files(root, sizes)
        (root / "data" / "copy.csv").write_bytes(made["data/000/index.html"])   # a dataset's twin
    helpers = []
    real = compress._Helper.__init__

    def helper(self, root, jobs):
        real(self, root, jobs)
        helpers.append((self._process.pid, len(jobs)))
    monkeypatch.setattr(compress._Helper, "__init__", helper)
    assert compress.compress(one, both_cores=False) == (len(sizes) + 1, 0)
    assert not helpers
    assert compress.compress(two) == (len(sizes) + 1, 0)
    assert len(helpers) == 1 and 0 < helpers[0][1] < len(sizes), "a second process made some of them"
    for path in one.rglob("*.gz"):
        assert path.read_bytes() == gzip.compress(path.with_suffix("").read_bytes(), compresslevel=9, mtime=0)
        assert (two / path.relative_to(one)).read_bytes() == path.read_bytes()
    assert sorted(p.relative_to(one) for p in one.rglob("*")) == sorted(p.relative_to(two) for p in two.rglob("*"))
    assert compress.compress(two) == (0, 0), "nothing new the second time"


def test_the_halves_weigh_about_the_same():
    jobs = [(100_000_000, "data/rulings.json"), (60_000_000, "data/rulings.csv"), (50_000_000, "data/geo.geojson")]
    jobs += [(5_000, f"rulings/{n}/index.html") for n in range(10_000)]
    here, there = compress.balanced(jobs)
    weights = [sum(size + 4096 for size, _ in half) for half in (here, there)]
    assert sorted(here + there) == sorted(jobs)
    assert abs(weights[0] - weights[1]) <= 0.05 * sum(weights)
    assert compress.balanced([]) == ([], [])


def test_a_failing_second_gzip_process_fails_the_compress(tmp_path, monkeypatch):
    """A .gz the second process cannot write (here a folder stands where it goes) is an
    OSError in the publish's process, as a full disk there would be."""
    made = _text_files(tmp_path, [100] * 6)
    for name in made:
        (tmp_path / (name + ".gz")).mkdir()
    monkeypatch.setattr(compress, "balanced", lambda jobs: ([], jobs))
    with pytest.raises(OSError) as raised:
        compress.compress(tmp_path)
    assert raised.value.errno is not None and not isinstance(raised.value, compress.parallel.ChildFailed)


def test_the_second_gzip_process_does_nothing_once_its_parent_is_gone(tmp_path):
    """Started by a publish that has already ended (its pid is not this process's parent's),
    it writes nothing: a killed publish leaves nothing writing into its folder."""
    made = _text_files(tmp_path, [100] * 3)
    request = json.dumps({"root": str(tmp_path), "jobs": [(len(data), name) for name, data in sorted(made.items())]})
    run = subprocess.run([sys.executable, "-m", "pipeline.compress", "1"], input=request, text=True,
                         capture_output=True, cwd=ROOT, check=False)
    assert (run.returncode, run.stdout) == (0, "")
    assert not list(tmp_path.rglob("*.gz"))
    run = subprocess.run([sys.executable, "-m", "pipeline.compress", str(os.getpid())], input=request, text=True,
                         capture_output=True, cwd=ROOT, check=False)
    assert (run.returncode, json.loads(run.stdout)) == (0, {"written": 3}), run.stderr
