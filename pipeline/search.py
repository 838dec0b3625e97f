"""The client-side search index, built here with lunr.py and read in the browser by lunr.js.

Shards: one lunr index per Jalali month of rulings and per district of properties (split
further past PROPERTY_SHARD_SIZE), so a query loads only what it needs, a step at a time.
Each file is named by its content hash (cacheable for a year): ``<shard>.<hash>.idx.json``
(the lunr index, key fields only, tokens pre-folded), ``<shard>.<hash>.docs.json`` (the few
fields a result shows) and ``numbers-<i>-of-<n>.<hash>.json`` (ruling, case and property
numbers -> the shards that hold them, bucketed by hash) so that a number query fetches one
small bucket and one shard. ``manifest.json`` lists them all.

Tokens are made here, not by lunr's tokenizer: the field values handed to lunr are lists of
folded tokens, and the only pipeline function (on both sides, under one label) is the
Persian fold, so lunr's English stemmer, stop-word filter and trimmer never see Persian.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import jdatetime
from lunr.builder import Builder
from lunr.pipeline import Pipeline

from .display import jalali
from .schema import DECISIONS, VIOLATION_TYPES
from .normalise import ZWNJ, fold, normalise_text

PIPELINE_LABEL = "shafafFold"
FORMAT_VERSION = "1"   # bump when the index layout changes, so cached shards are rebuilt
# Characters that separate words; "/" is kept so that «1402/3/1547» stays one token.
# search.js uses the same class.
SEPARATORS = re.compile(r"[\s\-_,.;:!?()\[\]{}<>«»\"'،؛؟٪%*+=|\\^~`#@$&]+")


def tokens(*texts: str | None) -> list[str]:
    """The folded words of some text, in order, without repeats.

    A word joined by ZWNJ («شاهین‌ویلا») is indexed whole and in its parts, so that it is
    found however it is typed: with ZWNJ, without it, or with a space.
    """
    seen: dict[str, None] = {}
    for text in texts:
        if text:
            seen.update(dict.fromkeys(_words(str(text))))
    return list(seen)


@lru_cache(maxsize=1 << 16)
def _words(text: str) -> tuple[str, ...]:
    # Names, neighbourhoods, types and decisions repeat in thousands of records.
    found = []
    for word in SEPARATORS.split(normalise_text(text)):
        for token in (word, *(word.split(ZWNJ) if ZWNJ in word else ())):
            token = fold(token)
            if token:
                found.append(token)
    return tuple(found)


def number_tokens(*numbers: str | None) -> list[str]:
    """An identifier whole («1402/3/1547») and in parts, so «1402-3-1547» finds it too."""
    whole = tokens(*numbers)
    return whole + [part for part in tokens(*(t.replace("/", " ") for t in whole)) if part not in whole]


def fold_token(token, i=None, tokens=None):
    """lunr pipeline function: query terms get the same fold as indexed ones."""
    return token.update(lambda text, metadata=None: fold(text))


Pipeline.register_function(fold_token, PIPELINE_LABEL)

# field -> boost. Numbers weigh most: a citizen who types a ruling number wants that ruling.
RULING_FIELDS = {"number": 10, "members": 3, "place": 2, "subject": 1}
PROPERTY_FIELDS = {"number": 10, "title": 3, "place": 2, "subject": 1}


def ruling_document(record: dict) -> dict:
    return {
        "number": number_tokens(record["ruling_no"], record["case_no"]),
        "members": tokens(record["interior_rep"], record["judiciary_rep"], record["council_rep"]),
        "place": tokens(record.get("neighbourhood"), record.get("address")),
        "subject": tokens(record["stage"], *(v["violation_type"] for v in record["violations"]),
                          *(v["decision"] for v in record["violations"])),
    }


def ruling_summary(record: dict) -> list:
    """What a result shows and filters on; position matters (search.js reads it)."""
    return [
        record["slug"], record["ruling_no"], record["case_no"], record["ruling_date"],
        record["district"], record.get("neighbourhood") or "", record["stage"],
        [record["interior_rep"], record["judiciary_rep"], record["council_rep"]],
        sorted({v["violation_type"] for v in record["violations"]}),
        sorted({v["decision"] for v in record["violations"]}),
        record.get("address") or "", jalali(record["ruling_date"]),
    ]


def property_document(record: dict) -> dict:
    return {
        "number": number_tokens(record["property_code"], record.get("plate")),
        "title": tokens(record["title"]),
        "place": tokens(record.get("neighbourhood"), record.get("address")),
        "subject": tokens(record["land_use"], record["occupancy"], record["deed_type"], record.get("holder")),
    }


def property_summary(record: dict) -> list:
    return [record["slug"], record["property_code"], record["title"], record["district"],
            record.get("neighbourhood") or "", record["land_use"], record["occupancy"],
            record.get("address") or ""]


def build_index(documents: list[dict], fields: dict[str, int]) -> dict:
    builder = Builder()
    builder.pipeline.add(fold_token)
    builder.search_pipeline.add(fold_token)
    builder.ref("id")
    for name, boost in fields.items():
        builder.field(name, boost=boost)
    for ref, document in enumerate(documents):
        builder.add({"id": str(ref), **document})
    return builder.build().serialize()


def _dumps(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# A shard is what one step of a search fetches: about a month of rulings, or up to this many
# properties of one district. Measured: ~150 bytes gzipped per document.
PROPERTY_SHARD_SIZE = 1000
NUMBER_BUCKET_SIZE = 2000
_NOT_COMPACT = re.compile(r"[^0-9a-z\u0621-\u064a\u067e-\u06cc]")


def compact(text: str) -> str:
    """An identifier with everything but letters and digits removed: «۱۴۰۲/۳/۱۵۴۷» = «1402-3-1547»."""
    return _NOT_COMPACT.sub("", fold(text))


def bucket_of(key: str, buckets: int) -> int:
    """FNV-1a over the characters, as search.js computes it."""
    value = 0x811C9DC5
    for char in key:
        value = ((value ^ ord(char)) * 0x01000193) & 0xFFFFFFFF
    return value % buckets


def shard_inputs(rulings: list[dict], properties: list[dict]) -> dict[str, dict]:
    """Shard name -> its documents, summaries and lunr fields; rulings newest month first."""
    by_month: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for record in rulings:
        day = jdatetime.date.fromgregorian(date=dt.date.fromisoformat(record["ruling_date"]))
        by_month[(day.year, day.month)].append(record)
    shards = {}
    for year, month in sorted(by_month, reverse=True):
        records = sorted(by_month[(year, month)], key=lambda r: (r["ruling_date"], r["slug"]), reverse=True)
        shards[f"rulings-{year}-{month:02d}"] = {
            "kind": "ruling", "year": year, "month": month, "district": None, "fields": RULING_FIELDS,
            "documents": [ruling_document(r) for r in records],
            "summaries": [ruling_summary(r) for r in records], "keys": records}
    by_district: dict[int, list[dict]] = defaultdict(list)
    for record in properties:
        by_district[record["district"]].append(record)
    for district in sorted(by_district):
        records = by_district[district]
        parts = -(-len(records) // PROPERTY_SHARD_SIZE)
        for part in range(parts):
            chosen = [r for r in records if parts == 1 or bucket_of(compact(r["property_code"]), parts) == part]
            if not chosen:
                continue
            name = f"properties-{district:02d}" + (f"-{part + 1}" if parts > 1 else "")
            shards[name] = {"kind": "property", "year": None, "month": None, "district": district,
                            "fields": PROPERTY_FIELDS, "documents": [property_document(r) for r in chosen],
                            "summaries": [property_summary(r) for r in chosen], "keys": chosen}
    return shards


def number_lookup(shards: dict[str, dict]) -> dict[str, list[str]]:
    """Compact ruling, case and property numbers -> the shards that hold them."""
    lookup: dict[str, list[str]] = defaultdict(list)
    for name, shard in shards.items():
        for record in shard["keys"]:
            numbers = ((record["ruling_no"], record["case_no"]) if shard["kind"] == "ruling"
                       else (record["property_code"],))
            for number in numbers:
                key = compact(number)
                if key and name not in lookup[key]:
                    lookup[key].append(name)
    return lookup


def build_search(rulings: list[dict], properties: list[dict], districts: int,
                 cache: Path | None = None) -> tuple[dict[str, bytes], dict]:
    """Files of output/search/ (name -> bytes) and build statistics.

    A shard whose inputs did not change is taken from ``cache`` instead of being indexed again;
    its bytes are the same either way, so hosts and browsers keep their cached copy.
    """
    files: dict[str, bytes] = {}
    manifest = {"version": FORMAT_VERSION, "pipeline": PIPELINE_LABEL,
                "separators": SEPARATORS.pattern, "shards": [],
                "filters": {"districts": districts, "violation_types": list(VIOLATION_TYPES),
                            "decisions": list(DECISIONS)}}
    stats = {"built": 0, "reused": 0}
    shards = shard_inputs(rulings, properties)
    for name, shard in shards.items():
        docs = _dumps(shard["summaries"])
        fingerprint = hashlib.sha256(_dumps([FORMAT_VERSION, shard["fields"], shard["documents"]])).hexdigest()
        cached = cache / f"{fingerprint}.json" if cache else None
        if cached is not None and cached.exists():
            index = cached.read_bytes()
            stats["reused"] += 1
        else:
            index = _dumps(build_index(shard["documents"], shard["fields"]))
            stats["built"] += 1
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                cached.write_bytes(index)
        index_name, docs_name = _hashed(name, "idx", index), _hashed(name, "docs", docs)
        files[index_name], files[docs_name] = index, docs
        manifest["shards"].append({"name": name, "kind": shard["kind"], "year": shard["year"],
                                   "month": shard["month"], "district": shard["district"],
                                   "count": len(shard["documents"]), "index": index_name,
                                   "docs": docs_name, "bytes": len(index) + len(docs)})
    lookup = number_lookup(shards)
    buckets = max(1, -(-len(lookup) // NUMBER_BUCKET_SIZE))
    parts: list[dict] = [{} for _ in range(buckets)]
    for key in sorted(lookup):
        parts[bucket_of(key, buckets)][key] = lookup[key]
    manifest["numbers"] = []
    for number, part in enumerate(parts):
        data = _dumps(part)
        name = _hashed(f"numbers-{number}-of-{buckets}", "json", data)
        files[name] = data
        manifest["numbers"].append(name)
    files["manifest.json"] = _dumps(manifest)
    return files, stats


def _hashed(name: str, kind: str, data: bytes) -> str:
    return f"{name}.{hashlib.sha256(data).hexdigest()[:12]}.{kind}" + ("" if kind == "json" else ".json")
