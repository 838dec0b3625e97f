"""Shafaf's Pelican plugin: registration and the plugin's settings.

* ``RecordPagesGenerator`` (``records.py``): a page per ruling and per property, from the
  pipeline's Markdown files, rendered only when its inputs changed (``render.py``).
* ``ListingGenerator`` (``listings.py``): every page that lists rulings or properties
  (paginated by ``pagination.py``), the per-ruling JSON downloads, the Atom feeds
  (``feeds.py``), ``sitemap.xml`` and ``robots.txt`` (``sitemap.py``) and ``404.html``.
* ``DataPagesGenerator`` (``data_pages.py``): the datasets page, data dictionary and change log.
* ``MapPageGenerator`` (``map_page.py``): the registry on a map, and the base-map settings
  (``MAP``) of every property page's small map.
* ``StatsPageGenerator`` (``stats_page.py``): the statistics page, its charts drawn at build time.
* ``ThemeFilesGenerator`` (``theme_files.py``): the theme's static files.

Every path comes from ``pipeline.urls`` (templates see it as ``urls``); path segments made
from text come from ``pipeline/slugs.py``.
"""
from __future__ import annotations

from pathlib import Path

from pelican import signals

from pipeline.settings import OPTIONAL_KEYS, check_site
from pipeline.urls import URLS

from .render import finish_rendering
from pipeline.slugs import ENUM_SLUGS


def check_settings(pelican) -> None:
    """The settings Pelican read (with any ``-e`` override), checked as the pipeline checks
    pelicanconf.py: the build stops at its start with a message naming the setting."""
    check_site(pelican.settings)
    # The optional keys a city's block leaves out, at the defaults the pipeline used: the
    # templates and the staff pages' {city:...} placeholders read the block itself.
    if "MUNICIPALITY" in pelican.settings:
        pelican.settings["MUNICIPALITY"] = {**OPTIONAL_KEYS, **pelican.settings["MUNICIPALITY"]}


def get_generators(pelican):
    from .data_pages import DataPagesGenerator
    from .listings import ListingGenerator
    from .map_page import MapPageGenerator
    from .records import RecordPagesGenerator
    from .stats_page import StatsPageGenerator
    from .theme_files import ThemeFilesGenerator
    return [RecordPagesGenerator, ListingGenerator, MapPageGenerator, DataPagesGenerator, StatsPageGenerator,
            ThemeFilesGenerator]


def get_writer(pelican):
    from .writer import UnchangedFilesWriter
    return UnchangedFilesWriter


def add_template_names(generator) -> None:
    """What the theme needs beyond ``pipeline.display``: the URL scheme and enum slugs; and
    Jinja's compiled templates kept in ``CACHE_PATH`` (keyed by each template's source, so an
    edited template compiles again): every generator has its own environment, and compiling
    the theme's templates in each was a tenth of a build with nothing to render."""
    import hashlib

    import jinja2
    generator.env.globals["urls"] = URLS
    generator.env.filters["enum_slug"] = lambda value, kind: ENUM_SLUGS[kind][value]
    # Jinja keys compiled code by the template's source only; the options that change what a
    # source compiles to (trim_blocks, autoescape, extensions...) name the folder instead.
    options = repr((jinja2.__version__, sorted((k, repr(v)) for k, v in generator.settings.get("JINJA_ENVIRONMENT", {}).items()),
                    sorted(generator.env.extensions)))
    folder = Path(generator.settings.get("CACHE_PATH", "cache")) / (
        "jinja-" + hashlib.blake2b(options.encode(), digest_size=8).hexdigest())
    folder.mkdir(parents=True, exist_ok=True)
    generator.env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))


def settle(_generators) -> None:
    """Every generator's context is built: see ``pipeline.build.settle``."""
    import gc
    gc.freeze()


def register() -> None:
    signals.initialized.connect(check_settings)
    signals.all_generators_finalized.connect(settle)
    signals.get_writer.connect(get_writer)
    signals.get_generators.connect(get_generators)
    signals.generator_init.connect(add_template_names)
    signals.finalized.connect(finish_rendering)
