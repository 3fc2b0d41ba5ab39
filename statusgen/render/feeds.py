"""Subscriber feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1, for the whole site and for each service.

Every update of every incident and maintenance is its own entry, so a feed reader shows each new
update as it is posted. An entry's id is a tag URI made of the site's host, the incident's id and
the update's UTC time: it survives rebuilds, redeploys and edits of the update's text.

An entry's time is the time written in the content, and a feed's updated/lastBuildDate is its
newest entry's time, never the clock, so two builds of the same content are byte-identical. `now`
only holds back updates dated after it (written ahead), as every other output does.

A site with 10,000 incidents has some 40,000 updates but feeds of 200 entries, so the work is
bounded by what the feeds hold: each feed's entries are chosen before any is built, an entry is
built once however many feeds hold it, and feedgen writes its RSS item and Atom entry once (in one
document per format) for the feeds to share.
"""

from __future__ import annotations

import heapq
import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from urllib.parse import quote, urlsplit

from feedgen.feed import FeedGenerator

from statusgen import cache as cachemod
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


@dataclass(frozen=True, eq=False)  # an entry is built once and keys its bytes in each format
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


def entry_id(prefix: tuple[str, str], incident: Incident, update: Update, anchor: str) -> str:
    """The tag URI of an update; prefix is the site's tag_prefix, anchor the update's."""
    host, path = prefix
    day = update.at.astimezone(timezone.utc).strftime("%Y-%m-%d")
    return f"tag:{host},{day}:{path}{urls.incident(incident.id)}{anchor}"


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


@dataclass(frozen=True)
class _Shown:
    """What every entry of one incident shows besides its update."""

    prefix: str  # ' Name, Name: ' after the stage in titles, or ' '
    page: str  # absolute URL of the incident page
    first: tuple[str, str]  # context (HTML, text) above the first update
    later: tuple[str, str]  # context above the others


def _shown(site: Site, incident: Incident) -> _Shown:
    ids = set(incident.service_ids)
    service_names = ", ".join(s.name for s in site.services if s.id in ids)

    def context(first: bool) -> tuple[str, str]:
        pairs = _context(site, incident, first)
        return (
            " · ".join(f"<strong>{html.escape(k)}:</strong> {html.escape(v)}" for k, v in pairs),
            " · ".join(f"{k}: {v}" for k, v in pairs),
        )

    first = context(True)
    later = first if incident.is_maintenance else context(False)  # only incidents add 'Started' to the first
    return _Shown(f" {service_names}: " if service_names else " ", urls.absolute(site, urls.incident(incident.id)),
                  first, later)  # fmt: skip


def _entry(site: Site, tag: tuple[str, str], tz: tzinfo, incident: Incident, shown: _Shown, n: int,
           update: Update) -> Entry:  # fmt: skip
    """The entry of one update; tag is the site's tag_prefix, tz its zone."""
    context_html, context_text = shown.first if n == 0 else shown.later
    body_html = render_markdown(update.body)
    body_text = plain_text(update.body)
    anchor = update.anchor
    return Entry(
        id=clean(entry_id(tag, incident, update, anchor)),
        title=clean(f"[{update.stage.label}]{shown.prefix}{incident.title}"),
        url=f"{shown.page}#{anchor}" if incident.updates else shown.page,  # a made-up update has no anchor
        at=update.at.astimezone(tz).replace(microsecond=0),
        html=clean((f"<p>{context_html}</p>\n" if context_html else "") + body_html),
        text=clean("\n\n".join(t for t in (context_text, body_text) if t)),
        summary=clean(body_text or context_text),
    )


def incident_entries(site: Site, incident: Incident) -> list[Entry]:
    tag, tz, shown = tag_prefix(site), zone(site.timezone), _shown(site, incident)
    return [_entry(site, tag, tz, incident, shown, n, u) for n, u in enumerate(_updates(incident))]


# ---------------------------------------------------------------- choosing entries


def _newest_time(incident: Incident, now: datetime) -> datetime | None:
    """When the incident's newest update published by `now` was posted (updates are oldest first)."""
    if not incident.updates:
        return incident.started if incident.started <= now else None
    for update in reversed(incident.updates):
        if update.at <= now:
            return update.at
    return None


