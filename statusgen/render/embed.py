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

from statusgen import urls
from statusgen.derive import Phase, indicator, maintenance_in, open_incidents, published_updates
from statusgen.i18n import UI, ui_for
from statusgen.model import Incident, Site, Stage
from statusgen.render import Output
from statusgen.render.api import incident_status, update_statuses
from statusgen.render.html import STAGE_LABEL, Views, template_environment
from statusgen.theme import Theme
from statusgen.timeparse import zone

PATH = "embed/"


@dataclass(frozen=True)
class Item:
    title: str
    href: str  # relative to the widget, works under any host and sub-path
    kind: str  # 'incident' or 'maintenance'
    impact: str
    stage: str  # its status in words: Investigating, Identified, In progress…
    when_iso: str
    when_text: str


def _item(incident: Incident, now: datetime, ui: UI) -> Item:
    posted = published_updates(incident, now)
    latest = posted[-1].at if posted else incident.started
    # the same status the API gives: an 'update' carries on the stage before it
    status = incident_status(incident, now, update_statuses(incident, posted))
    return Item(
        title=incident.title,
        href=urls.relative(PATH, urls.incident(incident.id)),
        kind=incident.kind.value,
        impact=incident.impact.value,
        stage=ui.pgettext(*STAGE_LABEL[Stage(status)]),
        when_iso=ui.local(latest).isoformat(),
        when_text=ui.timestamp(latest),
    )


def render(site: Site, now: datetime, theme: Theme) -> list[Output]:
    ui = ui_for(site.language, zone(site.timezone))
    env = template_environment(theme, ui)
    assert env.loader is not None
    css = env.loader.get_source(env, "embed.css")[0].encode("utf-8")
    css_path = f"{PATH}widget.{hashlib.sha256(css).hexdigest()[:10]}.css"
    ind = indicator(site, now)
    html = env.get_template("embed.html").render(
        title=site.title,
        lang=ui.html_lang,
        indicator=ind.value,
        headline=Views(site, now, ui).overall().headline,
        incidents=[_item(i, now, ui) for i in open_incidents(site, now)],
        maintenance=[_item(i, now, ui) for i in maintenance_in(site, now, Phase.IN_PROGRESS)],
        home=urls.relative(PATH, ""),
        stylesheet=urls.relative(PATH, css_path),
    )
    return sorted([(PATH + "index.html", html.encode("utf-8")), (css_path, css)])
