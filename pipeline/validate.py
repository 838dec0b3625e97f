"""Typed, checked tables from raw ones: each row is published or rejected with its reasons.

Cells are parsed once per distinct value (exports repeat names, dates and enumeration values
thousands of times), so the cost grows with the number of rows, not with their square.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from . import parallel, values
from .errors import CellError
from .read import SOURCE_COLUMNS, Exports, RawTable
from .rowcache import RowCache, row_keys
from .schema import (
    REQUIRED, RESERVED_SLUGS, RULINGS, ForeignKey, Privacy, Table, When,
)
from .settings import Municipality

REJECTION_COLUMNS = ["file", "sheet", "row", "column", "code", "reason"]
CYCLE_SHOWN = 10  # rulings of an appeal cycle named in its reason; the rest are counted


@dataclass
class Checked:
    """One table after validation: ``frame`` holds only the published rows."""

    table: Table
    read: int
    frame: pd.DataFrame
    rejected_rows: pd.DataFrame                      # the rejected rows, typed as far as they parsed
    headers: dict[str, str] = field(default_factory=dict)  # field name -> header as written
    problems: list[dict] = field(default_factory=list)  # one per error, REJECTION_COLUMNS
    warnings: list[dict] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejected_rows)

    @property
    def published(self) -> int:
        return len(self.frame)


@dataclass
class Validated:
    rulings: Checked
    violations: Checked
    properties: Checked

    def tables(self) -> list[Checked]:
        return [self.rulings, self.violations, self.properties]


def validate(exports: Exports, city: Municipality, rows: RowCache | None = None) -> Validated:
    """``rows``: what earlier runs made of each raw row (``pipeline.rowcache``); only rows it
    does not hold are parsed, and it is given this run's rows."""
    today = values.today()  # read once: one run has one horizon
    if rows is not None:
        rows.bind(city, today)
    parsing = {raw.table.name: _RowParsing(raw, city, today, rows) for raw in exports.tables()} if rows is not None else {}
    for table in parsing.values():   # taken at once, in any order: a child that is done ends
        table.receive()
    checked: dict[str, Checked] = {}
    for raw in exports.tables():  # rulings first: the others' foreign keys name them
        checked[raw.table.name] = _check(raw, city, today, checked, parsing.pop(raw.table.name, None))
    validated = Validated(*checked.values())
    _warn_rulings(validated.rulings, validated.violations)
    return validated


def _check(raw: RawTable, city: Municipality, today: dt.date, parents: dict[str, Checked],
           parsing: _RowParsing | None = None) -> Checked:
    parsed, problems = _parse_table(raw, city, today, parents, parsing)
    _reject_duplicates(parsed, problems, raw.table)
    for check in _TABLE_CHECKS.get(raw.table.name, ()):
        check(parsed, problems)
    checked = _split(raw, parsed, problems)
    for f in raw.table.derived:
        if f.numbered_within:
            checked.frame[f.name] = checked.frame.groupby(f.numbered_within, sort=False).cumcount() + 1
    return checked


# --- cells ------------------------------------------------------------------------------

def _parse_column(column: pd.Series, parse) -> tuple[pd.Series, pd.Series]:
    """Parsed values and errors (a CellError or None), computed once per distinct cell."""
    cache: dict = {}

    def parse_once(raw):
        try:
            return cache[(type(raw), raw)]
        except KeyError:
            pass
        except TypeError:  # an unhashable cell cannot come from openpyxl or csv
            raise
        if values.is_blank(raw):
            result = (None, None)
        else:
            try:
                result = (parse(raw), None)
            except CellError as error:
                result = (None, error)
        cache[(type(raw), raw)] = result
        return result

    pairs = [parse_once(raw) for raw in column.tolist()]
    index = column.index
    return (pd.Series([p[0] for p in pairs], index=index, dtype=object),
            pd.Series([p[1] for p in pairs], index=index, dtype=object))


class _Problems:
    """Errors gathered while checking one table, by row index."""

    def __init__(self, raw: RawTable):
        self.raw = raw
        self.rows: dict[int, list[dict]] = {}

    def add(self, index: int, name: str, error: CellError) -> None:
        frame = self.raw.frame
        self.rows.setdefault(index, []).append({
            "file": frame.at[index, "_file"], "sheet": frame.at[index, "_sheet"],
            "row": int(frame.at[index, "_row"]),
            "column": self.raw.headers.get(name, self.raw.table.field(name).header),
            "code": error.code, "reason": error.reason,
        })

    def add_many(self, mask: pd.Series, name: str, code: str, reason) -> None:
        for index in mask[mask].index:
            self.add(index, name, CellError(code, reason(index) if callable(reason) else reason))


