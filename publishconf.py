"""Pelican settings for publishing: pelicanconf.py plus the site's absolute address.

``make publish`` (``python -m pipeline.publish``) builds with this file. The address comes
from the environment variable ``SHAFAF_SITEURL`` (e.g. ``https://shafaf.karaj.ir``), else from
``MUNICIPALITY["site_url"]`` in pelicanconf.py; publish refuses to run without one.
"""
import os
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))

from pelicanconf import *  # noqa: E402,F401,F403

SITEURL = (os.environ.get("SHAFAF_SITEURL") or MUNICIPALITY.get("site_url", "")).rstrip("/")  # noqa: F405
RELATIVE_URLS = False
# Feeds: the Shafaf plugin writes the rulings and district feeds and the pipeline the change
# feed (feeds/changes.atom.xml); with SITEURL set their links are absolute. FEED_DOMAIN is for
# any feed Pelican itself writes.
FEED_DOMAIN = SITEURL
DELETE_OUTPUT_DIRECTORY = False  # publish builds into a fresh folder of its own
LOAD_CONTENT_CACHE = False
