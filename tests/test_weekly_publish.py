"""Two publishes a week apart from the same exports: what the week alone may change.

A let property whose lease ends between them gains ``flag_lease_expired`` (pipeline/flags.py),
and an assigned one's contract end passes (its page says the contract ended): those two pages,
the lease-expired listing, the first page of the registry (the filters' counts) and the dated
files (data, change log, feed) change; no other property listing, no ruling page, no ruling
listing is rewritten. Every property listing page used to show every filter's count, so one
lease ending rewrote all of them (about 195 pages at 10k rulings, BENCHMARKS.md)."""
from __future__ import annotations

import hashlib
import json

import pytest

from factory import property_, ruling, violation, write_exports
from pipeline.urls import URLS
from pipeline.values import slug as slug_of
from test_publish import publish

FIRST, SECOND = "2026-11-21", "2026-11-28"
LET, ASSIGNED, VACANT = "اجاره", "واگذار به نهاد", "خالی"
ENDING = "P-05-0001"      # let, its lease ends between the two publishes
PASSING = "P-07-0004"     # assigned: its contract end passes, no flag changes


def let(code: str, end: str, district: str = "۵", start: str = "2023-01-01") -> dict:
    return property_(property_code=code, district=district, land_use="تجاری", occupancy=LET,
                     building_area_m2="100", land_area_m2="500", contract_start=start,
                     contract_end=end, monthly_rent_rial="10000000", holder_kind="حقوقی",
                     holder="شرکت نمونه")


def properties() -> list[dict]:
    return [
        let(ENDING, "2026-11-25"),
        let("P-05-0002", "2027-06-01"),
        let("P-06-0001", "2020-01-01", district="۶", start="2019-01-01"),        # ended long ago: the listing is not new
        property_(property_code="P-07-0002", district="۷", occupancy=VACANT),
        property_(property_code=PASSING, district="۷", occupancy=ASSIGNED, holder_kind="حقوقی",
                  holder="سازمان نمونه", contract_start="2023-01-01", contract_end="2026-11-24"),
    ]


def rewritten(work, before: dict[str, int]) -> set[str]:
    """Files of the published site that are not the same file (inode) as a week before, their
    ``.gz`` copies counted with them."""
    now = {str(p.relative_to(work / "output")): p.stat().st_ino for p in (work / "output").rglob("*") if p.is_file()}
    return {name.removesuffix(".gz") for name, inode in now.items() if before.get(name) != inode}


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    """The same exports published on FIRST, then on SECOND: the files the second rewrote."""
    root = tmp_path_factory.mktemp("week")
    rulings = [ruling(ruling_no=f"1402/3/{n}", case_no=f"۵۵{n}") for n in range(100, 104)]
    exports = write_exports(root / "exports", rulings=rulings,
                            violations=[violation(ruling_no=r["ruling_no"]) for r in rulings],
                            properties=properties())
    work = root / "work"
    first = publish(exports, work, date=FIRST)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr
    before = {str(p.relative_to(work / "output")): p.stat().st_ino
              for p in (work / "output").rglob("*") if p.is_file()}
    second = publish(exports, work, date=SECOND)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr
    return work, rewritten(work, before)


def rendered_listings(work) -> int:
    """How many listing pages the second publish's Pelican rendered (plugins/shafaf/render.py
    keeps its counts in its manifest, under the publish's cache/, one per output folder)."""
    where = hashlib.blake2b(str((work / "output.new").resolve()).encode(), digest_size=8).hexdigest()
    manifest = work / "cache" / "pelican" / f"render-{where}.json"
    return json.loads(manifest.read_text("utf-8"))["last_build"].get("listings: rendered", 0)


def test_a_week_rewrites_only_the_pages_whose_lease_ended(week):
    work, changed = week
    slug = {code: slug_of(code) for code in (ENDING, PASSING)}
    pages = {name for name in changed if name.startswith(URLS.properties())}
    assert pages == {URLS.save_as(URLS.property(slug[ENDING])), URLS.save_as(URLS.property(slug[PASSING])),
                     URLS.save_as(URLS.properties()), URLS.save_as(URLS.property_flag("lease-expired"))}


def test_nothing_on_the_rulings_side_is_rewritten_by_the_week_alone(week):
    work, changed = week
    ruling_side = sorted(name for name in changed if name.endswith(".html")
                         and not name.startswith((URLS.properties(), URLS.data())))
    # (the change log's page, which lists the new publication, is under data/)
    assert ruling_side == []


def test_the_counts_are_on_the_first_page_of_the_registry_only(week):
    work, _ = week
    index = (work / "output" / URLS.save_as(URLS.properties())).read_text("utf-8")
    district = (work / "output" / URLS.save_as(URLS.property_facet("district", "5"))).read_text("utf-8")
    flag = URLS.property_flag("lease-expired")
    assert f'{flag}">قرارداد اجاره‌ی پایان‌یافته (۲)</a>' in index   # P-05-0001 and P-06-0001
    assert f'{flag}">قرارداد اجاره‌ی پایان‌یافته</a>' in district


def test_a_listing_is_rendered_only_when_what_it_shows_can_have_changed(week):
    """The registry's first page (counts) and the four listings holding the property whose
    flags changed (its district, use, occupancy, and the lease-expired listing) are rendered
    again; not the other 30-odd property listings, whose filters and rows are the same."""
    work, _ = week
    assert rendered_listings(work) == 5
