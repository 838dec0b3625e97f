"""The row cache (``cache/rows/``, pipeline/rowcache.py): whatever it holds, the same exports
give the same files, byte for byte; a changed row is parsed again; a withdrawn row leaves it;
a damaged, foreign or stale file is ignored, never trusted."""
from __future__ import annotations

import hashlib
import marshal
from pathlib import Path

import pytest

from factory import VALID_NATIONAL_ID, property_, ruling, violation, write_exports
from pipeline import build, changes, rowcache, settings
from pipeline.rowcache import MAGIC, SUFFIX

ROOT = Path(__file__).resolve().parent.parent
CITY = settings.load()
PUBLISHED = "2024-06-01"


def exports(folder: Path, texts: dict[int, str] | None = None, dates: dict[int, str] | None = None,
            dropped: int | None = None, areas: dict[int, str] | None = None) -> Path:
    texts, dates, areas = texts or {}, dates or {}, areas or {}
    numbers = [n for n in range(1, 13) if n != dropped]
    rulings = [ruling(ruling_no=f"1402/3/{n}", case_no=f"55{n:03d}", ruling_date=dates.get(n, "1402/05/12"),
                      ruling_text=texts.get(n, f"متن رأی {n}؛ شناسه‌ی {VALID_NATIONAL_ID} در متن"))
               for n in numbers]
    violations = [violation(ruling_no=f"1402/3/{n}", area_m2=areas.get(n, "۲۰")) for n in numbers]
    properties = [property_(property_code=f"P-05-{n:04d}") for n in range(1, 5)]
    return write_exports(folder, rulings=rulings, violations=violations, properties=properties, fmt="csv")


def run(source: Path, work: Path) -> dict[str, bytes]:
    """``python -m pipeline`` as its main does it, and the state a publish would commit; every
    file it made, by path (the cache excepted)."""
    publication = build.prepare(source, CITY, PUBLISHED, None, work / "cache")
    build.write(publication, work / "content", work / "output", work / "reports", CITY)
    changes.commit_state(work / "state", publication.change_log, None)
    return {str(p.relative_to(work)): p.read_bytes() for p in sorted(work.rglob("*"))
            if p.is_file() and p.relative_to(work).parts[0] != "cache"}


def cache_files(work: Path) -> dict[str, Path]:
    return {p.stem: p for p in (work / "cache" / "rows").glob(f"*{SUFFIX}")}


def entries(path: Path) -> tuple[bytes, dict]:
    """The file's header (magic and version line) and its entries, read without the checks."""
    data = path.read_bytes()
    head = data[:data.index(b"\n", data.index(b"\n", len(MAGIC)) + 1) + 1]
    return head, marshal.loads(data[len(head) + 32:])


def forge(path: Path, change, version: bytes | None = None, checksum: bool = True) -> None:
    """Rewrite every entry with ``change``; under ``version`` (default: the file's own) and with
    a right or a wrong checksum."""
    head, rows = entries(path)
    if version is not None:
        head = MAGIC + version + b"\n" + head.split(b"\n")[-2] + b"\n"
    payload = marshal.dumps({key: change(entry) for key, entry in rows.items()})
    digest = hashlib.sha256(payload).digest() if checksum else bytes(32)
    path.write_bytes(head + digest + payload)


def wrong_text(entry: tuple) -> tuple:
    """The ruling's text, parsed and public, replaced by a marker (its other values kept, so
    that the row is still published); a record's fingerprint (``fingerprints``) replaced by
    zeros, which would make the state and the change log wrong."""
    if all(isinstance(part, bytes) for part in entry):
        return tuple(bytes(len(part)) for part in entry)
    values, errors, public = entry
    mark = lambda v: "نادرست-از-حافظه" if isinstance(v, str) and v.startswith("متن رأی") else v  # noqa: E731
    return (tuple(map(mark, values)), errors, None if public is None else tuple(map(mark, public)))


def cold(work: Path) -> None:
    pass


def warm(work: Path) -> None:
    run(exports(work.parent / "warm-source"), work)


def other_version(work: Path) -> None:
    """A cache of another code version whose every value is wrong: it must not be read."""
    warm(work)
    for path in cache_files(work).values():
        forge(path, wrong_text, version=b"0" * 64)


def corrupted(work: Path) -> None:
    """Wrong values under the right version, but the checksum no longer matches."""
    warm(work)
    for path in cache_files(work).values():
        forge(path, wrong_text, checksum=False)


def truncated(work: Path) -> None:
    warm(work)
    for path in cache_files(work).values():
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 2])


