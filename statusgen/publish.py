"""Stage 5, publish: write outputs to a staging folder and move them in only when all is written.

A failed or interrupted build leaves the previous site exactly as it was. The output folder
carries a marker file so statusgen never replaces a folder it did not create.

Only files whose bytes changed are written (unchanged files keep their inode and mtime, so a
deploy that syncs by size and time, or by hash, uploads only what changed). The first build
stages the whole site and swaps the folder in with one rename. Later builds stage only the
changed files, then commit by writing a journal into the staging folder: from that moment the
move-in is certain, and a move-in cut short (power loss, kill) is finished by the next publish
before anything else happens. Without a journal, a staging folder is just discarded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Collection, Iterable, NamedTuple

from statusgen.render import Output

MARKER = ".statusgen-output"
MARKER_TEXT = "This folder is written by statusgen build and replaced on every build.\n"
JOURNAL = ".statusgen-journal"


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


def check_outputs(outputs: list[Output], kept: Iterable[str] = ()) -> None:
    """Refuse two outputs on one path and any path that could leave the output folder."""
    paths = [p for p, _ in outputs] + list(kept)
    for path in paths:
        _check_path(path)
    _check_unique(paths)


def _check_path(path: str) -> None:
    # The path as PurePosixPath would write it back, relative, without '.', '..' or empty parts
    # (a string test: every output goes through here).
    parts = path.split("/")
    if (not path or "" in parts or "." in parts or ".." in parts or "\\" in path
            or path in (MARKER, JOURNAL)):  # fmt: skip
        raise PublishError(f"refusing to write output outside the site: {path!r}")


def _check_unique(paths: list[str]) -> None:
    seen: set[str] = set()
    for path in paths:
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


class FileState(NamedTuple):
    """What a build wrote to one output file, to tell later whether it is still there as written."""

    sha: bytes
    size: int
    mtime_ns: int


class Staged(NamedTuple):
    """One output as stage() left it: how it compares with the published file, and what was
    staged (None when unchanged). Moving a file in keeps its size and time, so that is its state."""

    path: str
    sha: bytes
    how: str  # 'added', 'changed' or 'unchanged'
    state: FileState | None


def publish(outputs: list[Output], out: Path, content: Path) -> Changes:
    """Publish a whole build (every output rendered) without a record of the previous one."""
    staging = Staging(out, content)
    try:
        return staging.commit(staging.stage(outputs))[0]
    except BaseException:
        staging.abandon()
        raise


class Staging:
    """The staging folder of one publish. Outputs are staged as they are rendered, by whichever
    process rendered them (only those that differ from the published files are written), and
    commit() moves them in.

    previous: what the last build wrote (verified), or None when there is no record: then each
    output is compared with the file in the output folder."""

    def __init__(self, out: Path, content: Path, previous: dict[str, FileState] | None = None):
        check_out_dir(out, content)
        self.out = out.absolute()
        _recover(self.out)
        self.dir = self.out.with_name(f".{self.out.name}.staging")
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        self.fresh = not self.out.is_dir() or not any(p.name != MARKER for p in self.out.iterdir())
        self.previous = previous
        self._made: set[str] = set()  # folders made in the staging folder (by this process)

    def stage(self, outputs: Iterable[Output]) -> list[Staged]:
        """Write the outputs that changed into the staging folder."""
        entries = []
        root, out, made = str(self.dir), str(self.out), self._made
        for path, data in outputs:
            _check_path(path)
            sha = _sha(data)
            if self.fresh:
                how = "added"
            elif self.previous is not None:
                before = self.previous.get(path)
                if before is not None and before.sha == sha:
                    how = "unchanged"
                else:
                    how = "changed" if before is not None or os.path.lexists(os.path.join(out, path)) else "added"
            else:
                target = self.out / path
                if not target.is_file():
                    how = "added"
                else:
                    same = target.stat().st_size == len(data) and target.read_bytes() == data
                    how = "unchanged" if same else "changed"
            state = None
            if how != "unchanged":
                staged = os.path.join(root, path)
                folder = os.path.dirname(staged)
                if folder not in made:  # one mkdir per folder, not per file
                    os.makedirs(folder, exist_ok=True)
                    made.add(folder)
                with open(staged, "wb") as f:
                    f.write(data)
                    f.flush()  # the last write sets the time
                    state = FileState(sha, len(data), os.fstat(f.fileno()).st_mtime_ns)
            entries.append(Staged(path, sha, how, state))
        return entries

    def commit(
        self, entries: list[Staged], kept: Collection[str] = (), stale: Collection[str] = ()
    ) -> tuple[Changes, dict[str, FileState]]:
        """Move the staged files in. `kept`: paths not rendered because the previous build wrote
        them as they are; `stale`: files the previous build wrote that were changed since.
        Returns what changed and what is in the folder now."""
        paths = [e.path for e in entries]
        _check_unique(paths + list(kept))
        out, previous = self.out, self.previous
        if self.fresh:
            if kept:
                raise PublishError(f"{out} is empty, but the build expected files of an earlier build there")
            return self._swap(entries)
        states: dict[str, FileState] = {}
        if previous is None:
            written = set(paths)
            removed = sorted(
                rel for p in out.rglob("*")
                if p.is_file() and (rel := p.relative_to(out).as_posix()) != MARKER and rel not in written
            )  # fmt: skip
        else:
            missing = [p for p in kept if p not in previous]
            if missing:
                raise PublishError(f"the build kept {missing[0]!r}, which the previous build did not write")
            states.update((path, previous[path]) for path in kept)
            removed = sorted((set(previous) | set(stale)) - set(paths) - set(kept))
        for path, sha, how, state in entries:
            states[path] = state or (previous[path] if previous is not None else _state_of(out / path, sha))
        to_write = sorted(e.path for e in entries if e.how != "unchanged")
        _fsync_tree(self.dir)
        _write_json(self.dir / JOURNAL, {"write": to_write, "remove": removed})  # the commit point
        _apply(out, self.dir)
        added = tuple(sorted(e.path for e in entries if e.how == "added"))
        changed = tuple(sorted(e.path for e in entries if e.how == "changed"))
        unchanged = len(kept) + sum(1 for e in entries if e.how == "unchanged")
        return Changes(added, changed, tuple(removed), unchanged), states

    def _swap(self, entries: list[Staged]) -> tuple[Changes, dict[str, FileState]]:
        """The first build into an empty or missing folder: swap the whole staged folder in."""
        out, staging = self.out, self.dir
        (staging / MARKER).write_text(MARKER_TEXT)
        _fsync_tree(staging)
        old = out.with_name(f".{out.name}.old")
        if old.exists():
            shutil.rmtree(old)
        if out.exists():
            os.replace(out, old)
        os.replace(staging, out)
        if old.exists():
            shutil.rmtree(old)
        states = {e.path: e.state for e in entries}
        return Changes(tuple(sorted(states)), (), (), 0), states

    def abandon(self) -> None:
        """Drop what was staged, unless the move-in was committed (the next publish finishes it)."""
        if self.dir.exists() and not (self.dir / JOURNAL).exists():
            shutil.rmtree(self.dir, ignore_errors=True)


def verify(out: Path, previous: dict[str, FileState]) -> dict[str, FileState]:
    """The entries of a build record whose file is still in `out` with the recorded size and time
    (a file edited or removed by hand since is then rendered and written again)."""
    good = {}
    root = str(out) + "/"  # the paths are relative POSIX paths (_check_path)
    for path, state in previous.items():
        try:
            st = os.stat(root + path)
        except OSError:
            continue
        if st.st_size == state.size and st.st_mtime_ns == state.mtime_ns:
            good[path] = state
    return good


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _state_of(path: Path, sha: bytes) -> FileState:
    st = path.stat()
    return FileState(sha, st.st_size, st.st_mtime_ns)


def _write_json(path: Path, value: object) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_tree(path.parent)


def _apply(out: Path, staging: Path) -> None:
    """Carry out a committed journal: removals, then moves; idempotent, so it can be redone."""
    plan = json.loads((staging / JOURNAL).read_text(encoding="utf-8"))
    for path in plan["remove"]:
        target = out / path
        if target.is_file() or target.is_symlink():
            target.unlink()
        _prune(out, target.parent)
    for path in plan["write"]:
        source, target = staging / path, out / path
        if not source.exists():  # moved already, before an interruption
            continue
        for parent in reversed(PurePosixPath(path).parents[:-1]):
            if (out / parent).is_file():  # an old file where the new site has a folder
                (out / parent).unlink()
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir():  # an old folder where the new site has a file
            shutil.rmtree(target)
        os.replace(source, target)
    if not (out / MARKER).exists():
        (out / MARKER).write_text(MARKER_TEXT)
    shutil.rmtree(staging)


def _prune(out: Path, folder: Path) -> None:
    """Remove folders left empty by removals, up to (not including) the output folder."""
    while folder != out and folder.is_relative_to(out):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _recover(out: Path) -> None:
    """Finish a publish that a crash interrupted: a swap between its two renames, or a committed
    move-in; a staging folder without a journal was never committed and is dropped by the caller."""
    old = out.with_name(f".{out.name}.old")
    if old.exists() and not out.exists():
        os.replace(old, out)
    staging = out.with_name(f".{out.name}.staging")
    if (staging / JOURNAL).is_file() and out.is_dir():
        _apply(out, staging)


def _fsync_tree(root: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
