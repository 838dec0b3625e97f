"""``sitemap.xml`` and ``robots.txt``."""
from __future__ import annotations

from urllib.parse import quote

from pipeline.urls import URLS


def _xml(text: str) -> str:
    return quote(text, safe=":/?=&#%").replace("&", "&amp;")


def sitemap(paths, base: str) -> str:
    """Every path once, sorted; absolute when the site's URL is known, else from its root."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for path in sorted(set(paths)):
        lines.append(f"<url><loc>{_xml(f'{base}/{path}')}</loc></url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def robots(base: str) -> str:
    where = URLS.sitemap()
    lines = ["User-agent: *", "Allow: /", "",
             f"Sitemap: {base}/{where}" if base else f"# Sitemap: /{where} (absolute once SITEURL is set)"]
    return "\n".join(lines) + "\n"