def left_by_a_kill(work: Path) -> None:
    """A kill between the temporary file and its rename: the .tmp is never read."""
    warm(work)
    for path in cache_files(work).values():
        path.with_name(path.name + ".tmp").write_bytes(path.read_bytes()[:100])
        path.unlink()


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, bytes]:
    base = tmp_path_factory.mktemp("reference")
    return run(exports(base / "source"), base / "work")


@pytest.mark.parametrize("cache", [cold, warm, other_version, corrupted, truncated, left_by_a_kill])
def test_the_same_exports_give_the_same_files_whatever_the_cache_holds(cache, reference, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    cache(work)
    made = run(exports(tmp_path / "source"), work)
    assert sorted(made) == sorted(reference)
    assert [name for name in reference if made[name] != reference[name]] == []
    assert "نادرست".encode() not in b"".join(made.values())
    # ... and the cache it leaves is whole again: every row, the current version.
    files = cache_files(work)
    assert sorted(files) == ["fingerprints", "properties", "rulings", "violations"]
    assert not list((work / "cache" / "rows").glob("*.tmp"))
    for path in files.values():
        head, rows = entries(path)
        assert head == MAGIC + rowcache.version(CITY).encode() + b"\n" + rowcache_today().isoformat().encode() + b"\n"
    assert len(entries(files["rulings"])[1]) == 12


def rowcache_today():
    from pipeline import values
    return values.today()


def test_a_valid_cache_is_used_so_the_tests_above_test_something(tmp_path):
    """A file with the right version and checksum is trusted: its (forged) values reach the
    output. This is what the version and the checksum stand between."""
    work = tmp_path / "work"
    warm(work)
    forge(cache_files(work)["rulings"], wrong_text)
    made = run(exports(tmp_path / "source"), work)
    assert "نادرست-از-حافظه" in made["output/data/rulings.csv"].decode("utf-8-sig")
    forge(cache_files(work)["fingerprints"], wrong_text)
    made = run(exports(tmp_path / "source"), work)
    assert ': "' + "0" * 64 in made["state/published.json"].decode("utf-8")


def test_the_version_follows_the_code_and_the_settings(tmp_path, monkeypatch):
    import dataclasses

    base = rowcache.version(CITY)
    assert rowcache.version(CITY) == base
    assert rowcache.version(dataclasses.replace(CITY, districts=CITY.districts + 1)) != base
    code = tmp_path / "pipeline"
    code.mkdir()
    for path in (ROOT / "pipeline").glob("*.py"):
        (code / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(rowcache, "_CODE", code)
    assert rowcache.version(CITY) == base
    normaliser = code / "normalise.py"
    normaliser.write_bytes(normaliser.read_bytes() + b"\n# a comment is a change too\n")
    assert rowcache.version(CITY) != base


# Ruling 7 is dated 1403/01/20 (2024-04-08): after the first day, before the second.
EARLY, LATE = "2024-03-01", "2024-05-01"


def build_on(day: str, source: Path, work: Path, monkeypatch) -> dict[str, bytes]:
    monkeypatch.setenv("SHAFAF_TODAY", day)
    return run(source, work)


def test_a_cache_of_an_earlier_day_serves_a_later_one_and_a_row_then_in_the_future_is_parsed_again(
        tmp_path, monkeypatch):
    """Weekly publishes keep their cache (the day is no part of the version), yet what a
    later day accepts is what a build without a cache accepts that day."""
    source = exports(tmp_path / "source", dates={7: "1403/01/20"})
    work = tmp_path / "work"
    early = build_on(EARLY, source, work, monkeypatch)
    assert "1402/3/7" not in early["output/data/rulings.csv"].decode("utf-8-sig")   # in the future then
    late = build_on(LATE, source, work, monkeypatch)
    assert "1402/3/7" in late["output/data/rulings.csv"].decode("utf-8-sig")
    assert late == build_on(LATE, source, tmp_path / "fresh-late", monkeypatch)
    # It was the early day's cache that served: its forged texts reach the later build,
    # but for ruling 7, whose row was parsed again.
    forged = tmp_path / "forged"
    build_on(EARLY, source, forged, monkeypatch)
    forge(cache_files(forged)["rulings"], wrong_text)
    rows = build_on(LATE, source, forged, monkeypatch)["output/data/rulings.csv"].decode("utf-8-sig").splitlines()
    assert [line for line in rows if "نادرست-از-حافظه" in line]
    assert [line for line in rows if "1402/3/7" in line and "نادرست-از-حافظه" not in line]


def test_a_cache_made_on_a_later_day_is_not_read_on_an_earlier_one(tmp_path, monkeypatch):
    """SHAFAF_TODAY moved back: a row accepted on the later day may lie in the future now."""
    source = exports(tmp_path / "source", dates={7: "1403/01/20"})
    work = tmp_path / "work"
    build_on(LATE, source, work, monkeypatch)
    early = build_on(EARLY, source, work, monkeypatch)
    assert "1402/3/7" not in early["output/data/rulings.csv"].decode("utf-8-sig")
    assert early == build_on(EARLY, source, tmp_path / "fresh-early", monkeypatch)


def test_a_changed_row_is_parsed_again_and_its_new_value_and_error_reach_the_output(tmp_path):
    """Ruling 5's text, ruling 6's date (now impossible) and ruling 3's violation change: the
    files (the state's fingerprints too) are those a build without a cache makes."""
    work = tmp_path / "work"
    run(exports(tmp_path / "a"), work)
    changed = {"texts": {5: "متن تازه‌ی رأی پنجم"}, "dates": {6: "1402/13/01"}, "areas": {3: "۲۵"}}
    made = run(exports(tmp_path / "b", **changed), work)
    fresh = run(exports(tmp_path / "b2", **changed), tmp_path / "fresh")
    assert made == fresh
    def state_lines(files):
        values = next(name for name in files if name.startswith("state/values-"))
        return files["state/published.json"].decode().splitlines() + files[values].decode().splitlines()
    before = state_lines(run(exports(tmp_path / "a2"), tmp_path / "before"))
    changed_prints = [line for line in state_lines(made) if line.startswith(('   "', '"')) and line not in before]
    assert sorted(key for line in changed_prints
                  if (key := line.split('"')[1] if line.startswith(" ") else line.split('"')[3]).startswith("1402")) == [
        "1402/3/3", "1402/3/3", "1402/3/5", "1402/3/5"]   # fingerprint and values, each
    assert "متن تازه‌ی رأی پنجم" in made["output/data/rulings.csv"].decode("utf-8-sig")
    rejections = made["reports/rejections.csv"].decode("utf-8-sig")
    assert "bad-date" in rejections and "1402/13/01" in rejections
    assert "content/rulings/1402-3-6.md" not in made


def test_a_withdrawn_row_disappears_and_leaves_the_cache(tmp_path):
    work = tmp_path / "work"
    run(exports(tmp_path / "a"), work)
    before = entries(cache_files(work)["rulings"])[1]
    made = run(exports(tmp_path / "b", dropped=7), work)
    after = entries(cache_files(work)["rulings"])[1]
    assert "content/rulings/1402-3-7.md" not in made
    assert "1402/3/7" not in made["output/data/rulings.csv"].decode("utf-8-sig")
    assert len(before) == 12 and len(after) == 11 and set(after) < set(before)


def test_no_private_column_is_cached(tmp_path):
    """Private columns are read from the export every run: the owner's mobile, typed only in
    its own column, is nowhere in cache/rows/."""
    work = tmp_path / "work"
    run(exports(tmp_path / "a"), work)
    held = b"".join(path.read_bytes() for path in cache_files(work).values())
    assert b"09121234567" not in held and "بهرام".encode() not in held
    assert all(path.stat().st_mode & 0o077 == 0 for path in cache_files(work).values())


def test_only_the_changed_rows_are_parsed_again(tmp_path):
    """After one ruling's text changed, the cache answers for every other row of every table;
    with nothing changed, for every row."""
    work = tmp_path / "work"
    run(exports(tmp_path / "a"), work)
    publication = build.prepare(exports(tmp_path / "b", texts={5: "متن تازه"}), CITY, PUBLISHED, None,
                                work / "cache")
    assert publication.rows.hits == {"rulings": 11, "violations": 12, "properties": 4}
    publication = build.prepare(exports(tmp_path / "c"), CITY, PUBLISHED, None, work / "cache")
    assert publication.rows.hits == {"rulings": 12, "violations": 12, "properties": 4}


def test_a_file_is_written_in_parts_and_only_when_its_bytes_change(tmp_path, monkeypatch):
    """The payload is neither joined to its header nor compared in memory with the old file
    (at 50k rulings those copies were the pipeline's last peak); an unchanged file keeps its
    inode, and a damaged one whose header still matches is written again."""
    import datetime as dt

    def cache_with(entries):
        cache = rowcache.RowCache(tmp_path / "rows")
        cache.bind(CITY, dt.date(2026, 11, 28))
        cache.new["rulings"] = entries
        return cache

    entries = {b"k" * 16: [("1403/1/5", "متن"), (None, None), None]}
    written = []
    real = rowcache.write_atomically
    monkeypatch.setattr(rowcache, "write_atomically", lambda path, data: (written.append(data), real(path, data)))
    cache_with(entries).save()
    assert len(written) == 1 and isinstance(written[0], tuple)
    path = tmp_path / "rows" / f"rulings{SUFFIX}"
    inode = path.stat().st_ino
    cache_with(entries).save()
    assert len(written) == 1 and path.stat().st_ino == inode
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    cache_with(entries).save()
    assert len(written) == 2
    reread = rowcache.RowCache(tmp_path / "rows")
    reread.bind(CITY, dt.date(2026, 11, 28))
    assert reread.load("rulings") == {key: list(entry) for key, entry in entries.items()}


def test_rows_not_in_the_cache_are_parsed_by_another_process_and_arrive_as_compact_entries(tmp_path, monkeypatch):
    """After a code update every row is parsed again: done in this process, the parse's objects
    stayed held beside the values (614 MiB more than a warm build at 100k, BENCHMARKS.md).
    The parse runs in a forked process, every table's at once, and a row without an error
    shares one tuple of errors with the others."""
    import os
    from pipeline import validate

    parsed_in = []
    real = validate._parse_rows

    def recording(*args):
        parsed_in.append(os.getpid())
        return real(*args)

    monkeypatch.setattr(validate, "_parse_rows", recording)
    publication = build.prepare(exports(tmp_path / "a", dates={5: "1402/13/45"}), CITY, PUBLISHED, None, tmp_path / "cache")
    assert publication.rows.hits == {"rulings": 0, "violations": 0, "properties": 0}
    assert parsed_in == []     # the children's appends stay in the children
    assert publication.validated.rulings.read == 12 and publication.validated.rulings.rejected == 1

    entries = list(publication.rows.new["rulings"].values())
    clean = [entry for entry in entries if all(error is None for error in entry[1])]
    failed = [entry for entry in entries if any(error is not None for error in entry[1])]
    assert len(clean) == 11 and len(failed) == 1
    assert all(entry[1] is clean[0][1] for entry in clean)


def test_rows_parsed_in_other_processes_are_the_rows_parsed_here(tmp_path):
    """The same tables whether the rows are parsed by the forked processes (a cache that holds
    none of them) or in this process (no cache): values, types, rejections and their reasons."""
    from pipeline import read, validate

    source = exports(tmp_path / "a", dates={5: "1402/13/45", 7: "1499/01/01"}, areas={3: "بیست"},
                     texts={9: "=1+1 ‌ متن با نیم‌فاصله"})
    here = validate.validate(read.read_exports(source), CITY)
    forked = validate.validate(read.read_exports(source), CITY, rowcache.RowCache(tmp_path / "rows"))
    for one, other in zip(here.tables(), forked.tables()):
        assert one.frame.equals(other.frame) and one.rejected_rows.equals(other.rejected_rows)
        assert [[type(v) for v in row] for row in one.frame.itertuples()] == \
               [[type(v) for v in row] for row in other.frame.itertuples()]
        assert one.problems == other.problems and one.warnings == other.warnings
    assert {p["code"] for p in here.rulings.problems} >= {"bad-date"}
    assert {p["code"] for p in here.violations.problems} >= {"orphan-of-rejected"}


def test_every_table_is_given_to_its_process_before_any_result_is_taken(tmp_path, monkeypatch):
    """The tables are parsed side by side, and every result is taken before the checks run:
    a child that is done ends, rather than wait on a full pipe through the other tables' checks."""
    from pipeline import parallel, validate

    events = []

    class Recording(parallel.Forked):
        def __init__(self, function, frame, *args):
            events.append(("forked", len(frame)))
            super().__init__(function, frame, *args)

        def result(self):
            events.append(("taken",))
            return super().result()

    real_check = validate._check
    monkeypatch.setattr(validate.parallel, "Forked", Recording)
    monkeypatch.setattr(validate, "_check", lambda *args: (events.append(("checked",)), real_check(*args))[1])
    build.prepare(exports(tmp_path / "a"), CITY, PUBLISHED, None, tmp_path / "cache")
    kinds = [event[0] for event in events]   # the search's and the workbooks' processes come later
    assert kinds[:9] == ["forked"] * 3 + ["taken"] * 3 + ["checked"] * 3
    assert [event[1] for event in events[:3]] == [12, 12, 4]


def test_a_parse_that_fails_in_the_other_process_stops_the_build(tmp_path, monkeypatch):
    """A fault of the code in the parsing process is not an empty table: the build stops."""
    from pipeline import parallel, validate

    def broken(*args):
        raise RuntimeError("a parser's bug")

    monkeypatch.setattr(validate, "_parse_rows", broken)
    with pytest.raises(parallel.ChildFailed, match="a parser's bug"):
        build.prepare(exports(tmp_path / "a"), CITY, PUBLISHED, None, tmp_path / "cache")
