"""Drafts → the content format of DESIGN.md §1: site.yaml and one Markdown file per incident.

Output is a pure function of the drafts (sorted, no clock), so importing the same export twice
writes byte-identical files. Text from the source is untrusted and may contain things that mean
something in our format; those are defused here:
- a level-2 heading in an update would start a new update or section: it becomes level 3;
- a 'Next update …' line is a machine-read promise: one that cannot be read, or a second one in
  the same update, gets a no-break space (U+00A0) between the words, so it reads the same
  everywhere (HTML, feeds, the API's verbatim bodies) but is not taken for a promise.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import lru_cache

import yaml
from markdown_it import MarkdownIt

from statusgen.importers.drafts import Conversion, IncidentDraft, SiteDraft, UpdateDraft, format_time, slugify
from statusgen.model import STATUS_FOR_IMPACT, ComponentStatus, Impact, Kind
from statusgen.timeparse import NEXT_UPDATE_LINE, TimeSyntaxError, parse_next_update, zone

File = tuple[str, str]  # (path relative to the content dir, text)


_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 ._()&/+-]*[A-Za-z0-9.)]")  # surely a plain string…
_KEYWORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}  # …unless YAML 1.1 reads it as one of these
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def yaml_text(text: str) -> str:
    """A YAML scalar that reads back as exactly this text: plain when safe, else double-quoted."""
    if _PLAIN.fullmatch(text) and text.lower() not in _KEYWORDS:
        return text
    if text and text == text.strip() and "\n" not in text and not text[0] in "-?:,[]{}#&*!|>'\"%@`":
        try:
            if yaml.load(text, Loader=_Loader) == text and ": " not in text and " #" not in text:
                return text
        except yaml.YAMLError:
            pass
    return json.dumps(text, ensure_ascii=False)


# ---------------------------------------------------------------- Markdown bodies


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark")


_MAYBE_LEVEL2 = re.compile(r"^ {0,3}(?:##(?:[ \t]|$)|-+[ \t]*$)", re.M)


def demote_level2(text: str) -> str:
    """No level-2 heading at the top level, so imported text can never end an update or start a
    section: '## x' becomes '### x'; a '---' under a paragraph becomes a rule after it."""
    if not _MAYBE_LEVEL2.search(text):  # parsing is the slow part; most updates are plain paragraphs
        return text
    lines = text.split("\n")
    changes: list[tuple[int, int, str]] = []
    for i, token in enumerate(_parser().parse(text)):
        if token.type != "heading_open" or token.tag != "h2" or token.level != 0 or not token.map:
            continue
        start, end = token.map
        if token.markup == "-":  # setext: text, then '---', which plain-text authors mean as a rule
            changes.append((end - 1, end - 1, ""))
        else:
            changes.append((start, start + 1, re.sub(r"^(\s*)##", r"\1###", lines[start], count=1)))
    for start, end, replacement in reversed(changes):
        lines[start:end] = [replacement]
    return "\n".join(lines)


def defuse_promises(body: str, at: datetime, tz_name: str) -> str:
    """Keep the first readable next-update promise; make every other 'Next update' line plain text."""
    kept = False
    lines = body.split("\n")
    for n, line in enumerate(lines):
        m = NEXT_UPDATE_LINE.match(line)
        if not m:
            continue
        try:
            valid = parse_next_update(m["rest"], at, tz_name) > at
        except TimeSyntaxError:
            valid = False
        if valid and not kept:
            kept = True
            continue
        lines[n] = re.sub(r"(?i)(next) (update)", "\\1\u00a0\\2", line, count=1)
    return "\n".join(lines)


# ---------------------------------------------------------------- files


def site_yaml(site: SiteDraft) -> str:
    out = [f"# {site.origin}", f"title: {yaml_text(site.title)}"]
    if site.description:
        out.append(f"description: {yaml_text(site.description)}")
    out += [f"base_url: {yaml_text(site.base_url)}", f"timezone: {yaml_text(site.timezone)}"]
    if site.language:
        out.append(f"language: {site.language}")
    out.append("services:")
    for s in site.services:
        out.append(f"  - id: {yaml_text(s.id)}  # {s.origin}")
        out.append(f"    name: {yaml_text(s.name)}")
        if s.group:
            out.append(f"    group: {yaml_text(s.group)}")
        if s.description:
            out.append(f"    description: {yaml_text(s.description)}")
        if s.since:
            out.append(f"    since: {s.since.isoformat()}")
    return "\n".join(out) + "\n"


def incident_markdown(incident: IncidentDraft, tz_name: str) -> str:
    t = lambda moment: format_time(moment, tz_name)  # noqa: E731
    front = [f"# {incident.origin}"]
    if incident.kind is Kind.MAINTENANCE:
        front.append("type: maintenance")
    front.append(f"title: {yaml_text(incident.title)}")
    if incident.impact is not None:
        front.append(f"impact: {incident.impact.value}")
    front += _services(incident)
    if incident.window:
        front += ["scheduled:", f"  start: {t(incident.window[0])}", f"  end: {t(incident.window[1])}"]
    else:
        front.append(f"started: {t(incident.started)}")
    if incident.resolved:
        front.append(f"resolved: {t(incident.resolved)}")
    parts = ["---\n" + "\n".join(front) + "\n---\n"]
    if incident.summary:
        parts.append(demote_level2(incident.summary) + "\n")
    for update in incident.updates:
        parts.append(_update(update, tz_name))
    if incident.postmortem:
        parts.append("## Postmortem\n" + demote_level2(incident.postmortem) + "\n")
    return "\n".join(parts)


def _services(incident: IncidentDraft) -> list[str]:
    if incident.kind is Kind.MAINTENANCE:
        default = ComponentStatus.UNDER_MAINTENANCE
    else:
        default = STATUS_FOR_IMPACT[incident.impact or Impact.NONE]
    if all(status is default for _, status in incident.services):
        return [f"services: [{', '.join(sid for sid, _ in incident.services)}]"]
    return ["services:"] + [f"  {sid}: {status.value}" for sid, status in incident.services]


def _update(update: UpdateDraft, tz_name: str) -> str:
    heading = f"## {format_time(update.at, tz_name)} — {update.stage.label}\n"
    body = defuse_promises(demote_level2(update.body), update.at, tz_name)
    return heading + (body + "\n" if body else "")


def incident_ids(conversion: Conversion) -> list[tuple[IncidentDraft, str]]:
    """Each incident with its id '<yyyy-mm-dd>-<slug of title>' (date in the site's zone);
    clashing ids get -2, -3… in order of start time, then source id."""
    tz = zone(conversion.site.timezone)
    ordered = sorted(conversion.incidents, key=lambda i: (i.started.timestamp(), i.key))
    taken: set[str] = set()
    result = []
    for incident in ordered:
        day = incident.started.astimezone(tz).date().isoformat()
        fallback = slugify(incident.key, 40) or incident.kind.value
        base = f"{day}-{slugify(incident.title, 50) or fallback}"
        ident, n = base, 1
        while ident in taken:
            n += 1
            ident = f"{base}-{n}"
        taken.add(ident)
        result.append((incident, ident))
    return result


def render_files(conversion: Conversion) -> list[File]:
    """All files of the import, sorted by path: site.yaml and incidents/<yyyy>/<id>.md."""
    tz_name = conversion.site.timezone
    files: list[File] = [("site.yaml", site_yaml(conversion.site))]
    for incident, ident in incident_ids(conversion):
        files.append((f"incidents/{ident[:4]}/{ident}.md", incident_markdown(incident, tz_name)))
    return sorted(files)
