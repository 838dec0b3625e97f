"""Shafaf's Pelican plugin: turns each page's ``Record`` metadata into ``content.record``."""
from __future__ import annotations

import json

from pelican import signals


def attach_record(content) -> None:
    raw = content.metadata.get("record")
    if raw is not None:
        content.record = json.loads(raw)


def register() -> None:
    signals.content_object_init.connect(attach_record)
