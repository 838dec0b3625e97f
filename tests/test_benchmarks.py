"""Benchmarks are scripts that print figures; here they run at a tiny size so they cannot rot."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_search_benchmark_runs_and_prints_its_table():
    result = subprocess.run([sys.executable, "-m", "tools.bench_search", "300"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()[:2]
    assert "1st word query KB gz" in header
    assert row.split()[0].isdigit() and int(row.split()[0]) > 250
