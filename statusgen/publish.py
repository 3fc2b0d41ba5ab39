"""Stage 5, publish: write outputs to a staging folder and swap it in only when all is written.

A failed or interrupted build leaves the previous site exactly as it was. The output folder
carries a marker file so statusgen never replaces a folder it did not create.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from statusgen.render import Output

MARKER = ".statusgen-output"


class PublishError(Exception):
    pass


@dataclass(frozen=True)
class Changes:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.removed)} removed, {self.unchanged} unchanged"
        )


def check_outputs(outputs: list[Output]) -> None:
    """Refuse two outputs on one path and any path that could leave the output folder."""
    seen: set[str] = set()
    for path, _ in outputs:
        p = PurePosixPath(path)
        if not path or p.is_absolute() or ".." in p.parts or "\\" in path or path != p.as_posix() or path == MARKER:
            raise PublishError(f"refusing to write output outside the site: {path!r}")
        if path.lower() in seen:
            raise PublishError(f"two outputs would be written to {path!r}")
        seen.add(path.lower())


def check_out_dir(out: Path, content: Path) -> None:
    out_r, content_r = out.resolve(), content.resolve()
    if out_r == content_r or out_r.is_relative_to(content_r) or content_r.is_relative_to(out_r):
        raise PublishError(f"the output folder {out} must be outside the content folder {content}, and not contain it")
    if out.exists() and not out.is_dir():
        raise PublishError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise PublishError(
            f"{out} is not empty and was not made by statusgen; choose another --out or empty it yourself"
        )


def publish(outputs: list[Output], out: Path, content: Path) -> Changes:
    check_out_dir(out, content)
    check_outputs(outputs)
    out = out.absolute()
    _recover(out)
    staging = out.with_name(f".{out.name}.staging")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    for path, data in outputs:
        target = staging / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (staging / MARKER).write_text("This folder is written by statusgen build and replaced on every build.\n")
    _fsync_tree(staging)
    changes = _compare(out, outputs)
    old = out.with_name(f".{out.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if out.exists():
        os.replace(out, old)
    os.replace(staging, out)
    if old.exists():
        shutil.rmtree(old)
    return changes


def _recover(out: Path) -> None:
    """Finish a swap that a crash interrupted between its two renames."""
    old = out.with_name(f".{out.name}.old")
    if old.exists() and not out.exists():
        os.replace(old, out)


def _fsync_tree(root: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _compare(out: Path, outputs: list[Output]) -> Changes:
    added, changed, unchanged = [], [], 0
    new_paths = set()
    for path, data in outputs:
        new_paths.add(path)
        old = out / path
        if not old.is_file():
            added.append(path)
        elif old.stat().st_size != len(data) or old.read_bytes() != data:
            changed.append(path)
        else:
            unchanged += 1
    removed = []
    if out.is_dir():
        for p in out.rglob("*"):
            rel = p.relative_to(out).as_posix()
            if p.is_file() and rel != MARKER and rel not in new_paths:
                removed.append(rel)
    return Changes(tuple(sorted(added)), tuple(sorted(changed)), tuple(sorted(removed)), unchanged)
