"""Where templates and static files come from: the site's overrides, the chosen theme, the default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from statusgen.errors import ContentError, Diagnostic


def builtin_themes_dir() -> Path:
    """themes/ inside an installed wheel, else the repository's top-level themes/."""
    packaged = Path(__file__).parent / "themes"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "themes"


@dataclass(frozen=True)
class Theme:
    template_dirs: tuple[Path, ...]  # first match wins
    static_dirs: tuple[Path, ...]  # later folders override earlier ones, file by file


def resolve_theme(content: Path, name: str) -> Theme:
    builtin = builtin_themes_dir()
    candidates = [content / "themes" / name, builtin / name]
    chosen = next((c for c in candidates if (c / "templates").is_dir()), None)
    if chosen is None:
        raise ContentError([Diagnostic("site.yaml", 0, f"theme '{name}' not found",
                                       f"put it in {content / 'themes' / name} or remove 'theme:'")])
    chain = [chosen] if chosen == builtin / "default" else [chosen, builtin / "default"]
    templates = [content / "templates", *(t / "templates" for t in chain)]
    statics = [*(t / "static" for t in reversed(chain)), content / "static"]
    problems = _links_out(content, [p for p in (*templates, *statics) if p.is_dir()])
    if problems:
        raise ContentError(problems)
    return Theme(tuple(p for p in templates if p.is_dir()), tuple(p for p in statics if p.is_dir()))


def _links_out(content: Path, folders: list[Path]) -> list[Diagnostic]:
    """Templates and static files from the content folder must be in it: a symbolic link to
    anything else (~/.ssh/id_rsa as static/key.txt) would publish that file."""
    root = content.resolve()
    problems = []
    for folder in folders:
        if not folder.is_relative_to(content):
            continue  # a built-in theme: part of statusgen
        paths = [folder] + sorted(Path(d) / n for d, dirs, files in os.walk(folder) for n in dirs + files)
        for path in paths:
            try:
                inside = path.resolve().is_relative_to(root)
            except (OSError, RuntimeError):  # RuntimeError: a symlink loop
                inside = False
            if not inside:
                problems.append(Diagnostic(path.relative_to(content).as_posix(), 0,
                                           "symbolic link points outside the content folder",
                                           "copy the file in instead of linking"))  # fmt: skip
                if path == folder:
                    break
    return problems
