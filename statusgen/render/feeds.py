"""Subscriber feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1, for the whole site and for each service.

Every update of every incident and maintenance is its own entry, so a feed reader shows each new
update as it is posted. An entry's id is a tag URI made of the site's host, the incident's id and
the update's UTC time: it survives rebuilds, redeploys and edits of the update's text.

An entry's time is the time written in the content, and a feed's updated/lastBuildDate is its
newest entry's time, never the clock, so two builds of the same content are byte-identical. `now`
only holds back updates dated after it (written ahead), as every other output does.
"""

from __future__ import annotations

import heapq
import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

from feedgen.feed import FeedGenerator

from statusgen import urls
from statusgen.markdown import plain_text, render_markdown
from statusgen.model import Incident, Site, Stage, Update
from statusgen.render import Output
from statusgen.timeparse import zone

# Readers poll the whole file every few minutes, so it stays small; older updates live in the
# HTML archive (/history/), which has every incident ever.
MAX_ENTRIES = 200

# What an empty feed reports as its last change: a fixed instant, never the clock.
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

# Characters XML 1.0 forbids (most C0 controls, surrogates, U+FFFE/U+FFFF); lxml refuses them.
_XML_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """Text that any XML document can carry (JSON gets the same text, so formats agree)."""
    return _XML_ILLEGAL.sub("", text)


@dataclass(frozen=True)
class Entry:
    id: str  # tag URI
    title: str
    url: str  # absolute: the incident page + '#' + the update's anchor
    at: datetime  # in the site's zone
    html: str  # safe HTML: context line + the update
    text: str  # plain text of the same
    summary: str  # plain text of the update alone


@dataclass(frozen=True)
class Feed:
    path: str  # folder of the feed files: '' or 'services/<id>/'
    title: str
    description: str
    home: str  # absolute URL of the HTML page the feed follows
    entries: tuple[Entry, ...]  # newest first, at most MAX_ENTRIES

    @property
    def updated(self) -> datetime:
        return self.entries[0].at if self.entries else EPOCH


# ---------------------------------------------------------------- entries


def tag_prefix(site: Site) -> tuple[str, str]:
    """(authority, path prefix) for tag URIs (RFC 4151): the host of base_url, and its path so
    two status sites under one host never share ids."""
    parts = urlsplit(site.base_url)
    host = (parts.hostname or "localhost").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = quote(host, safe="-.")
    path = quote(parts.path.lstrip("/"), safe="/:@!$&'()*+,;=-._~%")
    return host, path


def entry_id(site: Site, incident: Incident, update: Update) -> str:
    host, path = tag_prefix(site)
    day = update.at.astimezone(timezone.utc).strftime("%Y-%m-%d")
    return f"tag:{host},{day}:{path}{urls.incident(incident.id)}{update.anchor}"


def _local(site: Site, moment: datetime) -> datetime:
    return moment.astimezone(zone(site.timezone))


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M ") + (moment.tzname() or moment.strftime("%z"))


def _window(site: Site, incident: Incident) -> str:
    assert incident.window is not None
    start, end = _local(site, incident.window.start), _local(site, incident.window.end)
    if start.date() == end.date() and start.tzname() == end.tzname():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} {end.tzname()}"
    return f"{_when(start)} – {_when(end)}"


def _updates(incident: Incident) -> tuple[Update, ...]:
    """The incident's updates; one without any still reaches subscribers, as one entry made of
    its summary at its start."""
    if incident.updates:
        return incident.updates
    closing = Stage.COMPLETED if incident.is_maintenance else Stage.RESOLVED
    opening = Stage.SCHEDULED if incident.is_maintenance else Stage.INVESTIGATING
    stage = closing if incident.resolved else opening
    return (Update(incident.started, stage, incident.summary, None, incident.source.line),)


def _context(site: Site, incident: Incident, first: bool) -> list[tuple[str, str]]:
    """(label, value) pairs shown above each update: what is affected and how."""
    names = {s.id: s.name for s in site.services}
    status = dict(incident.services)
    affected = ", ".join(
        f"{names[s.id]} ({status[s.id].value.replace('_', ' ')})" for s in site.services if s.id in status
    )
    pairs = [("Affected", affected)] if affected else []
    if incident.is_maintenance and incident.window:
        pairs.append(("Window", _window(site, incident)))
    elif not incident.is_maintenance:
        pairs.append(("Impact", incident.impact.value))
        if first:
            pairs.append(("Started", _when(_local(site, incident.started))))
    return pairs


def _entry(site: Site, incident: Incident, n: int, update: Update) -> Entry:
    names = {s.id: s.name for s in site.services}
    ids = set(incident.service_ids)
    service_names = ", ".join(names[s.id] for s in site.services if s.id in ids)
    page = urls.absolute(site, urls.incident(incident.id))
    pairs = _context(site, incident, first=n == 0)
    context_html = " · ".join(f"<strong>{html.escape(k)}:</strong> {html.escape(v)}" for k, v in pairs)
    context_text = " · ".join(f"{k}: {v}" for k, v in pairs)
    body_html = render_markdown(update.body)
    body_text = plain_text(update.body)
    prefix = f"[{update.stage.label}] " + (f"{service_names}: " if service_names else "")
    return Entry(
        id=clean(entry_id(site, incident, update)),
        title=clean(prefix + incident.title),
        url=f"{page}#{update.anchor}" if incident.updates else page,  # a made-up update has no anchor
        at=_local(site, update.at).replace(microsecond=0),
        html=clean((f"<p>{context_html}</p>\n" if context_html else "") + body_html),
        text=clean("\n\n".join(t for t in (context_text, body_text) if t)),
        summary=clean(body_text or context_text),
    )