class _RowParsing:
    """The published fields of the rows of one table that ``rows`` does not hold, parsed by a
    second process (``parallel.Forked``), started for every table at once.

    What comes back through the pipe is the compact entry a warm build loads from the cache:
    the parse's own objects (the read cells kept alive by the values made of them, pandas'
    arrays, one tuple of errors per row) stay in the child. After a code update every row is
    parsed again, and this process then held 614 MiB more of Python objects than a warm build
    (tracemalloc at 100k, BENCHMARKS.md); on two cores, the tables are parsed side by side."""

    def __init__(self, raw: RawTable, city: Municipality, today: dt.date, rows: RowCache):
        self.rows = rows
        self.fields = [f for f in raw.table.fields if f.published]
        self.keys = row_keys(raw.frame, [f.name for f in raw.table.fields])
        old = rows.load(raw.table.name)
        # A date after the day the row was cached may be accepted today: such a row is parsed again.
        self.entries = [None if entry is None or _beyond_horizon(entry) else entry
                        for entry in map(old.get, self.keys.tolist())]
        self.missing = [i for i, entry in enumerate(self.entries) if entry is None]
        self.parsed = (parallel.Forked(_parse_rows, raw.frame, self.missing, self.fields, city, today)
                       if self.missing else None)

    def receive(self) -> None:
        """The parsed rows' entries, taken from the child (which then ends: it no longer
        holds its memory, nor waits on a full pipe while the whole-table checks run)."""
        if self.parsed is not None:
            for i, entry in zip(self.missing, self.parsed.result()):
                self.entries[i] = entry
            self.parsed = None

    def columns(self, raw: RawTable) -> dict[str, tuple[pd.Series, pd.Series]]:
        """Values and errors of every published field; every row's entry is handed on to
        ``rows.new`` (what the next run reads). ``receive`` first: ``validate`` takes every
        table's rows before any check."""
        assert self.parsed is None, "the parsed rows are taken (receive) before the checks"
        name, entries = raw.table.name, self.entries
        self.rows.hits[name] = len(entries) - len(self.missing)
        self.rows.keys[name] = self.keys
        new = self.rows.new.setdefault(name, {})
        for key, entry in zip(self.keys.tolist(), entries):
            new.setdefault(key, entry)
        index = raw.frame.index
        return {f.name: (pd.Series([e[0][j] for e in entries], index=index, dtype=object),
                         pd.Series([None if e[1][j] is None else CellError(*e[1][j]) for e in entries],
                                   index=index, dtype=object))
                for j, f in enumerate(self.fields)}


def _parse_rows(frame: pd.DataFrame, positions: list[int], fields: list, city: Municipality,
                today: dt.date) -> list[list]:
    """The cache's entries (``[values, errors, None]``) of the rows at ``positions``."""
    rows = frame.iloc[positions]
    parsed = [_parse_column(rows[f.name], f.parser(city, today)) for f in fields]
    values_by_row = zip(*[column.tolist() for column, _ in parsed])
    errors_by_row = zip(*[[None if e is None else (e.code, e.reason) for e in errors.tolist()] for _, errors in parsed])
    # Most rows have no error: one shared tuple says so (pickle and marshal keep it shared).
    no_errors = (None,) * len(fields)
    return [[row_values, no_errors if row_errors == no_errors else row_errors, None]
            for row_values, row_errors in zip(values_by_row, errors_by_row)]


def _beyond_horizon(entry: list) -> bool:
    return any(error is not None and error[0] == "date-out-of-range" for error in entry[1])


def _parse_table(raw: RawTable, city: Municipality, today: dt.date, parents: dict[str, Checked],
                 parsing: _RowParsing | None = None) -> tuple[pd.DataFrame, _Problems]:
    problems = _Problems(raw)
    _reject_bad_rows(raw, problems)
    parsed = raw.frame[SOURCE_COLUMNS].copy()
    cached = parsing.columns(raw) if parsing is not None else {}
    for f in raw.table.fields:
        if not f.published and f.kind.spec.privacy is not Privacy.NAME:
            # Private columns are never checked or published; they are kept as text for
            # the publish gate, which looks for them in every file (rejected rows' too).
            # Private names are parsed: redaction masks them in their row's text.
            parsed[f.name] = raw.frame[f.name].map(lambda v: None if values.is_blank(v) else str(v))
            continue
        if f.name in cached:
            column, errors = cached[f.name]
        else:
            column, errors = _parse_column(raw.frame[f.name], f.parser(city, today))
        parsed[f.name] = column
        for index, error in errors[errors.notna()].items():
            problems.add(index, f.name, error)
        if f.required == REQUIRED:
            missing = column.isna() & errors.isna()
            problems.add_many(missing, f.name, "missing-required", f"«{f.header}» خالی است")
    _reject_declared(raw.table, parsed, problems, parents)
    return parsed, problems


