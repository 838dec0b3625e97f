"""Withhold personal data: private columns go, addresses are coarsened, free text is masked.

Runs on every published text column, not only on ``ruling_text``: a national ID typed into a
neighbourhood or title cell is as personal as one in the ruling's prose.
"""
from __future__ import annotations

import functools
import re

import pandas as pd

from . import personal
from .rowcache import RowCache
from .schema import Field, Privacy, Table, Visibility

MASK = "[محرمانه]"

# House number, unit, floor and postal code in an address, with the comma before them.
_ADDRESS_DETAIL = re.compile(
    r"[،,]?\s*(پلاک|پ\.|واحد|طبقه|کد\s*پستی|کدپستی|صندوق\s*پستی|شماره)\s*[:：.]?\s*[\d/\-]+\s*"
)


def redact(text: str | None, names: tuple[str, ...] = ()) -> str | None:
    """Mask what ``pipeline.personal`` recognises (national IDs that pass the checksum, mobile
    numbers, postal codes, in any spelling) and the names given.

    An invalid ten-digit number is left as it is: it is a case number or an amount, and
    masking it would hide public information.
    """
    if not text:
        return text
    text = personal.mask(text, personal.find(text, postal=True), MASK)
    for name in names:
        if name and len(name) > 2:
            text = _name_pattern(name).sub(MASK, text)
    return text


def official_name(text: str | None) -> str | None:
    """A commission member's name without the ID or mobile typed into its cell.

    The name is public, even when the official also owns the building, so no name is masked;
    the number is dropped rather than masked, so that the member keeps one page. A cell that
    held nothing but the number shows the mask."""
    if not text:
        return text
    matches = personal.find(text, postal=True)
    if not matches:
        return text
    name = " ".join(personal.mask(text, matches, " ").split())
    return name or MASK


@functools.lru_cache(maxsize=None)
def _name_pattern(name: str) -> re.Pattern:
    """A name with any spacing or ZWNJ between its words; compiled once per name (re's own
    cache of 512 patterns thrashes on a register of thousands of owners)."""
    return re.compile(r"[\s\u200c]*".join(re.escape(part) for part in name.split()))


def coarsen_address(address: str | None) -> str | None:
    """Street level only: house number, unit, floor and postal code removed."""
    if not address:
        return address
    address = _ADDRESS_DETAIL.sub(" ", address)
    address = re.sub(r"\s*[،,]\s*([،,]\s*)+", "، ", address)
    return re.sub(r"\s+", " ", address).strip(" ،,") or None


def withheld_where(frame: pd.DataFrame, f: Field) -> pd.Series:
    """Rows in which a field published on a condition (``Field.published_when``) is withheld;
    a row whose deciding field is empty is one of them."""
    return frame[f.published_when.field] != f.published_when.equals


def conditional_fields(table: Table, frame: pd.DataFrame) -> tuple[Field, ...]:
    return tuple(f for f in table.fields if f.published_when and f.name in frame)


# What each privacy treatment does to a published column's cells (None: nothing).
_TREATMENTS = {
    Privacy.SCANNED: lambda column, names: [redact(text, row_names) for text, row_names in zip(column, names)],
    Privacy.NAME: lambda column, names: [official_name(text) for text in column],
}


def withhold(frame: pd.DataFrame, table: Table, rows: RowCache | None = None) -> pd.DataFrame:
    """The public view of a validated table: what may be published, nothing more.

    ``rows``: the row cache ``validate`` filled; a row it holds the public values of is not
    treated again (they depend on the row's own cells only), and the others' are kept in it."""
    frame = frame.copy()
    keys = rows.keys.get(table.name) if rows is not None else None
    if keys is None:
        columns = _treated(frame, table)
    else:
        columns = _treated_with(frame, table, keys.loc[frame.index].tolist(), rows.new[table.name])
    for name, column in columns.items():
        frame[name] = pd.Series(column, index=frame.index, dtype=object)
    for f in conditional_fields(table, frame):
        frame.loc[withheld_where(frame, f), f.name] = None
    return frame[[f.name for f in table.public_fields]]


def _treated_fields(table: Table) -> list[Field]:
    """The published fields whose cells privacy changes (a private one is dropped whole)."""
    return [f for f in table.fields if f.published and
            (_TREATMENTS.get(f.kind.spec.privacy) is not None or f.visibility is Visibility.COARSENED)]


def _treated(frame: pd.DataFrame, table: Table) -> dict[str, list]:
    names = _private_names(frame, table)
    columns = {}
    for f in _treated_fields(table):
        treat = _TREATMENTS.get(f.kind.spec.privacy)
        # object dtype and explicit None: pandas would otherwise infer a string dtype and
        # hand NaN to the next stage for every empty cell.
        column = [v if isinstance(v, str) else None for v in frame[f.name]]
        if f.visibility is Visibility.COARSENED:
            column = [coarsen_address(v) for v in column]
        if treat is not None:
            column = treat(column, names)
        columns[f.name] = column
    return columns


def _treated_with(frame: pd.DataFrame, table: Table, keys: list, entries: dict) -> dict[str, list]:
    """``_treated``, taken from the cache's entries where they hold it."""
    public = [entries[key][2] for key in keys]
    missing = [i for i, values in enumerate(public) if values is None]
    if missing:
        fresh = _treated(frame.iloc[missing], table)
        for i, values in zip(missing, zip(*fresh.values()) if fresh else [()] * len(missing)):
            public[i] = entries[keys[i]][2] = tuple(values)
    return {f.name: [values[j] for values in public] for j, f in enumerate(_treated_fields(table))}


def _private_names(frame: pd.DataFrame, table: Table) -> list[tuple[str, ...]]:
    """Per row, the private names to mask in that row's own text: private names and the
    values of conditional fields where they are withheld."""
    names = frame[[f.name for f in table.private_fields if f.kind.spec.privacy is Privacy.NAME]]
    for f in conditional_fields(table, frame):
        names = names.assign(**{f"_withheld_{f.name}": frame[f.name].where(withheld_where(frame, f))})
    if names.columns.empty:
        return [()] * len(frame)
    return [tuple(v for v in row if isinstance(v, str)) for row in names.itertuples(index=False)]
