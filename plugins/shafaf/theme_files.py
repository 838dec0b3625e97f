"""The theme's static files, copied only when their bytes differ."""
from __future__ import annotations

from pathlib import Path

from pelican.generators import Generator

from pipeline.pages import write_if_changed


class ThemeFilesGenerator(Generator):
    """The theme's static files (CSS, scripts, fonts) under ``THEME_STATIC_DIR``, copied only
    when their bytes differ: Pelican's own copy (``THEME_STATIC_PATHS``, left empty in
    pelicanconf.py) gives them a new modification time on every build."""

    def generate_output(self, writer):
        source = Path(self.theme) / "static"
        target = Path(self.output_path) / self.settings["THEME_STATIC_DIR"]
        for path in sorted(source.rglob("*")):
            if path.is_file():
                write_if_changed(target / path.relative_to(source), path.read_bytes())
