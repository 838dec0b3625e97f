"""A setting, an error code or a make target that the README does not explain is a defect."""
import re
from pathlib import Path

import pytest

from pipeline import settings
from pipeline.errors import FILE_ERRORS, ROW_ERRORS, WARNINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")


@pytest.mark.parametrize("key", [*settings.REQUIRED_KEYS, *settings.OPTIONAL_KEYS])
def test_every_municipality_setting_is_documented(key):
    assert f"| `{key}` |" in README


@pytest.mark.parametrize("code", [*ROW_ERRORS, *WARNINGS, *FILE_ERRORS])
def test_every_error_code_is_documented(code):
    assert f"`{code}`" in README


def test_pelicanconf_block_has_exactly_the_documented_keys():
    block = settings.load().__dict__
    assert set(block) == set(settings.REQUIRED_KEYS) | set(settings.OPTIONAL_KEYS)


@pytest.mark.parametrize("target", ["html", "test", "publish", "upload", "serve", "clean", "bench", "bench-search"])
def test_every_make_target_is_documented(target):
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(rf"^{re.escape(target)}:", makefile, re.M)
    assert re.search(rf"make {re.escape(target)}(?![\w-])", README)
