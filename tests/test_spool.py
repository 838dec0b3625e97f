"""The spool: the build's data files wait for their write on disk, not in memory."""
from __future__ import annotations

import os
import subprocess

from pipeline.files import Spool


def test_a_spool_gives_back_each_file_and_keeps_it_on_disk_under_a_counter(tmp_path):
    spool = Spool(tmp_path)
    spool["rulings.csv"] = b"a,b\n"
    spool["../../escaped.json"] = b"{}"          # a name is a key, never a path
    spool.same_as("2026-11-30/rulings.csv", "rulings.csv")
    assert dict(spool) == {"rulings.csv": b"a,b\n", "../../escaped.json": b"{}",
                           "2026-11-30/rulings.csv": b"a,b\n"}
    assert sorted(p.name for p in spool.folder.iterdir()) == ["1", "2"]   # the alias is no copy
    assert not (tmp_path.parent / "escaped.json").exists()
    del spool["rulings.csv"]
    assert spool["2026-11-30/rulings.csv"] == b"a,b\n" and "rulings.csv" not in spool and len(spool) == 2
    spool.close()
    assert not spool.folder.exists() and list(tmp_path.iterdir()) == []


def test_a_forked_child_that_closes_the_spool_leaves_its_parents_files():
    spool = Spool()
    spool["x"] = b"1"
    pid = os.fork()
    if pid == 0:
        spool.close()
        os._exit(0)
    os.waitpid(pid, 0)
    assert spool["x"] == b"1"
    spool.close()
    assert not spool.folder.exists()


def test_a_spool_a_killed_build_left_is_removed_by_the_next_one_and_a_running_ones_is_not(tmp_path):
    ended = subprocess.Popen(["true"])
    ended.wait()
    left = tmp_path / f"spool-{ended.pid}-abc"
    left.mkdir()
    (left / "1").write_bytes(b"old")
    running = tmp_path / f"spool-{os.getpid()}-def"
    running.mkdir()
    spool = Spool(tmp_path)
    assert not left.exists() and running.exists()
    spool.close()


def test_a_build_leaves_no_spool_behind(sample_site):
    spool = sample_site.output.parent / "cache" / "spool"
    assert spool.is_dir()            # the build used it
    assert list(spool.iterdir()) == []
