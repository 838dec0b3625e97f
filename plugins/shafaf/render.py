"""Render only the pages whose inputs changed, on both cores.

Every page the plugin writes is a *job*: an output path, a template and the page's own
variables. Its *key* hashes everything the output can depend on:

* the code: every theme template, the Jinja filters and this plugin (``pipeline.files.code_digest``);
* the values of the context variables the template (with everything it extends, imports or
  includes) names, found by Jinja's own parser (``jinja2.meta``), with the page's variables
  taking precedence, as they do when Pelican renders.

A job is skipped when the manifest from the last build holds the same key for that path and
the file on disk still has the size and modification time recorded then. A value that cannot
be hashed (a function, a Pelican object) makes its page always render: never a stale page.

Pages to render are split between two processes (``fork``) once there are enough of them to
pay for it; outputs the last build wrote and this one did not are removed.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections import Counter
from datetime import date
from pathlib import Path

from jinja2 import meta

from pipeline.files import code_digest, record
from pipeline.pages import write_if_changed
from pipeline.parallel import in_halves

MANIFEST_VERSION = 2
PARALLEL_MINIMUM = 400   # below this, a second process costs more than it saves


# Set by Pelican's writer from the output path, which is in every key.
WRITER_VARIABLES = {"SITEURL", "output_file", "localsiteurl"}


class Unhashable(TypeError):
    pass


def _encode(value):
    if hasattr(value, "render_key"):  # an object that knows a cheaper equivalent of itself
        return value.render_key()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, date):
        return value.isoformat()
    raise Unhashable(type(value).__name__)


def digest(*parts) -> str:
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_encode)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class Renderer:
    """One per build: the manifest of (key, size, mtime) per output path, and the jobs."""

    def __init__(self, settings: dict, output_path: str, env):
        self.settings, self.env = settings, env
        self.output = Path(output_path)
        self.output_str = str(self.output)
        root = Path(settings.get("CACHE_PATH", "cache"))
        where = hashlib.blake2b(str(self.output.resolve()).encode(), digest_size=8).hexdigest()
        self.manifest_path = root / f"render-{where}.json"
        self.new: dict[str, list] = {}
        self.stats = Counter()
        self._shared: dict = {}
        self.processes = settings.get("RENDER_PROCESSES", 2)
        here = Path(__file__).resolve().parent
        theme = Path(settings["THEME"]) / "templates"
        import pipeline.display
        import pipeline.normalise
        import pipeline.urls
        # ``urls`` reaches templates as a Jinja global, not through the context the keys hash.
        sources = [*theme.rglob("*.html"), *here.glob("*.py"), Path(pipeline.display.__file__),
                   Path(pipeline.normalise.__file__), Path(pipeline.urls.__file__)]
        import pelican
        self.code = code_digest(sources) + pelican.__version__
        self.old, names = self._load()
        # What each template reads, found by parsing it: the same while the code (every
        # template) is, so kept in the manifest rather than parsed again on every build.
        self._names: dict[str, frozenset] = {name: frozenset(found) for name, found in names.items()}

    def _load(self) -> tuple[dict, dict]:
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}, {}
        if data.get("version") != MANIFEST_VERSION:
            return {}, {}
        return data.get("pages", {}), (data.get("names", {}) if data.get("code") == self.code else {})

    def template_names(self, name: str) -> frozenset:
        """Every variable the template and the templates it uses read from the context."""
        if name not in self._names:
            seen, names, todo = set(), set(), [name + ".html"]
            while todo:
                template = todo.pop()
                if template in seen:
                    continue
                seen.add(template)
                source = self.env.loader.get_source(self.env, template)[0]
                tree = self.env.parse(source)
                names |= meta.find_undeclared_variables(tree)
                todo.extend(t for t in meta.find_referenced_templates(tree) if t)
            self._names[name] = frozenset(names)
        return self._names[name]

    def key(self, save_as: str, template: str, context: dict, kwargs: dict) -> str | None:
        names = self.template_names(template)
        own = {name: kwargs[name] for name in sorted(names & kwargs.keys())}
        shared = tuple(sorted(name for name in names - kwargs.keys()
                              if name in context and name not in WRITER_VARIABLES))
        try:
            return digest(self._shared_digest(template, shared, context), save_as, own)
        except Unhashable:
            return None

    def _shared_digest(self, template: str, names: tuple, context: dict) -> str:
        """The part of a key that comes from the site-wide context, hashed once per render
        call (the context does not change while a batch of pages is keyed)."""
        cache_key = (template, names)
        if cache_key not in self._shared:
            self._shared[cache_key] = digest(self.code, template, self.settings["RELATIVE_URLS"],
                                             {name: context[name] for name in names})
        return self._shared[cache_key]

    def _unchanged(self, save_as: str, key: str | None) -> bool:
        if key is None:
            return False
        entry = self.old.get(save_as)
        if not entry or entry[0] != key:
            return False
        try:
            stat = os.stat(os.path.join(self.output_str, save_as))
        except FileNotFoundError:
            return False
        return [stat.st_size, stat.st_mtime_ns] == entry[1:]

    def _record(self, save_as: str, key: str | None) -> None:
        if key is None:
            self.new.pop(save_as, None)
            return
        stat = (self.output / save_as).stat()
        self.new[save_as] = [key, stat.st_size, stat.st_mtime_ns]

    # --- jobs -------------------------------------------------------------------------

    def render(self, writer, context: dict, jobs: list[tuple], label: str, load=None) -> None:
        """``jobs``: (save_as, template name, page variables[, stand-ins]). Renders the
        changed ones. Stand-ins replace page variables in the key only: something cheaper
        to hash that changes whenever they do (the digests of a listing's rows). ``load``:
        page variables -> what the template is given, called only for a page rendered (and in
        the process that renders it), so that a job need hold only what its key needs."""
        seen = set()
        todo = []
        self._shared: dict = {}
        for save_as, template, kwargs, *stand_ins in jobs:
            if save_as in seen or save_as in self.new:
                raise ValueError(f"two pages would be written to {save_as}")
            seen.add(save_as)
            key = self.key(save_as, template, context, {**kwargs, **stand_ins[0]} if stand_ins else kwargs)
            if self._unchanged(save_as, key):
                self.new[save_as] = self.old[save_as]
                self.stats[f"{label}: unchanged"] += 1
            else:
                todo.append((save_as, template, kwargs, key))
        self.stats[f"{label}: rendered"] += len(todo)
        if key_less := sum(1 for job in todo if job[3] is None):
            self.stats[f"{label}: not cacheable"] += key_less
        self._run(writer, context, todo, load)
        for save_as, _, _, key in todo:
            self._record(save_as, key)

    def _write_one(self, writer, context: dict, save_as: str, template: str, kwargs: dict) -> None:
        writer.write_file(save_as, self.env.get_template(template + ".html"), context,
                          relative_urls=self.settings["RELATIVE_URLS"], url=save_as, **kwargs)

    def _run(self, writer, context: dict, todo: list, load=None) -> None:
        in_halves(self._write_some, todo, writer, context, load,
                  parallel=self.processes > 1 and len(todo) >= PARALLEL_MINIMUM)

    def _write_some(self, todo: list, writer, context: dict, load=None) -> None:
        for save_as, template, kwargs, _ in todo:
            self._write_one(writer, context, save_as, template, load(kwargs) if load else kwargs)

    def write_text(self, save_as: str, text, label: str, key_of=None) -> None:
        """A file that is not a template's output (JSON, XML): written when its bytes change.
        ``text`` may be a function, called only when ``key_of`` (what the text is made
        from) changed."""
        key = (digest(self.code, save_as, text) if key_of is None
               else hashlib.blake2b(f"{self.code}\0{save_as}\0{key_of}".encode(), digest_size=16).hexdigest())
        if self._unchanged(save_as, key):
            self.new[save_as] = self.old[save_as]
            self.stats[f"{label}: unchanged"] += 1
            return
        write_if_changed(self.output / save_as, text() if callable(text) else text)
        self.stats[f"{label}: written"] += 1
        self._record(save_as, key)

    # --- end of the build -------------------------------------------------------------

    def finish(self) -> None:
        """Remove what the last build wrote and this one did not; save the manifest."""
        removed = 0
        for save_as in sorted(set(self.old) - set(self.new)):
            path = self.output / save_as
            if path.is_file():
                path.unlink()
                removed += 1
        self.stats["removed (no longer built)"] = removed
        record(*(self.output / save_as for save_as in sorted(self.new)))  # skipped pages are built too
        # The counts tell the next reader (and tests/test_rebuild.py) what this build did.
        write_if_changed(self.manifest_path, json.dumps(
            {"version": MANIFEST_VERSION, "pages": self.new, "last_build": self.stats, "code": self.code,
             "names": {name: sorted(found) for name, found in self._names.items()}},
            sort_keys=True, separators=(",", ":")))
        print("Shafaf pages: " + ", ".join(f"{k} {v}" for k, v in sorted(self.stats.items())))


# The build's one Renderer per output folder (one manifest for every page the plugin writes),
# made by the first generator that writes and finished by Pelican's ``finalized`` signal.
_RENDERERS: dict[str, Renderer] = {}


def renderer_for(generator) -> Renderer:
    key = str(Path(generator.output_path).resolve())
    if key not in _RENDERERS:
        _RENDERERS[key] = Renderer(generator.settings, generator.output_path, generator.env)
    return _RENDERERS[key]


def finish_rendering(pelican) -> None:
    renderer = _RENDERERS.pop(str(Path(pelican.output_path).resolve()), None)
    if renderer is not None:
        renderer.finish()
    from .chart_cache import finish
    finish(pelican.settings, pelican.output_path)
