"""A Pelican writer that leaves a file alone when its new content is the same.

Pelican rewrites every output file on every build; with this writer a rebuild touches only
the pages that changed, so their modification times mean something and an upload has
less to look at.
"""
from __future__ import annotations

import io
import os

from pelican.writers import FileOverwriteFailedError, Writer


class _WriteIfChanged(io.StringIO):
    def __init__(self, path: str, encoding: str):
        super().__init__()
        self.path, self.target_encoding = path, encoding

    def close(self) -> None:
        if not self.closed and self.path != os.devnull:
            data = self.getvalue().encode(self.target_encoding)
            try:
                with open(self.path, "rb") as existing:
                    unchanged = existing.read() == data
            except FileNotFoundError:
                unchanged = False
            if not unchanged:
                # A new file replaces the old one, never rewrites it in place: the old one
                # may be a hard link into the published site (publish.py).
                tmp = self.path + ".tmp"
                with open(tmp, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, self.path)
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
