"""Where templates and static files come from: the site's overrides, the chosen theme, the default."""

from __future__ import annotations

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
    return Theme(tuple(p for p in templates if p.is_dir()), tuple(p for p in statics if p.is_dir()))