def _candidates(site: Site, now: datetime) -> list[list[int]]:
    """For the site's feed, then each service's in site.yaml order: the positions in
    site.incidents of the MAX_ENTRIES incidents it covers with the newest updates. Only they can
    hold the feed's newest MAX_ENTRIES entries (any other incident's entries are all older than
    the newest entry of each of those), so the rest of the history costs one look at its newest
    update's time."""
    incidents = site.incidents
    # (newest time, id, -position): the order of the incidents' newest entries (see site_feeds).
    ranked = [(u[-1].at if u else i.started, i.id, -pos) for pos, i in enumerate(incidents) for u in (i.updates,)]
    ranked = [
        r if r[0] <= now else (at, r[1], r[2])
        for r in ranked
        if r[0] <= now or (at := _newest_time(incidents[-r[2]], now)) is not None
    ]  # updates written ahead are rare: look at those incidents again
    ranked.sort(reverse=True)  # incidents are newest first already, so this is nearly free
    everything: list[int] = []
    by_service: dict[str, list[int]] = {s.id: [] for s in site.services}
    open_feeds = len(by_service) + 1
    for _, _, minus in ranked:
        pos = -minus
        if len(everything) < MAX_ENTRIES:
            everything.append(pos)
            open_feeds -= len(everything) == MAX_ENTRIES
        for sid in incidents[pos].service_ids:
            mine = by_service.get(sid)
            if mine is not None and len(mine) < MAX_ENTRIES and (not mine or mine[-1] != pos):  # once each
                mine.append(pos)
                open_feeds -= len(mine) == MAX_ENTRIES
        if not open_feeds:
            break
    return [everything, *by_service.values()]


def site_feeds(site: Site, now: datetime) -> list[Feed]:
    """The site's feed, then one per service in site.yaml order."""
    tag, tz = tag_prefix(site), zone(site.timezone)
    shown: dict[int, _Shown] = {}
    built: dict[tuple[int, int], Entry] = {}

    def newest(positions: list[int]) -> tuple[Entry, ...]:
        # Newest first by (time, incident id), as the tag ids sort; equal keys keep content order
        # (position in site.incidents, then update number), as a stable sort would.
        refs = [
            ((u.at, i.id, -pos, -n), pos, n, u)
            for pos in positions
            for i in (site.incidents[pos],)
            for n, u in enumerate(_updates(i))
            if u.at <= now
        ]
        top = heapq.nlargest(MAX_ENTRIES, refs, key=lambda r: r[0])
        for _, pos, n, update in top:
            if (pos, n) not in built:
                incident = site.incidents[pos]
                if pos not in shown:
                    shown[pos] = _shown(site, incident)
                built[pos, n] = _entry(site, tag, tz, incident, shown[pos], n, update)
        return tuple(built[r[1], r[2]] for r in top)

    site_feed, *service_feeds = _candidates(site, now)
    title = clean(site.title)
    feeds = [Feed(
        "", title, clean(site.description) or f"Incidents and maintenance of {title}",
        urls.absolute(site, ""), newest(site_feed),
    )]  # fmt: skip
    for service, mine in zip(site.services, service_feeds):
        name = clean(service.name)
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


def _add_atom_entry(fg: FeedGenerator, e: Entry) -> None:
    fe = fg.add_entry(order="append")  # feedgen prepends by default
    fe.id(e.id)
    fe.title(e.title)
    fe.link(href=e.url, rel="alternate", type="text/html")
    fe.published(e.at)
    fe.updated(e.at)
    fe.content(e.html, type="html")
    fe.summary(e.summary)


def _add_rss_item(fg: FeedGenerator, e: Entry, dated: bool = True) -> None:
    fe = fg.add_entry(order="append")
    fe.guid(e.id, permalink=False)
    fe.title(e.title)
    fe.link(href=e.url)
    if dated:  # see _dated
        fe.published(e.at)
        fe.updated(e.at)
    # RSS readers treat <description> as HTML: give them the escaped safe HTML, never plain
    # text (whose '<' would turn into markup once the XML escaping is undone).
    fe.description(e.html)