def _reject_declared(table: Table, parsed: pd.DataFrame, problems: _Problems, parents: dict[str, Checked]) -> None:
    """The table's declared rules across fields."""
    _reject_missing_where_required(table, parsed, problems)
    _reject_reversed_periods(table, parsed, problems)
    for key in table.foreign_keys:
        _reject_orphans(parsed, problems, table, key, parents[key.resource])


def _reject_missing_where_required(table: Table, parsed: pd.DataFrame, problems: _Problems) -> None:
    for f in table.fields:
        if isinstance(f.required, When):
            applies = parsed[f.required.field] == f.required.equals
            # «رأی» + «تجدیدنظر»: the noun and the value name the rows.
            problems.add_many(applies & parsed[f.name].isna(), f.name, "missing-required",
                              f"{table.noun_fa} {f.required.equals} باید «{f.header}» داشته باشد")


def _reject_reversed_periods(table: Table, parsed: pd.DataFrame, problems: _Problems) -> None:
    for start_name, end_name in table.periods:
        start, end = parsed[start_name], parsed[end_name]
        both = start.notna() & end.notna()
        # ISO dates: their text sorts as the dates do.
        problems.add_many(both & (end.where(both, "") < start.where(both, "")), end_name, "date-order",
                          lambda i: f"پایان {end[i]} پیش از شروع {start[i]} است")


def _reject_bad_rows(raw: RawTable, problems: _Problems) -> None:
    """Rows the reader found malformed (a stray quote, a wrong cell count, an oversized cell,
    an uncomputed formula in a required cell) are rejected whatever their cells say."""
    index_of = dict(zip(raw.frame["_row"].tolist(), raw.frame.index))
    for row, column, code, reason in raw.bad_rows:
        problems.rows.setdefault(index_of[row], []).append({
            "file": raw.frame.at[index_of[row], "_file"], "sheet": raw.frame.at[index_of[row], "_sheet"],
            "row": row, "column": column, "code": code, "reason": reason})


def _reject_duplicates(parsed: pd.DataFrame, problems: _Problems, table: Table) -> None:
    """A unique field's repeated values, and (when a derived field is its slug) values whose
    page address is unusable, a listing's or another value's."""
    for f in table.fields:
        if f.unique:
            _reject_duplicates_of(parsed, problems, table, f.name)


def _reject_duplicates_of(parsed: pd.DataFrame, problems: _Problems, table: Table, name: str) -> None:
    keys = parsed[name]
    duplicate = keys.notna() & keys.duplicated(keep="first")
    first_row = parsed.loc[keys.notna()].drop_duplicates(name).set_index(name)["_row"]
    problems.add_many(duplicate, name, "duplicate-key",
                      lambda i: f"«{keys[i]}» پیش‌تر در سطر {first_row[keys[i]]} آمده است")
    slug_fields = [f.name for f in table.derived if f.slug_of == name]
    if slug_fields:
        parsed[slug_fields[0]] = _slugs(keys[keys.notna() & ~duplicate], problems, table, name).reindex(parsed.index)


def _slugs(keys: pd.Series, problems: _Problems, table: Table, name: str) -> pd.Series:
    slugs: dict[int, str] = {}
    taken: set[str] = set()
    for index, key in keys.items():
        try:
            slug = values.slug(key)
        except CellError as error:
            problems.add(index, name, error)
            continue
        if slug in RESERVED_SLUGS.get(table.name, ()):
            problems.add(index, name, CellError("reserved-key", f"نشانی صفحه‌ی «{key}» ({table.name}/{slug}/) "
                                                                 "نشانیِ یک فهرست است"))
            continue
        if slug in taken:
            problems.add(index, name, CellError("bad-key", f"نشانی صفحه‌ی «{key}» با شناسه‌ی دیگری یکی می‌شود"))
            continue
        slugs[index] = slug
        taken.add(slug)
    return pd.Series(slugs, dtype=object)


def _split(raw: RawTable, parsed: pd.DataFrame, problems: _Problems) -> Checked:
    rejected = parsed.index.isin(list(problems.rows))
    flat = [p for index in sorted(problems.rows) for p in problems.rows[index]]
    return Checked(raw.table, len(parsed), parsed[~rejected].copy(), parsed[rejected].copy(),
                   dict(raw.headers), flat, list(raw.warnings))


# --- tables -----------------------------------------------------------------------------

