"""The normaliser against the shared vectors (the JavaScript suite reads the same file)."""
import json
from pathlib import Path

import pytest

from pipeline.display import fa_number
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


@pytest.mark.parametrize("vector", VECTORS["numbers"], ids=lambda v: str(v["value"]))
def test_numbers_are_written_as_the_browser_writes_them(vector):
    """normalise.js's faNumber is pinned by the same vectors (tests/js/normalise.test.js)."""
    assert fa_number(vector["value"]) == vector["written"]


def test_persian_digits_for_display():
    assert to_persian_digits("1402/05/12") == "۱۴۰۲/۰۵/۱۲"


# --- one digit table --------------------------------------------------------------------------

DIGIT_SPELLINGS = ["۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩", "۰-۹", "٠-٩", "\\u06f0", "\\u0660", "0x06F0", "0x0660",
                   "unicodedata.decimal", "unicodedata.digit"]


@pytest.mark.parametrize("spelling", DIGIT_SPELLINGS)
def test_digit_alphabets_are_spelled_only_in_the_normaliser(spelling):
    """personal.py, display.py and values.py take them from pipeline.normalise: a script
    added there is read, redacted and isolated alike."""
    root = Path(__file__).parent.parent
    found = [p.name for p in sorted(root.glob("pipeline/*.py")) + sorted(root.glob("plugins/shafaf/*.py"))
             if spelling.lower() in p.read_text("utf-8").lower() and p.name != "normalise.py"]
    assert found == []


# Every script's zero to nine: Latin, Arabic-Indic, Persian, Devanagari, Bengali, Thai,
# full-width, mathematical bold.
ALPHABETS = ["0123456789", "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९", "০১২৩৪৫৬৭৮৯", "๐๑๒๓๔๕๖๗๘๙",
             "０１２３４５６７８９", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗"]


@pytest.mark.parametrize("alphabet", ALPHABETS)
def test_personal_data_and_normaliser_read_digits_alike(alphabet):
    from pipeline import personal
    assert personal.latin_digits(alphabet) == "0123456789"
    # The normaliser folds only what normalise.js folds (NFKC covers full-width and bold).
    folded = normalise_text(alphabet)
    assert folded == ("0123456789" if alphabet in ALPHABETS[:3] + ALPHABETS[6:] else alphabet)
    assert to_persian_digits(personal.latin_digits(alphabet)) == "۰۱۲۳۴۵۶۷۸۹"