# How an entry starts, and how the document ends after the last one, in feedgen's pretty XML.
_ATOM_SHAPE = (b"\n  <entry>\n", b"</feed>\n")
_RSS_SHAPE = (b"\n    <item>\n", b"  </channel>\n</rss>\n")

# Entry → its bytes in a document of one format, as made by xml_pieces or json_pieces.
Pieces = dict[Entry, bytes]


def _split(doc: bytes, shape: tuple[bytes, bytes], count: int) -> list[bytes]:
    """The bytes each of the count entries adds to a feedgen document of the given shape. Text
    and attribute values are escaped ('<' as '&lt;'), so the entry start only matches real tags."""
    start, end = shape
    cuts = []
    at = doc.find(start)
    while at != -1:
        cuts.append(at + 1)
        at = doc.find(start, at + 1)
    if len(cuts) != count or not doc.endswith(end):
        raise AssertionError("feedgen wrote feeds of an unexpected shape")
    cuts.append(len(doc) - len(end))
    return [doc[a:b] for a, b in zip(cuts, cuts[1:])]


def _spliced(doc: bytes, shape: tuple[bytes, bytes], entries: list[bytes]) -> bytes:
    """A feedgen document without entries, with the entries' bytes put where feedgen puts them."""
    end = shape[1]
    if not doc.endswith(end):
        raise AssertionError("feedgen wrote feeds of an unexpected shape")
    return doc[: -len(end)] + b"".join(entries) + end


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_RSS_ITEM_END = b"    </item>\n"


@lru_cache(maxsize=64)
def _numeric_offset(offset: timedelta) -> str:
    return datetime(2000, 1, 1, tzinfo=timezone(offset)).strftime("%z")


def rss_date(moment: datetime) -> str:
    """An RFC 822 date exactly as feedgen writes it: strftime("%a, %d %b %Y %H:%M:%S %z") in the
    C locale, which feedgen gets by switching the whole process's locale to C and back for each
    date (not thread-safe, and with strftime itself 7 µs a date; this takes 2 µs)."""
    return (
        f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} {moment.year} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {_numeric_offset(moment.utcoffset())}"
    )


def _dated(item: bytes, e: Entry) -> bytes:
    """An RSS item that feedgen wrote without a date, with the <pubDate> it writes last (rss_date)."""
    if not item.endswith(_RSS_ITEM_END):
        raise AssertionError("feedgen wrote feeds of an unexpected shape")
    date = f"      <pubDate>{rss_date(e.at)}</pubDate>\n".encode("ascii")
    return item[: -len(_RSS_ITEM_END)] + date + _RSS_ITEM_END


def xml_pieces(site: Site, entries: list[Entry]) -> tuple[Pieces, Pieces]:
    """(Atom, RSS): every entry's bytes as feedgen writes them in a feed, from one document per
    format, so an entry that many feeds hold is written once. An entry's bytes do not depend on
    the feed around it (its depth and the namespaces in scope are the same in every feed)."""
    empty = Feed("", "-", "-", site.base_url, ())
    fg = _generator(site, empty, "feed.atom", "application/atom+xml")
    for e in entries:
        _add_atom_entry(fg, e)
    atom_doc = fg.atom_str(pretty=True)
    fg = _generator(site, empty, "feed.xml", "application/rss+xml")
    for e in entries:
        _add_rss_item(fg, e, dated=False)
    rss_doc = fg.rss_str(pretty=True)
    return (
        dict(zip(entries, _split(atom_doc, _ATOM_SHAPE, len(entries)))),
        {e: _dated(item, e) for e, item in zip(entries, _split(rss_doc, _RSS_SHAPE, len(entries)))},
    )


def atom(site: Site, feed: Feed, pieces: Pieces | None = None) -> bytes:
    """The feed as Atom; pieces (from xml_pieces) holds its entries' bytes if they are made already."""
    fg = _generator(site, feed, "feed.atom", "application/atom+xml")
    if pieces is not None:
        return _spliced(fg.atom_str(pretty=True), _ATOM_SHAPE, [pieces[e] for e in feed.entries])
    for e in feed.entries:
        _add_atom_entry(fg, e)
    return fg.atom_str(pretty=True)


