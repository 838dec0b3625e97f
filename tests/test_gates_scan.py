"""The personal-data scan made fast: the sequence matcher finds what the word-by-word reference
finds, hostile spellings still, the same bytes are read once, two processes find what one
finds, and a large file rewritten every publication is read by its new lines only, its new
line boundaries included."""
from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from pipeline import gates

OWNER = "کاوه صادقی"
ADDRESS = "کرج، گوهردشت، خیابان لاله، پلاک 17"


def _private(*names: str, digits=(), published=()) -> gates.PrivateValues:
    sequences: dict = {}
    for name in names:
        sequence = tuple(gates.tokens(name))
        sequences.setdefault(sequence[0], {}).setdefault(len(sequence), set()).add(sequence)
    return gates.PrivateValues(sequences, set(published), frozenset(digits))


# --- the matcher against the reference -------------------------------------------------

def _word_by_word(where: str, words: list[str], private: gates.PrivateValues) -> list[gates.Finding]:
    """The reference: every private sequence in a list of folded words, in order, found by
    trying each word as a start (what the gate did before ``_Sequences``)."""
    found = []
    for i, word in enumerate(words):
        by_length = private.sequences.get(word)
        for length, sequences in by_length.items() if by_length else ():
            if (sequence := tuple(words[i:i + length])) in sequences:
                found.append(gates._sequence_finding(where, sequence))
    return found


HOSTILE = [
    ("a.html", f"<p>مالک: {OWNER}</p>"),
    ("a.html", "<p>مالک: كاوه   صادقي</p>"),                       # Arabic kaf and yeh, spaces
    ("a.html", "<p>مالک: کاوه\u200b \u2060صادقی</p>"),                # zero-width space, word joiner
    ("a.html", "<p>مالک: کاوه\nصادقی</p>"),                           # a line break between the words
    ("a.html", "<p>مالک: کاوه، صادقی</p>"),                            # a separator
    ("a.html", "<p>مالک: &#1705;&#1575;&#1608;&#1607; &#x635;&#x627;&#x62f;&#x642;&#x6cc;</p>"),  # entities
    ("a.html", "<p>کاوه</p><p>صادقی</p>"),                             # tags between: other words
    ("a.json", json.dumps({"owner": OWNER}, ensure_ascii=True)),       # \\u escapes
    ("a.json", json.dumps({"owner": OWNER}, ensure_ascii=False)),
    ("a.json", json.dumps(["کاوه", "صادقی"], ensure_ascii=False)),    # two strings: no sequence
    ("a.json", '["کاوه \\"صادقی"]'),                                  # an escaped quote parts it too
    ("a.json", '["x", "کاوه صادقی کاوه صادقی"]'),                    # twice in one string
    ("a.csv", f"1402/3/1,{ADDRESS}\r\n1402/3/2,کرج، گوهردشت\r\n"),
    ("a.csv", "1402/3/1,کرج، گوهردشت، خیابان لاله، پلاک ۱۷\r\n"),   # Persian digits
    ("a.csv", "1402/3/1,کرج، گوهردشت، خیابان\r\nلاله، پلاک 17\r\n"),  # across two rows
    ("a.xml", "<t>&#x6A9;&#x627;&#x648;&#x647;\u200c صادقی</t>"),     # ZWNJ after a word
    ("a.html", "<p>کاوه صادقی‌زاده</p>"),                              # a longer name: another word
]


@pytest.mark.parametrize("name,text", HOSTILE)
def test_the_matcher_finds_what_the_word_by_word_reference_finds(tmp_path, name, text):
    private = _private(OWNER, ADDRESS, "گوهردشت خیابان لاله")
    plain = gates._plain(text, Path(name).suffix)
    quoted = Path(name).suffix in (".json", ".geojson")
    parts = plain.split('"') if quoted else [plain]
    expected = [f for part in parts for f in _word_by_word(name, gates.text_tokens(part), private)]
    assert private.matcher.find(name, plain, quoted) == expected


@pytest.mark.parametrize("values", [(OWNER, OWNER + " نژاد", "کاوه"), ("کاوه", OWNER + " نژاد", OWNER),
                                    (OWNER + " نژاد", OWNER, "کاوه صادقی پور")])
