"""The Atom feed class of the site, through feedgenerator: the change log's feed
(``pipeline/changes.py``) and the plugin's feeds of new rulings (``plugins/shafaf/feeds.py``)
both write with it. It lives in the pipeline so that the flow exports → pipeline → content →
Pelican has no arrow backwards: the plugin imports the pipeline, never the reverse
(``tests/test_layers.py``)."""
from __future__ import annotations

from datetime import datetime

from feedgenerator import Atom1Feed


class Feed(Atom1Feed):
    """An Atom feed that never reads the clock and may link related files (a CSV).

    ``updated``: the feed's date when it has no entry (feedgenerator would take the clock's).
    ``related``: (href, media type) links of the feed; an entry's come from ``add_item``'s
    ``related`` keyword."""

    def __init__(self, *args, updated: datetime, related: tuple = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.updated, self.related = updated, related

    def latest_post_date(self):
        dates = [item["updateddate"] or item["pubdate"] for item in self.items]
        return max((d for d in dates if d), default=self.updated)

    @staticmethod
    def _related(handler, links) -> None:
        for href, media_type in links:
            handler.addQuickElement("link", "", {"rel": "related", "href": href, "type": media_type})

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        self._related(handler, self.related)

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        self._related(handler, item.get("related", ()))
