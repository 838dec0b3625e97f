"""The client-side search index, built here with lunr.py and read in the browser by lunr.js.

Shards: one lunr index per Jalali year of ruling and one for properties, so a query loads
only what it needs. Each shard is two files named by their content hash (cacheable for a
year): ``<shard>.<hash>.idx.json`` (the lunr index, key fields only, tokens pre-folded) and
``<shard>.<hash>.docs.json`` (the few fields a result shows). ``manifest.json`` lists them.

Tokens are made here, not by lunr's tokenizer: the field values handed to lunr are lists of
folded tokens, and the only pipeline function (on both sides, under one label) is the
Persian fold, so lunr's English stemmer, stop-word filter and trimmer never see Persian.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path

from lunr.builder import Builder
from lunr.pipeline import Pipeline

from .display import jalali, jalali_year
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
        if not text:
            continue
        for word in SEPARATORS.split(normalise_text(str(text))):
            for token in (word, *(word.split(ZWNJ) if ZWNJ in word else ())):
                token = fold(token)
                if token:
                    seen.setdefault(token, None)
    return list(seen)


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


def shard_inputs(rulings: list[dict], properties: list[dict]) -> dict[str, dict]:
    """Shard name -> its documents, summaries and lunr fields, newest year first."""
    by_year: dict[int, list[dict]] = defaultdict(list)
    for record in rulings:
        by_year[jalali_year(record["ruling_date"])].append(record)
    shards = {}
    for year in sorted(by_year, reverse=True):
        records = sorted(by_year[year], key=lambda r: (r["ruling_date"], r["slug"]), reverse=True)
        shards[f"rulings-{year}"] = {"kind": "ruling", "year": year, "fields": RULING_FIELDS,
                                     "documents": [ruling_document(r) for r in records],
                                     "summaries": [ruling_summary(r) for r in records]}
    if not properties:
        return shards  # lunr.py cannot build an empty index
    shards["properties"] = {"kind": "property", "year": None, "fields": PROPERTY_FIELDS,
                            "documents": [property_document(p) for p in properties],
                            "summaries": [property_summary(p) for p in properties]}
    return shards


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
    for name, shard in shard_inputs(rulings, properties).items():
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
        digest = hashlib.sha256(index + b"\0" + docs).hexdigest()[:12]
        index_name, docs_name = f"{name}.{digest}.idx.json", f"{name}.{digest}.docs.json"
        files[index_name], files[docs_name] = index, docs
        manifest["shards"].append({"name": name, "kind": shard["kind"], "year": shard["year"],
                                   "count": len(shard["documents"]), "index": index_name,
                                   "docs": docs_name, "bytes": len(index) + len(docs)})
    files["manifest.json"] = _dumps(manifest)
    return files, stats
