"""Writing imported files into a status repo: never clobber, never half-break it.

- A file that exists with the same bytes is left alone, so a second import changes nothing.
- A file that exists with other bytes is kept unless --force.
- An incident whose id (file stem) another file already uses is not written: ids make URLs.
- Before anything is written, the repo as it would be is validated in a scratch copy; if it would
  not load, nothing is written and the problems are returned.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from statusgen.errors import ContentError, Diagnostic

File = tuple[str, str]


@dataclass
class Plan:
    create: list[File] = field(default_factory=list)
    overwrite: list[File] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # differs; not overwritten without --force
    clashes: list[tuple[str, str]] = field(default_factory=list)  # (our path, existing path with that id)

    @property
    def writes(self) -> list[File]:
        return sorted(self.create + self.overwrite)


def _inside(content: Path, rel: str) -> Path:
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise ValueError(f"refusing to write outside the content folder: {rel}")
    return content.joinpath(*pure.parts)


def plan(content: Path, files: list[File], force: bool) -> Plan:
    """What writing files into content would do (reads the folder, writes nothing)."""
    result = Plan()
    stems: dict[str, str] = {}
    incidents = content / "incidents"
    if incidents.is_dir():
        for p in sorted(incidents.rglob("*.md")):
            stems.setdefault(p.stem, p.relative_to(content).as_posix())
    for rel, text in sorted(files):
        path = _inside(content, rel)
        if rel.startswith("incidents/") and stems.get(path.stem, rel) != rel:
            result.clashes.append((rel, stems[path.stem]))
            continue
        if not path.exists():
            result.create.append((rel, text))
        elif path.is_file() and path.read_bytes() == text.encode("utf-8"):
            result.unchanged.append(rel)
        elif force and path.is_file():
            result.overwrite.append((rel, text))
        else:
            result.kept.append(rel)
    return result


def validate_result(content: Path, planned: Plan) -> tuple[Diagnostic, ...]:
    """Problems the repo would have after the plan, found in a scratch copy; () when none."""
    from statusgen.build import load_site

    with tempfile.TemporaryDirectory(prefix="statusgen-import-") as scratch:
        root = Path(scratch) / "content"
        root.mkdir()
        for name in ("site.yaml", "incidents", "pages"):
            source = content / name
            if source.is_dir():
                shutil.copytree(source, root / name, symlinks=True)
            elif source.is_file():
                shutil.copy2(source, root / name)
        for rel, text in planned.writes:
            _write(root, rel, text)
        try:
            load_site(root)
        except ContentError as exc:
            return exc.diagnostics
    return ()


def apply(content: Path, planned: Plan) -> None:
    for rel, text in planned.writes:
        _write(content, rel, text)


def _write(root: Path, rel: str, text: str) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    path = _inside(root, rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".import-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; content is meant to be read by builds and servers
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
