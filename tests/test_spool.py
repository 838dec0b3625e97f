"""The spool: the build's data files wait for their write on disk, not in memory."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_a_spool_knows_each_files_size_and_digest_from_its_write(tmp_path):
    spool = Spool(tmp_path)
    spool["rulings.csv"] = b"a,b\r\n"
    spool.same_as("2026-11-30/rulings.csv", "rulings.csv")
    spool["rulings.csv"] = "ب".encode("utf-8") * 3     # written again: the alias keeps the first
    assert (spool.size("rulings.csv"), spool.digest("rulings.csv")) == (6, hashlib.sha256("ببب".encode()).hexdigest())
    assert (spool.size("2026-11-30/rulings.csv"), spool.digest("2026-11-30/rulings.csv")) == \
        (5, hashlib.sha256(b"a,b\r\n").hexdigest())
    (spool.folder / "1").write_bytes(b"changed behind its back")   # never read back to be described
    assert spool.digest("2026-11-30/rulings.csv") == hashlib.sha256(b"a,b\r\n").hexdigest()
    spool.close()


class _CountingSpool(Spool):
    def __init__(self, parent):
        super().__init__(parent)
        self.read: list[str] = []

    def __getitem__(self, name):
        self.read.append(name)
        return super().__getitem__(name)


def test_the_datapackage_and_the_catalogue_describe_the_files_without_reading_them_again(tmp_path):
    """Each dataset was read back from the spool and hashed twice more (the datapackage's CSV
    hashes, then every file of ``files.json``); the spool took both figures as it wrote it."""
    from pipeline import datasets, downloads, settings
    from pipeline.schema import TABLES
    from pipeline.urls import URLS

    city, tables = settings.load(), list(TABLES)
    spool = _CountingSpool(tmp_path)
    names = [n for t in tables for n in (f"{t.name}.{fmt}" for fmt in downloads.DATASET_FORMATS)]
    names += [f"{t.name}.geojson" for t in tables if t.point] + ["datapackage.json", URLS.in_data(URLS.data_zip())]
    written = {name: f"{name}: {i}\n".encode() * (i + 1) for i, name in enumerate(names)}
    spool.update(written)
    package = datasets.datapackage(spool, tables, city, "2026-11-30")
    index = downloads.catalogue(spool, {t.name: [] for t in tables}, tables, city, "2026-11-30", "2026-11-30")
    assert spool.read == []
    for resource in package["resources"]:
        data = written[resource["path"]]
        assert (resource["bytes"], resource["hash"]) == (len(data), "sha256:" + hashlib.sha256(data).hexdigest())
    described = [f for d in index["datasets"] for f in d["files"]] + [index["zip"], index["datapackage"]]
    assert sorted(f["path"] for f in described) == sorted(names)
    for f in described:
        assert (f["bytes"], f["sha256"]) == (len(written[f["path"]]), hashlib.sha256(written[f["path"]]).hexdigest())
    spool.close()


def test_the_datasets_are_made_into_a_spool_only():
    """``downloads.download_files`` needs the spool's aliases and digests: a dict made by
    default would fail only later."""
    from pipeline import datasets, settings
    from pipeline.schema import TABLES

    with pytest.raises(TypeError):
        datasets.dataset_files({t.name: [] for t in TABLES}, list(TABLES), settings.load(), "2026-11-30")


# One build of two sharing a ``cache/spool/``: its own spool lives through the whole run while
# it makes and closes short ones (each sweeps the folders of dead builds) and leaves one
# behind from a child that dies without closing it (a killed build's).
_BUILD = r'''
import os, sys, time
from pathlib import Path
from pipeline.files import Spool

parent, me, other, rounds = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])

def wait_for(name):
    while not (parent.parent / name).exists():
        time.sleep(0.01)

def check(spool, expected):
    for name, data in expected.items():
        assert spool[name] == data, (me, name)
        assert spool.folder.name.startswith(f"spool-{os.getpid()}-"), spool.folder

def main():
    whole = Spool(parent)
    kept = {f"{me}/{i}.csv": f"{me} {i}\n".encode() * (i + 1) for i in range(20)}
    whole.update(kept)
    (parent.parent / f"ready-{me}").touch()
    wait_for(f"ready-{other}")
    for round in range(rounds):
        short = Spool(parent)
        made = {f"{n}.json": f"{me} {round} {n}".encode() for n in range(3)}
        short.update(made)
        short.same_as("alias", "0.json")
        check(short, {**made, "alias": made["0.json"]})
        check(whole, kept)
        short.close()
        assert not short.folder.exists()
        if round % 10 == 0:
            child = os.fork()
            if child == 0:
                left = Spool(parent)
                left["x"] = b"left by a killed build"
                os._exit(0)
            os.waitpid(child, 0)
    (parent.parent / f"done-{me}").touch()
    wait_for(f"done-{other}")
    check(whole, kept)
    whole.close()


try:
    main()
finally:   # a build that fails releases the other, which would wait for it forever
    (parent.parent / f"ready-{me}").touch()
    (parent.parent / f"done-{me}").touch()
print("ok", me)
'''


def test_two_builds_sharing_one_spool_folder_neither_loses_nor_reads_the_others_files(tmp_path):
    root = Path(__file__).resolve().parent.parent
    parent = tmp_path / "spool"
    environment = {**os.environ, "PYTHONPATH": str(root)}
    builds = [subprocess.Popen([sys.executable, "-c", _BUILD, str(parent), me, other, "60"], env=environment,
                               cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for me, other in (("a", "b"), ("b", "a"))]
    results = [build.communicate(timeout=300) for build in builds]
    assert [(build.returncode, out.split()) for build, (out, _) in zip(builds, results)] == \
        [(0, ["ok", "a"]), (0, ["ok", "b"])], [error for _, error in results]
    last = Spool(parent)        # what the killed children left is swept by the next spool
    assert list(parent.iterdir()) == [last.folder]
    last.close()
