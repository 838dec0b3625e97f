"""Benchmarks are scripts that print figures; here they run at a tiny size so they cannot rot."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_search_benchmark_runs_and_prints_its_table():
    result = subprocess.run([sys.executable, "-m", "tools.bench_search", "300"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header, row = lines[:2]
    assert "build s" in header and "gzip MB" in header
    assert row.split()[0].isdigit() and int(row.split()[0]) > 250
    queries = lines[lines.index(next(line for line in lines if "query (empty cache)" in line)) + 1:-1]
    kinds = [line[:46].strip() for line in queries]
    assert {"ruling number", "member's name", "browse: district + year"} <= set(kinds)
    for line in queries:
        total, kb, requests, ms = line[46:].split()
        assert float(kb) > 0 and int(requests) >= 1 and float(ms) > 0


@pytest.fixture(scope="module")
def bench_output():
    result = subprocess.run(["make", "--no-print-directory", "bench", "SIZES=300"], cwd=ROOT,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_build_benchmark_runs_make_bench_at_a_tiny_size(bench_output):
    out = bench_output
    assert "COLD BUILD" in out and "REBUILD after 1 % of rulings changed" in out
    for row in ("pipeline", "  read", "  wait for 2nd processes", "pelican", "  write html",
                "total (pipeline + pelican)", "output files", "output/ files rewritten"):
        assert any(line.startswith(row) for line in out.splitlines()), row
    total = next(line for line in out.splitlines() if line.startswith("total (pipeline + pelican)"))
    wall, cpu, peak = (float(x) for x in total.split("|")[1].split())
    assert wall > 0 and cpu > 0 and peak > 0
    changed = next(line for line in out.splitlines() if line.startswith("rulings rows changed"))
    assert int(changed.split("|")[1].split()[0]) >= 1


def test_build_benchmark_times_three_publishes_and_every_gate(bench_output):
    tables = bench_output.split("\nPUBLISH")[1:]
    assert [t.splitlines()[0] for t in tables] == [
        ", cold (no state, no published site)", " after another 1 % of rulings changed", " with nothing changed"]
    for table in tables:
        rows = {line.split("|")[0].strip(): line.split("|")[1].split() for line in table.splitlines() if "|" in line}
        for gate in ("publish (whole process)", "pelican", "frictionless", "personal-data", "links", "gzip", "swap"):
            assert gate in rows, (gate, table)
            wall, _cpu, peak = (float(x) for x in rows[gate])
            # a gate with nothing to read rounds to 0.0 s (links after a publish of no change)
            assert wall >= 0 and peak > 0, (gate, rows[gate])
        assert float(rows["publish (whole process)"][0]) > 0
