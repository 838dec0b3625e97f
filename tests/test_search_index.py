"""The search index as Python builds it: Persian tokens, term partition, byte-stable caching."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from factory import property_, ruling, violation, write_exports
from pipeline import build, search, settings
from pipeline.schema import MEMBER_ROLES

CITY = settings.load()


@pytest.mark.parametrize("text,expected", [
    ("علي كريمي", ["علی", "کریمی"]),
    ("مي‌شود  می\u200cشود", ["میشود", "می", "شود"]),
    ("۱۴۰۲/۳/۱۵۴۷", ["1402/3/1547"]),
    ("کرج، مهرشهر، «بلوار ارم»", ["کرج", "مهرشهر", "بلوار", "ارم"]),
    ("تأیید تایید", ["تایید"]),
    ("a:b *c", ["a", "b", "c"]),
])
def test_tokens_are_folded_and_split(text, expected):
    assert search.tokens(text) == expected


@pytest.mark.parametrize("numbers,whole,parts", [
    (["1402/3/1547"], ["1402/3/1547"], ["1402", "3", "1547"]),
    (["۱۳۹۸-۰۳-۰۰۱۶"], ["1398/03/0016"], ["1398", "03", "0016"]),
    (["P-05-0001"], ["p/05/0001"], ["p", "05", "0001"]),
    (["55100", None, ""], ["55100"], []),
    (["1402/3/100", "1402-3-100"], ["1402/3/100"], ["1402", "3", "100"]),
])
def test_identifiers_are_indexed_whole_and_in_parts(numbers, whole, parts):
    assert search.identifier_tokens(*numbers) == (whole, parts)


QUERY_VECTORS = json.loads((Path(__file__).parent / "search_query_vectors.json").read_text("utf-8"))["queries"]


@pytest.mark.parametrize("vector", QUERY_VECTORS, ids=[v["name"] for v in QUERY_VECTORS])
def test_number_queries_have_one_spelling_after_any_lead_in(vector):
    """The same vectors pin search.js in Chromium (tests/test_search_browser.py)."""
    assert search.query_number(vector["query"]) == vector["number"]
    assert search.is_number_query(vector["query"]) == (vector["number"] is not None)


def _publication(tmp_path, **overrides):
    return build.prepare(write_exports(tmp_path / "exports", **overrides), CITY)


def _terms(files):
    """term -> its entry, over every terms- file, and the file each term is in."""
    entries, where = {}, {}
    for name, data in files.items():
        if name.startswith("terms-"):
            for entry in json.loads(data)["terms"]:
                entries[entry[0]], where[entry[0]] = entry, name
    return entries, where


def test_every_term_is_in_the_file_the_manifest_points_to(tmp_path, monkeypatch):
    monkeypatch.setattr(search, "TERMS_FILE_BYTES", 200)      # many small files
    publication = _publication(tmp_path, rulings=[
        ruling(), ruling(ruling_no="1403/1/5", ruling_date="1403/01/01", council_rep="زهرا موسوی"),
        ruling(ruling_no="1402/1/9", ruling_date="1402/05/29", neighbourhood="شاهین‌ویلا")],
        violations=[violation()])
    files, stats = search.build_search(publication.rulings, publication.properties, CITY.districts)
    manifest = json.loads(files["manifest.json"])
    entries, where = _terms(files)
    assert len(manifest["terms"]) > 3
    firsts = [first for first, _ in manifest["terms"]]
    assert firsts == sorted(firsts, key=search.js_order)
    for term in entries:
        assert search.terms_file_of(manifest["terms"], term) == where[term]
    assert {"موسوی", "شاهینویلا", "شاهین", "ویلا", "1402/3/100", "/1402", "/100", "55100", "p/05/0001", "/0001", "123/456", "/456"} <= set(entries)
    assert not {"1402", "100", "0001"} & set(entries)      # parts only as parts
    assert json.loads(files[manifest["words"]]) == sorted((t for t in entries if not any(c.isdigit() for c in t)),
                                                          key=search.js_order)
    assert stats == {"built": len(files), "reused": 0}


def test_postings_are_the_lunr_index_components(tmp_path):
    """What the browser assembles is what lunr.py built: every (term, field, document,
    component) of the full index, and nothing else."""
    publication = _publication(tmp_path, rulings=[
        ruling(), ruling(ruling_no="1403/1/5", ruling_date="1403/01/01", council_rep="علي كريمي")],
        violations=[violation()], properties=[property_()])
    files, _ = search.build_search(publication.rulings, publication.properties, CITY.districts)
    index = search.full_index(publication.rulings, publication.properties)
    expected = set()
    by_position = {p["_index"]: t for t, p in index.inverted_index.items()}
    for field_ref, vector in index.field_vectors.items():
        field, ref = field_ref.split("/", 1)
        for i in range(0, len(vector.elements), 2):
            expected.add((by_position[vector.elements[i]], field, int(ref), vector.elements[i + 1]))
    got = set()
    for term, fields in _terms(files)[0].values():
        for field, *flat in fields:
            ref = 0
            for delta, component in zip(flat[::2], flat[1::2]):
                ref += delta
                got.add((term, search.FIELD_NAMES[field], ref, component / 1000))
    assert got == expected
    assert {ref for _, _, ref, _ in got} == {0, 1, search.PROPERTY_BASE}


def test_documents_are_ordered_oldest_first_and_coded_for_the_filters(tmp_path):
    publication = _publication(tmp_path, rulings=[
        ruling(), ruling(ruling_no="1403/1/5", ruling_date="1403/01/01", stage="تجدیدنظر",
                         appealed_ruling_no="۱۴۰۲/۳/۱۰۰", appeal_result="تأیید", district="7"),
        ruling(ruling_no="1401/1/9", ruling_date="1401/05/29")],
        violations=[violation(), violation(ruling_no="1401/1/9", violation_type="کسری پارکینگ", decision="قلع بنا"),
                    violation(ruling_no="1401/1/9", decision="ابقا")])
    files, _ = search.build_search(publication.rulings, publication.properties, CITY.districts)
    manifest = json.loads(files["manifest.json"])
    assert manifest["years"] == [[1403, 2, 2], [1402, 1, 1], [1401, 0, 0]]
    docs = json.loads(files[f"docs-r-0.{manifest['docs']['r'][:search.HASH_CHARS]}.json"])
    assert [d[1] for d in docs] == ["1401/1/9", "1402/3/100", "1403/1/5"]
    assert manifest["counts"] == {"ruling": 3, "property": 1}
    facets = manifest["facets"]
    assert {v: c[1:] for v, c in facets["district"].items()} == {"5": [2, 1], "7": [1, 0]}
    assert facets["stage"]["1"][1] == 1 and facets["stage"]["0"][1] == 2
    types = manifest["types"]
    parking = json.loads(files[facets["type"][str(types.index("کسری پارکینگ"))][0]])
    assert parking["refs"] == [0]
    code = parking["codes"][0]
    assert code[0] == 5 and manifest["stages"][code[1]] == "بدوی"
    assert {t for i, t in enumerate(types) if code[2] >> i & 1} == {"کسری پارکینگ", "اضافه بنا مازاد بر پروانه"}
    assert {d for i, d in enumerate(manifest["decisions"]) if code[3] >> i & 1} == {"قلع بنا", "ابقا"}
    assert sorted(manifest["members"][i][1] for i in code[4:]) == sorted(["حسن رضایی", "مریم احمدی", "علی کریمی"])


def test_members_are_named_and_linked_as_their_pages(tmp_path):
    """One member however the name is spelled, shown as most rulings spell it."""
    publication = _publication(tmp_path, rulings=[
        ruling(council_rep="رافت کریمی"), ruling(ruling_no="1403/1/5", ruling_date="1403/01/01", council_rep="رأفت کریمی"),
        ruling(ruling_no="1403/1/6", ruling_date="1403/01/02", council_rep="رأفت  كريمي")])
    members = search.members(publication.rulings)
    council = [m for m in members if m[0] == "council_rep"]
    assert council == [["council_rep", "رأفت کریمی", "members/council/رافت-کریمی/", "رافتکریمی"]]


def test_unchanged_exports_reuse_the_cached_files_byte_for_byte(tmp_path):
    first = _publication(tmp_path / "a", rulings=[ruling(), ruling(ruling_no="1403/1/5", ruling_date="1403/01/01")])
    cache = tmp_path / "cache"
    files_1, stats_1 = search.build_search(first.rulings, first.properties, CITY.districts, cache)
    again, stats_2 = search.build_search(first.rulings, first.properties, CITY.districts, cache)
    assert stats_1 == {"built": len(files_1), "reused": 0} and stats_2 == {"built": 0, "reused": len(files_1)}
    assert again == files_1
    second = _publication(tmp_path / "b", rulings=[ruling(), ruling(ruling_no="1403/1/5", ruling_date="1403/01/01",
                                                                    neighbourhood="عظیمیه")])
    files_3, stats_3 = search.build_search(second.rulings, second.properties, CITY.districts, cache)
    assert stats_3["reused"] == 0
    unchanged = [n for n in files_1 if n.startswith(("docs-p-", "facet-year-1402"))]
    assert unchanged and all(files_3[n] == files_1[n] for n in unchanged)


def _flip_last_digit(data: bytes) -> bytes:
    """Same length, other bytes: what a size check would miss."""
    at = max(i for i, b in enumerate(data) if chr(b).isdigit())
    return data[:at] + (b"1" if data[at:at + 1] != b"1" else b"2") + data[at + 1:]


CACHE_DAMAGE = {
    "truncate": lambda data: data[:-5],
    "empty": lambda data: b"",
    "edit": _flip_last_digit,
    "append": lambda data: data + b" ",
    "markup": lambda data: data[:-1] + b',"<script>alert(1)</script>"' + data[-1:],
}


@pytest.mark.parametrize("prefix", ["terms-", "docs-r-", "facet-", "manifest.json"])
@pytest.mark.parametrize("damage", [*CACHE_DAMAGE, "remove"])
def test_a_damaged_cache_is_rebuilt_not_served(tmp_path, damage, prefix):
    publication = _publication(tmp_path, rulings=[ruling()])
    cache = tmp_path / "cache"
    files, _ = search.build_search(publication.rulings, publication.properties, CITY.districts, cache)
    victim = cache / "files" / next(n for n in files if n.startswith(prefix))
    if damage == "remove":
        victim.unlink()
    else:
        damaged = CACHE_DAMAGE[damage](victim.read_bytes())
        assert damaged != victim.read_bytes()
        victim.write_bytes(damaged)
    again, stats = search.build_search(publication.rulings, publication.properties, CITY.districts, cache)
    assert stats["reused"] == 0 and again == files
    assert victim.read_bytes() == files[victim.name]  # rewritten, so the next build reuses it
    assert search.build_search(publication.rulings, publication.properties, CITY.districts, cache)[1]["built"] == 0


@pytest.mark.parametrize("listing", [b"", b"[", b"null", b'["manifest.json"]', b'{"manifest.json": "0"}'])
def test_a_damaged_cache_listing_is_a_cold_build(tmp_path, listing):
    publication = _publication(tmp_path, rulings=[ruling()])
    cache = tmp_path / "cache"
    files, _ = search.build_search(publication.rulings, publication.properties, CITY.districts, cache)
    [path] = cache.glob("*.json")
    path.write_bytes(listing)
    again, stats = search.build_search(publication.rulings, publication.properties, CITY.districts, cache)
    assert stats["reused"] == 0 and again == files


def test_file_names_are_their_content_hash(tmp_path):
    publication = _publication(tmp_path)
    files, _ = search.build_search(publication.rulings, publication.properties, CITY.districts)
    for name, data in files.items():
        if name != "manifest.json":
            assert name.endswith(f".{hashlib.sha256(data).hexdigest()[:search.HASH_CHARS]}.json")


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", "=HYPERLINK(\"x\")", "../../etc/passwd",
                                     "a\u202eb", "کرج:*~^", "\u200c\u200d"])
def test_hostile_text_never_names_a_file(tmp_path, hostile):
    publication = _publication(tmp_path, rulings=[ruling(neighbourhood=hostile, council_rep="علی " + hostile)])
    files, _ = search.build_search(publication.rulings, publication.properties, CITY.districts)
    import re
    assert all(re.fullmatch(r"[a-z]+(-[a-z0-9]+)*\.[0-9a-f]{8}\.json|manifest\.json", name) for name in files)


def test_terms_are_in_javascript_order_even_beyond_the_basic_plane(tmp_path):
    """lunr.js throws on a word list out of its (UTF-16) order: one neighbourhood spelled
    with an emoji or a rare CJK character must not break search for everyone."""
    publication = _publication(tmp_path, rulings=[
        ruling(neighbourhood="باغ\U0001F600"), ruling(ruling_no="1403/1/5", ruling_date="1403/01/01", neighbourhood="باغ\ue000"),
        ruling(ruling_no="1403/1/6", ruling_date="1403/01/02", neighbourhood="باغ\U00020000")])
    files, _ = search.build_search(publication.rulings, publication.properties, CITY.districts)
    words = json.loads(files[json.loads(files["manifest.json"])["words"]])
    assert [w for w in words if w.startswith("باغ") and len(w) > 3] == ["باغ\U0001F600", "باغ\U00020000", "باغ\ue000"]


def test_the_manifest_names_roles_as_the_site_does_and_drops_no_word(tmp_path):
    """The member filter names a role as every page does (schema.MEMBER_ROLES), and the
    browser has no list of words to leave out of a query: every word counts."""
    publication = _publication(tmp_path, rulings=[ruling(ruling_no="1402/3/1", case_no="551")],
                               violations=[violation(ruling_no="1402/3/1")])
    files, _ = search.build_search(publication.rulings, [], CITY.districts)
    manifest = json.loads(files["manifest.json"])
    assert manifest["roles"] == {role: title for role, title, _ in MEMBER_ROLES}
    assert manifest["roles"]["judiciary_rep"] == "نماینده دادستان"
    assert "common" not in manifest
    assert manifest["number"] == search.NUMBER_QUERY.pattern


def test_postings_are_computed_without_building_lunr_index(tmp_path, monkeypatch):
    """lunr.py's index held 1.1 GB at 100k rulings in the search's process: the postings are
    computed from term counts (``index_postings``), the same numbers as lunr's own index, on
    the sample site's records and on records with repeated, empty and shared words."""
    from pathlib import Path

    small = _publication(tmp_path, rulings=[
        ruling(), ruling(ruling_no="1403/1/5", ruling_date="1403/01/01", council_rep="علي كريمي",
                         neighbourhood="کوی کوی کوی", address=None)],
        violations=[violation()], properties=[property_(), property_(property_code="P-05-0002", title="")])
    sample = build.prepare(Path(__file__).resolve().parent.parent / "data" / "sample", CITY, "2026-11-28")
    expected = [search.postings(search.full_index(p.rulings, p.properties)) for p in (small, sample)]

    class NoLunrIndex:
        def __init__(self, *args, **kwargs):
            raise AssertionError("the search files are made without lunr's index")

    monkeypatch.setattr(search, "Builder", NoLunrIndex)
    for publication, postings in zip((small, sample), expected):
        assert search.index_postings(publication.rulings, publication.properties) == postings
    files, stats = search.build_search(sample.rulings, sample.properties, CITY.districts)
    assert stats["built"] == len(files) > 0
