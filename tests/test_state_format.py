"""The state held compactly (FORMAT 3, README *The change log and the state/ folder*): the
fingerprints as one hex string a record, the public values in a file of their own named by
its digest, read as a stream for the records that changed or went, and copied line by line
for the records that did not; a FORMAT 2 state (what staff keep today) and a FORMAT 1 state
are still read, and the next publication writes FORMAT 3 with the same change log.

Publications are made with the functions ``pipeline.publish`` calls (``build.prepare`` and
``changes.commit_state``), without Pelican, as tests/test_changes.py makes them.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline import build, changes, settings
from test_changes import CITY, first_exports, second_exports

DATES = ("2026-11-21", "2026-11-28", "2026-12-05")


def legacy_manifest_json(state: Path, format_: int) -> bytes:
    """``state``'s published.json as FORMAT 2 (values inside) or 1 (no values) wrote it: the
    code before FORMAT 3 (``manifest_json`` of pipeline/changes.py at 968a952)."""
    data = json.loads((state / "published.json").read_text("utf-8"))
    fields = data["fields"]
    prints = {name: {key: [text[:64], *(text[i:i + 8] for i in range(64, len(text), 8))]
                     for key, text in records.items()} for name, records in data["records"].items()}
    values = {name: {} for name in prints}
    for line in (state / data["values_file"]).read_bytes().splitlines():
        dataset, key, _slug, record = line.split(b"\t", 3)
        values[json.loads(dataset)][json.loads(key)] = json.loads(record)
    lines = ["{", f' "format": {format_},', f' "published": {json.dumps(data["published"])},',
             f' "fields": {json.dumps(fields, ensure_ascii=False)},', ' "records": {']
    names = list(prints)
    sections = [("records", prints, json.dumps)]
    if format_ == 2:
        sections += [("values", values, lambda v: changes.canonical(v).decode("utf-8")),
                     ("withdrawn", data["withdrawn"], lambda v: changes.canonical(v).decode("utf-8"))]
    for number, (section, content, encode) in enumerate(sections):
        if number:
            lines[-1] += ","
            lines.append(f' "{section}": {{')
        for i, name in enumerate(names):
            lines.append(f"  {json.dumps(name)}: {{")
            items = list(content.get(name, {}).items())
            for j, (key, value) in enumerate(items):
                comma = "," if j < len(items) - 1 else ""
                lines.append(f"   {json.dumps(key, ensure_ascii=False)}: {encode(value)}{comma}")
            lines.append("  }" + ("," if i < len(names) - 1 else ""))
        lines.append(" }")
    lines += ["}", ""]
    return "\n".join(lines).encode("utf-8")


def make_legacy(state: Path, format_: int) -> None:
    """Turn a FORMAT 3 state into the state the code before it would have written."""
    legacy = legacy_manifest_json(state, format_)
    for path in state.glob(changes.VALUES_FILES):
        path.unlink()
    (state / "published.json").write_bytes(legacy)
    if format_ == 1:   # its change log had no values either
        log = json.loads((state / "changes.json").read_text("utf-8"))
        for publication in log["publications"]:
            for change in publication["changes"]:
                change.pop("values", None)
        (state / "changes.json").write_bytes(changes.history_json(log["publications"]))


def publish(exports: Path, state: Path, date: str) -> build.Publication:
    publication = build.prepare(exports, CITY, date, state)
    changes.commit_state(state, publication.change_log, changes.load_state(state)["published"])
    return publication


def files_of(state: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(state.iterdir()) if p.is_file()}


@pytest.fixture
def first_state(tmp_path) -> Path:
    state = tmp_path / "state"
    publish(first_exports(tmp_path / "a"), state, DATES[0])
    return state


def test_the_state_holds_fingerprints_compactly_and_the_values_in_their_own_file(first_state):
    files = files_of(first_state)
    manifest = json.loads(files["published.json"])
    assert manifest["format"] == changes.FORMAT == 3 and "values" not in manifest
    values = first_state / manifest["values_file"]
    assert changes.hashlib.sha256(values.read_bytes()).hexdigest() == manifest["values_sha256"]
    assert manifest["values_file"] == f"values-{manifest['values_sha256'][:32]}.jsonl"
    assert all(isinstance(p, str) and len(p) == 64 + 8 * len(manifest["fields"][name])
               for name, prints in manifest["records"].items() for p in prints.values())
    loaded = changes.load_state(first_state)["published"]
    assert "values" not in loaded
    assert all(isinstance(p, bytes) for prints in loaded["records"].values() for p in prints.values())
    assert [line.split(b"\t")[1] for line in values.read_bytes().splitlines()] == \
        [b'"1402/3/100"', b'"1402/3/101"', b'"1402/3/102"', b'"P-05-0001"', b'"P-05-0002"']


def test_only_the_values_of_changed_and_withdrawn_records_are_read(first_state, tmp_path, monkeypatch):
    asked = []
    real = changes.baseline_values
    monkeypatch.setattr(changes, "baseline_values", lambda m, wanted: asked.append(wanted) or real(m, wanted))
    decoded = []
    real_loads = changes.json.loads
    monkeypatch.setattr(changes.json, "loads", lambda text, *a, **k: decoded.append(text) or real_loads(text, *a, **k))
    second = build.prepare(second_exports(tmp_path / "b"), CITY, DATES[1], first_state)
    monkeypatch.undo()
    assert asked == [{("rulings", "1402/3/101"), ("rulings", "1402/3/102"),
                      ("properties", "P-05-0001"), ("properties", "P-05-0002")}]
    records = [t for t in decoded if isinstance(t, bytes) and t.startswith(b"{\"")]   # a values line
    assert len(records) == 4, "the values of the unchanged ruling 1402/3/100 are not decoded"
    assert second.change_log.withdrawn["rulings"]["1402/3/102"]["record"]["slug"] == "1402-3-102"


def test_the_lines_of_unchanged_records_are_copied_not_encoded_again(first_state, tmp_path, monkeypatch):
    second = build.prepare(second_exports(tmp_path / "b"), CITY, DATES[1], first_state)
    encoded = []
    real = changes.value_line
    monkeypatch.setattr(changes, "value_line", lambda name, key, values: encoded.append(key) or real(name, key, values))
    copied = tmp_path / "copied"
    shutil.copytree(first_state, copied)
    changes.commit_state(copied, second.change_log, changes.load_state(first_state)["published"])
    assert encoded == ["1402/3/101", "1402/9/103", "P-05-0001", "P-07-0003"]   # 1402/3/100 is copied
    monkeypatch.undo()
    # ... and the copy is the line an encoding gives: a state written without a baseline to copy from
    second.change_log.compared = None
    encoded_again = tmp_path / "encoded"
    changes.commit_state(encoded_again, second.change_log, None)
    name = json.loads((copied / "published.json").read_text("utf-8"))["values_file"]
    assert (copied / name).read_bytes() == (encoded_again / name).read_bytes()


@pytest.mark.parametrize("damage", ["a byte changed", "missing"])
def test_a_damaged_or_missing_values_file_stops_the_build(first_state, tmp_path, damage):
    values = next(first_state.glob(changes.VALUES_FILES))
    if damage == "missing":
        values.unlink()
    else:
        values.write_bytes(values.read_bytes().replace(b"1402-3-100", b"1402-3-109"))
    with pytest.raises(changes.ChangesError, match="values-"):
        build.prepare(first_exports(tmp_path / "a2"), CITY, DATES[1], first_state)


def test_a_values_file_outside_the_state_is_refused(first_state, tmp_path):
    manifest = (first_state / "published.json").read_text("utf-8")
    name = json.loads(manifest)["values_file"]
    (first_state / "published.json").write_text(manifest.replace(name, "../" + name), "utf-8")
    with pytest.raises(changes.ChangesError, match="published.json"):
        build.prepare(first_exports(tmp_path / "a2"), CITY, DATES[1], first_state)


def test_the_state_keeps_the_values_files_its_manifests_name_and_no_other(first_state, tmp_path):
    second = publish(second_exports(tmp_path / "b"), first_state, DATES[1])
    third = publish(first_exports(tmp_path / "c"), first_state, DATES[2])
    named = {json.loads((first_state / f).read_text("utf-8"))["values_file"] for f in ("published.json", "previous.json")}
    assert {p.name for p in first_state.glob(changes.VALUES_FILES)} == named and len(named) == 2
    assert second.change_log.baseline == DATES[0] and third.change_log.baseline == DATES[1]
    # Publishing again on the third day compares with the second, through previous.json's values.
    again = publish(second_exports(tmp_path / "d"), first_state, DATES[2])
    assert again.change_log.baseline == DATES[1] and again.change_log.changes == []
    # the same values as the second's: one file, which both manifests name
    names = [json.loads((first_state / f).read_text("utf-8"))["values_file"] for f in ("published.json", "previous.json")]
    assert names[0] == names[1] and [p.name for p in first_state.glob(changes.VALUES_FILES)] == names[:1]


@pytest.mark.parametrize("format_", [2, 1])
def test_a_legacy_state_is_read_and_the_next_publish_writes_format_3(tmp_path, format_):
    """Staff keep FORMAT 2 states: the publication after one gives the change log, pages'
    withdrawn records and new state a FORMAT 3 state gives (FORMAT 1: without values)."""
    new, legacy = tmp_path / "new", tmp_path / "legacy"
    publish(first_exports(tmp_path / "a"), new, DATES[0])
    shutil.copytree(new, legacy)
    make_legacy(legacy, format_)
    assert json.loads((legacy / "published.json").read_text("utf-8"))["format"] == format_
    from_new = publish(second_exports(tmp_path / "b"), new, DATES[1])
    from_legacy = publish(second_exports(tmp_path / "b"), legacy, DATES[1])
    if format_ == 2:
        assert from_legacy.change_log.changes == from_new.change_log.changes
        assert from_legacy.change_log.withdrawn == from_new.change_log.withdrawn
        assert any("values" in c for c in from_new.change_log.changes)
        after_new, after_legacy = files_of(new), files_of(legacy)
        assert json.loads(after_legacy.pop("previous.json"))["format"] == 2   # the old file, kept as it was
        after_new.pop("previous.json")
        first_values = json.loads(after_legacy["published.json"])["values_file"]
        assert set(after_new) - set(after_legacy) != set() and first_values in after_new
        assert after_legacy == {n: b for n, b in after_new.items() if n in after_legacy}
        assert set(after_legacy) == {"published.json", "changes.json", first_values}
    else:
        assert [(c["key"], c["change"], c["fields"]) for c in from_legacy.change_log.changes] == \
            [(c["key"], c["change"], c["fields"]) for c in from_new.change_log.changes]
        assert not any("values" in c for c in from_legacy.change_log.changes)
        assert from_legacy.change_log.withdrawn == {"rulings": {}, "properties": {}}
    manifest = json.loads((legacy / "published.json").read_text("utf-8"))
    assert manifest["format"] == 3 and (legacy / manifest["values_file"]).is_file()
    assert json.loads((legacy / "previous.json").read_text("utf-8"))["format"] == format_
    # The publication after that reads the FORMAT 3 state it wrote.
    third = publish(first_exports(tmp_path / "c"), legacy, DATES[2])
    assert third.change_log.baseline == DATES[1]
    assert {c["key"] for c in third.change_log.changes if c["change"] == "withdrawn"} == {"1402/9/103", "P-07-0003"}


def test_previous_json_is_read_only_when_it_is_the_baseline(first_state, tmp_path):
    publish(second_exports(tmp_path / "b"), first_state, DATES[1])
    assert changes.load_state(first_state, DATES[2])["previous"] is None       # a later date: not needed
    assert changes.load_state(first_state, DATES[1])["previous"]["published"] == DATES[0]   # same day
    assert changes.load_state(first_state)["previous"]["published"] == DATES[0]   # no date: everything
