"""What counts as personal data in a text, decided in one place for redaction and the publish gate.

Both ask ``find``; ``tests/personal_vectors.json`` pins what it recognises and what it leaves alone.

A number is read the way a person types it: digit groups in any script (Persian, Arabic-Indic,
Latin, …) with invisible characters anywhere (U+2060, U+200B, U+00AD, …) and separators between
the groups (white space within a line, ``-``, ``.``, ``/``, ``\\``, ``(``, ``)``, ``_``, ``:``). Groups
joined without white space (``427.953815.8``) form one token that is taken whole; tokens separated by white space
(``0912 123 4567``, ``0 6 8 2 5 1 7 4 3 7``) are joined when together they have the length of
a national ID or a mobile number. What is recognised:

- a national ID: ten digits passing the checksum;
- a mobile number: ``09`` and nine digits, also as ``+98 9…``, ``0098 9…`` or without the leading
  zero (``9121234567``, as Excel stores a number);
- a postal code (for redaction): ten digits, none of the first five 0 or 2, written whole or
  5-5, or any number after the words «کد پستی»;
- a caller's own list of private digit strings (the gate's owners' IDs and mobiles).

Public numbers must not be hidden, so these shapes are never an ID, a zero-less mobile or a postal
code: a Jalali year of four digits followed by other groups (rulings ``1402/3/154``, cases
``1403-11-0066``, dates ``1403/05/12``), thousands grouping (``1 250 005 000``), digits glued to
a Latin letter or digit (hexadecimal hashes; a Latin word before them, «Tel09121234567», is a
label, not a hash), the digit alphabet ``0123456789``, and a value the
caller says is published (a Rial amount that passes the checksum by chance). Commas end a number
(``1,250,005,000`` is four numbers), so amounts written with them are never joined.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .normalise import INVISIBLE_RANGES, TO_LATIN_DIGITS

NATIONAL_ID = "national-id"
MOBILE = "mobile"
POSTAL = "postal"
PRIVATE = "private"

# What the normaliser removes as invisible, and besides it what it keeps because it carries
# meaning in Persian text (zero-width non-joiner and joiner, direction marks, embeddings and
# isolates): between two digits each is still nothing a reader sees.
_JOINERS_AND_DIRECTION = ((0x200C, 0x200F), (0x202A, 0x202E), (0x2066, 0x2069))
INVISIBLE = "".join(f"{re.escape(chr(low))}-{re.escape(chr(high))}"
                    for low, high in (*INVISIBLE_RANGES, *_JOINERS_AND_DIRECTION))
_INVISIBLE = re.compile(f"[{INVISIBLE}]+")
# White space but a line break: rows of a CSV, lines of a text are separate numbers.
_SEPARATOR = r"(?:[^\S\n\r\v\f\x85\u2028\u2029]|[\-./\\()_:\u2010-\u2015\u2212\u066b])"
# \d is every decimal digit of Unicode (Persian, Arabic-Indic, full-width…), folded by digits().
_GROUP = re.compile(rf"\d(?:[{INVISIBLE}]*\d)*")
# At most three separators between two groups: «0912 - 123», «(0912) 123». The look-ahead after
# the first digit skips what is too short to hold eight digits (most numbers of a page) at once;
# a leading \d lets the regex engine jump from digit to digit.
_NUMBER = re.compile(rf"\d(?=[\d\s{INVISIBLE}\-./\\()_:\u2010-\u2015\u2212\u066b]{{7}})(?:[{INVISIBLE}]*\d)*"
                     rf"(?:[{INVISIBLE}]*(?:{_SEPARATOR}[{INVISIBLE}]*){{1,3}}{_GROUP.pattern})*")
_GLUE = re.compile("[0-9A-Za-z]")
_NOT_HEX = re.compile("[G-Zg-z]")
# A decimal digit that is not Latin: a class, not a look-ahead per character (twice as fast).
_FOREIGN_DIGITS = re.compile(r"[^\D0-9]+")
_NOT_DIGITS = re.compile(r"[^0-9]+")


_POSTAL_LABEL = re.compile(r"(?:کد\s*پستی|کدپستی)\s*[:：]?\s*")

_MOBILE = re.compile(r"(?:0|98|0098)9\d{9}")
_ZERO_LESS_MOBILE = re.compile(r"9[0-49]\d{8}")
_POSTAL = re.compile(r"[13-9]{5}\d{5}")
_YEAR = re.compile(r"1[34]\d\d")
# Digit alphabets, as code writes them (normalise.PERSIAN_DIGITS, read in Latin): they pass the checksum.
NOT_AN_ID = frozenset({"0123456789"})
_LONGEST = 14  # 0098 and a mobile's ten digits
SHORTEST = 8  # digits of the shortest private number looked for


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    digits: str
    kind: str


def is_national_id(digits: str) -> bool:
    """The checksum of the Iranian national ID (کد ملی); all-equal digits are invalid."""
    if len(digits) != 10 or not digits.isdecimal() or len(set(digits)) == 1:
        return False
    remainder = sum(int(digits[i]) * (10 - i) for i in range(9)) % 11
    check = int(digits[9])
    return check == remainder if remainder < 2 else check == 11 - remainder


def digits(text: str) -> str:
    """The Latin digits of a text, in order; every other character dropped."""
    return _NOT_DIGITS.sub("", latin_digits(text))


def latin_digits(text: str) -> str:
    """The text with every decimal digit written in Latin."""
    if text.isascii():
        return text
    return _FOREIGN_DIGITS.sub(lambda m: m.group().translate(TO_LATIN_DIGITS), text)


def without_invisible(text: str) -> str:
    return _INVISIBLE.sub("", text)


@dataclass(frozen=True)
class _Group:
    start: int
    end: int
    digits: str
    token: int    # groups joined without white space share a token


def find(text: str, public: frozenset[str] | set[str] = frozenset(),
         private: frozenset[str] = frozenset(), postal: bool = False) -> list[Match]:
    """Personal data in ``text``, left to right, never overlapping.

    ``public``: digit strings that are published on purpose (never an ID or a zero-less mobile);
    ``private``: digit strings that are personal whatever their shape; ``postal``: look for
    postal codes too (redaction does; the gate does not)."""
    found: list[Match] = []
    shortest = _shortest(private)
    for number in _NUMBER.finditer(text):
        if number.end() - number.start() < shortest or len(digits(number.group())) < shortest:
            continue  # most numbers of a page: dates, ruling numbers, amounts, counts
        found += _in_number(text, number, public, private, postal)
    if postal and _POSTAL_LABEL.search(text):
        found = _merged(found + _labelled_postal_codes(text))
    return found


@functools.lru_cache(maxsize=8)
def _shortest(private: frozenset[str]) -> int:
    """Fewer digits than this hold nothing: ten for an ID, fewer only for a private number."""
    return min(10, *map(len, private)) if private else 10


def _in_number(text, number, public, private, postal) -> list[Match]:
    groups = _groups(text, number)
    tokens = [g.token for g in groups]
    compound = {t for t, following in zip(tokens, tokens[1:]) if t == following}
    glued_left = _glued_left(text, number.start())
    glued_right = number.end() < len(text) and _GLUE.match(text[number.end()])
    matches: list[Match] = []
    i = 0
    while i < len(groups):
        match = None
        for first, last in _windows(groups, i, compound):
            if (glued_left and first == 0) or (glued_right and last == len(groups) - 1):
                continue
            window = groups[first:last + 1]
            kind = _kind("".join(g.digits for g in window), [len(g.digits) for g in window],
                         _year_led(groups, first, last), public, private, postal)
            if kind:
                match = Match(window[0].start, window[-1].end, "".join(g.digits for g in window), kind)
                i = last
                break
        if match:
            matches.append(match)
        i += 1
    return matches


def _glued_left(text: str, start: int) -> bool:
    """Digits glued to a Latin letter or digit on their left are part of a hash, unless what
    they are glued to is a typed label: Latin letters only, one of them no hexadecimal digit
    («Tel09121234567», «ID0499370899»), which no hexadecimal hash holds."""
    word_start = start
    while word_start > 0 and _GLUE.match(text[word_start - 1]):
        word_start -= 1
    word = text[word_start:start]
    return bool(word) and not (word.isalpha() and _NOT_HEX.search(word))


def _groups(text: str, number: re.Match) -> list[_Group]:
    groups, token, previous_end = [], 0, None
    for group in _GROUP.finditer(text, number.start(), number.end()):
        if previous_end is not None and any(c.isspace() for c in text[previous_end:group.start()]):
            token += 1
        groups.append(_Group(group.start(), group.end(), digits(group.group()), token))
        previous_end = group.end()
    return groups


def _windows(groups: list[_Group], i: int, compound: set[int]) -> list[tuple[int, int]]:
    """The group ranges starting at group ``i`` that may hold one number, longest first: the group
    alone, a whole token, or whole tokens joined by white space that start or end the number or a
    stretch of plain tokens between joined ones («1402/05/12 0912 123 4567 1402/05/13»)."""
    candidates = [(i, i)]
    if i > 0 and groups[i - 1].token == groups[i].token:
        return candidates
    first_token, last = groups[i].token, len(groups) - 1
    length = 0
    for j in range(i, len(groups)):
        length += len(groups[j].digits)
        if length > _LONGEST:
            break
        if j == i or (j < last and groups[j + 1].token == groups[j].token):
            continue
        tokens = range(first_token, groups[j].token + 1)
        plain_stretch = compound.isdisjoint(tokens) and (first_token - 1 in compound or tokens[-1] + 1 in compound)
        if len(tokens) == 1 or i == 0 or j == last or plain_stretch:
            candidates.append((i, j))
    return candidates[::-1]


def _year_led(groups: list[_Group], first: int, last: int) -> bool:
    """A token or window that begins with a Jalali year and goes on: a date, ruling or case number."""
    if first == last:
        return False
    if _YEAR.fullmatch(groups[first].digits):
        return True
    tokens: dict[int, list[_Group]] = {}
    for g in groups[first:last + 1]:
        tokens.setdefault(g.token, []).append(g)
    return any(len(t) > 1 and _YEAR.fullmatch(t[0].digits) for t in tokens.values())


def _kind(number: str, lengths: list[int], year_led: bool, public, private, postal) -> str | None:
    shaped_public = year_led or _thousands(number, lengths) or number in public
    if _MOBILE.fullmatch(number) and number not in public:
        return MOBILE
    if not shaped_public and _ZERO_LESS_MOBILE.fullmatch(number):
        return MOBILE
    if not shaped_public and is_national_id(number) and number not in NOT_AN_ID:
        return NATIONAL_ID
    if number in private and number not in public:
        return PRIVATE
    if postal and not shaped_public and _POSTAL.fullmatch(number) and lengths in ([10], [5, 5]):
        return POSTAL
    return None


def _thousands(number: str, lengths: list[int]) -> bool:
    """«1 250 005 000»: an amount grouped by thousands (an amount never starts with 0)."""
    return (len(lengths) > 1 and number[0] != "0" and lengths[0] <= 3
            and all(n == 3 for n in lengths[1:]))


def _labelled_postal_codes(text: str) -> list[Match]:
    """After «کد پستی» any number of five digits or more is the postal code, however written."""
    labelled = []
    for label in _POSTAL_LABEL.finditer(text):
        number = _NUMBER.match(text, label.end())
        if number and len(digits(number.group())) >= 5:
            labelled.append(Match(number.start(), number.end(), digits(number.group()), POSTAL))
    return labelled


def _merged(matches: list[Match]) -> list[Match]:
    result: list[Match] = []
    for match in sorted(matches, key=lambda m: (m.start, -m.end)):
        if result and match.start < result[-1].end:
            last = result[-1]
            result[-1] = Match(last.start, max(last.end, match.end), last.digits, last.kind)
        else:
            result.append(match)
    return result


def mask(text: str, matches: list[Match], replacement: str) -> str:
    """``text`` with each match replaced, the ``+`` of ``+98`` and a «(0912)» bracket included."""
    parts, position = [], 0
    for match in matches:
        start = match.start
        if start > 0 and (text[start - 1] == "+" or (text[start - 1] == "(" and ")" in text[start:match.end])):
            start -= 1
        parts += [text[position:start], replacement]
        position = match.end
    parts.append(text[position:])
    return "".join(parts)
