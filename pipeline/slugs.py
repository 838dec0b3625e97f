"""Path segments made from spreadsheet text: member names and enumeration values.

Only Latin lower-case letters, digits and Persian letters (after ``fold``) ever reach a path;
anything else becomes a hash.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter

from .normalise import fold
from .schema import DECISIONS, LAND_USES, MEMBER_ROLES, OCCUPANCIES, VIOLATION_TYPES
from .urls import ROLE_SLUGS
from .values import match_key

# (schema role name, its path segment, its Persian title)
ROLES = [(name, ROLE_SLUGS[name], title_fa) for name, title_fa, _ in MEMBER_ROLES]

# Persian letters after ``fold``: no hamza forms, no ZWNJ, no tatweel, no diacritics.
_SLUG_CHARS = "a-z0-9\u0621-\u063a\u0641-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc"
_SLUG_PART = re.compile(f"[{_SLUG_CHARS}]+")
SLUG_PATTERN = re.compile(f"[{_SLUG_CHARS}]{{1,40}}(?:-[{_SLUG_CHARS}]{{1,40}}){{0,9}}")


class SlugError(ValueError):
    """Two values of one enumeration would share a path."""


def _digest(text: str, size: int = 8) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:size]


def text_slug(text: str) -> str:
    """A URL segment from Persian text: its letters and digits joined by '-', or a hash."""
    slug = "-".join(_SLUG_PART.findall(fold(text or "")))
    if SLUG_PATTERN.fullmatch(slug) is None:
        slug = "x-" + _digest(match_key(text or ""))
    return slug


def unique_slugs(keys_to_names: dict[str, str]) -> dict[str, str]:
    """Slugs for distinct keys; two keys that would meet on one slug both get a hash suffix."""
    wanted = {key: text_slug(name) for key, name in keys_to_names.items()}
    used = Counter(wanted.values())
    return {key: (slug if used[slug] == 1 else f"{slug}-{_digest(key, 6)}")
            for key, slug in wanted.items()}


def member_names(spellings: dict[str, dict[str, Counter]]) -> dict[str, dict[str, tuple[str, str]]]:
    """role -> match key -> (the name shown, the slug of the member's page), from how often
    each spelling of a name occurs. The spelling most rulings use is shown (ties: the first
    in order). Shared with the search index (pipeline/search.py), which links to these pages."""
    names = {}
    for role, keys in spellings.items():
        titles = {key: min(counts, key=lambda name: (-counts[name], name)) for key, counts in keys.items()}
        slugs = unique_slugs(titles)
        names[role] = {key: (title, slugs[key]) for key, title in titles.items()}
    return names


def enum_slugs(enumerations: dict[str, tuple[str, ...]]) -> dict[str, dict[str, str]]:
    """kind -> value -> slug. Enumeration values are the schema's, so a clash is a schema
    edit that would make two listings one: refused at import, before any build."""
    slugs = {}
    for kind, values in enumerations.items():
        slugs[kind] = {value: text_slug(value) for value in values}
        shared = sorted(slug for slug, n in Counter(slugs[kind].values()).items() if n > 1)
        if shared:
            raise SlugError(f"values of the {kind} enumeration share the slugs {shared}")
    return slugs


ENUM_SLUGS = enum_slugs({"types": VIOLATION_TYPES, "decisions": DECISIONS,
                         "use": LAND_USES, "occupancy": OCCUPANCIES})
