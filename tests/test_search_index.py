"""The search index as Python builds it: Persian tokens, shards, byte-stable caching."""
from __future__ import annotations

import json

import pytest

from factory import ruling, violation, write_exports
from pipeline import build, search, settings

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


def test_numbers_are_indexed_whole_and_in_parts():
    assert search.number_tokens("1402/3/1547") == ["1402/3/1547", "1402", "3", "1547"]


def _publication(tmp_path, **overrides):
    return build.prepare(write_exports(tmp_path / "exports", **overrides), CITY)


def test_shards_by_jalali_month_and_district(tmp_path):
    publication = _publication(tmp_path, rulings=[
        ruling(), ruling(ruling_no="1403/1/5", ruling_date="1403/01/01"),
        ruling(ruling_no="1402/1/9", ruling_date="1402/05/29"),
        ruling(ruling_no="1402/1/10", ruling_date="1402/12/29")], violations=[violation()])
    files, stats = search.build_search(publication.rulings, publication.properties, CITY.districts)
    manifest = json.loads(files["manifest.json"])
    assert [(s["name"], s["count"]) for s in manifest["shards"]] == [
        ("rulings-1403-01", 1), ("rulings-1402-12", 1), ("rulings-1402-05", 2), ("properties-05", 1)]
    for shard in manifest["shards"]:
        index = json.loads(files[shard["index"]])
        assert index["pipeline"] == [search.PIPELINE_LABEL]      # no stemmer, stop words or trimmer
        assert len(json.loads(files[shard["docs"]])) == shard["count"]
    assert stats == {"built": 4, "reused": 0}


def test_numbers_point_to_their_shards(tmp_path):
    publication = _publication(tmp_path, rulings=[ruling(), ruling(ruling_no="1403/1/5", ruling_date="1403/01/01")])
    files, _ = search.build_search(publication.rulings, publication.properties, CITY.districts)
    manifest = json.loads(files["manifest.json"])
    lookup = {}
    for name in manifest["numbers"]:
        lookup.update(json.loads(files[name]))
    assert lookup["140315"] == ["rulings-1403-01"]
    assert lookup["14023100"] == ["rulings-1402-05"]
    assert lookup["55100"] == ["rulings-1403-01", "rulings-1402-05"]    # one case, two rulings
    assert lookup["p050001"] == ["properties-05"]
    key = search.compact("۱۴۰۲/۳/۱۰۰")
    bucket = manifest["numbers"][search.bucket_of(key, len(manifest["numbers"]))]
    assert key in json.loads(files[bucket])


def test_large_districts_are_split_into_stable_parts(tmp_path, monkeypatch):
    from factory import property_
    monkeypatch.setattr(search, "PROPERTY_SHARD_SIZE", 2)
    publication = _publication(tmp_path, properties=[property_(property_code=f"P-05-{i:04d}") for i in range(5)])
    shards = search.shard_inputs([], publication.properties)
    assert sorted(shards) == ["properties-05-1", "properties-05-2", "properties-05-3"]
    assert sum(len(s["documents"]) for s in shards.values()) == 5


def test_index_holds_persian_terms_intact(tmp_path):
    publication = _publication(tmp_path, rulings=[ruling(council_rep="علي كريمي", neighbourhood="پیش‌آمدگی ژاله")])
    files, _ = search.build_search(publication.rulings, [], CITY.districts)
    shard = json.loads(files["manifest.json"])["shards"][0]
    terms = {term for term, _ in json.loads(files[shard["index"]])["invertedIndex"]}
    assert {"علی", "کریمی", "پیشامدگی", "پیش", "امدگی", "ژاله", "1402/3/100", "1402"} <= terms


def test_unchanged_shards_are_reused_byte_for_byte(tmp_path):
    first = _publication(tmp_path / "a", rulings=[ruling(), ruling(ruling_no="1403/1/5", ruling_date="1403/01/01")])
    cache = tmp_path / "cache"
    files_1, stats_1 = search.build_search(first.rulings, first.properties, CITY.districts, cache)
    second = _publication(tmp_path / "b", rulings=[ruling(), ruling(ruling_no="1403/1/5", ruling_date="1403/01/01",
                                                                    neighbourhood="عظیمیه")])
    files_2, stats_2 = search.build_search(second.rulings, second.properties, CITY.districts, cache)
    assert stats_1 == {"built": 3, "reused": 0}
    assert stats_2 == {"built": 1, "reused": 2}
    unchanged = [n for n in files_1 if n.startswith(("rulings-1402", "properties"))]
    assert unchanged and all(files_2[n] == files_1[n] for n in unchanged)
    assert not any(n.startswith("rulings-1403-01.") and n.endswith(".idx.json") for n in set(files_1) & set(files_2))
