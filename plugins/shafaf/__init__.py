"""Shafaf's Pelican plugin: registration and the plugin's settings.

* ``RecordPagesGenerator`` (``records.py``): a page per ruling and per property, from the
  pipeline's Markdown files, rendered only when its inputs changed (``render.py``).
* ``ListingGenerator`` (``listings.py``): every page that lists rulings or properties
  (paginated by ``pagination.py``), the per-ruling JSON downloads, the Atom feeds
  (``feeds.py``), ``sitemap.xml`` and ``robots.txt`` (``sitemap.py``) and ``404.html``.
* ``DataPagesGenerator`` (``data_pages.py``): the datasets page, data dictionary and change log.
* ``ThemeFilesGenerator`` (``theme_files.py``): the theme's static files.

Every path comes from ``pipeline.urls`` (templates see it as ``urls``); path segments made
from text come from ``slugs.py``.
"""
from __future__ import annotations

import re

from pelican import signals

from pipeline.settings import SettingsError
from pipeline.urls import URLS

from .render import finish_rendering
from .slugs import ENUM_SLUGS

# The plugin's own settings (pelicanconf.py, documented in the README), with what each must be.
PLUGIN_SETTINGS = {
    "LISTING_PAGE_SIZE": lambda v: isinstance(v, int) and v >= 1,
    "RULINGS_FEED_ITEMS": lambda v: isinstance(v, int) and v >= 1,
    "LATEST_RULINGS_ON_HOME": lambda v: isinstance(v, int) and v >= 0,
    "RECORD_PATHS": lambda v: isinstance(v, list) and all(isinstance(x, str) and re.fullmatch("[a-z]+", x) for x in v),
    "RENDER_PROCESSES": lambda v: v in (1, 2),
}

# Pelican's own path settings for pages it writes itself, and what the scheme says they are.
PELICAN_PATHS = {
    "SEARCH_URL": URLS.search(),
    "SEARCH_SAVE_AS": URLS.save_as(URLS.search()),
    "PAGE_URL": URLS.static_page("{slug}"),
    "PAGE_SAVE_AS": URLS.save_as(URLS.static_page("{slug}")),
    "THEME_STATIC_DIR": URLS.theme("").rstrip("/"),
}


def check_settings(pelican) -> None:
    """Stops the build at its start with a message naming the setting."""
    for name, valid in PLUGIN_SETTINGS.items():
        if name not in pelican.settings:
            raise SettingsError(f"pelicanconf.py: {name} is not set (see the README's settings)")
        if not valid(pelican.settings[name]):
            raise SettingsError(f"pelicanconf.py: {name} = {pelican.settings[name]!r} is not allowed "
                                "(see the README's settings)")
    for name, path in PELICAN_PATHS.items():
        if pelican.settings.get(name) != path:
            raise SettingsError(f"pelicanconf.py: {name} = {pelican.settings.get(name)!r}, but "
                                f"pipeline/urls.py makes it {path!r}")


def get_generators(pelican):
    from .data_pages import DataPagesGenerator
    from .listings import ListingGenerator
    from .records import RecordPagesGenerator
    from .theme_files import ThemeFilesGenerator
    return [RecordPagesGenerator, ListingGenerator, DataPagesGenerator, ThemeFilesGenerator]


def get_writer(pelican):
    from .writer import UnchangedFilesWriter
    return UnchangedFilesWriter


def add_template_names(generator) -> None:
    """What the theme needs beyond ``pipeline.display``: the URL scheme and enum slugs."""
    generator.env.globals["urls"] = URLS
    generator.env.filters["enum_slug"] = lambda value, kind: ENUM_SLUGS[kind][value]


def drop_taxonomies(generator) -> None:
    """No category or author page is published (their SAVE_AS are empty), yet Pelican still
    builds each one with a scan of every article against a list of every article: O(N²),
    about 4 minutes at 100k rulings (BENCHMARKS.md). Nothing reads them, so they go."""
    generator.categories = []
    generator.authors = []


def settle(_generators) -> None:
    """Every generator's context is built: see ``pipeline.build.settle``."""
    import gc
    gc.freeze()


def register() -> None:
    signals.initialized.connect(check_settings)
    signals.all_generators_finalized.connect(settle)
    signals.article_generator_finalized.connect(drop_taxonomies)
    signals.get_writer.connect(get_writer)
    signals.get_generators.connect(get_generators)
    signals.generator_init.connect(add_template_names)
    signals.finalized.connect(finish_rendering)