def test_sequences_that_end_where_others_go_on_are_all_found(values):
    """The ends no sequence goes on from share one node: a value that is the start of another
    is found whichever was put in the tree first, and so is the longer one."""
    sequences: dict = {}
    for value in values:
        sequence = tuple(gates.tokens(value))
        sequences.setdefault(sequence[0], {}).setdefault(len(sequence), set()).add(sequence)
    private = gates.PrivateValues(sequences, set())
    text = f"<p>{OWNER} نژاد و {OWNER} پور و کاوه</p>"
    expected = _word_by_word("a.html", gates.text_tokens(text), private)
    assert len(expected) >= 4 and private.matcher.find("a.html", text) == expected
    leaves = [node for node in _nodes(private.matcher.tree) if node == {gates._END: True}]
    assert leaves and all(node is gates._LEAF for node in leaves)
    assert gates._LEAF == {gates._END: True}, "the shared end is never changed"


def _nodes(node: dict):
    for word, child in node.items():
        if word != gates._END:
            yield child
            yield from _nodes(child)


def test_the_hostile_spellings_are_found_and_split_strings_are_not(tmp_path):
    private = _private(OWNER)
    found = {}
    for i, (name, text) in enumerate(HOSTILE[:12]):
        path = tmp_path / f"{i}{Path(name).suffix}"
        path.write_text(text, "utf-8")
        found[i] = len(gates.scan_personal_data(tmp_path, private, files=[path]))
    assert found == {0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 0, 7: 1, 8: 1, 9: 0, 10: 0, 11: 2}


# --- the matcher's memory: what it forgets it classifies again ------------------------------

PLATE = "Tower 12/7 بلوک ب"   # a private value whose first word is ASCII


def _forgetful(monkeypatch):
    """The word caches as small as they go: every part forgets the words met before it, and the
    fold of a word is remembered for one word only."""
    monkeypatch.setattr(gates, "_SEEN_BYTES", 0)
    monkeypatch.setattr(gates, "_folded_word", functools.lru_cache(maxsize=1)(gates._folded_word.__wrapped__))


@pytest.mark.parametrize("name,text", HOSTILE)
def test_with_the_smallest_caches_the_matcher_finds_what_the_reference_finds(monkeypatch, name, text):
    _forgetful(monkeypatch)
    private = _private(OWNER, ADDRESS, "گوهردشت خیابان لاله")
    plain = gates._plain(text, Path(name).suffix)
    quoted = Path(name).suffix in (".json", ".geojson")
    expected = [f for part in (plain.split('"') if quoted else [plain])
                for f in _word_by_word(name, gates.text_tokens(part), private)]
    assert private.matcher.find(name, plain, quoted) == expected


def test_a_name_met_again_after_its_word_was_forgotten_is_found(monkeypatch):
    """Part after part, each forgetting what the last one classified: the owner's name in
    every part, and in the last one only after a thousand other Persian words."""
    _forgetful(monkeypatch)
    private = _private(OWNER, PLATE)
    filler = " ".join(f"واژه{i}" for i in range(1000))
    parts = [f"<p>{OWNER}</p>\n", f"<p>{filler}</p>\n", f"<p>{OWNER}</p>\n", f"<p>{filler} {OWNER}</p>\n"]
    found = gates.scan_parts("a.html", parts, private)
    assert [f.file for f in found] == ["a.html"] * 3
    assert found == gates.scan_text("a.html", "".join(parts), _private(OWNER, PLATE))


@pytest.mark.parametrize("spelling", ["Tower 12/7 بلوک ب", "TOWER 12/7 بلوک ب", "tower 12/7 بلوك ب",
                                      "ToWeR\n12/7، بلوک&nbsp;ب"])
def test_a_value_that_starts_with_an_ascii_word_is_found_in_any_case(monkeypatch, spelling):
    """ASCII words are not remembered: they are lowered and compared with the first words at
    every part (a plate, an address in Latin letters)."""
    private = _private(OWNER, PLATE)
    for forgetful in (False, True):
        if forgetful:
            _forgetful(monkeypatch)
        text = f"<p>hash 3fa9c2 {spelling} 0x12</p>"
        found = gates.scan_text("a.html", gates._plain(text, ".html"), private)
        assert [f.cause for f in found] == ["a value of a private column (to… ب)"]
        assert found == _word_by_word("a.html", gates.text_tokens(gates._plain(text, ".html")), private)


# --- the same bytes once; two processes ----------------------------------------------------

