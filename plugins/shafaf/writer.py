"""A Pelican writer that leaves a file alone when its new content is the same.

Pelican rewrites every output file on every build; with this writer a rebuild touches only
the pages that changed, so their modification times mean something and an upload has
less to look at.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

from pelican.writers import FileOverwriteFailedError, Writer

from pipeline.files import write_if_changed


class _WriteIfChanged(io.StringIO):
    def __init__(self, path: str, encoding: str):
        super().__init__()
        self.path, self.target_encoding = path, encoding

    def close(self) -> None:
        if not self.closed and self.path != os.devnull:
            write_if_changed(Path(self.path), self.getvalue().encode(self.target_encoding))
        super().close()


class UnchangedFilesWriter(Writer):
    def _open_w(self, filename, encoding, override=False):
        # Pelican's own bookkeeping (writers.Writer._open_w), then a buffer instead of a
        # truncating open().
        if filename in self._overridden_files:
            if override:
                raise FileOverwriteFailedError(f'Failed to overwrite "{filename}" a second time')
            filename = os.devnull
        elif filename in self._written_files and not override:
            raise FileOverwriteFailedError(f'Failed to overwrite "{filename}" as Pelican has already written it')
        if override:
            self._overridden_files.add(filename)
        self._written_files.add(filename)
        return _WriteIfChanged(filename, encoding)
