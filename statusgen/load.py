"""Stage 1, load: read the status repo's files (sorted) into text, front matter nodes and bodies.

No meaning is given to anything here; that is validation's job. Problems that make a file
unreadable (encoding, size, bad YAML, missing front matter) become diagnostics.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from statusgen.errors import ContentError, Diagnostic
from statusgen.yamlnodes import Mapping, Node, YamlError, parse_yaml

# Bounds on one content file, so that a hostile pull request cannot stall a build. Real incident files
# are a few KiB and under 100 lines. Markdown costs ~0.1 ms a line and, for some punctuation, up to
# ~10 µs a byte; and every '[' may open a link whose end is searched for, which grows quadratically
# when thousands stay open (60,000 '![' took minutes). Within these bounds a file takes seconds at worst.
MAX_FILE_BYTES = 256 * 1024
MAX_LINES = 10_000
MAX_OPEN_BRACKETS = 2_000


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative to the content dir, with '/' separators
    front: Mapping  # front matter
    body: str  # text after the front matter, LF line endings
    body_line: int  # line number of the body's first line


@dataclass(frozen=True)
class RawRepo:
    root: Path
    site: Mapping
    incidents: tuple[SourceFile, ...]
    pages: tuple[SourceFile, ...]
    problems: tuple[Diagnostic, ...] = ()  # files that could not be read; validation reports them with its own


def load_repo(root: Path) -> RawRepo:
    """Read site.yaml, incidents/**/*.md and pages/*.md; unreadable files become diagnostics.

    Only an unreadable site.yaml stops here: everything else is still validated, so an author
    sees every problem of every file in one run."""
    problems: list[Diagnostic] = []
    site = _load_site(root, problems)
    incidents = tuple(
        f for rel in _markdown_files(root, "incidents", True, problems) if (f := read_source(root, root / rel, problems))
    )
    pages = tuple(
        f for rel in _markdown_files(root, "pages", False, problems) if (f := read_source(root, root / rel, problems))
    )
    if site is None:
        raise ContentError(problems)
    return RawRepo(root, site, incidents, pages, tuple(problems))


def _load_site(root: Path, problems: list[Diagnostic]) -> Mapping | None:
    path = root / "site.yaml"
    if not path.is_file():
        problems.append(
            Diagnostic("site.yaml", 0, f"no site.yaml in {root}", "run statusgen in a status repo or pass --content DIR")
        )
        return None
    text = read_text(root, path, problems)
    return None if text is None else parse_site(text, problems)


def parse_site(text: str, problems: list[Diagnostic]) -> Mapping | None:
    """site.yaml's settings as nodes, or None with the problem recorded."""
    try:
        node = parse_yaml(text)
    except YamlError as exc:
        problems.append(Diagnostic("site.yaml", exc.line, exc.message, exc.hint))
        return None
    if not isinstance(node, Mapping):
        problems.append(Diagnostic("site.yaml", 1, "site.yaml must be a mapping of settings", "start with 'title: …'"))
        return None
    return node


def source_files(root: Path, problems: list[Diagnostic]) -> tuple[list[str], list[str]]:
    """(incidents/**/*.md, pages/*.md) as paths relative to root with '/', each sorted; hidden
    files and folders are skipped."""
    return _markdown_files(root, "incidents", True, problems), _markdown_files(root, "pages", False, problems)


def _markdown_files(root: Path, folder: str, recursive: bool, problems: list[Diagnostic]) -> list[str]:
    base = root / folder
    if not base.is_dir():
        return []
    top = str(root)
    found: list[str] = []  # paths relative to root; plain strings, not Paths: repos hold 10,000s
    for dirpath, dirnames, filenames in os.walk(os.path.join(top, folder), followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")) if recursive else []
        inside = dirpath[len(top) :].strip(os.sep).replace(os.sep, "/")
        for name in sorted(filenames):
            if name.endswith(".md") and not name.startswith("."):
                rel = f"{inside}/{name}"
                shown = os.fsencode(rel).decode("utf-8", "replace")
                if shown != rel:  # undecodable bytes in the name, which can be neither a URL nor printed
                    problems.append(Diagnostic(shown, 0, "file name is not UTF-8", "rename it: a-z, 0-9 and '-'"))
                else:
                    found.append(rel)
        for d in dirnames:
            if os.path.islink(os.path.join(dirpath, d)):
                _check_inside(root, Path(dirpath) / d, problems)
    return sorted(found)


def _check_inside(root: Path, path: Path, problems: list[Diagnostic]) -> bool:
    rel = path.relative_to(root).as_posix()
    if not _has_link(str(root), rel):  # then it is inside, wherever root is (a tenth of resolving both)
        return True
    try:  # the file itself, or a folder on its way (even content/incidents), may be a link
        inside = path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop
        problems.append(Diagnostic(rel, 0, "symbolic link loops back on itself", "remove the link"))
        return False
    if not inside:
        problems.append(
            Diagnostic(rel, 0, "symbolic link points outside the content folder", "copy the file in instead of linking")
        )
        return False
    return True


def _has_link(top: str, rel: str) -> bool:
    """Whether the file or a folder on its way below top is a symbolic link (or cannot be looked at)."""
    path = top
    for part in rel.split("/"):
        path = os.path.join(path, part)
        try:
            if stat.S_ISLNK(os.lstat(path).st_mode):
                return True
        except OSError:
            return True  # let the slow path say what is wrong
    return False


def read_bytes(root: Path, path: Path, problems: list[Diagnostic]) -> bytes | None:
    """A content file's bytes, if it is inside the content folder and of a sane size."""
    rel = path.relative_to(root).as_posix()
    if not _check_inside(root, path, problems):
        return None
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(
                Diagnostic(rel, 0, f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}", "split or shorten it")
            )
            return None
        return path.read_bytes()
    except OSError as exc:
        problems.append(Diagnostic(rel, 0, f"cannot read file: {exc.strerror}", "check permissions"))
        return None


def read_listed(root: str, rel: str, problems: list[Diagnostic], plain_folders: set[str]) -> bytes | None:
    """read_bytes for a file source_files listed: the same result, with fewer system calls.

    root is str(content folder); plain_folders, the folders below it already found free of links
    (one set per batch of files: most share their folder). A plain file opened without following
    links is read at once; anything else (a link, a special file, too large, an error) goes the
    careful way, which says what is wrong."""
    folder = rel.rpartition("/")[0]
    if folder not in plain_folders and (not folder or not _has_link(root, folder)):
        plain_folders.add(folder)
    if folder in plain_folders:
        try:
            with open(os.open(f"{root}/{rel}", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC), "rb") as f:
                st = os.fstat(f.fileno())
                if stat.S_ISREG(st.st_mode) and st.st_size <= MAX_FILE_BYTES:
                    return f.read()
        except OSError:
            pass
    return read_bytes(Path(root), Path(root) / rel, problems)


def decode_text(rel: str, data: bytes, problems: list[Diagnostic]) -> str | None:
    """A content file's bytes as text: UTF-8 (a BOM is dropped), LF line endings, no NUL."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(
            Diagnostic(rel, line, f"file is not UTF-8 (byte 0x{data[exc.start]:02x})", "save the file as UTF-8")
        )
        return None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        problems.append(Diagnostic(rel, line, "file contains a NUL byte", "remove it; content files are plain text"))
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.count("\n") + 1
    if lines > MAX_LINES:
        problems.append(Diagnostic(rel, MAX_LINES + 1, f"file has {lines:,} lines; the limit is {MAX_LINES:,}",
                                   "split it into several files"))  # fmt: skip
        return None
    if text.count("[") > MAX_OPEN_BRACKETS:
        at = -1
        for _ in range(MAX_OPEN_BRACKETS + 1):
            at = text.index("[", at + 1)
        problems.append(Diagnostic(rel, text.count("\n", 0, at) + 1,
                                   f"file has {text.count('['):,} '[' characters; the limit is {MAX_OPEN_BRACKETS:,}",
                                   "each '[' may start a Markdown link, which is slow to look for: remove most"))  # fmt: skip
        return None
    return text


def read_text(root: Path, path: Path, problems: list[Diagnostic]) -> str | None:
    """A content file as text: UTF-8 (a BOM is dropped), LF line endings, bounded size."""
    data = read_bytes(root, path, problems)
    return None if data is None else decode_text(path.relative_to(root).as_posix(), data, problems)


def read_source(root: Path, path: Path, problems: list[Diagnostic]) -> SourceFile | None:
    """A Markdown file with YAML front matter between '---' lines."""
    text = read_text(root, path, problems)
    return None if text is None else parse_source(path.relative_to(root).as_posix(), text, problems)


def parse_source(rel: str, text: str, problems: list[Diagnostic]) -> SourceFile | None:
    """The front matter and body of a Markdown file's text (rel: its path in the content folder)."""
    front, body, body_line = split_front_matter(text)
    if front is None:
        problems.append(
            Diagnostic(rel, 1, "no front matter", "start the file with a '---' line, the YAML fields, then '---'")
        )
        return None
    try:
        node: Node | None = parse_yaml(front, first_line=2)
    except YamlError as exc:
        problems.append(Diagnostic(rel, exc.line, exc.message, exc.hint))
        return None
    if not isinstance(node, Mapping):
        problems.append(Diagnostic(rel, 2, "front matter must be YAML fields", "write 'title: …' and so on"))
        return None
    return SourceFile(rel, node, body, body_line)


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter text or None, body, line number of the body's first line)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, text, 1
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return "\n".join(lines[1:i]) + "\n", "\n".join(lines[i + 1 :]), i + 2
    return None, text, 1
