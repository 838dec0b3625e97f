"""The personal-data gate's verdicts by content (``gates.Verdicts``): a file whose bytes passed
before costs a hash, is read again for the values new since, and a damaged, foreign or outdated
record means a full scan, never a pass."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipeline import gates

OWNER = "کاوه صادقی"
NEWCOMER = "فرهاد شکوهی"
ID = "0499370899"   # passes the checksum
ROWS = "ruling_no,ruling_text\r\n" + "".join(f"1402/3/{n},اضافه بنا در طبقه {n % 7}\r\n" for n in range(50))


def _private(*names: str, published=()) -> gates.PrivateValues:
    sequences: dict = {}
    for name in names:
        sequence = tuple(gates.tokens(name))
        sequences.setdefault(sequence[0], {}).setdefault(len(sequence), set()).add(sequence)
    return gates.PrivateValues(sequences, set(published), frozenset())


def _verdicts(tmp_path: Path, private: gates.PrivateValues, read: bool = True) -> gates.Verdicts:
    return gates.Verdicts(tmp_path / "cache" / "personal-data-verdicts", private, read=read)


def _week(site: Path, date: str, text: str) -> Path:
    """This week's dated copy of the dataset: a new path, last week's bytes."""
    path = site / "data" / date / "rulings.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


@pytest.fixture
def reads(monkeypatch):
    read: list[str] = []
    real = gates.readable_text
    monkeypatch.setattr(gates, "readable_text", lambda path: read.append(path.name) or real(path))
    return read


def _scan(tmp_path, site, files, private, read=True):
    verdicts = _verdicts(tmp_path, private, read)
    findings = gates.scan_personal_data(site, private, files=files, verdicts=verdicts)
    gates.keep_records(site, findings, None, verdicts)
    return findings, verdicts


def test_bytes_that_passed_before_cost_a_hash(tmp_path, reads):
    site, private = tmp_path / "site", _private(OWNER)
    week = _week(site, "2026-11-23", ROWS)
    assert _scan(tmp_path, site, [week], private)[0] == [] and reads == ["rulings.csv"]
    reads.clear()
    findings, verdicts = _scan(tmp_path, site, [_week(site, "2026-11-30", ROWS)], private)
    assert findings == [] and reads == [] and verdicts.known_again == 1 and not verdicts.fresh


def test_a_file_passed_last_week_is_caught_when_a_value_in_it_becomes_private(tmp_path, reads):
    site = tmp_path / "site"
    text = ROWS + f"1402/3/900,با سپاس از {NEWCOMER}\r\n"
    assert _scan(tmp_path, site, [_week(site, "2026-11-23", text)], _private(OWNER))[0] == []
    reads.clear()
    now = _private(OWNER, NEWCOMER)
    findings, verdicts = _scan(tmp_path, site, [_week(site, "2026-11-30", text)], now)
    assert [f.cause for f in findings] == ["a value of a private column (فر…هی)"]
    assert reads == ["rulings.csv"] and verdicts.known_again == 1
    assert verdicts.fresh == set(now.digests()) - set(_private(OWNER).digests()), "read for the new value only"


def test_a_value_that_becomes_private_leaves_the_record_to_this_scan_s_contents(tmp_path, reads):
    """Contents passed before and not read this time were not read for the new value."""
    site = tmp_path / "site"
    old = _week(site, "2026-11-16", ROWS + f"1402/3/901,{NEWCOMER}\r\n")
    assert _scan(tmp_path, site, [old], _private(OWNER))[0] == []
    assert _scan(tmp_path, site, [_week(site, "2026-11-23", ROWS)], _private(OWNER, NEWCOMER))[0] == []
    reads.clear()
    found, _ = _scan(tmp_path, site, [old], _private(OWNER, NEWCOMER))
    assert reads == ["rulings.csv"] and len(found) == 1


def test_with_no_value_new_the_contents_passed_before_are_carried_over(tmp_path, reads):
    site, private = tmp_path / "site", _private(OWNER)
    first = _week(site, "2026-11-16", ROWS)
    assert _scan(tmp_path, site, [first], private)[0] == []
    other = _week(site, "2026-11-23", ROWS + "1402/3/902,x\r\n")
    assert _scan(tmp_path, site, [other], private)[0] == []
    reads.clear()
    assert _scan(tmp_path, site, [_week(site, "2026-11-30", ROWS)], private)[0] == [] and reads == []


def _forged(tmp_path: Path, site: Path, private: gates.PrivateValues) -> tuple[Path, Path]:
    """A record that vouches for a file holding a national ID: only a record that is trusted
    can make the gate pass it."""
    leaking = _week(site, "2026-11-30", ROWS + f"1402/3/903,کد ملی {ID}\r\n")
    verdicts = _verdicts(tmp_path, private)
    _, digest_of = gates._same_bytes([(leaking, leaking.stat().st_size)])
    verdicts.note([digest_of[leaking]])
    verdicts.save()
    return verdicts.path, leaking


def test_a_trusted_record_is_what_vouches_for_a_file(tmp_path, reads):
    site, private = tmp_path / "site", _private(OWNER)
    _, leaking = _forged(tmp_path, site, private)
    assert _scan(tmp_path, site, [leaking], private)[0] == [] and reads == []


@pytest.mark.parametrize("damage", ["flipped", "truncated", "appended", "other magic", "other code", "empty",
                                    "sections", "garbage"])
def test_a_damaged_or_foreign_record_means_a_full_scan(tmp_path, reads, damage):
    site, private = tmp_path / "site", _private(OWNER)
    record, leaking = _forged(tmp_path, site, private)
    data = record.read_bytes()
    magic, head = len(b"shafaf personal-data verdicts 1\n"), len(b"shafaf personal-data verdicts 1\n") + 32

    def sealed(payload: bytes, magic_line: bytes = data[:magic]) -> bytes:
        return magic_line + hashlib.sha256(payload).digest() + payload
    damaged = {
        "flipped": data[:-5] + bytes([data[-5] ^ 1]) + data[-4:],
        "truncated": data[:-7],
        "appended": data + b"\0" * 32,
        "other magic": sealed(data[head:], b"shafaf personal-data verdicts 2\n"),
        "other code": sealed(b"\0" * 32 + data[head + 32:]),
        "empty": b"",
        "sections": sealed(data[head:] + b"\0" * 32),   # a sealed payload that does not end where it says
        "garbage": sealed(b"\xff" * 50),
    }[damage]
    record.write_bytes(damaged)
    findings, verdicts = _scan(tmp_path, site, [leaking], private)
    assert reads == ["rulings.csv"] and not verdicts.used
    assert [f.cause for f in findings] == [f"a national ID that passes the checksum ({ID[:2]}…{ID[-2:]})"]


def test_a_number_no_longer_published_means_a_full_scan(tmp_path, reads):
    site = tmp_path / "site"
    text = ROWS + f"1402/3/904,{ID}\r\n"
    assert _scan(tmp_path, site, [_week(site, "2026-11-23", text)], _private(OWNER, published={ID}))[0] == []
    reads.clear()
    findings, verdicts = _scan(tmp_path, site, [_week(site, "2026-11-30", text)], _private(OWNER))
    assert reads == ["rulings.csv"] and not verdicts.used and len(findings) == 1


def test_full_check_reads_every_file_and_records_them(tmp_path, reads):
    site, private = tmp_path / "site", _private(OWNER)
    assert _scan(tmp_path, site, [_week(site, "2026-11-23", ROWS)], private)[0] == []
    reads.clear()
    again = _week(site, "2026-11-30", ROWS)
    assert _scan(tmp_path, site, [again], private, read=False)[0] == [] and reads == ["rulings.csv"]
    reads.clear()
    assert _scan(tmp_path, site, [again], private)[0] == [] and reads == []


def test_a_scan_with_findings_records_nothing(tmp_path):
    site, private = tmp_path / "site", _private(OWNER)
    leaking = _week(site, "2026-11-30", ROWS + f"1402/3/905,{OWNER}\r\n")
    assert _scan(tmp_path, site, [leaking], private)[0]
    assert not (tmp_path / "cache" / "personal-data-verdicts").exists()


def test_the_record_holds_no_value_and_no_text(tmp_path):
    site, private = tmp_path / "site", _private(OWNER, published={ID})
    assert _scan(tmp_path, site, [_week(site, "2026-11-30", ROWS + f"1402/3/906,{ID}\r\n")], private)[0] == []
    data = (tmp_path / "cache" / "personal-data-verdicts").read_bytes()
    for clear in (OWNER, "کاوه", ID, "اضافه", "rulings", "1402"):
        assert clear.encode("utf-8") not in data
    assert len(data) == len(b"shafaf personal-data verdicts 1\n") + 32 + 32 + 3 * 8 + 32 * 1 + 8 * 1 + 32 * 1


def test_the_same_bytes_in_another_format_are_read_in_that_format(tmp_path):
    """An ID written as HTML entities is digits only in HTML: a text file of the same bytes
    vouches for nothing, in the same scan or the next one."""
    site, private = tmp_path / "site", _private(OWNER)
    escaped = "".join(f"&#{ord(c)};" for c in ID)
    text, page = site / "a.txt", site / "b.html"
    site.mkdir()
    for path in (text, page):
        path.write_text(f"<p>{escaped}</p>", "utf-8")
    assert [f.file for f in gates.scan_personal_data(site, private)] == ["b.html:1"]
    assert _scan(tmp_path, site, [text], private)[0] == []
    assert [f.file for f in _scan(tmp_path, site, [page], private)[0]] == ["b.html:1"]


def test_digests_are_held_in_one_bytes_object_each_not_an_object_a_digest(tmp_path):
    """A 100k site: 234,000 content digests and hundreds of thousands of value digests."""
    site, private = tmp_path / "site", _private(OWNER, NEWCOMER)
    assert _scan(tmp_path, site, [_week(site, "2026-11-23", ROWS)], private)[0] == []
    verdicts = _verdicts(tmp_path, private)
    assert verdicts.used
    for held in (verdicts.values, verdicts.numbers, verdicts.known):
        assert isinstance(held, gates._Sorted) and isinstance(held.blob, bytes)
    assert isinstance(verdicts.clean, bytearray)


def test_a_record_out_of_order_can_only_make_more_values_new():
    wanted = gates._Sorted(b"".join(bytes([i]) * 32 for i in (1, 3, 5, 7)), 32)
    shuffled = gates._Sorted(b"".join(bytes([i]) * 32 for i in (7, 5, 3, 1)), 32)
    in_order = gates._Sorted(b"".join(bytes([i]) * 32 for i in (1, 3, 5, 7)), 32)
    assert list(gates._missing(wanted, in_order)) == []
    assert set(gates._missing(wanted, shuffled)) <= set(wanted) and list(gates._missing(wanted, shuffled))
    assert list(gates._missing(wanted, gates._Sorted(bytes([3]) * 32, 32))) == [bytes([i]) * 32 for i in (1, 5, 7)]
