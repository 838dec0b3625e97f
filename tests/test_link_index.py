"""The link index held as a target table and arrays of numbers (``pipeline/link_index.py``):
the file's bytes are those the dict-of-lists form gave, a file written so is read back, and
the gate's index of a build is the one the page-by-page lists give."""
from __future__ import annotations

import json
from array import array

import pytest

from pipeline import gates, incremental, link_index
from pipeline.link_index import LinkIndex

LINKS = {
    "index.html": ["a/index.html", "b.html", "..", "style.css"],
    "a/index.html": ["b.html"],
    "فارسی/index.html": ["فارسی/x \"q\".html", "b.html"],
    "empty.html": [],
}
FIELDS = {"format": 1, "published": "2026-11-23", "private": ["f" * 64, "0" * 64], "public": ["ab" * 8],
          "settings": "s" * 64}


def old_bytes(links: dict[str, list[str]], fields: dict) -> str:
    """What ``incremental.save`` wrote before the index was held as arrays."""
    targets = sorted({t for found in links.values() for t in found})
    number = {t: i for i, t in enumerate(targets)}
    index = {**fields, "private": sorted(fields["private"]), "public": sorted(fields["public"]), "targets": targets,
             "links": {page: [number[t] for t in sorted(found)] for page, found in sorted(links.items())}}
    return json.dumps(index, sort_keys=True, separators=(",", ":"))


def test_the_file_is_byte_for_byte_what_the_dict_of_lists_gave():
    text = "".join(link_index.dumps(LinkIndex.from_lists(LINKS), {**FIELDS, "private": sorted(FIELDS["private"])}))
    assert text == old_bytes(LINKS, FIELDS)


def test_a_file_written_by_the_code_before_is_read_as_arrays_not_lists():
    index, rest = link_index.loads(old_bytes(LINKS, FIELDS))
    assert index.as_lists() == {page: sorted(found) for page, found in LINKS.items()}
    assert all(type(numbers) is array for numbers in index.pages.values()), "no list of ints per page"
    assert rest == {**FIELDS, "private": sorted(FIELDS["private"])}


@pytest.mark.parametrize("text", [
    json.dumps(json.loads(old_bytes(LINKS, FIELDS)), indent=1),          # another spelling: read by json
    old_bytes(LINKS, FIELDS).replace('"links":{', '"links":{"x.html":[9],', 1),   # a number past the table
    old_bytes(LINKS, FIELDS).replace('"links":{', '"links":{"x.html":[-1],', 1),
    old_bytes(LINKS, FIELDS)[:-40],                                        # cut short
])
def test_another_spelling_is_read_by_json_and_a_broken_file_raises(text):
    try:
        index, _ = link_index.loads(text)
    except (ValueError, KeyError, TypeError):
        return
    assert index.as_lists() == {page: sorted(found) for page, found in LINKS.items()}


def test_kept_and_read_pages_are_numbered_in_the_new_table():
    recorded = LinkIndex.from_lists(LINKS)
    built = link_index.Builder(recorded)
    built.keep("a/index.html")
    built.keep("فارسی/index.html")
    built.add("index.html", ["0.html", "b.html"])   # a target new before every other: numbers move
    index = built.index()
    assert index.targets == ["0.html", "b.html", "فارسی/x \"q\".html"]
    assert index.as_lists() == {"a/index.html": ["b.html"], "فارسی/index.html": ["b.html", "فارسی/x \"q\".html"],
                                "index.html": ["0.html", "b.html"]}
    # nothing moved: the recorded arrays themselves are kept, not copied
    again = link_index.Builder(index)
    for page in index.pages:
        again.keep(page)
    assert all(again.index().pages[p] is index.pages[p] for p in index.pages)


def test_the_gate_records_arrays_and_a_gone_target_once_per_page_link(tmp_path):
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text('<a href="/b.html">b</a><a href="/c.html">c</a>', "utf-8")
    (site / "d.html").write_text('<a href="/c.html">c</a>', "utf-8")
    for name in ("b.html", "c.html"):
        (site / name).write_text(name, "utf-8")
    _, _, found = gates.check_links(site)
    assert isinstance(found["index"], LinkIndex) and found["index"]["d.html"] == ["c.html"]
    (site / "c.html").unlink()
    findings, _, again = gates.check_links(site, "", {"a/index.html", "d.html"}, found["index"])
    assert sorted(f.file for f in findings) == ["a/index.html", "d.html"]
    assert again["index"].as_lists() == {"a/index.html": ["b.html", "c.html"], "b.html": [], "d.html": ["c.html"]}


def test_save_writes_the_index_the_code_before_wrote(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    incremental.save(state, tmp_path, FIELDS["published"], LinkIndex.from_lists(LINKS), set(FIELDS["private"]),
                     set(FIELDS["public"]), FIELDS["settings"])
    assert (state / incremental.INDEX).read_text("utf-8") == old_bytes(LINKS, FIELDS)


@pytest.mark.parametrize("links", [LINKS, {}, {"تنها.html": []}])
def test_an_index_saved_by_the_link_gates_process_gives_the_same_state_file(tmp_path, links):
    """The link gate's process saves its index in two files; the state's index made from them
    is byte for byte the one made from the index held in memory."""
    saved = link_index.save(LinkIndex.from_lists(links), tmp_path / "saved")
    for index, folder in ((LinkIndex.from_lists(links), "held"), (saved, "from-files")):
        state = tmp_path / folder
        state.mkdir()
        incremental.save(state, tmp_path, FIELDS["published"], index, set(FIELDS["private"]), set(FIELDS["public"]),
                         FIELDS["settings"])
    assert (tmp_path / "from-files" / incremental.INDEX).read_bytes() == (tmp_path / "held" / incremental.INDEX).read_bytes()
    assert (tmp_path / "held" / incremental.INDEX).read_text("utf-8") == old_bytes(links, FIELDS)