def test_the_same_bytes_are_read_once_and_reported_under_each_name(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "2026-11-30").mkdir(parents=True)
    for path in (data / "rulings.csv", data / "2026-11-30" / "rulings.csv"):
        path.write_text("ruling_no,text\r\n1,شماره 0499370899\r\n", "utf-8")
    (data / "other.csv").write_text("ruling_no,text\r\n1,شماره 0499370899 \r\n", "utf-8")  # another size
    read = []
    real = gates.readable_text
    monkeypatch.setattr(gates, "readable_text", lambda path: read.append(path) or real(path))
    findings = gates.scan_personal_data(tmp_path, _private())
    assert sorted(p.relative_to(tmp_path).as_posix() for p in read) == ["data/other.csv", "data/rulings.csv"]
    assert [f.file for f in findings] == ["data/2026-11-30/rulings.csv:2", "data/other.csv:2", "data/rulings.csv:2"]
    assert len({f.cause for f in findings}) == 1


def test_the_files_are_held_by_name_in_the_order_of_their_paths(tmp_path, monkeypatch):
    """A name costs a fifth of a ``Path``: the gate holds the site's files as names, in the
    order their ``Path``s sort in («a/b» before «a-b»), and makes a ``Path`` only to read one."""
    for name in ("a-b/c.html", "a/z.html", "a.html", "a0/x.csv", "b/a b.json", "b/ä.html", "a/y/z.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"<p>{OWNER}</p>", "utf-8")
    # a link to a file is a file; a linked folder is not entered; a broken link is no file
    (tmp_path / "b" / "link.html").symlink_to(tmp_path / "a.html")
    (tmp_path / "linked").symlink_to(tmp_path / "a", target_is_directory=True)
    (tmp_path / "broken.html").symlink_to(tmp_path / "nowhere.html")
    paths = [p for p in sorted(tmp_path.rglob("*")) if p.is_file()]
    assert "b/link.html" in {p.relative_to(tmp_path).as_posix() for p in paths}
    assert gates.site_files(tmp_path) == [p.relative_to(tmp_path).as_posix() for p in paths]
    held = []
    real = gates._scan_files
    monkeypatch.setattr(gates, "_scan_files", lambda names, *rest: held.extend(names) or real(names, *rest))
    by_name = gates.scan_personal_data(tmp_path, _private(OWNER))
    assert held and all(type(name) is str for name in held)
    assert by_name == gates.scan_personal_data(tmp_path, _private(OWNER), files=paths)
    assert [f.file for f in by_name] == [p.relative_to(tmp_path).as_posix() for p in paths]


def test_two_processes_find_what_one_finds(tmp_path, monkeypatch):
    monkeypatch.setattr(gates, "_FORK_BYTES", 0)
    for i in range(12):
        text = f"<p>رأی {i}</p>" + ("<p>کاوه صادقی ۰۴۹۹۳۷۰۸۹۹</p>" if i % 3 == 0 else "<p>بدون نام</p>") * (i + 1)
        (tmp_path / f"{i:02}.html").write_text(text, "utf-8")
    private = _private(OWNER)
    one = gates.scan_personal_data(tmp_path, private, processes=1)
    two = gates.scan_personal_data(tmp_path, private, processes=2)
    assert one == two and len(one) == (1 + 4 + 7 + 10) * 2


# --- line records ----------------------------------------------------------------------------

ROWS = [f"1402/3/{n},شرح رأی شماره {n} درباره اضافه بنا در طبقه {n % 7},{n * 1000}" for n in range(400)]


def _site(tmp_path: Path, rows: list[str], name: str = "rulings.csv") -> tuple[Path, Path]:
    site = tmp_path / "site"
    (site / "data").mkdir(parents=True, exist_ok=True)
    path = site / "data" / name
    path.write_text("ruling_no,ruling_text,total_fine_rial\r\n" + "\r\n".join(rows) + "\r\n", "utf-8")
    return site, path


def _records(tmp_path: Path, private: gates.PrivateValues, read: bool = True) -> gates.LineRecords:
    return gates.LineRecords(tmp_path / "cache", private, read=read, smallest=1024)


def test_an_unchanged_large_file_is_not_scanned_again_and_a_new_line_is(tmp_path):
    private = _private(OWNER)
    site, path = _site(tmp_path, ROWS)
    first = _records(tmp_path, private)
    assert gates.scan_personal_data(site, private, lines=first) == [] and first.files_by_line == 0
    again = _records(tmp_path, private)
    assert gates.scan_personal_data(site, private, lines=again) == []
    assert (again.files_by_line, again.lines_scanned) == (1, 0)
    changed = ROWS[:200] + ["1402/3/900,همراه مالک ۰۹۱۲ ۱۲۳ ۴۵۶۷ بود,0"] + ROWS[200:]
    _site(tmp_path, changed)
    by_line = gates.scan_personal_data(site, private, lines=_records(tmp_path, private))
    assert by_line == gates.scan_personal_data(site, private) != []
    assert by_line[0].file == "data/rulings.csv:202"   # the header, then 200 rows


def test_a_name_across_two_unchanged_lines_that_meet_is_found(tmp_path):
    """Both rows were seen clean, never one after the other; now they are neighbours."""
    private = _private(OWNER)
    rows = ROWS[:100] + ["1402/3/800,ثبت شد کاوه"] + ROWS[100:300] + ["صادقی حاضر نشد,1"] + ROWS[300:]
    site, path = _site(tmp_path, rows)
    assert gates.scan_personal_data(site, private, lines=_records(tmp_path, private)) == []
    moved = ROWS[:100] + ["1402/3/800,ثبت شد کاوه", "صادقی حاضر نشد,1"] + ROWS[100:]
    _site(tmp_path, moved)
    records = _records(tmp_path, private)
    found = gates.scan_personal_data(site, private, lines=records)
    assert [f.cause for f in found] == ["a value of a private column (کا…قی)"]
    assert found == gates.scan_personal_data(site, private)


def test_a_long_sequence_across_short_lines_is_found(tmp_path):
    """An address over four lines: the window around a new boundary grows until each side
    holds as many words as the longest sequence."""
    private = _private(ADDRESS)
    rows = ROWS[:50] + ["کرج،", "گوهردشت،", "خیابان"] + ROWS[50:60] + ["لاله، پلاک 17"] + ROWS[60:]
    site, _ = _site(tmp_path, rows)
    assert gates.scan_personal_data(site, private, lines=_records(tmp_path, private)) == []
    _site(tmp_path, ROWS[:50] + ["کرج،", "گوهردشت،", "خیابان", "لاله، پلاک 17"] + ROWS[50:])
    assert len(gates.scan_personal_data(site, private, lines=_records(tmp_path, private))) == 1


def test_a_value_that_becomes_private_is_found_in_an_unchanged_line(tmp_path):
    site, _ = _site(tmp_path, ROWS[:10] + ["1402/3/700,با سپاس از فرهاد شکوهی,0"] + ROWS[10:])
    before = _private(OWNER)
    assert gates.scan_personal_data(site, before, lines=_records(tmp_path, before)) == []
    now = _private(OWNER, "فرهاد شکوهی")
    records = _records(tmp_path, now)
    assert len(gates.scan_personal_data(site, now, lines=records)) == 1
    assert records.files_by_line == 0, "another key: the record is not used, the file is read whole"


def test_full_check_reads_every_line_and_records_them(tmp_path):
    private = _private(OWNER)
    site, _ = _site(tmp_path, ROWS)
    assert gates.scan_personal_data(site, private, lines=_records(tmp_path, private)) == []
    full = _records(tmp_path, private, read=False)
    assert gates.scan_personal_data(site, private, lines=full) == [] and full.files_by_line == 0
    records = list((tmp_path / "cache").iterdir())
    assert len(records) == 1
    data = records[0].read_bytes()
    assert len(data) == 32 + 16 * (len(ROWS) + 2), "a key, and 16 bytes a line: no text"
    assert "شرح".encode() not in data and b"1402" not in data


def test_the_dated_copy_is_read_as_the_dataset_and_keeps_no_record(tmp_path):
    private = _private(OWNER)
    site, path = _site(tmp_path, ROWS)
    (site / "data" / "2026-11-30").mkdir()
    (site / "data" / "2026-11-30" / "rulings.csv").write_bytes(path.read_bytes())
    assert gates.scan_personal_data(site, private, lines=_records(tmp_path, private)) == []
    assert len(list((tmp_path / "cache").iterdir())) == 1
    again = _records(tmp_path, private)
    assert gates.scan_personal_data(site, private, lines=again) == [] and again.files_by_line == 1


def test_a_new_dated_copy_is_read_against_its_dataset_s_record(tmp_path):
    """With nothing changed, this publication's dated folder is the only new copy of the
    datasets: its lines are the dataset's, seen clean at the last publication."""
    private = _private(OWNER)
    site, path = _site(tmp_path, ROWS)
    assert gates.scan_personal_data(site, private, lines=_records(tmp_path, private)) == []
    dated = site / "data" / "2026-12-07" / "rulings.csv"
    dated.parent.mkdir()
    dated.write_bytes(path.read_bytes() + "1402/3/901,مالک کاوه صادقی\r\n".encode())
    records = _records(tmp_path, private)
    found = gates.scan_personal_data(site, private, files=[dated], lines=records)
    assert [f.file for f in found] == ["data/2026-12-07/rulings.csv"]   # a name: no line number
    dated.write_bytes(path.read_bytes())
    records = _records(tmp_path, private)
    assert gates.scan_personal_data(site, private, files=[dated], lines=records) == []
    assert (records.files_by_line, records.lines_scanned) == (1, 0)
    assert len(list((tmp_path / "cache").iterdir())) == 1


@pytest.mark.parametrize("seed", range(6))
def test_by_lines_the_findings_are_those_of_the_full_scan(tmp_path, seed):
    """Rows edited, moved, repeated, removed and added between two scans, with names, IDs and
    mobiles planted whole, split across two rows, or in rows that only meet after the edit."""
    import random
    rng = random.Random(seed)
    private = _private(OWNER, ADDRESS, digits={"0499370898"})
    plants = ["کاوه صادقی", "کاوه", "صادقی", "۰۴۹۹۳۷۰۸۹۸", "0912 123 4567", "کرج، گوهردشت،", "خیابان لاله، پلاک 17",
              "بدون نام"]
    # halves of a name that never meet yet: a row ending in the first name, another, ten rows
    # on, starting with the surname
    rows = [r + ",کاوه" if i % 10 == 3 else "صادقی " + r if i % 10 == 7 else r for i, r in enumerate(ROWS[:150])]
    site, _ = _site(tmp_path, rows, "history.csv")
    assert gates.scan_personal_data(site, private, lines=_records(tmp_path, private, read=False)) == []
    for _ in range(8):
        k = rng.randrange(len(rows))
        action = rng.choice(["edit", "move", "repeat", "remove", "add"])
        if action == "edit":
            rows[k] += " " + rng.choice(plants)
        elif action == "move":
            rows.insert(rng.randrange(len(rows)), rows.pop(k))
        elif action == "repeat":
            rows.insert(k, rows[rng.randrange(len(rows))])
        elif action == "remove":
            rows.pop(k)
        else:
            rows.insert(k, rng.choice(plants))
    _site(tmp_path, rows, "history.csv")
    records = _records(tmp_path, private)
    assert gates.scan_personal_data(site, private, lines=records) == gates.scan_personal_data(site, private)


def test_records_of_files_no_longer_in_the_site_are_removed(tmp_path):
    private = _private(OWNER)
    site, path = _site(tmp_path, ROWS)
    other = site / "search" / "terms-1.abc.json"
    other.parent.mkdir()
    other.write_text(json.dumps([[r] for r in ROWS]), "utf-8")
    records = _records(tmp_path, private)
    assert gates.scan_personal_data(site, private, lines=records) == []
    assert len(list((tmp_path / "cache").iterdir())) == 2
    other.unlink()
    assert records.prune(site, gates.site_files(site)) == 1 and len(list((tmp_path / "cache").iterdir())) == 1
    assert records.prune(site) == 0
    assert records.prune(site, []) == 1 and not list((tmp_path / "cache").iterdir())   # the names given are used


VECTORS = json.loads((Path(__file__).parent / "personal_vectors.json").read_text("utf-8"))
PERSONAL = [v for v in VECTORS["personal"] if v["kind"] != "postal"]


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("vector", PERSONAL, ids=[v["why"] for v in PERSONAL])
def test_every_spelling_in_a_new_line_of_a_recorded_file_is_found(tmp_path, vector, fmt):
    """Separators, Persian and Arabic digits, zero-width characters, and in JSON its escapes
    (every character beyond ASCII written as \\uXXXX)."""
    private = _private(OWNER)
    name = f"rulings.{fmt}"

    def write(rows):
        site = tmp_path / "site"
        (site / "data").mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            text = "ruling_no,ruling_text\r\n" + "\r\n".join(rows) + "\r\n"
        else:
            text = "[\n" + ",\n".join(json.dumps({"ruling_text": r}, ensure_ascii=True) for r in rows) + "\n]\n"
        (site / "data" / name).write_text(text, "utf-8")
        return site
    rows = ROWS[:60]
    site = write(rows)
    assert gates.scan_personal_data(site, private, lines=_records(tmp_path, private)) == []
    site = write(rows[:7] + [f"شرح: {vector['text']} ثبت شد"] + rows[7:])
    found = gates.scan_personal_data(site, private, lines=_records(tmp_path, private))
    assert len(found) == 1 and found == gates.scan_personal_data(site, private)
