"""The checks a built site must pass before ``pipeline.publish`` puts it in place.

Each gate returns a list of ``Finding`` (file and cause); an empty list means it passed.

The personal-data scan reads every text file of the build (HTML, CSS, JS, JSON, CSV, XML, TXT,
SVG, GeoJSON, and the XML inside every XLSX) after undoing HTML entities, JSON ``\\uXXXX`` and
OOXML ``_xHHHH_`` escapes and removing invisible characters, and looks for what
``pipeline.personal`` recognises (the same matcher, with the same boundaries, that redaction
uses):

- a national ID that passes the checksum, in any digits and spelling (``001-234-5679``,
  ``427.953815.8``, ``0 6 8 2 5 1 7 4 3 7``). About one ten-digit number in eleven passes by
  chance, so a number that is exactly a published value of a public numeric column (a Rial
  amount in the CSV/JSON) is not flagged, and neither is a number glued to a Latin letter or
  digit (hexadecimal hashes in the search shards' names and content are full of such runs),
  unless a Latin word that is no hexadecimal run precedes it (``Tel09121234567``). The digits of a published identifier are not flagged either (the
  search index looks case number «1398-03-0016» up as «1398030016»), nor the digit alphabet
  «0123456789» that the JavaScript normaliser spells out. Numbers of the dated snapshots of
  earlier publications (carried over into the build) count as published too;
- an Iranian mobile number (``09…``, ``+98 9…``, ``0098 9…``, or ``9…`` without its zero, with any
  separators);
- any value of a private column of this build (owner's name, national ID, mobile, the
  private plate and the full address of a ruling; a natural person holding a property), read
  from the validated tables, published and rejected rows alike. An ID or a mobile is looked for
  as its digits, however they are written; a name as its sequence of words (after the text
  normaliser's fold), so spacing and Arabic/Persian letter variants do not hide it. Names of one
  word are not looked for (a first name alone is not identifying and would match everywhere);
  neither is a private value that this build publishes legitimately in another column (an
  official who also owns a building; a ruling's plate that is also the plate of a municipal
  property in the public registry).
"""
from __future__ import annotations

import bisect
import csv
import hashlib
import html
import io
import json
import os
import re
import struct
import subprocess
import tempfile
import zipfile
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import pandas as pd

from . import link_index, personal
from .normalise import fold
from .parallel import tied
from .privacy import coarsen_address, conditional_fields, withheld_where
from .files import code_digest, write_if_changed
from .link_index import LinkIndex
from .progress import QUIET, Stages
from .schema import TABLES, Kind, Privacy, Table, Visibility

TEXT_SUFFIXES = {".html", ".css", ".js", ".json", ".csv", ".xml", ".txt", ".svg", ".geojson", ".map"}
ARCHIVE_SUFFIXES = {".xlsx", ".zip"}   # read member by member
_TOKEN = re.compile(r"\w+(?:[/.\-]\w+)*")
# The same words in raw text, ZWNJ/ZWJ kept inside them (the fold then drops them).
_RAW_TOKEN = re.compile(r"[\w\u200c\u200d]+(?:[/.\-][\w\u200c\u200d]+)*")
_RAW_TOKEN_OR_QUOTE = re.compile(_RAW_TOKEN.pattern + '|"')
# One pass, so that «\\\\n» stays a backslash and an n; a surrogate pair first: tag characters
# and other invisible ones beyond U+FFFF are written so.
_JSON_ESCAPE = re.compile(r"\\(?:u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})|u([0-9a-f]{4})|([tnrbf\"/\\]))",
                          re.IGNORECASE)
