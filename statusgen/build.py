"""The pipeline: load → validate → derive/render → publish. The only place the stages meet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from statusgen.load import load_repo
from statusgen.model import Site
from statusgen.publish import Changes, publish
from statusgen.render import Output
from statusgen.render import feeds, html, seo
from statusgen.render import api, badges, embed, ical
from statusgen.render import expiry
from statusgen.theme import Theme, resolve_theme
from statusgen.validate import validate_repo

# Output formats that depend only on the model and the instant; html also takes the theme.
RENDERERS = (feeds.render, seo.render, api.render, expiry.render, ical.render, badges.render)


@dataclass(frozen=True)
class BuildResult:
    site: Site
    outputs: int
    changes: Changes


def load_site(content: Path) -> Site:
    """The validated model of a status repo; raises ContentError listing every problem."""
    return validate_repo(load_repo(content))


def render_site(site: Site, now: datetime, theme: Theme) -> list[Output]:
    outputs = html.render(site, now, theme)
    outputs.extend(embed.render(site, now, theme))  # the widget uses the theme's templates too
    for renderer in RENDERERS:
        outputs.extend(renderer(site, now))
    return sorted(outputs)


def build(content: Path, out: Path, now: datetime) -> BuildResult:
    site = load_site(content)
    outputs = render_site(site, now, resolve_theme(content, site.theme))
    changes = publish(outputs, out, content)
    return BuildResult(site, len(outputs), changes)
