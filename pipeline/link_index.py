"""The link index: each page's internal link targets, as the link gate found them.

At 100k rulings a site has about 4 million links to some 230,000 paths. As a dict of lists of
strings (one string per link, as the gate first made them) that is several hundred MB of the
publish process; here it is what ``<state>/site-index.json`` already stores: one sorted table
of target paths, and per page an ``array`` of 4-byte numbers into it (ascending, as the
targets are), 16 MB at 100k. The file is read without making an int object per link, and
written by hand as the bytes ``json.dumps(..., sort_keys=True, separators=(",", ":"))`` gives
of the dict-of-lists form, so a state written by the code before is read, and the state's
bytes stay the same for the same site (``tests/test_link_index.py``).
"""
from __future__ import annotations

import json
import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from .files import blocks, write_atomically

# "page":[1,2,3] — one page of the ``links`` object; a JSON string with its escapes
_ENTRY = re.compile(r'"((?:[^"\\]|\\.)*)":\[([0-9,]*)\]')
_NUMBERS = "I"   # unsigned 32-bit: a site of more than 4 billion paths is not this project's


class LinkIndex:
    """``targets``: the distinct link targets, sorted; ``pages``: page -> ascending numbers
    into ``targets``. Reads like the dict of lists it replaces (``index[page]``, ``in``)."""
    __slots__ = ("targets", "pages")

    def __init__(self, targets: list[str] | None = None, pages: dict[str, array] | None = None):
        self.targets = targets if targets is not None else []
        self.pages = pages if pages is not None else {}

    @classmethod
    def from_lists(cls, links: Mapping[str, Iterable[str]]) -> LinkIndex:
        builder = Builder(None)
        for page, targets in links.items():
            builder.add(page, targets)
        return builder.index()

    def __contains__(self, page: str) -> bool:
        return page in self.pages

    def __getitem__(self, page: str) -> list[str]:
        return [self.targets[i] for i in self.pages[page]]

    def __len__(self) -> int:
        return len(self.pages)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LinkIndex) and self.targets == other.targets and self.pages == other.pages

    def as_lists(self) -> dict[str, list[str]]:
        return {page: self[page] for page in self.pages}


class Builder:
    """The index of a new build: a page the gate did not read again keeps the numbers
    ``recorded`` holds for it (the same ``array``, not a copy), a page read again adds its
    targets; ``index()`` numbers the targets of the new site."""

    def __init__(self, recorded: LinkIndex | None):
        self.recorded = recorded
        self.kept: dict[str, array] = {}
        self.fresh: dict[str, array] = {}
        self.numbers: dict[str, int] = {}   # target read anew -> its number until index()

    def keep(self, page: str) -> array:
        numbers = self.kept[page] = self.recorded.pages[page]
        return numbers

    def add(self, page: str, targets: Iterable[str]) -> None:
        numbers = self.numbers
        self.fresh[page] = array(_NUMBERS, (numbers.setdefault(t, len(numbers)) for t in targets))

    def index(self) -> LinkIndex:
        old = self.recorded.targets if self.recorded is not None else []
        used = set().union(*self.kept.values())   # the numbers of the pages kept, at C speed
        targets = sorted({old[i] for i in used}.union(self.numbers))
        pages: dict[str, array] = {}
        if self.kept:
            moved = [bisect_left(targets, t) if i in used else -1 for i, t in enumerate(old)]
            same = all(m == i for i, m in enumerate(moved) if m >= 0)
            for page, numbers in self.kept.items():
                pages[page] = numbers if same else array(_NUMBERS, [moved[i] for i in numbers])
        if self.fresh:
            new = [0] * len(self.numbers)
            for t, i in self.numbers.items():
                new[i] = bisect_left(targets, t)
            for page, numbers in self.fresh.items():
                pages[page] = array(_NUMBERS, sorted(new[i] for i in numbers))
        return LinkIndex(targets, pages)


class Saved:
    """A link index ``save`` wrote into ``folder``: its ``links`` object and its ``targets``
    list, each the JSON text ``dumps`` makes of it, which ``dumps`` reads back in blocks. The
    link gate runs in a process of its own that writes it, so that the publish's process
    never holds the index (5 million links at 100k)."""
    __slots__ = ("folder",)
    LINKS, TARGETS = "links.json", "targets.json"

    def __init__(self, folder: Path):
        self.folder = Path(folder)