# An escaped line break still ends a number, as U+2028, so that findings keep the file's line numbers.
_JSON_SHORT = {"t": "\t", "n": "\u2028", "r": "\u2028", "b": "\b", "f": "\f", '"': '"', "/": "/", "\\": "\\"}
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_LINK = re.compile(r"""\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    file: str
    cause: str

    def __str__(self) -> str:
        return f"{self.file}: {self.cause}"


def masked(value: str) -> str:
    """Enough of a value for staff to find it, not enough to repeat it in a log."""
    value = value.strip()
    return value[:2] + "…" + value[-2:] if len(value) > 5 else "…"


# --- personal data ------------------------------------------------------------------------

@dataclass
class PrivateValues:
    # first token -> length -> token sequences to look for (addresses share their first words)
    sequences: dict[str, dict[int, set[tuple[str, ...]]]]
    public_numbers: set[str]                     # published numeric values (digits only)
    digits: frozenset[str] = frozenset()  # private IDs and mobiles, digits only
    _matcher: _Sequences | None = field(default=None, repr=False, compare=False)

    @property
    def matcher(self) -> _Sequences:
        if self._matcher is None or self._matcher.sequences is not self.sequences:
            self._matcher = _Sequences(self.sequences)
        return self._matcher

    def __len__(self) -> int:
        return sum(len(s) for by_length in self.sequences.values() for s in by_length.values()) + len(self.digits)

    def digests(self) -> dict[str, tuple[str, ...] | str]:
        """Every value looked for, by its ``value_digest``: what the state keeps of them."""
        found: dict[str, tuple[str, ...] | str] = {value_digest(d): d for d in self.digits}
        for by_length in self.sequences.values():
            for sequences in by_length.values():
                found.update((value_digest(s), s) for s in sequences)
        return found

    def only(self, wanted: set[str]) -> PrivateValues:
        """The same numbers published, looking only for the values whose digest is in ``wanted``."""
        chosen = [value for digest, value in self.digests().items() if digest in wanted]
        return PrivateValues(_grouped(value for value in chosen if not isinstance(value, str)),
                             self.public_numbers, frozenset(value for value in chosen if isinstance(value, str)))


def _grouped(sequences: Iterable[tuple[str, ...]]) -> dict[str, dict[int, set[tuple[str, ...]]]]:
    """Word sequences as ``PrivateValues.sequences`` and ``_Sequences`` hold them: first word ->
    length -> the sequences."""
    found: dict[str, dict[int, set[tuple[str, ...]]]] = {}
    for sequence in sequences:
        found.setdefault(sequence[0], {}).setdefault(len(sequence), set()).add(sequence)
    return found


def value_digest(value: tuple[str, ...] | str) -> str:
    """A private value (a folded word sequence, or digits) as a sha256, never the value itself:
    the state keeps the set the last publication looked for, to tell which values are new.
    (Ten digits with a checksum can be found again from it by trying them all: the state
    folder stays staff's, as it always was.)"""
    text = "d:" + value if isinstance(value, str) else "s:" + "\x1f".join(value)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def number_digests(numbers: set[str]) -> set[str]:
    """The published numbers, shortened sha256: enough to tell whether one stopped being published."""
    return {hashlib.sha256(n.encode()).hexdigest()[:16] for n in numbers}


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(personal.without_invisible(text)))


def _folded_token(raw: str) -> tuple[str, ...]:
    if raw.isascii() and raw != '"':
        # a word of ASCII letters, digits, «_» and «/.-» between them: the normaliser leaves it
        # as it is but for the case. Not cached: 96 % of a site's distinct words are such
        # (numbers, hashes, markup), and a cache of them cost more memory than their fold costs time.
        return (raw.lower(),)
    return _folded_word(raw)


@lru_cache(maxsize=1 << 15)
def _folded_word(raw: str) -> tuple[str, ...]:
    return tuple(tokens(raw))


def text_tokens(text: str) -> list[str]:
    """``tokens(text)`` for a large text: split first, then fold each distinct word once
    (folding a whole page costs ten times as much)."""
    words: list[str] = []
    for raw in _RAW_TOKEN.findall(text):
        words.extend(_folded_token(raw))
    return words


def private_values(validated, published_before: set[tuple[str, ...]] = frozenset()) -> PrivateValues:
    """Every value of a private column in this build, minus those published legitimately, in
    this build or (``published_before``, see ``snapshot_published``) by an earlier one."""
    return private_candidates(validated).values(published_before)


@dataclass
class Candidates:
    """The private values as far as the validated tables alone decide them: made by the
    personal-data gate's process as soon as the exports are validated, while the build goes on
    (at 100k rulings, 8 s of the gate's time); ``values`` then lets pass what earlier
    publications published, which the dated snapshots of the built site tell."""
    kinds: dict[tuple[str, ...], str]   # word sequences looked for -> their Kind's value
    legitimate: set[tuple[str, ...]]    # published by this build
    public: set[str]                    # numbers published by this build
    digits: frozenset[str]              # private IDs and mobiles, digits only

    def values(self, published_before: set[tuple[str, ...]] = frozenset()) -> PrivateValues:
        # What this build publishes was let pass already; a sequence held within a value
        # published before is let pass as it would be within one published now.
        before = published_before - self.legitimate
        looked_for = self.kinds.keys() - before
        looked_for -= _held_within(before, {s for s in looked_for if self.kinds[s] == Kind.TEXT.value})
        # one object per distinct word: first names, surnames and street names repeat across the
        # values, which each folded into words of their own (40 MB of words at 100k rulings)
        words: dict[str, str] = {}
        sequences = _grouped(tuple([words.setdefault(word, word) for word in sequence]) for sequence in looked_for)
        return PrivateValues(sequences, set(self.public), self.digits)


def private_candidates(validated) -> Candidates:
    private, digits = _private_cells([(c.table, _all_rows(c)) for c in validated.tables()])
    legitimate = _published_elsewhere([(c.table, c.frame) for c in validated.tables()])
    public = public_numbers(validated)
    looked_for = private.keys() - legitimate
    # A ruling's full address that a municipal property's public address holds whole («کرج،
    # شهرک مترو، …، پلاک 317» in «استان البرز، کرج، شهرک مترو، …، پلاک 317») is that property's
    # published place. Names are not let through so: a street is named after a person.
    looked_for -= _held_within(legitimate, {s for s in looked_for if private[s] == Kind.TEXT.value})
    return Candidates({s: private[s] for s in looked_for}, legitimate, public, frozenset(digits - public))


def _private_cells(tables: list[tuple[Table, pd.DataFrame]]) -> tuple[dict, set[str]]:
    """Word sequences and digit strings of every private cell, published and rejected rows alike."""
    private: dict[tuple[str, ...], str] = {}
    digits: set[str] = set()
    for table, frame in tables:
        for f in table.private_fields:
            for value in _strings(frame, f.name):
                _add(private, digits, value, f.kind)
        # A coarsened field is published coarsened: the whole of it is private.
        for f in table.fields_with(Visibility.COARSENED):
            for value in _strings(frame, f.name):
                if coarsen_address(value) != value:
                    _add(private, digits, value, Kind.TEXT)
        for f in conditional_fields(table, frame):
            for value in frame.loc[withheld_where(frame, f), f.name].dropna():
                _add(private, digits, str(value), Kind.PERSON)
    return private, digits


def _held_within(values: set[tuple[str, ...]], sequences: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
    """The ``sequences`` that some value of ``values`` holds as consecutive words: found by
    the scan's own matcher, in each value's words as a text (folded words fold to themselves)."""
    # Only a sequence whose words all occur in the values can be held: the matcher's tree is of
    # those few (4,577 of 28,408 at 20k rulings: half the time, a sixth of the memory).
    words = {word for value in values for word in value}
    matcher = _Sequences(_grouped(sequence for sequence in sequences if words.issuperset(sequence)))
    held: set[tuple[str, ...]] = set()
    for value in values:
        held.update(matcher.sequences_in(" ".join(value)))
    return held


def _published_elsewhere(tables: list[tuple[Table, pd.DataFrame]]) -> set[tuple[str, ...]]:
    """Values of fields declared ``public_identity`` (officials' names, the registry's plates
    and addresses) and of conditional fields where they are published (organisations
    holding a property)."""
    legitimate = set()
    for table, frame in tables:
        for f in table.fields:
            if f.public_identity:
                legitimate |= {tuple(tokens(v)) for v in _strings(frame, f.name)}
        for f in conditional_fields(table, frame):
            published = frame.loc[~withheld_where(frame, f), f.name]
            legitimate |= {tuple(tokens(str(v))) for v in published.dropna()}
    return legitimate


_SNAPSHOT_CSV = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]/*.csv"


def snapshot_published(data: Path, paths: Iterable[Path] | None = None) -> set[tuple[str, ...]]:
    """What ``_published_elsewhere`` finds in the dated CSVs of earlier publications (those of
    ``data``, or only ``paths``).

    A ruling's private plate that was also a municipal property's public plate stays in last
    month's snapshot after the property leaves the registry: it was public then, and the
    snapshot is carried over as it was published. Each file is read alone, and only the columns
    ``_published_elsewhere`` looks at: the snapshots of a year of weekly publications of 100k
    rulings, all columns at once, would be gigabytes."""
    paths = sorted(data.glob(_SNAPSHOT_CSV)) if paths is None else list(paths)
    legitimate: set[tuple[str, ...]] = set()
    for table in TABLES:
        wanted = {f.name for f in table.fields if f.public_identity}
        wanted |= {name for f in table.fields if f.published_when for name in (f.name, f.published_when.field)}
        if not wanted:
            continue
        for path in (p for p in paths if p.name == f"{table.name}.csv"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                                usecols=lambda column: column in wanted)
            # a column an older snapshot lacks is empty, as it was when all were read as one
            legitimate |= _published_elsewhere([(table, frame.reindex(columns=sorted(wanted)))])
    return legitimate


def _all_rows(checked) -> pd.DataFrame:
    return pd.concat([checked.frame, checked.rejected_rows], ignore_index=True)


def _strings(frame: pd.DataFrame, column: str) -> list[str]:
    if column not in frame:
        return []
    return [str(v) for v in frame[column].dropna() if str(v).strip()]


def _add(private: dict, digits: set[str], value: str, kind: Kind) -> None:
    privacy = kind.spec.privacy
    if privacy is Privacy.IDENTIFIER and len(personal.digits(value)) >= personal.SHORTEST:
        digits.add(personal.digits(value))  # found however it is written: «0912 123 4567», «۰۹۱۲…»
        return
    sequence = tuple(tokens(value))
    if not sequence:
        return
    if privacy is Privacy.NAME and len(sequence) < 2:
        return
    if len(sequence) == 1 and len(sequence[0]) < 5:
        return  # «12», «ب»: would match everywhere and identify nobody
    if kind is not Kind.TEXT or sequence not in private:   # a name stays a name (``_held_within``)
        private[sequence] = kind.value


def public_numbers(validated) -> set[str]:
    """Published values of the public numeric columns, and the digits of published
    identifiers (the search index looks case number «1398-03-0016» up as «1398030016»)."""
    numbers = set()
    for checked in validated.tables():
        for f in checked.table.public_fields:
            if f.name not in checked.frame:
                continue
            privacy = f.kind.spec.privacy
            if privacy is Privacy.AMOUNT:
                numbers |= {str(int(v)) for v in checked.frame[f.name].dropna() if float(v).is_integer()}
            elif privacy is Privacy.IDENTIFIER:
                numbers |= {personal.digits(str(v)) for v in checked.frame[f.name].dropna()}
    return numbers


_NUMBERS = (Privacy.AMOUNT, Privacy.IDENTIFIER)


def snapshot_numbers(data: Path, paths: Iterable[Path] | None = None) -> set[str]:
    """Numbers published by earlier publications, read from their dated CSV files (those of
    ``data``, or only ``paths``).

    A snapshot carried over from last month holds amounts of records since changed or
    withdrawn; they were public then and are the same public figures now. Only the numeric
    columns are read, and a value met before (most: every weekly snapshot repeats the last)
    is not read again."""
    columns = {f.name for t in TABLES for f in t.public_fields if f.kind.spec.privacy in _NUMBERS}
    numbers: set[str] = set()
    met: set[str] = set()
    for path in sorted(data.glob(_SNAPSHOT_CSV)) if paths is None else paths:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = csv.reader(handle)
            wanted = [i for i, name in enumerate(next(rows, [])) if name in columns]
            if not wanted:
                continue
            for row in rows:
                for i in wanted:
                    value = row[i] if i < len(row) else ""
                    if value in met:
                        continue
                    met.add(value)
                    digits = re.sub(r"\D", "", value.split(".")[0] if re.fullmatch(r"\d+\.0+", value) else value)
                    if digits:
                        numbers.add(digits)
    return numbers


_SNAPSHOT_RECORD = "shafaf snapshot values 1"


@dataclass
class SnapshotValues:
    published: set[tuple[str, ...]]   # snapshot_published
    numbers: set[str]                  # snapshot_numbers
    read: int                          # CSV files read
    known: int                         # CSV files whose values the record held


def _snapshot_code() -> str:
    """What the values read of a snapshot depend on: which fields are public (the schema), how
    a conditional one is decided (privacy), how a value is cut into words (normalise)."""
    from . import normalise, privacy, schema
    return code_digest([Path(__file__), *(Path(m.__file__) for m in (personal, normalise, privacy, schema))])


def snapshot_values(data: Path, record: Path | None = None, read_record: bool = True) -> SnapshotValues:
    """``snapshot_published(data)`` and ``snapshot_numbers(data)``, reading only the files
    whose bytes the last publication did not read.

    Every week adds a dated folder, and the snapshots are never changed once published: read
    whole every time, a year of weekly 100k snapshots would cost minutes. ``record``
    (``cache/publish/snapshot-values``, never published) keeps the values the files gave, and
    which files they were: their names without the date («rulings.csv», which says what is read
    of them) and the sha256 of their bytes (this week's snapshot is last week's byte for byte
    when nothing changed). It is used only when every file it names is still there, else all
    are read again: its values must be values the site still publishes. A record of other
    code, or damaged, is not used. The values it holds are published ones, no private value."""
    paths = sorted(data.glob(_SNAPSHOT_CSV))
    keys = {}
    for path in paths:
        with path.open("rb") as handle:
            keys[path] = f"{path.name}:{hashlib.file_digest(handle, 'sha256').hexdigest()}"
    code = _snapshot_code()
    published, numbers, known = set(), set(), set()
    if record is not None and read_record:
        try:
            kept = json.loads(record.read_text(encoding="utf-8"))
            if kept["format"] == _SNAPSHOT_RECORD and kept["code"] == code \
                    and set(kept["files"]) <= set(keys.values()):
                published = {tuple(value) for value in kept["published"]}
                numbers, known = set(kept["numbers"]), set(kept["files"])
        except (OSError, ValueError, KeyError, TypeError):
            published, numbers, known = set(), set(), set()
    unread = [path for path in paths if keys[path] not in known]
    published |= snapshot_published(data, unread)
    numbers |= snapshot_numbers(data, unread)
    if record is not None:
        text = json.dumps({"format": _SNAPSHOT_RECORD, "code": code, "files": sorted(set(keys.values())),
                           "published": sorted(published), "numbers": sorted(numbers)}, ensure_ascii=False)
        try:
            write_if_changed(record, text.encode("utf-8"))
        except OSError:   # a cache: the next publish reads every snapshot
            pass
    return SnapshotValues(published, numbers, len(unread), len(paths) - len(unread))


def readable_text(path: Path) -> list[tuple[str, str]]:
    """(where, text) pairs of a file: one for a text file, one per XML part of an XLSX, and
    those of every member of a ZIP (the all-datasets download)."""
    if path.suffix in ARCHIVE_SUFFIXES:
        return _archive_text(path)
    if path.suffix not in TEXT_SUFFIXES:
        return []
    return _text_of(str(path), path.suffix, path.read_bytes())


def _text_of(where: str, suffix: str, data: bytes) -> list[tuple[str, str]]:
    if suffix == ".xlsx":
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return [(f"{where}!{name}", _plain(book.read(name).decode("utf-8", "replace"), ".xlsx"))
                    for name in book.namelist() if name.endswith(".xml")]
    if suffix == ".zip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [pair for name in archive.namelist()
                    for pair in _text_of(f"{where}!{name}", PurePosixPath(name).suffix, archive.read(name))]
    if suffix in TEXT_SUFFIXES:
        return [(where, _plain(data.decode("utf-8", "replace"), suffix))]
    return []


def _archive_text(path: Path) -> list[tuple[str, str]]:
    """A member that is byte for byte the site's file of the same name beside the archive is
    not read again: the gate reads that file itself (the zip of all datasets holds the
    datasets), and the same bytes hold the same findings."""
    if path.suffix == ".xlsx":
        return _text_of(str(path), ".xlsx", path.read_bytes())
    found = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            beside = path.parent / name
            if "/" not in name and beside.is_file() and beside.stat().st_size == len(data) \
                    and beside.read_bytes() == data:
                continue
            found += _text_of(f"{path}!{name}", PurePosixPath(name).suffix, data)
    return found


def _plain(text: str, suffix: str) -> str:
    """The text a reader sees: escapes undone, digits Latin, invisible characters gone."""
    if suffix in (".json", ".js", ".geojson", ".map") and "\\" in text:
        text = _JSON_ESCAPE.sub(_unescape_json, text)
    if suffix == ".xlsx" and "_x" in text:
        text = _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    if suffix in (".html", ".xml", ".svg", ".xlsx"):
        text = html.unescape(text)
    return personal.without_invisible(personal.latin_digits(text))


def _unescape_json(match: re.Match) -> str:
    if match.group(4):
        # The pattern ignores case for the hex digits; `\B` (a script's regular expression) is no JSON escape.
        return _JSON_SHORT.get(match.group(4), match.group(0))
    if match.group(3):
        return chr(int(match.group(3), 16))
    high, low = int(match.group(1), 16), int(match.group(2), 16)
    return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))


_CAUSES = {personal.NATIONAL_ID: "a national ID that passes the checksum", personal.MOBILE: "a mobile number",
           personal.PRIVATE: "a value of a private column"}


def scan_text(where: str, text: str, private: PrivateValues) -> list[Finding]:
    return scan_parts(where, [text], private)


def scan_parts(where: str, parts: Iterable[str], private: PrivateValues) -> list[Finding]:
    """The findings of the text ``parts`` make, joined, each part cut where no number runs
    across (after a line break, a «>» or a comma: ``_parts``): what ``scan_text`` finds in the
    whole text, a part in memory at a time. A sequence may run across (``find_in_parts``)."""
    numbers: list[Finding] = []
    lines_before = 0

    def read() -> Iterator[str]:
        nonlocal lines_before
        for text in parts:
            for match in personal.find(text, private.public_numbers, private.digits):
                numbers.append(Finding(f"{where}:{lines_before + text.count(chr(10), 0, match.start) + 1}",
                                       f"{_CAUSES[match.kind]} ({masked(match.digits)})"))
            lines_before += text.count("\n")
            yield text
    if not private.sequences:
        for _ in read():
            pass
        return numbers
    # In JSON a value is one string: the words of two strings are no sequence. The search
    # index's sorted word lists put «یوسف» beside «یوسفی», which read as an owner's name and
    # refused every 10k publish. (Split after unescaping: a quote escaped inside a string
    # splits that string too, which can only miss a name written with a quote in it.)
    # The quotes are kept in the word list as marks no sequence crosses: one list per text,
    # not one per string (a search index file holds hundreds of thousands of strings).
    sequences = private.matcher.find_in_parts(where, read(), Path(where).suffix in _JSON_SUFFIXES)
    return numbers + sequences


_PART_BYTES = 1 << 20   # a large text file is read in parts of about this size, cut after a line


def _parts_of(path: Path) -> Iterator[str]:
    with path.open("rb") as handle:
        yield from _parts(handle, path.suffix)


def _parts(handle, suffix: str) -> Iterator[str]:
    """The readable text of a binary stream, part by part, each cut after a line break, a «>»
    or a comma (an XLSX part or a minified file may be one line): no escape, entity, UTF-8
    character, word or number holds one, and a number ends at one, so each part reads as it
    would in the whole text, and holds whole numbers."""
    rest = b""
    while block := handle.read(_PART_BYTES):
        block = rest + block
        cut = max(block.rfind(b"\n"), block.rfind(b">"), block.rfind(b",")) + 1
        if cut == 0:
            rest = block
            continue
        rest = block[cut:]
        yield _plain(block[:cut].decode("utf-8", "replace"), suffix)
    if rest:
        yield _plain(rest.decode("utf-8", "replace"), suffix)


def _joined(lines: Iterable[str]) -> Iterator[str]:
    """``"\\n".join(lines)`` in parts of about ``_PART_BYTES`` characters, each cut after a line."""
    part: list[str] = []
    size = 0
    for line in lines:
        if part and size >= _PART_BYTES:
            yield "\n".join(part) + "\n"
            part, size = [], 0
        part.append(line)
        size += len(line) + 1
    if part:
        yield "\n".join(part)


def _scan_file(path: Path, private: PrivateValues) -> list[Finding]:
    """What ``readable_text`` and ``scan_text`` find, a large file or an archive's member read
    part by part (an XLSX's sheet of 100k rulings is hundreds of MB of XML)."""
    if path.suffix in ARCHIVE_SUFFIXES:
        with zipfile.ZipFile(path) as archive:
            return _scan_archive(str(path), path.suffix, archive, private, path.parent)
    if path.suffix in TEXT_SUFFIXES and path.stat().st_size > _PART_BYTES:
        return scan_parts(str(path), _parts_of(path), private)
    return [f for where, text in readable_text(path) for f in scan_text(where, text, private)]


def _scan_archive(where: str, suffix: str, archive: zipfile.ZipFile, private: PrivateValues,
                  beside: Path | None = None) -> list[Finding]:
    """``_text_of`` and ``_archive_text``, scanned member by member, each read part by part."""
    if suffix == ".xlsx":
        found = []
        for name in archive.namelist():
            if name.endswith(".xml"):
                with archive.open(name) as member:
                    found += scan_parts(f"{where}!{name}", _parts(member, ".xlsx"), private)
        return found
    found = []
    for info in archive.infolist():
        name, inner = info.filename, PurePosixPath(info.filename).suffix
        if beside is not None and _same_as_beside(archive, info, beside / name):
            continue
        if inner in ARCHIVE_SUFFIXES:
            with zipfile.ZipFile(io.BytesIO(archive.read(name))) as nested:
                found += _scan_archive(f"{where}!{name}", inner, nested, private)
        elif inner in TEXT_SUFFIXES:
            with archive.open(name) as member:
                found += scan_parts(f"{where}!{name}", _parts(member, inner), private)
    return found


def _same_as_beside(archive: zipfile.ZipFile, info: zipfile.ZipInfo, beside: Path) -> bool:
    """A member that is byte for byte the site's file of its name beside the archive (the
    gate reads that file itself), compared a block at a time."""
    if "/" in info.filename or not beside.is_file() or beside.stat().st_size != info.file_size:
        return False
    with archive.open(info) as member, beside.open("rb") as handle:
        while block := member.read(_PART_BYTES):
            if handle.read(len(block)) != block:
                return False
    return True


_JSON_SUFFIXES = (".json", ".geojson")


def _sequence_finding(where: str, sequence: tuple[str, ...]) -> Finding:
    # The finding names the file and the masked value, which is enough to find it.
    return Finding(where, f"a value of a private column ({masked(' '.join(sequence))})")


_END = ""   # a mark in the tree of sequences: a sequence ends here (no word is empty)
_LEAF = {_END: True}   # where a sequence ends and none goes on, shared: never changed
# The non-ASCII raw words classified, remembered up to about this many bytes (a word costs
# its characters, two bytes each, and about ``_WORD_BYTES`` of object and set slot), then
# forgotten and classified again when met: a 100k site has millions of distinct words.
_SEEN_BYTES = 16 << 20
_WORD_BYTES = 96


class _Sequences:
    """The private word sequences of a text, looked for where they can start.

    Folding every word of the site and then looking each one up cost most of the scan. A
    sequence can only start at a word whose fold holds a first word of a private sequence:
    the raw words are classified once each (a set difference finds the ones not met before),
    the words of a part are compared with the few that are such starts as a set, and only a
    part that holds one is walked, from those words on. What it finds, and in which order,
    is what a word-by-word walk of ``text_tokens(part)`` finds (``tests/test_gates_scan.py``
    keeps that walk as the reference)."""

    def __init__(self, sequences: dict[str, dict[int, set[tuple[str, ...]]]]):
        self.sequences = sequences
        # The sequences as a tree of words: a first name or «کرج» starts thousands of words of a
        # site, and the walk from one ends at the first word no sequence continues with.
        # Most sequences end where no other goes on: those ends are one shared node, never
        # changed (a dict per sequence less: 33 MB at 100k); one a longer sequence goes on
        # from is made its own node first.
        self.tree: dict = {}
        for by_length in sequences.values():
            for found in by_length.values():
                for sequence in found:
                    node = self.tree
                    for word in sequence[:-1]:
                        child = node.get(word)
                        if child is None or child is _LEAF:
                            child = node[word] = {} if child is None else {_END: True}
                        node = child
                    child = node.get(sequence[-1])
                    if child is None:
                        node[sequence[-1]] = _LEAF
                    elif child is not _LEAF:
                        child[_END] = True
        self.longest = max((length for by_length in sequences.values() for length in by_length), default=0)
        # an ASCII word folds to itself in lower case: it starts a sequence when that is one of these
        self.ascii_firsts = {first for first in sequences if first.isascii()}
        self.starts: set[str] = set()   # non-ASCII raw words whose fold holds a first word
        self.seen: set[str] = set()     # non-ASCII raw words classified
        self.seen_bytes = 0

    def find(self, where: str, text: str, quoted: bool = False) -> list[Finding]:
        """The sequences of ``text``; with ``quoted``, within each of its parts between two
        quotes (JSON: a value is one string)."""
        return self.find_in_parts(where, [text], quoted)

    def find_in_parts(self, where: str, parts: Iterable[str], quoted: bool = False) -> list[Finding]:
        """The sequences of the text ``parts`` make, joined, read a part at a time: the list of
        every word of a 100 MB dataset would take gigabytes. A walk that reaches the end of a
        part goes on into the words of the next ones (a name may run across a line break)."""
        return [_sequence_finding(where, sequence) for sequence in self.sequences_in_parts(parts, quoted)]

    def sequences_in(self, text: str) -> list[tuple[str, ...]]:
        """The sequences ``find`` finds in ``text``, themselves rather than masked findings."""
        return self.sequences_in_parts([text])

    def sequences_in_parts(self, parts: Iterable[str], quoted: bool = False) -> list[tuple[str, ...]]:
        """What ``find_in_parts`` finds, the sequences themselves (a finding only names one masked)."""
        if not self.sequences:
            return []
        pattern = _RAW_TOKEN_OR_QUOTE if quoted else _RAW_TOKEN
        parts = iter(parts)
        ahead: list[list[str]] = []   # words of the parts after this one, read by a walk
        found = []
        while True:
            if ahead:
                raw = ahead.pop(0)
            else:
                part = next(parts, None)
                if part is None:
                    return found
                raw = pattern.findall(part)
            present = self._starts_in(raw)
            if not present:
                continue
            own, pulled = len(raw), 0

            def pull() -> bool:
                """The words of the next part after ``raw``'s; False at the end of the text."""
                nonlocal pulled
                if pulled == len(ahead):
                    following = next(parts, None)
                    if following is None:
                        return False
                    ahead.append(pattern.findall(following))
                raw.extend(ahead[pulled])
                pulled += 1
                return True
            for i in range(own):
                if raw[i] in present:
                    found += self._at(raw, i, pull)

    def _starts_in(self, raw: list[str]) -> set[str]:
        """The words of ``raw`` a sequence can start at.

        The ASCII words (numbers, hashes, markup: most distinct words of a site) are not
        remembered: lowered all at once (one join) and compared with the ASCII first words as
        a set, they cost less than remembering them. The others are classified once each, while
        ``seen`` holds less than ``_SEEN_BYTES``."""
        distinct = set(raw)
        present = distinct & self.starts
        new = distinct - self.seen
        if not new:
            return present
        joined = "\n".join(new)   # no word holds a line break
        if self.ascii_firsts and not self.ascii_firsts.isdisjoint(joined.lower().split("\n")):
            present.update(w for w in new if w.isascii() and w.lower() in self.ascii_firsts)
        if joined.isascii():
            return present
        other = [w for w in new if not w.isascii()]
        size = _WORD_BYTES * len(other) + 2 * sum(map(len, other))
        if self.seen_bytes + size > _SEEN_BYTES:
            # forgotten: a word met again is classified again (``present`` holds this part's starts)
            self.seen, self.starts, self.seen_bytes = set(), set(), 0
        sequences = self.sequences
        fresh = {w for w in other if any(t in sequences for t in _folded_token(w))}
        self.starts |= fresh
        self.seen.update(other)
        self.seen_bytes += size
        return present | fresh

    def words(self, text: str, quoted: bool = False) -> int:
        """How many words of a sequence ``text`` holds (a quote counts: no sequence crosses it)."""
        return sum(1 if raw == '"' else len(_folded_token(raw))
                   for raw in (_RAW_TOKEN_OR_QUOTE if quoted else _RAW_TOKEN).findall(text))

    def _at(self, raw: list[str], i: int, pull=lambda: False) -> list[tuple[str, ...]]:
        found = []
        folded = _folded_token(raw[i])
        for k, first in enumerate(folded):
            node = self.tree.get(first)
            if node is None:
                continue
            words, ends, j, position = [first], [], i + 1, k + 1
            following = folded
            while True:
                if _END in node:
                    ends.append(len(words))
                if position == len(following):
                    while j == len(raw) and pull():   # a part may hold no word
                        pass
                    if j == len(raw) or raw[j] == '"':
                        break
                    following, position, j = _folded_token(raw[j]), 0, j + 1
                    continue
                word = following[position]
                position += 1
                node = node.get(word)
                if node is None:
                    break
                words.append(word)
            # in the order of the lengths in ``sequences``, as the word-by-word reference gives them
            for length in self.sequences[first] if len(ends) > 1 else ends:
                if length in ends:
                    found.append(tuple(words[:length]))
        return found


def site_files(root: Path) -> list[str]:
    """Every file under ``root`` (a link to a file too; a linked folder is not entered) as its
    path relative to ``root``, with «/», in the order of the files' ``Path``s. A name costs a
    fifth of a ``Path``: a 100k site has 470,000 files (their ``.gz`` included), which as
    ``Path``s held about 220 MB. Not ``Path.rglob``: Python 3.11's keeps every ``Path`` it
    yielded in a set until the walk ends (70 MB at 20k rulings; this walk, 10 MB). Not
    ``os.walk`` with a ``stat`` of each file: a folder's entries say what they are, and only a
    link is followed (at 100k the walk took 4.6 s)."""
    names: list[str] = []

    def visit(folder: str, prefix: str) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    visit(entry.path, prefix + entry.name + "\0")
                elif entry.is_file():
                    names.append(prefix + entry.name)
    visit(os.fspath(root), "")
    names.sort()
    for i, name in enumerate(names):   # one at a time: never two copies of every name
        names[i] = name.replace("\0", "/")
    return names


def _in_path_order(name: str) -> str:
    """``name`` with «/» as the character before every other: names then sort as their
    ``Path``s do, part by part («a/b» before «a-b»)."""
    return name.replace("/", "\0")


def _suffix(name: str) -> str:
    """``PurePosixPath(name).suffix``, without the object."""
    base = name[name.rfind("/") + 1:]
    dot = base.rfind(".")
    return base[dot:] if 0 < dot < len(base) - 1 else ""


def scan_personal_data(root: Path, private: PrivateValues, stages: Stages = QUIET,
                       files: Iterable[Path | str] | None = None, processes: int = 2,
                       lines: LineRecords | None = None, verdicts: Verdicts | None = None) -> list[Finding]:
    """Every file of ``root``, or only ``files`` (of ``root``: ``Path``s, or names relative to
    it as ``site_files`` gives them), in the order of the files.

    Files holding the same bytes (this publication's dated folder beside the datasets) are
    read once: they are found by their digests (``_same_bytes``), and a copy's findings are
    the first one's, under its own name. The files are shared out by size between this
    process and a forked second one (``processes=2``) when there is enough to read.

    ``lines``: a large text file is read line by line against the digests of the lines its
    last clean scan saw (see ``LineRecords``): only lines and line boundaries not seen then
    are scanned; a finding in them sends the whole file to the full scan, which gives the
    findings (so they are the same as without ``lines``).

    ``verdicts``: a file whose bytes passed an earlier scan (see ``Verdicts``) is read only
    against the values that are new since, or not at all; every file that passes is noted.

    Files are held by their names, a ``Path`` made only while one is read (see ``site_files``)."""
    names = site_files(root) if files is None else \
        [f if isinstance(f, str) else f.relative_to(root).as_posix() for f in files]
    top = str(root)
    readable = [(n, os.stat(os.path.join(top, n)).st_size) for n in names
                if _suffix(n) in TEXT_SUFFIXES or _suffix(n) in ARCHIVE_SUFFIXES]
    first_of, digest_of = _same_bytes(readable, every=verdicts is not None, root=root)
    unique = [(n, size) for n, size in readable if n not in first_of]
    known = [] if verdicts is None else [(n, size) for n, size in unique if verdicts.passed(digest_of[n])]
    if known:
        again = {n for n, _ in known}
        unique = [(n, size) for n, size in unique if n not in again]
    found = _scan_shared(unique, root, private, stages, processes, lines)
    if known and verdicts.fresh:
        found.update(_scan_shared(known, root, private.only(verdicts.fresh), stages, processes))
    findings = []
    for name, _ in readable:
        original = first_of.get(name)
        if original is None:
            findings += found.get(name, [])
        else:
            findings += [Finding(_renamed(f.file, original, name), f.cause) for f in found.get(original, [])]
    if verdicts is not None:
        verdicts.known_again += len(known)
        verdicts.note(digest_of[n] for n, _ in readable if n not in found and first_of.get(n, n) not in found)
    return findings


def _same_bytes(readable: list[tuple[str | Path, int]], every: bool = True,
                root: Path | None = None) -> tuple[dict, dict]:
    """A file -> the first file (in order) with the same bytes, for the second and later ones;
    and the content digest of every file (``every``; else of the files whose size another
    shares, all that finding copies needs): the sha256 of its suffix and its bytes, as the
    same bytes are read otherwise in another format (entities are undone in HTML, not in text).
    The files are names relative to ``root``, or paths."""
    if not every:
        sizes: dict[int, int] = {}
        for _, size in readable:
            sizes[size] = sizes.get(size, 0) + 1
        readable = [(path, size) for path, size in readable if sizes[size] > 1 and size]
    first_of, digest_of, seen = {}, {}, {}
    # the dataset before its copy in this publication's dated folder: the dataset keeps a
    # line record (``LineRecords``), the dated folder is new every publication
    for path, _ in sorted(readable, key=lambda item: bool(_DATED.search(os.fspath(item[0])))):
        with open(path if root is None else os.path.join(root, path), "rb") as handle:
            suffix = _suffix(os.fspath(path)).encode("utf-8")
            digest = hashlib.file_digest(handle, lambda: hashlib.sha256(suffix + b"\0")).digest()
        digest_of[path] = digest
        if digest in seen:
            first_of[path] = seen[digest]
        else:
            seen[digest] = path
    return first_of, digest_of


def _renamed(where: str, original: str, copy: str) -> str:
    """A finding's place in ``original``, said of ``copy`` (both relative to the root, as the finding)."""
    return copy + where[len(original):] if where.startswith(original) else where


_FORK_BYTES = 16 << 20   # below this a second process costs more than it saves


def _scan_shared(unique: list[tuple[str, int]], root: Path, private: PrivateValues, stages: Stages,
                 processes: int, lines: LineRecords | None = None) -> dict[str, list[Finding]]:
    from .parallel import Forked
    total = sum(size for _, size in unique)
    if processes < 2 or total < _FORK_BYTES:
        found, counts = _scan_files([n for n, _ in unique], root, private, stages, lines)
        return found
    # largest first, each to the lighter side: two halves of about the same bytes
    halves: tuple[list[str], list[str]] = ([], [])
    weights = [0, 0]
    for name, size in sorted(unique, key=lambda item: -item[1]):
        side = 0 if weights[0] <= weights[1] else 1
        halves[side].append(name)
        weights[side] += size
    other = Forked(_scan_files, sorted(halves[1], key=_in_path_order), root, private, QUIET, lines)
    found, counts = _scan_files(sorted(halves[0], key=_in_path_order), root, private, stages, lines)
    theirs, their_counts = other.result()
    found.update(theirs)
    if lines is not None:   # the second process counted its own
        lines.files_by_line += their_counts[0]
        lines.lines_scanned += their_counts[1]
    return found


def _scan_files(names: list[str], root: Path, private: PrivateValues, stages: Stages,
                lines: LineRecords | None = None) -> tuple[dict[str, list[Finding]], tuple[int, int]]:
    """The findings of each file, and (files read by their new lines, lines scanned) of this process."""
    before = (lines.files_by_line, lines.lines_scanned) if lines is not None else (0, 0)
    found = {}
    for name in stages.track(names, len(names), "files"):
        path = root / name
        if lines is not None and lines.applies(path, root) and lines.clean(path, root, private):
            continue
        findings = [Finding(str(Path(f.file).relative_to(root)) if f.file.startswith(str(root)) else f.file, f.cause)
                    for f in _scan_file(path, private)]
        if findings:
            found[name] = findings
        elif lines is not None and lines.applies(path, root):
            lines.keep(path, root)
    after = (lines.files_by_line, lines.lines_scanned) if lines is not None else (0, 0)
    return found, (after[0] - before[0], after[1] - before[1])


_DATED = re.compile(r"(^|/)[0-9]{4}-[0-9]{2}-[0-9]{2}/")


def _followed(after: bytes | set[bytes] | None, line: bytes) -> bool:
    return after == line if not isinstance(after, set) else line in after


def _line_digests(path: Path, starts: array | None = None) -> bytes:
    """The digest of each line of ``path`` (``bytes.split(b"\\n")``'s lines: the last one is
    empty when the file ends with a line break), read a line at a time; with ``starts``, where
    each line starts is appended to it, and the file's end."""
    digests, line, position = bytearray(), b"", 0
    with path.open("rb") as handle:
        for line in handle:
            if starts is not None:
                starts.append(position)
                position += len(line)
            digests += hashlib.blake2b(line[:-1] if line.endswith(b"\n") else line, digest_size=16).digest()
    if not line or line.endswith(b"\n"):
        digests += hashlib.blake2b(b"", digest_size=16).digest()
        if starts is not None:
            starts.append(position)
    if starts is not None:
        starts.append(position)
    return bytes(digests)


def _record_name(name: str) -> str:
    """The file name of the line record of the site's file ``name`` (its path in the site)."""
    return hashlib.blake2b(name.encode("utf-8"), digest_size=16).hexdigest()


class LineRecords:
    """What the gate keeps of the large text files it scanned clean: per file, the digest of
    each of its lines (blake2b, 16 bytes; never a line's text, never a value), in
    ``<folder>/<digest of the file's path>``, behind the ``key`` of what they were scanned
    against (the gate's code, every private value's digest, every published number's digest).

    A file rewritten every publication (the datasets, the change log, the GeoJSON) then
    costs what changed: a line seen clean before is not scanned again; a new line is, and so
    is every new boundary between two lines (a line next to another it did not follow
    before): a private name may run from the end of one CSV row into the next (the words of a
    sequence may be parted by any characters, a line break too), while a number never
    crosses a line break (``personal._SEPARATOR`` excludes them). A boundary is scanned with
    enough lines on each side to hold the longest sequence. A record under another key
    (a private value new, a number no longer published, the gate's code changed) is not used:
    the file is scanned whole, and recorded again."""

    def __init__(self, folder: Path, private: PrivateValues, read: bool = True, smallest: int = 1 << 18):
        self.folder, self.read, self.smallest = folder, read, smallest
        h = hashlib.sha256(b"shafaf personal-data lines 1\0")
        h.update(_gate_code())
        for digest in sorted(private.digests()):
            h.update(bytes.fromhex(digest))
        h.update(b"\0")
        for digest in sorted(number_digests(private.public_numbers)):
            h.update(digest.encode())
        self.key = h.digest()
        self.lines_scanned = self.files_by_line = 0

    def applies(self, path: Path, root: Path) -> bool:
        return path.suffix in TEXT_SUFFIXES and path.stat().st_size >= self.smallest

    def _record(self, path: Path, root: Path) -> tuple[Path, bool]:
        """Where the record ``path`` is read against, and whether it is ``path``'s own. A file
        of a dated folder is new every publication: it is read against its dataset's record
        (this publication's copy holds the dataset's bytes), and keeps none of its own."""
        name = path.relative_to(root).as_posix()
        dataset = _DATED.sub(r"\1", name)
        return self.folder / _record_name(dataset), dataset == name

    def _read_record(self, path: Path, root: Path) -> bytes | None:
        try:
            return self._record(path, root)[0].read_bytes()
        except OSError:
            return None

    def keep(self, path: Path, root: Path) -> None:
        record, own = self._record(path, root)
        if own:
            write_if_changed(record, self.key + _line_digests(path))

    def clean(self, path: Path, root: Path, private: PrivateValues) -> bool:
        """True when the new lines and boundaries of ``path`` hold nothing (the record is then
        brought up to date); False when the file must be scanned whole."""
        if not self.read:
            return False
        record = self._read_record(path, root)
        if record is None or record[:32] != self.key:
            return False
        # each line seen before -> the line that followed it (a set where one line followed
        # several: a repeated line); one dict, not a set of lines and a set of pairs (memory:
        # a 100k dataset has a million lines)
        following: dict[bytes, bytes | set[bytes] | None] = {}
        previous = None
        for i in range(32, len(record), 16):
            line = record[i:i + 16]
            if previous is not None:
                after = following[previous]
                if after is None or after == line:
                    following[previous] = line
                elif isinstance(after, set):
                    after.add(line)
                else:
                    following[previous] = {after, line}
            following.setdefault(line, None)
            previous = line
        del record
        # the file a line at a time: its digests, and where each line starts, to read again
        # only the lines to scan (a 100k dataset is 125 MB)
        starts = array("q")
        digests = _line_digests(path, starts)
        count = len(digests) // 16

        def digest(k: int) -> bytes:
            return digests[16 * k:16 * k + 16]
        fresh = [k for k in range(count) if digest(k) not in following]
        bounds = [k for k in range(count - 1) if not _followed(following.get(digest(k)), digest(k + 1))]
        del following
        if fresh or bounds:
            where, suffix = str(path), path.suffix
            text: dict[int, str] = {}
            with path.open("rb") as handle:
                def line(k: int) -> str:
                    handle.seek(starts[k])
                    data = handle.read(starts[k + 1] - starts[k])
                    return _plain((data[:-1] if data.endswith(b"\n") else data).decode("utf-8", "replace"), suffix)

                def plain(k: int) -> str:
                    if k not in text:
                        text[k] = line(k)
                    return text[k]
                # numbers and sequences within each new line; a number never spans two lines
                if scan_parts(where, _joined(line(k) for k in fresh), private):
                    return False
                for k in bounds:
                    if private.sequences and self._across(where, k, plain, count, private):
                        return False
            self.lines_scanned += len(fresh)
        self.files_by_line += 1
        record, own = self._record(path, root)
        if own:
            write_if_changed(record, self.key + digests)
        return True

    def prune(self, root: Path, names: Iterable[str] | None = None) -> int:
        """Remove the records of files ``root`` no longer holds (a search index file of a new
        name, a dataset gone); returns how many. ``names``: its files (``site_files``), when
        the gate has them already (a walk of a 100k site takes seconds)."""
        names = site_files(root) if names is None else names
        kept = {_record_name(name) for name in names if _suffix(name) in TEXT_SUFFIXES}
        removed = 0
        for record in self.folder.iterdir() if self.folder.is_dir() else ():
            if record.name not in kept:
                record.unlink()
                removed += 1
        return removed

    @staticmethod
    def _across(where: str, k: int, plain, count: int, private: PrivateValues) -> bool:
        """A sequence across the boundary after line ``k``: lines before and after it until
        each side holds as many words as the longest sequence (or the file ends)."""
        matcher = private.matcher
        quoted = Path(where).suffix in _JSON_SUFFIXES
        longest = matcher.longest
        first, words = k, 0
        while first >= 0 and words < longest:
            words += matcher.words(plain(first), quoted)
            first -= 1
        last, words = k + 1, 0
        while last < count and words < longest:
            words += matcher.words(plain(last), quoted)
            last += 1
        window = "\n".join(plain(i) for i in range(first + 1, last))
        return bool(matcher.find(where, window, quoted))




_VERDICTS = b"shafaf personal-data verdicts 1\n"
_COUNT = struct.Struct(">Q")


def _gate_code() -> bytes:
    """The digest of the gate's code: a record made by other code is not trusted."""
    return bytes.fromhex(code_digest((Path(__file__), Path(personal.__file__))))


class _Sorted:
    """Fixed-size items in one ``bytes``, sorted: a set without an object per item (a 100k
    site has 234,000 files)."""

    def __init__(self, blob: bytes, size: int):
        self.blob, self.size = blob, size

    def __len__(self) -> int:
        return len(self.blob) // self.size

    def __getitem__(self, i: int) -> bytes:
        return self.blob[i * self.size:(i + 1) * self.size]

    def __contains__(self, item: bytes) -> bool:
        i = bisect.bisect_left(self, item)
        return i < len(self) and self[i] == item

    def __iter__(self):
        return (self[i] for i in range(len(self)))


def _missing(wanted: _Sorted, present: _Sorted) -> Iterator[bytes]:
    """The items of ``wanted`` that ``present`` does not hold, both sorted, in one walk. (Should
    ``present`` not be sorted, items it holds may be said missing, never the other way.)"""
    others = iter(present)
    other = next(others, None)
    for item in wanted:
        while other is not None and other < item:
            other = next(others, None)
        if other != item:
            yield item


class Verdicts:
    """The contents the gate passed, and against what (``cache/publish/personal-data-verdicts``,
    never published). A file whose bytes (sha256) passed before is not read again against the
    values it was scanned against, only against those private now and not then: this
    publication's dated data folder (last week's datasets byte for byte), a dataset or a feed
    rewritten the same, cost a hash instead of a scan.

    One file: a magic line, the sha256 of what follows, the digest of the gate's code, the
    sorted digests of the private values (``value_digest``, as bytes) and of the numbers let
    pass as published (``number_digests``) the contents were passed against, and the sorted
    sha256 of those contents. Never a value, a line or a name. A record of other code, damaged,
    truncated or foreign is not used (every file is scanned), and so is one made when a number
    now flagged was let pass as published.

    The record carries the contents passed before over to the next one while no value is new
    (they were passed against at least today's values); when values are new, it holds only the
    contents passed by this scan."""

    def __init__(self, path: Path, private: PrivateValues, read: bool = True):
        self.path = path
        self.code = _gate_code()
        self.values = _Sorted(b"".join(sorted(bytes.fromhex(d) for d in private.digests())), 32)
        self.numbers = _Sorted(b"".join(sorted(bytes.fromhex(d) for d in number_digests(private.public_numbers))), 8)
        self.known = _Sorted(b"", 32)
        self.fresh: set[str] = set()   # values (hex digests) the known contents were not scanned against
        self.used = False              # a record was read and trusted
        self.known_again = 0           # files not read against every value, their bytes known
        self.clean = bytearray()       # the contents that passed this scan, 32 bytes each
        if read:
            self._read()

    def _read(self) -> None:
        try:
            data = self.path.read_bytes()
        except OSError:
            return
        head = len(_VERDICTS) + 32
        if not data.startswith(_VERDICTS) or hashlib.sha256(data[head:]).digest() != data[len(_VERDICTS):head]:
            return
        try:
            code, sections, position = data[head:head + 32], [], head + 32
            for size in (32, 8, 32):
                (count,) = _COUNT.unpack_from(data, position)
                position += _COUNT.size
                sections.append(_Sorted(data[position:position + count * size], size))
                position += count * size
                if len(sections[-1]) != count:
                    return
        except struct.error:
            return
        values, numbers, contents = sections
        if code != self.code or position != len(data) or any(_missing(numbers, self.numbers)):
            return
        self.fresh = {v.hex() for v in _missing(self.values, values)}
        self.known, self.used = contents, True

    def passed(self, content: bytes) -> bool:
        return content in self.known

    def note(self, contents) -> None:
        """Contents that passed this scan."""
        for content in contents:
            self.clean += content

    def save(self) -> None:
        """Only after a scan that found nothing: every content noted passed it."""
        clean = bytes(self.clean)
        contents = {clean[i:i + 32] for i in range(0, len(clean), 32)}
        if not self.fresh:
            contents.update(self.known)
        payload = b"".join([self.code,
                            _COUNT.pack(len(self.values)), self.values.blob,
                            _COUNT.pack(len(self.numbers)), self.numbers.blob,
                            _COUNT.pack(len(contents)), *sorted(contents)])
        write_if_changed(self.path, _VERDICTS + hashlib.sha256(payload).digest() + payload)


def keep_records(root: Path, findings: list[Finding], lines: LineRecords | None, verdicts: Verdicts | None,
                 names: Iterable[str] | None = None) -> None:
    """After the gate: line records of files ``root`` no longer holds removed (``names``: its
    files, if known); the verdicts kept only when nothing was found (a refused build vouches
    for nothing)."""
    if lines is not None:
        lines.prune(root, names)
    if verdicts is not None and not findings:
        try:
            verdicts.save()
        except OSError:   # a cache: the next publish scans what it cannot vouch for
            pass


# --- links --------------------------------------------------------------------------------

def link_target(root: Path, page: Path, link: str, siteurl: str = "") -> Path | None:
    """The file an href/src points to, or None when it leaves the site."""
    link = html.unescape(link).strip()
    if siteurl and (link == siteurl or link.startswith(siteurl.rstrip("/") + "/")):
        link = "/" + link[len(siteurl.rstrip("/")):].lstrip("/")
    parts = urlsplit(link)
    if parts.scheme or parts.netloc:
        return None  # another site, mailto:, tel:, data:
    if not parts.path:
        return page  # "#main", "?q="
    path = unquote(parts.path)
    target = root / path.lstrip("/") if path.startswith("/") else page.parent / path
    if path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target.resolve()


def page_links(root: Path, page: Path, siteurl: str = "") -> list[tuple[str, Path]]:
    """(href/src, the file it resolves to) of every internal link of an HTML page; ``root``
    resolved."""
    found = []
    text = page.read_text(encoding="utf-8", errors="replace")
    for match in _LINK.finditer(text):
        link = match.group(1) if match.group(1) is not None else match.group(2)
        target = link_target(root, page, link, siteurl)
        if target is not None:
            found.append((link, target))
    return found


def broken_links(root: Path, siteurl: str = "", stages: Stages = QUIET) -> tuple[list[Finding], int]:
    """Every href/src of every HTML page that should resolve to a file of the build."""
    findings, checked, _ = check_links(root, siteurl, stages=stages)
    return findings, checked


@dataclass
class LinkCheck:
    full: int = 0          # pages whose every link was resolved
    incremental: int = 0   # unchanged pages whose recorded targets were looked up
    links: int = 0         # links of the pages read
    targets: int = 0       # distinct targets of the unchanged pages


def check_links(root: Path, siteurl: str = "", unchanged: set[str] = frozenset(),
                recorded: LinkIndex | Mapping[str, list[str]] | None = None,
                stages: Stages = QUIET) -> tuple[list[Finding], int, dict]:
    """The link gate, and the link index of the site (``pipeline.link_index``): page -> the
    files its links resolve to (relative to ``root``; «..» for one outside it).

    A page in ``unchanged`` (the same file as in the last published site) with an entry in
    ``recorded`` (that site's index) is not read again: its links resolve as they did, to the
    same paths, so only whether each of those paths is still a file of the site is asked, once
    per path, not once per link."""
    root = root.resolve()
    prefix = str(root) + os.sep
    files = {os.path.relpath(os.path.join(folder, name), root)
             for folder, _, names in os.walk(root) for name in names}
    if recorded is not None and not isinstance(recorded, LinkIndex):
        recorded = LinkIndex.from_lists(recorded)
    gone = {i for i, target in enumerate(recorded.targets) if target not in files} if recorded is not None else set()
    findings, counts, built = [], LinkCheck(), link_index.Builder(recorded)
    pages = sorted(f for f in files if f.endswith(".html"))
    del files   # the pages read in full ask the file system, as they always did
    for name in stages.track(pages, len(pages), "pages"):
        if name in unchanged and recorded is not None and name in recorded:
            counts.incremental += 1
            numbers = built.keep(name)
            counts.targets += len(numbers)
            if gone and not gone.isdisjoint(numbers):
                findings += [Finding(name, f"a link to {recorded.targets[i]!r} resolves to no file of the site "
                                           "(it is gone)") for i in numbers if i in gone]
            continue
        counts.full += 1
        targets = set()
        for link, target in page_links(root, root / name, siteurl):
            counts.links += 1
            inside = str(target).startswith(prefix)
            targets.add(str(target)[len(prefix):] if inside else "..")
            if not inside or not target.is_file():
                findings.append(Finding(name, f"link {link!r} resolves to no file of the site"))
        built.add(name, sorted(targets))
    return findings, counts.links, {"index": built.index(), "full": counts.full, "incremental": counts.incremental,
                                    "targets": counts.targets}


# --- datasets -----------------------------------------------------------------------------

def frictionless(datapackage: Path, executable: str) -> list[Finding]:
    """``frictionless validate`` on the data package; its own report names the resource."""
    return Frictionless(datapackage, executable).findings()


class Frictionless:
    """``frictionless validate`` started now, in a process of its own, so that it runs while
    the publish waits for the personal-data gate (13 s of a 100k publish); ``findings()``
    waits for its verdict, ``stop()`` ends it unread. Its report goes to a file, not a pipe
    nobody reads until then (a long report would stop it half way)."""

    def __init__(self, datapackage: Path, executable: str):
        self.datapackage = datapackage
        self._report, self._errors = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
        # tied: a killed publish leaves no frictionless reading the folder the next one builds in
        self._process = subprocess.Popen(tied([executable, "validate", "--json", str(datapackage)]),
                                         stdout=self._report, stderr=self._errors, text=True)

    def findings(self, timeout: float = 600) -> list[Finding]:
        try:
            code = self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise
        self._report.seek(0)
        self._errors.seek(0)
        stdout, stderr = self._report.read(), self._errors.read()
        self._close_files()
        return [] if code == 0 else self._read(stdout, stderr)

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._close_files()

    def _close_files(self) -> None:
        self._report.close()
        self._errors.close()

    def _read(self, stdout: str, stderr: str) -> list[Finding]:
        datapackage = self.datapackage
        try:
            report = json.loads(stdout)
        except ValueError:
            return [Finding(str(datapackage), f"frictionless failed: {(stderr or stdout).strip()[:500]}")]
        findings = [Finding(str(datapackage), f"{e.get('type')}: {e.get('message')}") for e in report.get("errors", [])]
        for task in report.get("tasks", []):
            name = task.get("name") or task.get("resource", {}).get("path") or "?"
            for error in task.get("errors", [])[:20]:
                findings.append(Finding(f"{datapackage.parent / str(task.get('place') or name)}",
                                        f"{error.get('type')}: {error.get('message')}"))
        return findings or [Finding(str(datapackage), "frictionless reported the package invalid")]


def rejected_shares(validated, limit: float) -> list[Finding]:
    """A dataset whose rejected share is at or above ``limit`` (0.05 = 5 %)."""
    findings = []
    for checked in validated.tables():
        if checked.read and checked.rejected / checked.read >= limit:
            files = sorted({p["file"] for p in checked.problems}) or [checked.table.name]
            findings.append(Finding(", ".join(files),
                                    f"{checked.table.name}: {checked.rejected} of {checked.read} rows rejected "
                                    f"({checked.rejected / checked.read:.1%}, limit {limit:.1%}); "
                                    "see reports/report.html"))
    return findings