def incident_entries(site: Site, incident: Incident) -> list[Entry]:
    return [_entry(site, incident, n, u) for n, u in enumerate(_updates(incident))]


# An update as a feed position: (time, incident id) orders entries exactly as their tag ids would
# (an incident never has two updates at one time), without building the entry.
_Ref = tuple[datetime, str, int, Incident, Update]


def site_feeds(site: Site, now: datetime) -> list[Feed]:
    """The site's feed, then one per service in site.yaml order. Only the entries that make it into
    a feed are built: a site with 10,000 incidents has 40,000 updates and feeds of 200."""
    refs: list[_Ref] = [
        (u.at, i.id, n, i, u) for i in site.incidents for n, u in enumerate(_updates(i)) if u.at <= now
    ]
    built: dict[tuple[str, int], Entry] = {}

    def newest(selected: list[_Ref]) -> tuple[Entry, ...]:
        top = heapq.nlargest(MAX_ENTRIES, selected, key=lambda r: (r[0], r[1]))
        for _, iid, n, incident, update in top:
            if (iid, n) not in built:
                built[iid, n] = _entry(site, incident, n, update)
        return tuple(built[r[1], r[2]] for r in top)

    title = clean(site.title)
    feeds = [Feed(
        "", title, clean(site.description) or f"Incidents and maintenance of {title}",
        urls.absolute(site, ""), newest(refs),
    )]  # fmt: skip
    for service in site.services:
        name = clean(service.name)
        mine = [r for r in refs if service.id in r[3].service_ids]
        feeds.append(Feed(
            urls.service(service.id), f"{title} — {name}", f"Incidents and maintenance affecting {name}",
            urls.absolute(site, urls.service(service.id)), newest(mine),
        ))  # fmt: skip
    return feeds


# ---------------------------------------------------------------- formats


def _generator(site: Site, feed: Feed, self_name: str, self_type: str) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(feed.home)
    fg.title(feed.title)
    fg.subtitle(feed.description)
    fg.description(feed.description)
    fg.author({"name": clean(site.title), "uri": urls.absolute(site, "")})
    # feedgen takes the RSS channel <link> from the last link added: self first, the HTML page last.
    fg.link(href=urls.absolute(site, feed.path + self_name), rel="self", type=self_type)
    fg.link(href=feed.home, rel="alternate", type="text/html")
    fg.language(clean(site.language))
    fg.generator("statusgen")  # no version or URI: output must not change with the tool's version
    fg.updated(feed.updated)  # feedgen defaults this (and lastBuildDate) to the clock
    return fg


def atom(site: Site, feed: Feed) -> bytes:
    fg = _generator(site, feed, "feed.atom", "application/atom+xml")
    for e in feed.entries:
        fe = fg.add_entry(order="append")  # feedgen prepends by default
        fe.id(e.id)
        fe.title(e.title)
        fe.link(href=e.url, rel="alternate", type="text/html")
        fe.published(e.at)
        fe.updated(e.at)
        fe.content(e.html, type="html")
        fe.summary(e.summary)
    return fg.atom_str(pretty=True)


def rss(site: Site, feed: Feed) -> bytes:
    fg = _generator(site, feed, "feed.xml", "application/rss+xml")
    for e in feed.entries:
        fe = fg.add_entry(order="append")
        fe.guid(e.id, permalink=False)
        fe.title(e.title)
        fe.link(href=e.url)
        fe.published(e.at)
        fe.updated(e.at)
        # RSS readers treat <description> as HTML: give them the escaped safe HTML, never plain
        # text (whose '<' would turn into markup once the XML escaping is undone).
        fe.description(e.html)
    return fg.rss_str(pretty=True)


def json_feed(site: Site, feed: Feed) -> bytes:
    doc = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "description": feed.description,
        "home_page_url": feed.home,
        "feed_url": urls.absolute(site, feed.path + "feed.json"),
        "language": clean(site.language),
        "authors": [{"name": clean(site.title), "url": urls.absolute(site, "")}],
        "items": [
            {
                "id": e.id,
                "url": e.url,
                "title": e.title,
                "content_html": e.html,
                "content_text": e.text,
                "summary": e.summary,
                "date_published": e.at.isoformat(),
                "date_modified": e.at.isoformat(),
            }
            for e in feed.entries
        ],
    }
    return (json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def render(site: Site, now: datetime) -> list[Output]:
    outputs: list[Output] = []
    for feed in site_feeds(site, now):
        outputs.append((feed.path + "feed.xml", rss(site, feed)))
        outputs.append((feed.path + "feed.atom", atom(site, feed)))
        outputs.append((feed.path + "feed.json", json_feed(site, feed)))
    return sorted(outputs)