def rss(site: Site, feed: Feed, pieces: Pieces | None = None) -> bytes:
    """The feed as RSS 2.0; pieces (from xml_pieces) holds its entries' bytes if they are made already."""
    fg = _generator(site, feed, "feed.xml", "application/rss+xml")
    if pieces is not None:
        return _spliced(fg.rss_str(pretty=True), _RSS_SHAPE, [pieces[e] for e in feed.entries])
    for e in feed.entries:
        _add_rss_item(fg, e)
    return fg.rss_str(pretty=True)


def _json_item(e: Entry) -> dict[str, str]:
    return {
        "id": e.id,
        "url": e.url,
        "title": e.title,
        "content_html": e.html,
        "content_text": e.text,
        "summary": e.summary,
        "date_published": e.at.isoformat(),
        "date_modified": e.at.isoformat(),
    }


def _json(doc: dict) -> str:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=2)


_json_string = json.JSONEncoder(ensure_ascii=False).encode  # a str as _json writes it, in C


def json_pieces(entries: list[Entry]) -> Pieces:
    """Every entry's bytes in a feed.json's item list, as _json lays out a flat dict of strings
    two levels deep (json.dumps with indent runs in pure Python: this is ten times faster)."""
    return {
        e: "".join((
            "    {\n",
            ",\n".join(f"      {_json_string(k)}: {_json_string(v)}" for k, v in sorted(_json_item(e).items())),
            "\n    }",
        )).encode("utf-8")
        for e in entries
    }  # fmt: skip


def json_feed(site: Site, feed: Feed, pieces: Pieces | None = None) -> bytes:
    """The feed as JSON Feed 1.1; pieces (from json_pieces) holds its entries' bytes if they are made already."""
    doc = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "description": feed.description,
        "home_page_url": feed.home,
        "feed_url": urls.absolute(site, feed.path + "feed.json"),
        "language": clean(site.language),
        "authors": [{"name": clean(site.title), "url": urls.absolute(site, "")}],
        "items": [_json_item(e) for e in feed.entries] if pieces is None else [],
    }
    text = (_json(doc) + "\n").encode("utf-8")
    if pieces is None or not feed.entries:
        return text
    # The one top-level "items" key (a raw newline is never inside a JSON string), then the items.
    head, tail = text.split(b'\n  "items": [],\n')
    items = b",\n".join(pieces[e] for e in feed.entries)
    return head + b'\n  "items": [\n' + items + b"\n  ],\n" + tail


PIECES_MEMO = cachemod.keyed("feed-entry")


def entry_pieces(site: Site, entries: list[Entry]) -> tuple[Pieces, Pieces, Pieces]:
    """(Atom, RSS, JSON Feed) bytes of each entry. An entry's bytes depend on the entry alone, and
    most entries are the same from build to build: the build cache keeps them."""
    memo = cachemod.active_memo(PIECES_MEMO)
    known = {} if memo is None else {e: v for e in entries if (v := memo.lookup(_memo_key(e))) is not None}
    fresh = [e for e in entries if e not in known]
    if fresh:
        atom_new, rss_new = xml_pieces(site, fresh)
        json_new = json_pieces(fresh)
        for e in fresh:
            known[e] = (atom_new[e], rss_new[e], json_new[e])
            if memo is not None:
                memo.keep(_memo_key(e), known[e])
    return ({e: v[0] for e, v in known.items()}, {e: v[1] for e, v in known.items()},
            {e: v[2] for e, v in known.items()})  # fmt: skip


def _memo_key(e: Entry) -> tuple[str, ...]:
    # Not the Entry: equal datetimes in two zones are equal, but their text differs.
    return (e.id, e.title, e.url, e.at.isoformat(), e.html, e.text, e.summary)


def render(site: Site, now: datetime) -> list[Output]:
    feeds = site_feeds(site, now)
    entries = list(dict.fromkeys(e for feed in feeds for e in feed.entries))  # each once, however many feeds hold it
    atom_pieces, rss_pieces, json_items = entry_pieces(site, entries)
    outputs: list[Output] = []
    for feed in feeds:
        outputs.append((feed.path + "feed.xml", rss(site, feed, rss_pieces)))
        outputs.append((feed.path + "feed.atom", atom(site, feed, atom_pieces)))
        outputs.append((feed.path + "feed.json", json_feed(site, feed, json_items)))
    return sorted(outputs)
