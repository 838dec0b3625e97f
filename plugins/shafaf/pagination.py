"""Pages of a listing: ``base`` then ``base`` + page/2/... (pipeline.urls)."""
from __future__ import annotations

from pipeline.urls import URLS


def page_url(base: str, number: int) -> str:
    return URLS.page(base, number)


def page_count(items: int, size: int) -> int:
    """An empty listing still has its first page."""
    return max(1, -(-items // size))


def pagination(base: str, number: int, count: int, size: int) -> dict:
    """Links to the first and last pages and two either side of this one: a list of
    thousands of pages must not put thousands of links on each of them."""
    near = sorted({1, count, *range(max(1, number - 2), min(count, number + 2) + 1)})
    window = []
    for n in near:
        if window and n - window[-1][0] > 1:
            window.append((None, None))  # a gap
        window.append((n, page_url(base, n)))
    return {"number": number, "count": count, "window": window,
            "previous": page_url(base, number - 1) if number > 1 else None,
            "next": page_url(base, number + 1) if number < count else None,
            "first_index": (number - 1) * size}


def pages(base: str, items: list, size: int):
    """(path, the page's items, its pagination) for each page of a listing."""
    count = page_count(len(items), size)
    for n in range(1, count + 1):
        yield page_url(base, n), items[(n - 1) * size: n * size], pagination(base, n, count, size)
