"""The seal ``make publish`` puts on a site that passed every gate, and ``make upload`` checks.

``<site>/.shafaf-published`` (JSON) lists every file of the site (and every symbolic link)
with its sha256, the digest of that list, the publication date and the sha256 of the
``published.json`` of the state that goes with the site. A folder without a seal (a
preview, a half-built or emptied ``output/``) or whose files no longer match it (edited,
added or removed by hand) is never uploaded. The seal moves with the site when folders are
swapped, so a site and its seal are never apart. It is never uploaded itself.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .files import write_atomically

NAME = ".shafaf-published"  # JSON; no suffix: it is no file of the site (no .gz, never served)
FORMAT = 1


def listing(site: Path) -> dict[str, str]:
    """Every file under ``site`` but the seal -> sha256 of its bytes (of its target, for a
    symbolic link), in a fixed order."""
    files = {}
    for folder, dirs, names in os.walk(site):
        dirs.sort()
        for name in sorted(names + [d for d in dirs if os.path.islink(os.path.join(folder, d))]):
            path = Path(folder, name)
            relative = path.relative_to(site).as_posix()
            if relative == NAME:
                continue
            if path.is_symlink():
                files[relative] = "link:" + os.readlink(path)
            else:
                files[relative] = _sha256(path)
    return dict(sorted(files.items()))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def digest_of(files: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def state_digest(state: Path) -> str | None:
    """Which publication a state folder records: the sha256 of its ``published.json``."""
    path = state / "published.json"
    return _sha256(path) if path.is_file() else None


def write(site: Path, published: str, state: Path) -> None:
    files = listing(site)
    data = {"format": FORMAT, "published": published, "state": state_digest(state),
            "digest": digest_of(files), "count": len(files), "files": files}
    write_atomically(site / NAME, (json.dumps(data, indent=0, sort_keys=True) + "\n").encode("utf-8"), durable=True)


@dataclass
class Seal:
    published: str
    state: str | None
    digest: str
    files: dict[str, str]


def read(site: Path) -> Seal | None:
    """The site's seal; None when there is none or it cannot be read (both mean: not sealed)."""
    try:
        data = json.loads((site / NAME).read_text(encoding="utf-8"))
        return Seal(data["published"], data["state"], data["digest"], data["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check(site: Path) -> list[str]:
    """What keeps ``site`` from being the site a publish sealed; empty when nothing does."""
    seal = read(site)
    if seal is None:
        return [f"{site}/ has no readable seal ({NAME}): it is not a site make publish checked and put in place"]
    files = listing(site)
    if digest_of(files) == seal.digest and files == seal.files:
        return []
    problems = [f"changed since publish: {name}" for name in sorted(files.keys() & seal.files.keys())
                if files[name] != seal.files[name]]
    problems += [f"added since publish: {name}" for name in sorted(files.keys() - seal.files.keys())]
    problems += [f"missing since publish: {name}" for name in sorted(seal.files.keys() - files.keys())]
    return problems or ["the seal's digest does not match its own file list"]