def save(index: LinkIndex, folder: Path) -> Saved:
    saved = Saved(folder)
    saved.folder.mkdir(parents=True, exist_ok=True)
    write_atomically(saved.folder / Saved.LINKS, (piece.encode("utf-8") for piece in _links(index)))
    write_atomically(saved.folder / Saved.TARGETS, _targets(index).encode("utf-8"))
    return saved


def dumps(index: LinkIndex | Saved, fields: Mapping[str, object]) -> Iterator[str | bytes]:
    """``json.dumps({**fields, "links": ..., "targets": ...}, sort_keys=True,
    separators=(",", ":"))`` of the dict-of-numbers form, in pieces (never one list per page);
    of a ``Saved`` index, its two files' bytes in blocks."""
    data = {**fields, "links": None, "targets": None}
    yield "{"
    for n, key in enumerate(sorted(data)):
        yield ("," if n else "") + json.dumps(key) + ":"
        if key == "links":
            yield from blocks(index.folder / Saved.LINKS) if isinstance(index, Saved) else _links(index)
        elif key == "targets":
            yield from blocks(index.folder / Saved.TARGETS) if isinstance(index, Saved) else (_targets(index),)
        else:
            yield json.dumps(data[key], sort_keys=True, separators=(",", ":"))
    yield "}"


def _links(index: LinkIndex) -> Iterator[str]:
    yield "{"
    for m, page in enumerate(sorted(index.pages)):
        yield ("," if m else "") + json.dumps(page) + ":[" + ",".join(map(str, index.pages[page])) + "]"
    yield "}"


def _targets(index: LinkIndex) -> str:
    return json.dumps(index.targets, sort_keys=True, separators=(",", ":"))


def loads(text: str) -> tuple[LinkIndex, dict]:
    """The index and the file's other fields. The ``links`` object is read page by page (a
    JSON text other than the one ``dumps`` writes is read by ``json``). Raises ValueError
    (a number past the table or negative too), KeyError, TypeError."""
    try:
        return _loads(text)
    except OverflowError as error:
        raise ValueError(str(error)) from None


def _loads(text: str) -> tuple[LinkIndex, dict]:
    head = re.match(r'\{"format":(\d+),"links":\{', text)
    pages: dict[str, array] = {}
    if head is None:
        return _from_json(json.loads(text))
    pos = head.end()
    if text.startswith("}", pos):
        pos += 1
    else:
        while True:
            entry = _ENTRY.match(text, pos)
            if entry is None:
                return _from_json(json.loads(text))
            page = entry.group(1)
            if "\\" in page:
                page = json.loads('"' + page + '"')
            numbers = entry.group(2)
            pages[page] = array(_NUMBERS, map(int, numbers.split(","))) if numbers else array(_NUMBERS)
            pos = entry.end() + 1
            if text[entry.end()] == "}":
                break
            if text[entry.end()] != ",":
                return _from_json(json.loads(text))
    rest = json.loads("{" + text[pos + 1:]) if text.startswith(",", pos) else {}
    if not isinstance(rest, dict):
        raise ValueError("not an object")
    rest["format"] = int(head.group(1))
    return _checked(LinkIndex(rest.pop("targets"), pages), rest)


def _from_json(data) -> tuple[LinkIndex, dict]:
    if not isinstance(data, dict):
        raise ValueError("not an object")
    links = data.pop("links")
    pages = {page: array(_NUMBERS, numbers) for page, numbers in links.items()}
    return _checked(LinkIndex(data.pop("targets"), pages), data)


def _checked(index: LinkIndex, rest: dict) -> tuple[LinkIndex, dict]:
    if not isinstance(index.targets, list) or not all(isinstance(t, str) for t in index.targets):
        raise ValueError("targets: not a list of paths")
    count = len(index.targets)
    if any(numbers and max(numbers) >= count for numbers in index.pages.values()):
        raise ValueError("a link to a target past the table")
    return index, rest
