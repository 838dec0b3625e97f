"""The flow goes one way: exports → pipeline → content → Pelican (plugins/, theme/). The
plugin may import the pipeline; no module of the pipeline imports the plugin, at the top or
inside a function, so the pipeline runs (and `make publish` checks) without Pelican's side."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = sorted((ROOT / "pipeline").rglob("*.py"))
FORBIDDEN = "plugins"


def imported(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, relative ones resolved against
    the file's package (``from .x import y`` may name a module x or x.y: both are listed), and
    of every module named to importlib.import_module or __import__."""
    package = list(path.relative_to(root).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                found += [(node.lineno, module), (node.lineno, f"{module}.{alias.name}")] if module \
                    else [(node.lineno, alias.name)]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and (getattr(node.func, "attr", None) == "import_module"
                   or getattr(node.func, "id", None) in ("import_module", "__import__"))):
            found.append((node.lineno, node.args[0].value))
    return found


def reaches_plugins(module: str) -> bool:
    return module == FORBIDDEN or module.startswith(FORBIDDEN + ".")


@pytest.mark.parametrize("path", PIPELINE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_pipeline_module_imports_the_plugin(path):
    bad = [(line, module) for line, module in imported(path) if reaches_plugins(module)]
    assert not bad, f"{path.relative_to(ROOT)} imports the plugin (an arrow backwards): {bad}"


@pytest.mark.parametrize("source, module", [
    ("import plugins.shafaf.feeds", "plugins.shafaf.feeds"),
    ("def f():\n    from plugins.shafaf.feeds import Feed", "plugins.shafaf.feeds"),
    ("from .. import plugins", "plugins"),
    ("from ..plugins.shafaf import feeds", "plugins.shafaf"),
    ("import importlib\nimportlib.import_module('plugins.shafaf')", "plugins.shafaf"),
])
def test_the_walk_sees_every_spelling_of_an_import(tmp_path, source, module):
    """The check above is only as good as its walk: each spelling of an import of the plugin,
    in a module of a package one level under the root, is found."""
    folder = tmp_path / "pipeline"
    folder.mkdir()
    (folder / "mod.py").write_text(source, encoding="utf-8")
    assert module in [name for _, name in imported(folder / "mod.py", tmp_path) if reaches_plugins(name)]
