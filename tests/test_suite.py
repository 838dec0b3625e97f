"""How the suite itself runs: in parallel, longest files first (see README, the tests' paragraph)."""
import tomllib
from pathlib import Path
from types import SimpleNamespace

import conftest
from conftest import LONGEST_FIRST, ROOT


def test_every_file_named_longest_first_exists():
    """A renamed or removed file would silently fall back to the usual order."""
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)
    assert [name for name in LONGEST_FIRST if not (ROOT / "tests" / name).is_file()] == []


def _items(*names: str) -> list:
    return [SimpleNamespace(path=Path("tests") / name, name=f"{name}::{n}") for n, name in enumerate(names)]


def test_a_worker_runs_the_longest_files_first_and_keeps_the_rest_in_order(monkeypatch):
    later, longest, second = "test_docs.py", LONGEST_FIRST[0], LONGEST_FIRST[1]
    items = _items(later, second, "test_a.py", longest, second, later)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    conftest.pytest_collection_modifyitems(None, items)
    assert [item.name for item in items] == [f"{longest}::3", f"{second}::1", f"{second}::4",
                                             f"{later}::0", "test_a.py::2", f"{later}::5"]


def test_a_serial_run_keeps_the_usual_order(monkeypatch):
    items = _items("test_docs.py", LONGEST_FIRST[0])
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    conftest.pytest_collection_modifyitems(None, items)
    assert [item.path.name for item in items] == ["test_docs.py", LONGEST_FIRST[0]]


def test_the_suite_runs_in_parallel_whole_files_in_the_order_given():
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"].split()
    assert "-n" in addopts and addopts[addopts.index("-n") + 1] == "auto"
    assert "--dist" in addopts and addopts[addopts.index("--dist") + 1] == "loadfile"
    assert "--no-loadscope-reorder" in addopts


def test_make_test_passes_its_options_on_and_the_readme_says_how_to_run_serially():
    makefile = (ROOT / "Makefile").read_text()
    assert "$(BIN)/python -m pytest $(PYTEST_ARGS)" in makefile
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "PYTEST_ARGS" in readme and "`-n 0`" in readme and "LONGEST_FIRST" in readme


def test_ci_runs_exactly_the_readmes_test_command():
    """CI must prove what a reader's `make test` proves: no options of its own."""
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.strip().startswith("#")]
    assert commands[-1] == "make test"
    assert "make test" in (ROOT / "README.md").read_text("utf-8")
