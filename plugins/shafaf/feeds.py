"""The Atom feeds of new rulings (site-wide, per district, per member), written by the plugin
with ``pipeline.feeds.Feed``, the class the change log's feed (pipeline/changes.py) uses too."""
from __future__ import annotations

from datetime import date, datetime, time, timezone

from pipeline.display import fa_digits, isolate, jalali
from pipeline.feeds import Feed  # noqa: F401  (re-exported: feeds.Feed)
from pipeline.urls import URLS, absolute


def when(iso: str) -> datetime:
    """Noon UTC of a day: a date read from the data, never the build's clock."""
    return datetime.combine(date.fromisoformat(iso[:10]), time(12, 0), tzinfo=timezone.utc)


def ruling_feeds(rows: list[dict], districts: list, members: dict | None = None) -> list[tuple[str, str, list, str]]:
    """(feed path, title, rows newest first, the listing it follows) of each feed; ``members``:
    role -> that role's member groups, a feed each (follow a member: their newest rulings)."""
    feeds = [(URLS.rulings_feed(), "آرای تازه‌ی کمیسیون ماده ۱۰۰", rows, URLS.home())]
    feeds += [(URLS.district_feed(g.slug), f"آرای تازه‌ی منطقه {fa_digits(g.slug)}", g.items,
               URLS.district(g.slug)) for g in districts]
    feeds += [(URLS.member_feed(role, g.slug), f"آرای تازه‌ی {isolate(g.title, plain=True)}", g.items,
               URLS.member(role, g.slug)) for role, groups in (members or {}).items() for g in groups]
    return feeds


def ruling_feed(path: str, title: str, rows: list[dict], page: str, site: str, siteurl: str,
                limit: int) -> str:
    def link(target: str) -> str:
        return absolute(target, siteurl, path)

    feed = Feed(title=f"{title} — {site}", link=link(page), description=title, language="fa",
                feed_url=link(path), feed_guid=f"tag:shafaf,2024:{path}", updated=when("1970-01-01"))
    for row in rows[:limit]:
        day = when(row["ruling_date"])
        summary = (f"{jalali(row['ruling_date'])}، منطقه {fa_digits(row['district'])}، "
                   f"{row['stage']}؛ {'، '.join(row['decisions'])}")
        # A feed reader shows the title as plain text: the number is isolated by LRI…PDI.
        feed.add_item(title=f"رأی شماره {isolate(fa_digits(row['ruling_no']), plain=True)}",
                      link=link(row["url"]), description=summary,
                      unique_id=f"tag:shafaf,2024:ruling/{row['slug']}",
                      pubdate=day, updateddate=day)
    return feed.writeString("utf-8")
