"""A large text file is read by the personal-data gate part by part (``gates._parts_of``,
``scan_parts``, ``_Sequences.find_in_parts``): what it finds is what the scan of the whole text
finds, in the same order and on the same lines, and the whole text is never in memory."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from pipeline import gates
from test_gates_scan import ADDRESS, HOSTILE, OWNER, _private

ID, MOBILE = "0499370899", "0912 123 4567"


def _whole(path: Path, private: gates.PrivateValues) -> list[gates.Finding]:
    return [f for where, text in gates.readable_text(path) for f in gates.scan_text(where, text, private)]


@pytest.fixture
def small_parts(monkeypatch):
    """Parts of a few dozen bytes: every name, number and escape meets a part's end somewhere."""
    monkeypatch.setattr(gates, "_PART_BYTES", 37)


@pytest.mark.parametrize("name,text", HOSTILE)
def test_each_hostile_spelling_is_found_as_in_the_whole_text(tmp_path, small_parts, name, text):
    private = _private(OWNER, ADDRESS, "گوهردشت خیابان لاله", digits={"0499370898"})
    path = tmp_path / name
    path.write_text(("پیش از آن\n" * 5) + text + "\n" + ("و پس از آن ۰۴۹۹۳۷۰۸۹۸\n" * 3), "utf-8")
    assert len(list(gates._parts_of(path))) > 1
    assert gates._scan_file(path, private) == _whole(path, private)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("suffix", [".csv", ".json", ".html"])
def test_random_texts_give_the_findings_of_the_whole_text(tmp_path, small_parts, seed, suffix):
    rng = random.Random(seed)
    pieces = ["کاوه", "صادقی", "کاوه صادقی", "کرج، گوهردشت،", "خیابان لاله، پلاک 17", ID, MOBILE, "۰۴۹۹۳۷۰۸۹۹",
              "1402/3/154", "1 250 005 000", "\n", "\n", "\r\n", '"', ",", " ", "&#1705;&#1575;&#1608;&#1607;",
              "\\u06a9\\u0627\\u0648\\u0647", "\\n", "اضافه بنا", "a1b2c3", "\u200c", "۱۲۳۴۵۶۷۸۹۰"]
    text = "".join(rng.choice(pieces) + rng.choice(["", " ", "\n"]) for _ in range(400))
    path = tmp_path / f"file{suffix}"
    path.write_text(text, "utf-8")
    private = _private(OWNER, ADDRESS, digits={"1234567890"})
    whole = _whole(path, private)
    assert gates._scan_file(path, private) == whole and whole


def test_a_name_across_many_short_parts_is_found(tmp_path, monkeypatch):
    """A walk that reaches the end of a part reads on into the next ones."""
    monkeypatch.setattr(gates, "_PART_BYTES", 12)
    private = _private(ADDRESS)
    path = tmp_path / "a.csv"
    path.write_text("ruling_no\n" + "\n".join(["1", "کرج،", "گوهردشت،", "خیابان", "لاله،", "پلاک", "17", "2"]) + "\n",
                    "utf-8")
    assert len(list(gates._parts_of(path))) >= 6
    assert [f.cause for f in gates._scan_file(path, private)] == ["a value of a private column (کر…17)"]


def test_a_large_file_is_read_by_parts_never_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(gates, "_PART_BYTES", 4096)
    path = tmp_path / "rulings.json"
    rows = [{"ruling_no": f"1402/3/{n}", "text": "اضافه بنا در طبقه سوم"} for n in range(2000)]
    rows[1500]["text"] = f"مالک {OWNER} حاضر شد"
    path.write_text("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n]\n", "utf-8")
    parts = list(gates._parts_of(path))
    assert len(parts) > 20 and max(len(p.encode("utf-8")) for p in parts) <= 2 * 4096
    assert "".join(parts) == gates._plain(path.read_text("utf-8"), ".json")

    def whole(*args, **kwargs):
        raise AssertionError("the whole file was read")
    monkeypatch.setattr(Path, "read_bytes", whole)
    monkeypatch.setattr(Path, "read_text", whole)
    monkeypatch.setattr(gates, "readable_text", whole)
    found = gates.scan_personal_data(tmp_path, _private(OWNER), files=[path], processes=1)
    assert [f.file for f in found] == ["rulings.json"] and found[0].cause == "a value of a private column (کا…قی)"


def test_line_digests_are_those_of_the_split_lines(tmp_path):
    """A line record is made a line at a time, as before from the whole file."""
    path = tmp_path / "a.csv"
    for data in (b"", b"\n", b"a", b"a\n", b"a\r\nb", b"a\r\nb\r\n", b"\n\nx\n\n"):
        path.write_bytes(data)
        assert gates._line_digests(path) == b"".join(
            __import__("hashlib").blake2b(line, digest_size=16).digest() for line in data.split(b"\n"))


def test_a_large_file_is_read_by_its_new_lines_never_whole(tmp_path, monkeypatch):
    """``LineRecords.clean`` hashes the file a line at a time and reads again only the lines
    it scans (the new ones, and those around a new boundary)."""
    from test_gates_scan import ROWS, _records, _site
    private = _private(OWNER)
    site, path = _site(tmp_path, ROWS)
    assert gates.scan_personal_data(site, private, lines=_records(tmp_path, private)) == []
    _site(tmp_path, ROWS[:200] + [f"1402/3/900,مالک {OWNER}"] + ROWS[200:])
    real = Path.read_bytes

    def read_bytes(self):
        assert self != path, "the whole file was read"
        return real(self)
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(gates, "_parts_of", lambda p: (_ for _ in ()).throw(AssertionError("read in full")))
    records = _records(tmp_path, private)
    assert records.clean(path, site, private) is False   # the new line holds the name
    _site(tmp_path, ROWS[:200] + ["1402/3/900,بدون نام"] + ROWS[200:])
    assert records.clean(path, site, private) is True and records.lines_scanned == 1


def _archive_whole(path: Path, private: gates.PrivateValues) -> list[gates.Finding]:
    return [f for where, text in gates.readable_text(path) for f in gates.scan_text(where, text, private)]


@pytest.mark.parametrize("fmt", ["html", "json", "csv", "xlsx", "zip-csv", "zip-json", "zip-xlsx"])
def test_every_spelling_in_every_format_read_by_parts_is_found_as_in_the_whole(tmp_path, monkeypatch, fmt):
    """Parts of 7 bytes: an XLSX part (one line of XML) is cut after its «>», a JSON after its
    commas; every planted spelling is found, on the lines the whole text gives."""
    from test_gates_personal import PERSONAL, _plant
    monkeypatch.setattr(gates, "_PART_BYTES", 7)
    private = _private(OWNER)
    for i, vector in enumerate(PERSONAL):
        folder = _plant(tmp_path / str(i), fmt, vector["text"] + f" و {OWNER}")
        (path,) = [p for p in folder.iterdir() if p.is_file()]
        whole = _archive_whole(path, private)
        assert len(whole) == 2, (vector, whole)
        assert gates._scan_file(path, private) == whole, vector
