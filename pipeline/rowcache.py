"""What the validate and privacy stages made of each raw row, kept in ``cache/rows/`` so that a
rebuild parses and redacts only the rows that changed.

A row is keyed by the hash of its raw cells (their types and values, as the reader gave them);
a table's file holds, per key, the row's parsed values and cell errors for every published
field and, once privacy has run on it, its public (redacted, coarsened) values. Both are pure
functions of the row's cells, the code and the settings: these make the file's *version*
(``version``), and a file of another version is ignored whole. The day (``values.today``, the
horizon of a ruling's date) is not in the version, or every weekly publish would parse every
row again: a file records the day it was made, and is ignored whole when today is earlier
(``SHAFAF_TODAY`` moved back); a row whose date was after that day (``date-out-of-range``) is
parsed again, since a later today may accept it. A row accepted on an earlier day stays
accepted: its dates were not after that day, so they are not after today. Whole-table checks (duplicates, appeal links, foreign keys, the
periods, the required-when rules, statistics) are never cached: they run on the whole table
every time.

A file is written atomically (``files.write_atomically``: a ``.tmp`` beside it, then a
rename; not at all when it already holds these bytes) and holds only the rows of this run's exports, so it never grows beyond them. It
starts with a magic line, the version and the sha256 of its payload: a truncated, edited or
foreign file fails the check and is ignored, as if there were none. The payload is
``marshal`` (values are str, int, float and None only), which, unlike pickle, runs no code
while it loads.

Private columns are never cached (they are read from the export every run). The parsed
values of published columns are cached *before* redaction, so a national ID typed into a
ruling's text is in ``cache/rows/``, as it is in the export: ``cache/`` never reaches any
output, and its files are readable by their owner only.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import marshal
import os
import sys
from importlib import metadata
from pathlib import Path

import pandas as pd

from .files import code_digest, record, write_atomically

FORMAT = 1
MAGIC = b"shafaf-rows\n"
SUFFIX = ".rows"
_CODE = Path(__file__).resolve().parent


def version(city) -> str:
    """Everything a cached value depends on besides the row: any change to any of these
    (a line of the pipeline's code, the schema, the normaliser, a setting, Python, pandas or
    jdatetime) is a new version, and every row is parsed again."""
    digest = hashlib.sha256()
    for part in (f"format {FORMAT}", sys.version, str(marshal.version), metadata.version("pandas"),
                 metadata.version("jdatetime"), repr(city), code_digest(_CODE.glob("*.py"))):
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def row_keys(frame: pd.DataFrame, names: list[str]) -> pd.Series:
    """One 16-byte key per row, of the raw cells of ``names`` in that order. ``repr`` tells
    1 from 1.0, True and «1», and a date from its text; two rows with equal keys parse alike."""
    columns = [frame[name].tolist() for name in names]
    keys = [hashlib.blake2b(repr(row).encode("utf-8", "surrogatepass"), digest_size=16).digest()
            for row in zip(*columns)]
    return pd.Series(keys, index=frame.index, dtype=object)


class RowCache:
    """``folder``: ``cache/rows/`` (None: a cache that keeps nothing, for callers without one).

    Per table: ``old`` (loaded, read only) and ``new`` (this run's rows, what ``save`` writes);
    an entry is ``[values, errors, public]``, a row's published fields in schema order."""

    def __init__(self, folder: Path | None):
        self.folder = Path(folder) if folder is not None else None
        self.version = ""
        self.today = dt.date.min
        self.old: dict[str, dict] = {}
        self.new: dict[str, dict] = {}
        self.keys: dict[str, pd.Series] = {}
        self.hits: dict[str, int] = {}

    def bind(self, city, today: dt.date) -> None:
        self.version = version(city)
        self.today = today

    def load(self, table: str) -> dict:
        if table not in self.old:
            self.old[table] = _read(self.folder / f"{table}{SUFFIX}", self.version, self.today) if self.folder else {}
        return self.old[table]

    def save(self) -> None:
        """Write each table's rows of this run; a table's file of a table no longer cached,
        or left by a kill as ``.tmp``, is removed."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for table, entries in self.new.items():
            path = self.folder / f"{table}{SUFFIX}"
            try:
                payload = marshal.dumps({key: tuple(entry) for key, entry in entries.items()})
            except ValueError:   # a value marshal cannot hold: no file is better than a wrong one
                path.unlink(missing_ok=True)
                continue
            header = (MAGIC + self.version.encode("ascii") + b"\n" + self.today.isoformat().encode("ascii") + b"\n"
                      + hashlib.sha256(payload).digest())
            # Neither joined to its header nor compared with the old file's bytes in memory:
            # at 50k rulings those copies were the pipeline's last and highest peak.
            if _holds(path, header, len(payload)):
                record(path)
            else:
                write_atomically(path, (header, payload))
            os.chmod(path, 0o600)
        for path in self.folder.iterdir():
            if path.name.endswith(".tmp") or (path.suffix == SUFFIX and path.stem not in self.new):
                path.unlink(missing_ok=True)


def _holds(path: Path, header: bytes, size: int) -> bool:
    """Whether ``path`` is ``header`` and a payload of ``size`` bytes whose sha256 (the
    header's last 32 bytes) matches: the file ``save`` would write, read in chunks."""
    try:
        with open(path, "rb") as handle:
            if handle.read(len(header)) != header:
                return False
            digest = hashlib.sha256()
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size -= len(chunk)
    except OSError:
        return False
    return size == 0 and digest.digest() == header[-32:]


def _read(path: Path, version: str, today: dt.date) -> dict:
    """The file's entries, or nothing when it is missing, of another version, made on a day
    after ``today``, or damaged."""
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    head = MAGIC + version.encode("ascii") + b"\n"
    if not data.startswith(head):
        return {}
    day, _, rest = data[len(head):].partition(b"\n")
    try:
        made = dt.date.fromisoformat(day.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return {}
    if made > today:
        return {}
    head += day + b"\n"
    if len(data) < len(head) + 32:
        return {}
    checksum, payload = data[len(head):len(head) + 32], data[len(head) + 32:]
    if hashlib.sha256(payload).digest() != checksum:
        return {}
    try:
        entries = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return {}
    if not isinstance(entries, dict):
        return {}
    return {key: list(entry) for key, entry in entries.items()}
