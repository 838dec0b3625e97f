"""One Persian text normaliser, mirrored line for line by ``theme/static/js/normalise.js``.

Two levels, both pinned by ``tests/normalise_vectors.json`` (read by the Python and the
JavaScript tests):

``normalise_text``  the form stored in data and shown on pages. Arabic letter variants become
    Persian (ي ى → ی, ك → ک, ة ۀ → ه: the ezafe on ۀ is a reading aid that keyboards write
    three different ways, so it is dropped like the other diacritics), diacritics, tatweel,
    bidi controls, control and invisible characters go, every digit becomes Latin, white space
    is collapsed and ZWNJ is kept only between two letters.

``fold``  the key used to *compare* text: headers, enumeration values, member names and search
    terms. On top of ``normalise_text`` it folds hamza and madda forms (أ إ آ ٱ → ا, ؤ → و,
    ئ → ی, ء dropped), removes ZWNJ and lower-cases Latin letters, so that «تأیید» = «تایید»
    and «می‌شود» = «میشود».
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

LATIN_DIGITS = "0123456789"
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
# The three alphabets people type here, as a regular-expression class (normalise.js: LETTERS).
DIGIT_CLASS = "".join(f"{d[0]}-{d[-1]}" for d in (LATIN_DIGITS, PERSIAN_DIGITS, ARABIC_DIGITS))


class _LatinDigits(dict):
    """A str.translate table: every decimal digit of Unicode to its Latin digit, filled as
    digits are met (a national ID may be typed in any script; see pipeline.personal)."""

    def __missing__(self, code: int) -> str:
        self[code] = LATIN_DIGITS[unicodedata.decimal(chr(code))]
        return self[code]


TO_LATIN_DIGITS = _LatinDigits()
ZWNJ = "\u200c"

_LETTERS = {
    "ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "ە": "ه", "ھ": "ه",
    "ٸ": "ی", "ې": "ی",
}
# Only the alphabets normalise.js folds too: the normalised text is compared in the browser.
_DIGITS = {c: TO_LATIN_DIGITS[ord(c)] for c in PERSIAN_DIGITS + ARABIC_DIGITS}
# Characters that show nothing (or nothing of their own) yet make two spellings of one name
# differ, so that one member got five identical-looking pages: soft hyphen, combining grapheme
# joiner, Hangul fillers, Khmer and Mongolian invisibles, zero-width space, word joiner and
# invisible operators, deprecated format characters, Braille blank, variation selectors, BOM,
# interlinear annotation, shorthand format controls, musical format controls, tag characters.
# normalise.js lists the very same ranges (INVISIBLE).
INVISIBLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200B), (0x2060, 0x2064), (0x206A, 0x206F), (0x2800, 0x2800),
    (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF9, 0xFFFB),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE007F), (0xE0100, 0xE01EF),
)
_INVISIBLE = frozenset(chr(c) for low, high in INVISIBLE_RANGES for c in range(low, high + 1))
_UNSEEN = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in INVISIBLE_RANGES) + "]")
# Removed outright, besides the invisible characters: diacritics (harakat, tanwin, shadda,
# sukun, superscript alef, hamza above/below), tatweel, bidi controls, C0 and C1 controls
# (NEL, U+0085, is a line break and handled before).
_REMOVED = _INVISIBLE | frozenset(
    [chr(c) for c in range(0x064B, 0x0660)]
    + ["\u0670", "\u0640", "\u200e", "\u200f"]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in (*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F)]
    + [chr(c) for c in (*range(0x80, 0x85), *range(0x86, 0xA0))]
    + [chr(c) for c in range(0x2066, 0x206A)]
)
_TABLE = str.maketrans({**_LETTERS, **_DIGITS, **{c: None for c in _REMOVED}})
# The character classes are spelled out, not taken from \s or \w, because Python and
# JavaScript disagree on those; normalise.js uses these very strings.
_ZWNJ_LIKE = re.compile("[\u200c\u200d]+")  # ZWJ is a ZWNJ typed with the wrong key
_SPACE = re.compile("[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029\u0085\u000b\u000c]")
_BLANK_LINES = re.compile("\n{3,}")
_LETTER = "A-Za-z\u00c0-\u024f\u0620-\u064a\u066e-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc\u06ff\u0750-\u077f"
# A ZWNJ means something only between two letters; beside a space, punctuation, a digit
# or an edge it is noise.
_LOOSE_ZWNJ = re.compile(f"(?<![{_LETTER}])\u200c|\u200c(?![{_LETTER}])")

_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ی", "ء": None,
                       ZWNJ: None})


def normalise_text(value: str, multiline: bool = False) -> str:
    """The stored and displayed form of a cell's text."""
    # NFKC first: it turns Arabic presentation forms (text copied from PDFs), full-width
    # digits and compatibility spaces into their plain letters. Invisible characters go
    # before it as well: one between a letter and its mark would keep NFKC from composing
    # them, and normalising the result again would then change it.
    text = unicodedata.normalize("NFKC", _UNSEEN.sub("", value))
    text = _LINE_BREAKS.sub("\n", text).translate(_TABLE)
    text = _LOOSE_ZWNJ.sub("", _ZWNJ_LIKE.sub(ZWNJ, text))
    if multiline:
        lines = [_SPACE.sub(" ", line).strip(" ") for line in text.split("\n")]
        text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")
    else:
        text = _SPACE.sub(" ", text.replace("\n", " ")).strip(" ")
    return text


@lru_cache(maxsize=1 << 17)
def fold(value: str) -> str:
    """The comparison key of a text: equal keys mean 'the same word' to a reader."""
    return normalise_text(value).translate(_FOLD).lower()


_TO_PERSIAN = str.maketrans(LATIN_DIGITS, PERSIAN_DIGITS)


def to_persian_digits(value: str) -> str:
    return value.translate(_TO_PERSIAN)
