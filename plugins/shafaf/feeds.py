"""The Atom feeds of new rulings (site-wide and per district), through feedgenerator."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timezone

from feedgenerator import Atom1Feed

from pipeline.display import fa_digits, isolate, jalali
from pipeline.urls import URLS, absolute


def when(iso: str) -> datetime:
    """Noon UTC of a day: a date read from the data, never the build's clock."""
    return datetime.combine(date.fromisoformat(iso[:10]), time(12, 0), tzinfo=timezone.utc)


def ruling_feeds(rows: list[dict], districts: list) -> list[tuple[str, str, list, str]]:
    """(feed path, title, rows newest first, the listing it follows) of each feed."""
    feeds = [(URLS.rulings_feed(), "آرای تازه‌ی کمیسیون ماده ۱۰۰", rows, URLS.home())]
    feeds += [(URLS.district_feed(g.slug), f"آرای تازه‌ی منطقه {fa_digits(g.slug)}", g.items,
               URLS.district(g.slug)) for g in districts]
    return feeds


def ruling_feed(path: str, title: str, rows: list[dict], page: str, site: str, siteurl: str,
                limit: int) -> str:
    def link(target: str) -> str:
        return absolute(target, siteurl, path)

    feed = Atom1Feed(title=f"{title} — {site}", link=link(page), description=title, language="fa",
                     feed_url=link(path), feed_guid=f"tag:shafaf,2024:{path}")
    for row in rows[:limit]:
        day = when(row["ruling_date"])
        summary = (f"{jalali(row['ruling_date'])}، منطقه {fa_digits(row['district'])}، "
                   f"{row['stage']}؛ {'، '.join(row['decisions'])}")
        # A feed reader shows the title as plain text: the number is isolated by LRI…PDI.
        feed.add_item(title=f"رأی شماره {isolate(fa_digits(row['ruling_no']), plain=True)}",
                      link=link(row["url"]), description=summary,
                      unique_id=f"tag:shafaf,2024:ruling/{row['slug']}",
                      pubdate=day, updateddate=day)
    text = feed.writeString("utf-8")
    # feedgenerator uses the newest item date for <updated>; with no item it would read the
    # clock, so an empty feed gets a fixed date instead.
    if not rows:
        text = re.sub(r"<updated>[^<]*</updated>", f"<updated>{when('1970-01-01').isoformat()}</updated>", text)
    return text
