"""The client-side search index: one lunr.py index over every ruling and property, cut by term.

A query must be answered completely (exact totals), so the index is partitioned by term, as
Pagefind does, not by document: a query fetches the postings of its own terms, whatever the
size of the site, and the browser assembles from them a small lunr index that lunr.js queries.

lunr 2.3.9 scores a document field by ``queryVector.similarity(fieldVector)``, i.e. the dot
product divided by the *query* vector's magnitude (lunr.js and lunr.py alike). So a document
needs only its vector components for the query's terms: a small index holding just the fetched
terms scores and matches exactly as the whole one would.

Files of ``output/search/``, each named by its content hash except ``manifest.json``:

* ``terms-<i>``: the postings of a run of consecutive terms (sorted), per term and field the
  documents (delta-coded) and their lunr vector component (in thousandths, lunr's own
  precision), and the filter code of every document they name (see ``ruling_code``).
* ``words``: every term without a digit, so that lunr.js expands prefixes and typos (lunr's
  own TokenSet) before knowing which ``terms-`` files to fetch. Numbers are never expanded.
* ``docs-r-<i>`` / ``docs-p-<i>``: what a result shows, DOCS_PER_FILE rulings or properties
  per file by their order, so a page of results fetches a few small files.
* ``facet-<name>-<i>``: the documents (and their codes) of one filter value, so that a browse
  without a word fetches the smallest of its filters.
* ``manifest.json``: the first term of every ``terms-`` file, the filter values with their
  counts, the members, districts and neighbourhoods that a query can name.

Tokens are made here, not by lunr's tokenizer: the field values handed to lunr are lists of
folded tokens, and the only pipeline function (on both sides, under one label) is the
Persian fold, so lunr's English stemmer, stop-word filter and trimmer never see Persian.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from array import array
from bisect import bisect_right
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

from lunr.builder import Builder
from lunr.index import Index
from lunr.pipeline import Pipeline
from lunr.tokenizer import Tokenizer

from .slugs import ROLES, member_names

from .display import jalali, jalali_year
from .files import write_atomically, write_if_changed
from .normalise import ZWNJ, fold, normalise_text
from .schema import DECISIONS, STAGES, VIOLATION_TYPES
from .urls import URLS
from .values import match_key

PIPELINE_LABEL = "shafafFold"
FORMAT_VERSION = "7"   # bump when the layout changes, so that a cached build is not reused
# Characters that separate words; "/" is kept so that «1402/3/1547» stays one token.
# search.js uses the same class.
SEPARATORS = re.compile(r"[\s\-_,.;:!?()\[\]{}<>«»\"'،؛؟٪%*+=|\\^~`#@$&]+")
# Words a citizen types before a number («رأی ۱۳۹۸/۱/۱۰۲», «پرونده 1398-03-0016», «کد ملک
# P-05-0001»), folded: such a query is that number. «پلاک» is not one: addresses hold «پلاک 68»,
# and a number among any other words («کوچه ۱۱») is a street number, searched as a word.
NUMBER_LEAD_INS = ("رای", "شماره", "پرونده", "کلاسه", "دادنامه", "کد", "ملک")
# A number typed in any form, after lead-ins or none: «۱۴۰۲/۳/۱۵۴۷», «1402-3-1547»,
# «P-05-0001»; the group is the number. search.js reads it from the manifest.
# «شماره‌ی ۱۲» folds to «شمارهی 12»: a lead-in ending in «ه» may carry the ezafe «ی».
NUMBER_QUERY = re.compile(r"^(?:(?:" + "|".join(w + "ی?" if w.endswith("ه") else w for w in NUMBER_LEAD_INS)
                          + r")[\s:#.،]*)*"
                          r"([a-z]{0,3}[\s/\-]*[0-9][0-9\s/\-]*)$")
_NUMBER_JOINS = re.compile(r"[\s/\-]+")

# field -> boost. A whole identifier (ruling, case or property number) outweighs everything:
# a citizen who types a ruling number wants that ruling.
FIELDS = {"id": 100, "number": 10, "name": 3, "place": 2, "subject": 1}
FIELD_NAMES = list(FIELDS)
# A part of an identifier is indexed as «/1547», not «1547»: a number in a word query
# («کوچه 11») means a street number, not every ruling numbered …/11, and its postings stay
# small. A number query asks for both spellings (search.js), a number with several parts
# only for the whole one: a part never holds "/".
PART = "/"
PROPERTY_BASE = 10_000_000      # document refs: rulings 0…, properties from here
DOCS_PER_FILE = 32
TERMS_FILE_BYTES = 48_000       # uncompressed; one term's postings may exceed it alone


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


def canonical_number(text: str) -> str:
    """One spelling per identifier: «۱۴۰۲-۳-۱۵۴۷» and « 1402/3/1547 » are «1402/3/1547»."""
    return _NUMBER_JOINS.sub("/", fold(text)).strip("/")


def is_number_query(text: str) -> bool:
    return NUMBER_QUERY.match(fold(text)) is not None


def query_number(text: str) -> str | None:
    """The identifier a number query asks for, lead-ins dropped: «رأی ۱۳۹۸-۱-۱۰۲» → «1398/1/102»."""
    found = NUMBER_QUERY.match(fold(text))
    return canonical_number(found.group(1)) if found else None


def identifier_tokens(*numbers: str | None) -> tuple[list[str], list[str]]:
    """(whole identifiers, their parts): «1398-03-0016» → ["1398/03/0016"], ["1398", "03", "0016"]."""
    whole = list(dict.fromkeys(canonical_number(n) for n in numbers if n and canonical_number(n)))
    parts = [p for p in dict.fromkeys(p for w in whole for p in w.split("/")) if p and p not in whole]
    return whole, parts


def fold_token(token, i=None, tokens=None):
    """lunr pipeline function: query terms get the same fold as indexed ones."""
    return token.update(lambda text, metadata=None: fold(text))


Pipeline.register_function(fold_token, PIPELINE_LABEL)


def ruling_document(record: dict) -> dict:
    whole, parts = identifier_tokens(record["ruling_no"], record["case_no"])
    return {
        "id": whole, "number": [PART + p for p in parts],
        "name": tokens(record["interior_rep"], record["judiciary_rep"], record["council_rep"]),
        "place": tokens(record.get("neighbourhood"), record.get("address")),
        "subject": tokens(record["stage"], *(v["violation_type"] for v in record["violations"]),
                          *(v["decision"] for v in record["violations"])),
    }


def property_document(record: dict) -> dict:
    whole, parts = identifier_tokens(record["property_code"], record.get("plate"))
    return {
        "id": whole, "number": [PART + p for p in parts],
        "name": tokens(record["title"]),
        "place": tokens(record.get("neighbourhood"), record.get("address")),
        "subject": tokens(record["land_use"], record["occupancy"], record["deed_type"], record.get("holder")),
    }


def ruling_summary(record: dict) -> list:
    """What a result shows; position matters (search.js reads it)."""
    return [
        record["slug"], record["ruling_no"], record["case_no"], record["ruling_date"],
        record["district"], record.get("neighbourhood") or "", record["stage"],
        [record["interior_rep"], record["judiciary_rep"], record["council_rep"]],
        sorted({v["violation_type"] for v in record["violations"]}),
        sorted({v["decision"] for v in record["violations"]}),
        record.get("address") or "", jalali(record["ruling_date"]),
    ]


def property_summary(record: dict) -> list:
    return [record["slug"], record["property_code"], record["title"], record["district"],
            record.get("neighbourhood") or "", record["land_use"], record["occupancy"],
            record.get("address") or ""]


def ordered(rulings: list[dict], properties: list[dict]) -> tuple[list[dict], list[dict]]:
    """Rulings oldest first (a new ruling takes the next ref, so older files keep their
    bytes; newest first is the refs read backwards), properties by code."""
    return (sorted(rulings, key=lambda r: (r["ruling_date"], r["slug"])),
            sorted(properties, key=lambda p: (p["property_code"], p["slug"])))


def full_index(rulings: list[dict], properties: list[dict]) -> Index:
    """The one lunr.py index the files are cut from (tests query it as the oracle)."""
    rulings, properties = ordered(rulings, properties)
    builder = Builder()
    builder.pipeline.add(fold_token)
    builder.search_pipeline.add(fold_token)
    builder.ref("ref")
    for name, boost in FIELDS.items():
        builder.field(name, boost=boost)
    for ref, record in enumerate(rulings):
        builder.add({"ref": str(ref), **ruling_document(record)})
    for ref, record in enumerate(properties, PROPERTY_BASE):
        builder.add({"ref": str(ref), **property_document(record)})
    return builder.build()


# lunr.Builder's BM25 parameters (its defaults, which full_index keeps).
K1, B = 1.2, 0.75


def _idf(documents_with_term: int, documents: int) -> float:
    """``lunr.idf.idf``, from the count it computes from a posting."""
    x = (documents - documents_with_term + 0.5) / (documents_with_term + 0.5)
    return math.log(1 + abs(x))


def index_postings(rulings: list[dict], properties: list[dict]) -> dict[str, list[tuple[int, int, int]]]:
    """``postings(full_index(rulings, properties))``, computed without building lunr's index
    (``packed_postings``, unpacked)."""
    return {term: unpack(packed) for term, packed in packed_postings(rulings, properties).items()}


# A posting packed in one 64-bit integer, ordered as its (ref, field number, component) tuple:
# at 100k rulings there are millions of postings, and a tuple of three ints costs ~130 bytes.
_FIELD_SHIFT, _REF_SHIFT = 32, 36
_COMPONENT_MASK, _FIELD_MASK = (1 << _FIELD_SHIFT) - 1, (1 << (_REF_SHIFT - _FIELD_SHIFT)) - 1


def unpack(packed) -> list[tuple[int, int, int]]:
    return [(p >> _REF_SHIFT, p >> _FIELD_SHIFT & _FIELD_MASK, p & _COMPONENT_MASK) for p in packed]


def packed_postings(rulings: list[dict], properties: list[dict]) -> dict[str, array]:
    """term -> its postings packed (``unpack``), by ref then field: lunr's numbers, with
    a document's fields keeping only their lengths and term counts.

    lunr.py keeps, per term, field and document, a dict of metadata, and a Vector per field of
    every document: 110 MB at 10k rulings, 1.1 GB at 100k, in the second process that also
    holds a copy of the build's memory. Each component here is lunr's own arithmetic
    (``Builder._create_field_vectors``: BM25 with lunr's idf, the field's boost, rounded to
    thousandths), on the terms lunr's tokenizer and this index's pipeline make; the counts
    wait in flat integer arrays, terms by number, not as tuples."""
    rulings, properties = ordered(rulings, properties)
    pipeline = Pipeline()
    pipeline.add(fold_token)
    fields = list(FIELDS.items())
    term_number: dict[str, int] = {}
    heads = array("q")     # per field-document: ref, field number, length, distinct terms
    counts = array("l")    # per field-document, per distinct term: term number, term frequency
    with_term = array("l")  # per term: the field-documents holding it (lunr's idf counts so)
    lengths = [0] * len(fields)

    def add(ref: int, document: dict) -> None:
        for number, (name, _boost) in enumerate(fields):
            terms = [str(token) for token in pipeline.run(Tokenizer(document[name]), name)]
            frequencies = Counter(terms)
            heads.extend((ref, number, len(terms), len(frequencies)))
            lengths[number] += len(terms)
            for term, tf in frequencies.items():
                term_id = term_number.setdefault(term, len(term_number))
                if term_id == len(with_term):
                    with_term.append(0)
                with_term[term_id] += 1
                counts.extend((term_id, tf))

    for ref, record in enumerate(rulings):
        add(ref, ruling_document(record))
    for ref, record in enumerate(properties, PROPERTY_BASE):
        add(ref, property_document(record))
    documents = len(rulings) + len(properties)
    average = [total / documents if documents else 0 for total in lengths]
    inverse = [_idf(n, documents) for n in with_term]
    found = [array("q") for _ in with_term]
    at = 0
    for i in range(0, len(heads), 4):
        ref, number, length, distinct = heads[i:i + 4]
        boost = fields[number][1]
        for j in range(at, at + 2 * distinct, 2):
            term_id, tf = counts[j], counts[j + 1]
            score = inverse[term_id] * ((K1 + 1) * tf) / (K1 * (1 - B + B * (length / average[number])) + tf)
            score *= boost
            component = round(round(score, 3) * 1000)
            if not 0 <= component <= _COMPONENT_MASK:
                raise ValueError(f"a search score out of range: {component}")
            # Documents come by ref and fields by number, so each term's postings are in order.
            found[term_id].append(ref << _REF_SHIFT | number << _FIELD_SHIFT | component)
        at += 2 * distinct
    return {term: found[term_id] for term, term_id in term_number.items()}


# --- filters --------------------------------------------------------------------------

def members(rulings: list[dict]) -> list[list[str]]:
    """[role, name shown, page path, match key] of every member, named and linked as the
    member pages are (pipeline/slugs.py: member_names)."""
    spellings: dict[str, dict[str, Counter]] = {role: {} for role, _, _ in ROLES}
    for record in rulings:
        for role, _, _ in ROLES:
            if record.get(role):
                spellings[role].setdefault(match_key(record[role]), Counter())[record[role]] += 1
    names = member_names(spellings)
    return sorted(([role, title, URLS.member(role, slug), key] for role, keys in names.items()
                   for key, (title, slug) in keys.items()), key=lambda m: (fold(m[1]), m[0], m[2]))


def ruling_code(record: dict, member_index: dict[tuple[str, str], int]) -> list[int]:
    """What the filters read of a ruling: [district, stage, violation types as bits,
    decisions as bits, member, member, member] (indexes into the manifest's lists). The
    year is not here: rulings are ordered by date, so the manifest gives each year's refs."""
    types = sum(1 << VIOLATION_TYPES.index(t) for t in {v["violation_type"] for v in record["violations"]})
    decisions = sum(1 << DECISIONS.index(d) for d in {v["decision"] for v in record["violations"]})
    return [record["district"], STAGES.index(record["stage"]), types, decisions,
            *(member_index[(role, match_key(record[role]))] for role, _, _ in ROLES if record.get(role))]


def property_code(record: dict) -> list[int]:
    return [record["district"]]


def facet_values(codes: dict[int, list[int]], years: list[list[int]]) -> dict[str, dict[str, list[int]]]:
    """filter -> value -> its refs (ascending). Years and districts by value, the rest by index."""
    values: dict[str, dict[str, list[int]]] = {name: defaultdict(list) for name in
                                              ("district", "year", "stage", "type", "decision", "member")}
    for year, first, last in years:
        values["year"][str(year)] = list(range(first, last + 1))
    for ref in sorted(codes):
        code = codes[ref]
        values["district"][str(code[0])].append(ref)
        if ref >= PROPERTY_BASE:
            continue
        values["stage"][str(code[1])].append(ref)
        for name, bits in (("type", code[2]), ("decision", code[3])):
            for i in range(bits.bit_length()):
                if bits >> i & 1:
                    values[name][str(i)].append(ref)
        for member in dict.fromkeys(code[4:]):
            values["member"][str(member)].append(ref)
    return values


# --- files ----------------------------------------------------------------------------

def _dumps(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


HASH_CHARS = 8     # a cache-buster per file name, not a security hash: names also hold an index


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_CHARS]


def _hashed(name: str, data: bytes) -> str:
    return f"{name}.{_digest(data)}.json"


def js_order(term: str) -> bytes:
    """Terms sorted as JavaScript compares strings (UTF-16 code units), not by code point:
    lunr.js refuses a token list out of its order, and search.js bisects the file table."""
    return term.encode("utf-16-be")


def _deltas(refs: list[int]) -> list[int]:
    return [ref - previous for previous, ref in zip([0, *refs], refs)]


def postings(index: Index) -> dict[str, list[tuple[int, int, int]]]:
    """term -> [(ref, field number, component in thousandths)], by ref then field."""
    by_position = {posting["_index"]: term for term, posting in index.inverted_index.items()}
    found: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    field_number = {name: i for i, name in enumerate(FIELD_NAMES)}
    for field_ref, vector in index.field_vectors.items():
        field, ref = field_ref.split("/", 1)
        elements = vector.elements
        for i in range(0, len(elements), 2):
            found[by_position[elements[i]]].append((int(ref), field_number[field], round(elements[i + 1] * 1000)))
    for entries in found.values():
        entries.sort()
    return found


def term_entry(term: str, entries: list[tuple[int, int, int]]) -> list:
    """[term, [field, ref delta, component, ref delta, component…] per field]."""
    by_field: dict[int, list[int]] = defaultdict(list)
    last: dict[int, int] = defaultdict(int)
    for ref, field, component in entries:
        by_field[field] += [ref - last[field], component]
        last[field] = ref
    return [term, [[field, *by_field[field]] for field in sorted(by_field)]]


def term_files(found: dict[str, array], codes: dict[int, list[int]]) -> tuple[dict[str, bytes], list[list[str]]]:
    """``terms-<i>`` files, and [first term, hash] of each (the name is ``terms-<i>.<hash>.json``),
    in term order; ``found``: ``packed_postings``."""
    files, table = {}, []
    run: list[str] = []
    size = 0

    def close():
        refs = sorted({packed >> _REF_SHIFT for term in run for packed in found[term]})
        data = _dumps({"terms": [term_entry(term, unpack(found[term])) for term in run],
                       "refs": _deltas(refs), "codes": [codes[ref] for ref in refs]})
        name = _hashed(f"terms-{len(table)}", data)
        files[name] = data
        table.append([run[0], _digest(data)])

    for term in sorted(found, key=js_order):
        cost = 20 * len(found[term]) + len(term.encode())
        if run and size + cost > TERMS_FILE_BYTES:
            close()
            run, size = [], 0
        run.append(term)
        size += cost
    if run:
        close()
    return files, table


def doc_files(kind: str, summaries: list[list]) -> tuple[dict[str, bytes], str]:
    """``docs-<kind>-<i>`` files, and their hashes end to end (the manifest's shortest form:
    at 100k rulings there are thousands of these files)."""
    files, hashes = {}, []
    for start in range(0, len(summaries), DOCS_PER_FILE):
        data = _dumps(summaries[start:start + DOCS_PER_FILE])
        files[_hashed(f"docs-{kind}-{start // DOCS_PER_FILE}", data)] = data
        hashes.append(_digest(data))
    return files, "".join(hashes)


def build_search(rulings: list[dict], properties: list[dict], districts: int,
                 cache: Path | None = None) -> tuple[dict[str, bytes], dict]:
    """Files of output/search/ (name -> bytes) and build statistics.

    When nothing the index is made of changed since a build kept in ``cache``, its files
    are taken from there (each checked against its sha256) instead of indexing
    everything again; their bytes are the same either way.
    """
    rulings, properties = ordered(rulings, properties)
    people = members(rulings)
    member_index = {(m[0], m[3]): i for i, m in enumerate(people)}
    codes = {ref: ruling_code(r, member_index) for ref, r in enumerate(rulings)}
    codes.update({ref: property_code(p) for ref, p in enumerate(properties, PROPERTY_BASE)})
    summaries = {"r": [ruling_summary(r) for r in rulings], "p": [property_summary(p) for p in properties]}
    fingerprint = index_fingerprint(districts, people, summaries, rulings, properties)
    cached = _from_cache(cache, fingerprint)
    if cached is not None:
        return cached, {"built": 0, "reused": len(cached)}
    files = _build(rulings, properties, districts, people, codes, summaries)
    _to_cache(cache, fingerprint, files)
    return files, {"built": len(files), "reused": 0}


def index_fingerprint(districts: int, people: list, summaries: dict[str, list[list]],
                      rulings: list[dict], properties: list[dict]) -> str:
    """The sha256 of everything the files are made of, fed one record at a time: at 100k the
    whole as one JSON text (with every document's tokens) held hundreds of MB at once."""
    digest = hashlib.sha256(_dumps([FORMAT_VERSION, districts, people]))
    # JSON values end where they end: one per line, each part after its own name.
    parts = (("r", summaries["r"]), ("p", summaries["p"]), ("ruling documents", map(ruling_document, rulings)),
             ("property documents", map(property_document, properties)))
    for name, values in parts:
        digest.update(b"\n" + name.encode("ascii"))
        for value in values:
            digest.update(b"\n" + _dumps(value))
    return digest.hexdigest()


def _build(rulings, properties, districts, people, codes, summaries) -> dict[str, bytes]:
    found = packed_postings(rulings, properties)
    files, table = term_files(found, codes)
    words = sorted((term for term in found if not re.search(r"[0-9]", term)), key=js_order)
    words_data = _dumps(words)
    words_name = _hashed("words", words_data)
    files[words_name] = words_data
    docs = {}
    for kind in ("r", "p"):
        made, docs[kind] = doc_files(kind, summaries[kind])
        files.update(made)
    years = year_ranges(rulings)
    made, facets = facet_files(codes, years)
    files.update(made)
    manifest = {
        "version": FORMAT_VERSION, "pipeline": PIPELINE_LABEL, "separators": SEPARATORS.pattern,
        "number": NUMBER_QUERY.pattern, "fields": FIELD_NAMES, "propertyBase": PROPERTY_BASE,
        "docsPerFile": DOCS_PER_FILE, "counts": {"ruling": len(rulings), "property": len(properties)},
        "hashChars": HASH_CHARS, "terms": table, "words": words_name, "docs": docs, "years": years, "facets": facets,
        "districts": districts, "stages": list(STAGES), "types": list(VIOLATION_TYPES),
        "decisions": list(DECISIONS), "members": [m[:3] for m in people],
        "roles": {role: title for role, _, title in ROLES},
        "places": places(rulings, properties), "urls": URLS.for_search(),
    }
    files["manifest.json"] = _dumps(manifest)
    return files


def facet_files(codes: dict[int, list[int]], years: list[list[int]]) -> tuple[dict[str, bytes], dict]:
    """``facet-<filter>-<value>`` files, and filter -> value -> [file, rulings, properties]
    (and, for a value that most rulings have, a fourth: ``facet-<filter>-<value>-not``, the
    rulings without it, which is what a browse by that value alone fetches)."""
    files: dict[str, bytes] = {}
    facets: dict[str, dict[str, list]] = {}
    rulings = sum(1 for ref in codes if ref < PROPERTY_BASE)

    def write(name: str, refs: list[int]) -> str:
        data = _dumps({"refs": _deltas(refs), "codes": [codes[ref] for ref in refs]})
        files[_hashed(name, data)] = data
        return _hashed(name, data)

    for name, values in facet_values(codes, years).items():
        facets[name] = {}
        for value, refs in sorted(values.items()):
            rulings_in = sum(1 for ref in refs if ref < PROPERTY_BASE)
            facets[name][value] = [write(f"facet-{name}-{value}", refs), rulings_in, len(refs) - rulings_in]
            if 2 * rulings_in > rulings and rulings_in == len(refs):
                inside = set(refs)
                facets[name][value].append(write(f"facet-{name}-{value}-not",
                                                 [ref for ref in range(rulings) if ref not in inside]))
    return files, facets


def places(rulings: list[dict], properties: list[dict]) -> list[list]:
    """[neighbourhood, [its districts]]: a query naming one links to its district's page."""
    found: dict[str, set[int]] = defaultdict(set)
    for record in (*rulings, *properties):
        if record.get("neighbourhood"):
            found[record["neighbourhood"]].add(record["district"])
    return sorted([name, sorted(districts)] for name, districts in found.items())


def year_ranges(rulings: list[dict]) -> list[list[int]]:
    """[Jalali year, first ref, last ref], newest year first (refs follow the dates)."""
    ranges: dict[int, list[int]] = {}
    for ref, record in enumerate(rulings):
        year = jalali_year(record["ruling_date"])
        ranges.setdefault(year, [ref, ref])[1] = ref
    return [[year, *ranges[year]] for year in sorted(ranges, reverse=True)]


def _from_cache(cache: Path | None, fingerprint: str) -> dict[str, bytes] | None:
    """The files the listing ``<fingerprint>.json`` names, each checked against the full sha256
    the listing holds for it (``manifest.json`` has no hash in its name, and eight hex digits
    are too few to trust): a damaged or edited cache is a cold build, never a wrong index."""
    try:
        digests = json.loads((cache / f"{fingerprint}.json").read_bytes()) if cache else None
    except (OSError, ValueError):
        return None
    if not isinstance(digests, dict):
        return None
    files = {}
    for name, digest in digests.items():
        try:
            data = (cache / "files" / name).read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != digest:
            return None
        files[name] = data
    return files


def _to_cache(cache: Path | None, fingerprint: str, files: dict[str, bytes]) -> None:
    if cache is None:
        return
    (cache / "files").mkdir(parents=True, exist_ok=True)
    for old in cache.glob("*.json"):
        old.unlink()
    for name, data in files.items():
        write_if_changed(cache / "files" / name, data)
    for old in (cache / "files").iterdir():
        if old.name not in files:
            old.unlink()
    # Last, once every file it names is complete: a kill before it leaves no listing, a cold build.
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}
    write_atomically(cache / f"{fingerprint}.json", json.dumps(digests).encode())


def terms_file_of(table: list[list[str]], term: str) -> str:
    """The ``terms-`` file that holds ``term`` if any file does (as search.js finds it)."""
    firsts = [js_order(first) for first, _ in table]
    i = max(0, bisect_right(firsts, js_order(term)) - 1)
    return f"terms-{i}.{table[i][1]}.json"
