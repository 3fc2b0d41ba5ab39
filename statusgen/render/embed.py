"""The embeddable status widget: embed/index.html, a tiny standalone page for an <iframe> on a
customer's own site.

It shows the overall status, open incidents and maintenance in progress, each linking back to its
page (target=_top, so the click leaves the frame), and a link to the status page. No JavaScript,
nothing from another origin, every value escaped by Jinja's autoescape. Its stylesheet is its own
file, embed/widget.<sha256[:10]>.css, named by content so a CDN may cache it forever; the theme
provides both as templates (embed.html, embed.css), so a site can override them in templates/.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import jinja2

from statusgen import urls
from statusgen.derive import INDICATOR_DESCRIPTION, Phase, indicator, maintenance_in, open_incidents
from statusgen.model import Incident, Site
from statusgen.render import Output
from statusgen.render.api import incident_status, published, update_statuses
from statusgen.theme import Theme
from statusgen.timeparse import zone

PATH = "embed/"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Item:
    title: str
    href: str  # relative to the widget, works under any host and sub-path
    kind: str  # 'incident' or 'maintenance'
    impact: str
    stage: str  # its status in words: Investigating, Identified, In progress…
    when_iso: str
    when_text: str


def _when(moment: datetime, site: Site) -> tuple[str, str]:
    local = moment.astimezone(zone(site.timezone))
    return local.isoformat(), f"{local.day} {MONTHS[local.month - 1]} {local:%H:%M} {local.tzname()}"


def _item(site: Site, incident: Incident, now: datetime) -> Item:
    posted = published(incident, now)
    latest = posted[-1].at if posted else incident.started
    iso, text = _when(latest, site)
    # the same status the API gives: an 'update' carries on the stage before it
    status = incident_status(incident, now, update_statuses(incident, posted))
    return Item(
        title=incident.title,
        href=urls.relative(PATH, urls.incident(incident.id)),
        kind=incident.kind.value,
        impact=incident.impact.value,
        stage=status.replace("_", " ").capitalize(),
        when_iso=iso,
        when_text=text,
    )


def _environment(theme: Theme) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in theme.template_dirs]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env


def render(site: Site, now: datetime, theme: Theme) -> list[Output]:
    env = _environment(theme)
    assert env.loader is not None
    css = env.loader.get_source(env, "embed.css")[0].encode("utf-8")
    css_path = f"{PATH}widget.{hashlib.sha256(css).hexdigest()[:10]}.css"
    ind = indicator(site, now)
    html = env.get_template("embed.html").render(
        title=site.title,
        lang=site.language,
        indicator=ind.value,
        headline=INDICATOR_DESCRIPTION[ind],
        incidents=[_item(site, i, now) for i in open_incidents(site, now)],
        maintenance=[_item(site, i, now) for i in maintenance_in(site, now, Phase.IN_PROGRESS)],
        home=urls.relative(PATH, ""),
        stylesheet=urls.relative(PATH, css_path),
    )
    return sorted([(PATH + "index.html", html.encode("utf-8")), (css_path, css)])
