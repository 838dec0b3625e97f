"""The normaliser against the shared vectors (the JavaScript suite reads the same file)."""
import json
from pathlib import Path

import pytest

from pipeline.normalise import fold, normalise_text, to_persian_digits

VECTORS = json.loads((Path(__file__).parent / "normalise_vectors.json").read_text("utf-8"))


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_normalise_text(vector):
    assert normalise_text(vector["input"]) == vector["normalised"]


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_fold(vector):
    assert fold(vector["input"]) == vector["folded"]


@pytest.mark.parametrize("vector", VECTORS["multiline"], ids=lambda v: v["name"])
def test_multiline(vector):
    assert normalise_text(vector["input"], multiline=True) == vector["normalised"]


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_normalising_twice_changes_nothing(vector):
    once = normalise_text(vector["input"])
    assert normalise_text(once) == once


def test_persian_digits_for_display():
    assert to_persian_digits("1402/05/12") == "۱۴۰۲/۰۵/۱۲"