def _reject_appeal_cycles(parsed: pd.DataFrame, problems: _Problems) -> None:
    """An appeal reviews a ruling made before it, so a ruling that reviews itself, or a ring
    of rulings each reviewing the next, is an error of the export; every member is rejected,
    since nothing tells which of them is right."""
    number, target = parsed["ruling_no"], parsed["appealed_ruling_no"]
    problems.add_many(number.notna() & (number == target), "appealed_ruling_no", "appeal-to-itself",
                      lambda i: f"رأی «{number[i]}» خودش را رأی بدوی خود نامیده است")
    open_ = number.notna() & target.notna() & ~parsed.index.isin(list(problems.rows))
    index_of = dict(zip(number[open_], number[open_].index))
    for cycle in _cycles(dict(zip(number[open_], target[open_]))):
        first = min(range(len(cycle)), key=lambda k: index_of[cycle[k]])
        cycle = cycle[first:] + cycle[:first]
        shown = cycle[:CYCLE_SHOWN] + ([f"… ({len(cycle)} رأی)"] if len(cycle) > CYCLE_SHOWN else [cycle[0]])
        reason = "دور ارجاع تجدیدنظر: " + " → ".join(shown)
        for member in cycle:
            problems.add(index_of[member], "appealed_ruling_no", CellError("appeal-cycle", reason))


def _cycles(reviews: dict[str, str]) -> list[list[str]]:
    """The cycles of a graph in which each ruling points to at most one other, in O(n)."""
    seen: set[str] = set()
    cycles = []
    for start in reviews:
        walk: dict[str, int] = {}
        node = start
        while node in reviews and node not in seen:
            seen.add(node)
            walk[node] = len(walk)
            node = reviews[node]
        if node in walk:  # back on this walk's own path, not on an earlier walk's
            cycles.append(list(walk)[walk[node]:])
    return cycles


def _reject_orphans(parsed: pd.DataFrame, problems: _Problems, table: Table, key: ForeignKey,
                       parent: Checked) -> None:
    """A row naming no row of the referenced table is an orphan; one naming a rejected row
    goes with it (its parent is not published)."""
    value = parsed[key.field]
    published = set(parent.frame[key.reference])
    known = published | set(parent.rejected_rows[key.reference].dropna())
    noun = parent.table.noun_fa
    problems.add_many(value.notna() & ~value.isin(known), key.field, "orphan-violation",
                      lambda i: f"{noun} «{value[i]}» در برگه‌ی {parent.table.sheet} نیست")
    problems.add_many(value.isin(known - published), key.field, "orphan-of-rejected",
                      lambda i: f"{noun} «{value[i]}» رد شده است، پس {table.noun_fa} آن هم منتشر نمی‌شود")


# Rules of one table that no declaration expresses.
_TABLE_CHECKS = {RULINGS.name: (_reject_appeal_cycles,)}


def _warn(target: Checked, rows: pd.DataFrame, code: str, name: str, reason) -> None:
    column = target.headers.get(name, target.table.field(name).header)
    for _, row in rows.iterrows():
        target.warnings.append({"file": row["_file"], "sheet": row["_sheet"], "row": int(row["_row"]),
                                "column": column, "code": code, "reason": reason(row)})


def _warn_rulings(rulings: Checked, violations: Checked) -> None:
    """The spec's consistency checks: reported to staff, the rows are still published."""
    frame, fines = rulings.frame, violations.frame

    totals = fines.dropna(subset=["fine_rial"]).groupby("ruling_no")["fine_rial"].sum()
    with_total = frame[frame["total_fine_rial"].notna() & frame["ruling_no"].isin(totals.index)]
    mismatch = with_total[with_total["total_fine_rial"] != with_total["ruling_no"].map(totals)]
    _warn(rulings, mismatch, "fine-sum-mismatch", "total_fine_rial",
          lambda r: f"مبلغ کل {r['total_fine_rial']} ولی جمع جریمه‌ها {totals[r['ruling_no']]}")

    parts = ["area_m2", "unit_value_rial", "multiplier", "fine_rial"]
    complete = fines[fines[parts].notna().all(axis=1)]
    complete = complete[complete["fine_rial"].astype(float) > 0]
    expected = (complete["area_m2"].astype(float) * complete["unit_value_rial"].astype(float)
                * complete["multiplier"].astype(float))
    off = complete[(complete["fine_rial"].astype(float) - expected).abs() > 0.01 * expected + 1]
    _warn(violations, off, "fine-formula-mismatch", "fine_rial",
          lambda r: f"جریمه {r['fine_rial']} ولی مساحت × ارزش × ضریب = "
                    f"{round(r['area_m2'] * r['unit_value_rial'] * r['multiplier'])}")

    appeals = frame[frame["appealed_ruling_no"].notna()]
    missing = appeals[~appeals["appealed_ruling_no"].isin(set(frame["ruling_no"]))]
    _warn(rulings, missing, "appeal-target-missing", "appealed_ruling_no",
          lambda r: f"رأی بدوی «{r['appealed_ruling_no']}» در داده‌ی منتشرشده نیست")
