"""Editing incident files for `statusgen new / update / resolve`: pure text transformations.

An edit changes only the lines it must. Everything else — comments, quoting, blank lines, a BOM,
CRLF line endings — stays byte-for-byte, so a diff in review shows exactly the new update. Files
are written atomically (a temp file in the same folder, then os.replace), so an interrupted edit
leaves the old file, never half a file; and a file that changed on disk meanwhile is not replaced.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from statusgen.load import split_front_matter
from statusgen.markdown import split_level2
from statusgen.model import INCIDENT_STAGES, MAINTENANCE_STAGES, Stage
from statusgen.timeparse import TimeSyntaxError, localize, parse_timestamp, zone
from statusgen.validate import UPDATE_HEADING, stage_from_word
from statusgen.yamlnodes import Mapping, YamlError, parse_yaml

_EOL = re.compile(r"\r\n|\r|\n")


class EditError(Exception):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint


# ---------------------------------------------------------------- reading the structure of a file


def split_lines(text: str) -> list[str]:
    """Lines with their own endings ('\\r\\n', '\\n', '\\r' or none for the last)."""
    out, pos = [], 0
    for m in _EOL.finditer(text):
        out.append(text[pos : m.end()])
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def newline_of(text: str) -> str:
    m = _EOL.search(text)
    return m.group(0) if m else "\n"


def _content(line: str) -> str:
    return line.rstrip("\r\n")


@dataclass(frozen=True)
class Heading:
    index: int  # 0-based line index in the file
    text: str
    at: datetime | None  # for update headings whose time could be read
    stage: str | None


@dataclass(frozen=True)
class Layout:
    """Where things are in an incident file (line indexes are 0-based)."""

    front_end: int  # index of the closing '---' of the front matter
    front: Mapping | None  # None when the front matter is not valid YAML
    headings: tuple[Heading, ...]  # every level-2 heading, in file order

    @property
    def updates(self) -> tuple[Heading, ...]:
        return tuple(h for h in self.headings if h.at is not None)


def layout(text: str, site_zone: str) -> Layout:
    lines = [_content(ln) for ln in split_lines(text)]
    normalized = "\n".join(lines)
    front_text, body, body_line = split_front_matter(normalized)
    if front_text is None:
        raise EditError("the file has no front matter", "it must start with a '---' line, the fields, then '---'")
    try:
        front = parse_yaml(front_text, first_line=2)
    except YamlError:
        front = None
    headings = []
    for block in split_level2(body)[1:]:
        index = body_line - 1 + block.line
        m = UPDATE_HEADING.match(block.heading)
        at = None
        if m:
            try:
                at = parse_timestamp(m["ts"], site_zone)
            except TimeSyntaxError:
                pass
        headings.append(Heading(index, block.heading, at, m["stage"].strip() if m and at else None))
    return Layout(body_line - 2, front if isinstance(front, Mapping) else None, tuple(headings))


def front_value(text: str, key: str) -> str | None:
    """A top-level front matter value as written (quotes removed), read leniently by line."""
    lines = split_lines(text)
    if not lines or _content(lines[0]).rstrip() != "---":
        return None
    for line in lines[1:]:
        c = _content(line)
        if c.rstrip() in ("---", "..."):
            return None
        m = re.match(rf"^{re.escape(key)}\s*:\s*(.*?)\s*(?:\s#.*)?$", c)
        if m:
            return m[1].strip().strip("'\"")
    return None


def is_maintenance(text: str) -> bool:
    return (front_value(text, "type") or "").lower() == "maintenance"


# ---------------------------------------------------------------- writing times the way the file does


@dataclass(frozen=True)
class StampStyle:
    iso: bool = False  # 2026-11-20T14:05:00+01:00
    zone_name: str | None = None  # 2026-11-20 14:05 Europe/Berlin
    naive: bool = False  # 2026-11-20 14:05 (the site's zone)
    utc_z: bool = False  # 2026-11-20T13:05:00Z
    seconds: bool = False


def style_of(stamp: str) -> StampStyle:
    s = stamp.strip()
    m = re.match(r"^\d{4}-\d{2}-\d{2}(?P<sep>[Tt ]\s*)(?P<time>\d{1,2}:\d{2}(?::\d{2})?)\s*(?P<rest>.*)$", s)
    if not m:
        return StampStyle()
    rest = m["rest"]
    return StampStyle(
        iso=m["sep"].lower() == "t",
        zone_name=rest if re.fullmatch(r"[A-Za-z][\w+\-]*(?:/[\w+\-]+)+", rest) else None,
        naive=rest == "",
        utc_z=rest in ("Z", "z"),
        seconds=m["time"].count(":") == 2,
    )


def format_stamp(at: datetime, site_zone: str, style: StampStyle = StampStyle(), seconds: bool = False) -> str:
    """A timestamp for a heading or front matter, in the file's style where that is unambiguous."""
    seconds = seconds or style.seconds or style.iso
    clock = "%H:%M:%S" if seconds else "%H:%M"
    sep = "T" if style.iso else " "
    if style.utc_z:
        return at.astimezone(timezone.utc).strftime(f"%Y-%m-%d{sep}{clock}") + "Z"
    for name in (style.zone_name, site_zone if style.naive else None):
        if name:  # a wall time plus a zone name, unless DST makes that wall time ambiguous
            local = at.astimezone(zone(name))
            try:
                localize(local.replace(tzinfo=None), zone(name))
            except TimeSyntaxError:
                break
            text = local.strftime(f"%Y-%m-%d{sep}{clock}")
            return text if name == site_zone and style.naive else f"{text} {name}"
    local = at.astimezone(zone(site_zone))
    offset = local.strftime("%z")
    offset = offset[:3] + ":" + offset[3:]
    return local.strftime(f"%Y-%m-%d{sep}{clock}") + ("" if style.iso else " ") + offset


def clock_time(at: datetime, site_zone: str, date: bool = False) -> str:
    """'09:14 CET' (or '2026-12-06 02:00 CET' with date) — for readers, in the site's zone."""
    local = at.astimezone(zone(site_zone))
    name = local.tzname() or ""
    if not name or name[0] in "+-":
        offset = local.strftime("%z")
        name = "UTC" + offset[:3] + ":" + offset[3:]
    return local.strftime("%Y-%m-%d %H:%M " if date else "%H:%M ") + name


def duration_words(delta: timedelta) -> str:
    """'20 minutes', '1 hour', '1 hour 30 minutes' — a form parse_duration reads back."""
    minutes = max(1, int(delta.total_seconds() // 60))
    hours, mins = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour" + ("s" if hours != 1 else ""))
    if mins:
        parts.append(f"{mins} minute" + ("s" if mins != 1 else ""))
    return " ".join(parts)


def promise_line(next_in: timedelta | None = None, by: str | None = None) -> str:
    return f"Next update by {by}." if by else f"Next update in {duration_words(next_in or timedelta(minutes=20))}."


# ---------------------------------------------------------------- stages


def parse_stage(word: str, maintenance: bool) -> Stage:
    stage = stage_from_word(word)
    allowed = MAINTENANCE_STAGES if maintenance else INCIDENT_STAGES
    if stage not in allowed:
        kind = "maintenance" if maintenance else "an incident"
        names = ", ".join(sorted(s.value for s in allowed))
        raise EditError(f"'{word}' is not a stage of {kind}", f"stages: {names}")
    return stage


# ---------------------------------------------------------------- the edits


def add_update(
    text: str,
    at: datetime,
    stage: Stage,
    body: str,
    site_zone: str,
    newest_first_default: bool = True,
) -> tuple[str, int]:
    """The file with a new update inserted in its existing order, and the heading's line number.

    Order: newest-first or oldest-first as the file already is (by its first and last update);
    with fewer than two updates, newest_first_default (the repo's habit). The new update goes where
    its time belongs, so a back-dated update lands between the right neighbours.
    """
    lay = layout(text, site_zone)
    lines = split_lines(text)
    nl = newline_of(text)
    updates = lay.updates
    minute = at.replace(second=0, microsecond=0)
    seconds = any(u.at.replace(second=0, microsecond=0) == minute for u in updates)  # type: ignore[union-attr]
    at = at.replace(microsecond=0) if seconds else minute  # two updates in one minute: tell them apart by the second
    clash = next((u for u in updates if u.at == at), None)
    if clash is not None:
        raise EditError(f"there is already an update at {format_stamp(at, site_zone, seconds=seconds)} "
                        f"(line {clash.index + 1})", "wait a moment, or pass --now with another time")  # fmt: skip
    style = style_of(UPDATE_HEADING.match(updates[0].text)["ts"]) if updates else StampStyle()  # type: ignore[index]
    sep_match = re.search(r"\s(—|–|-|·|\|)\s", updates[0].text) if updates else None
    sep = sep_match.group(1) if sep_match else "—"
    heading = f"## {format_stamp(at, site_zone, style, seconds)} {sep} {stage.label}"
    new_lines = [heading, *[ln.rstrip() for ln in _EOL.split(body.strip("\r\n"))]]

    newest_first = updates[0].at > updates[-1].at if len(updates) >= 2 else newest_first_default  # type: ignore[operator]
    later = [u for u in updates if u.at > at]  # type: ignore[operator]
    older = [u for u in updates if u.at < at]  # type: ignore[operator]
    if not updates:  # after the summary, before any free section such as '## Postmortem'
        target = lay.headings[0].index if lay.headings else len(lines)
    elif newest_first:  # before the newest older update, else after the block of the oldest
        target = older[0].index if older else _block_end(lay, later[-1], len(lines))
    else:  # before the oldest later update, else after the block of the newest
        target = later[0].index if later else _block_end(lay, older[-1], len(lines))
    return _insert(lines, target, new_lines, nl, lay.front_end)


def _block_end(lay: Layout, heading: Heading, total: int) -> int:
    after = [h.index for h in lay.headings if h.index > heading.index]
    return after[0] if after else total


def _insert(lines: list[str], target: int, new: list[str], nl: str, front_end: int) -> tuple[str, int]:
    """Insert new lines before index target, keeping a blank line on either side; returns the text
    and the 1-based line of the first new line that is not blank."""
    lines = list(lines)
    block = list(new)
    if target < len(lines):
        block.append("")  # a blank line before the heading that follows
    elif lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += nl  # the file did not end with a newline; the new block does
    if target > 0 and _content(lines[target - 1]).strip() != "":
        block.insert(0, "")
    first = target + (1 if block[0] == "" else 0) + 1
    lines[target:target] = [ln + nl for ln in block]
    return "".join(lines), first


def set_front_value(text: str, key: str, value: str, after: tuple[str, ...] = ()) -> str:
    """Set a top-level front matter key with a one-line edit: replace its value (keeping the key's
    spacing and a trailing comment), or insert 'key: value' after the first of `after` present
    (else just before the closing '---')."""
    lines = split_lines(text)
    nl = newline_of(text)
    end = next((i for i in range(1, len(lines)) if _content(lines[i]).rstrip() in ("---", "...")), None)
    if not lines or _content(lines[0]).rstrip() != "---" or end is None:
        raise EditError("the file has no front matter", "it must start with a '---' line, the fields, then '---'")
    for i in range(1, end):
        m = re.match(rf"^({re.escape(key)}\s*:[ \t]*)(.*?)([ \t]+#.*)?$", _content(lines[i]))
        if m:
            ending = lines[i][len(_content(lines[i])) :]
            lines[i] = m[1] + (" " if not m[1].endswith((" ", "\t")) else "") + value + (m[3] or "") + ending
            return "".join(lines)
    position = end
    for name in after:
        found = next((i for i in range(1, end) if re.match(rf"^{re.escape(name)}\s*:", _content(lines[i]))), None)
        if found is not None:
            position = found + 1
            while position < end and lines[position][:1] in (" ", "\t"):  # the value goes on below
                position += 1
            break
    lines.insert(position, f"{key}: {value}{nl}")
    return "".join(lines)


# ---------------------------------------------------------------- new files


def slugify(title: str, fallback: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > 60:
        slug = slug[:60].rsplit("-", 1)[0]
    return slug or fallback


def yaml_text(value: str) -> str:
    """value as a YAML scalar that reads back as exactly value: plain when safe, else double-quoted."""
    try:
        node = parse_yaml(f"k: {value}\n")
        if isinstance(node, Mapping) and not node.get("k").quoted and node.get("k").text == value:  # type: ignore[union-attr]
            if not re.match(r"^[\[\]{}&*!|>'\"%@`#,?:-]", value) and value.lower() not in ("null", "~", "yes", "no",
                                                                                               "on", "off", "true", "false"):  # fmt: skip
                return value
    except YamlError:
        pass
    return json.dumps(value, ensure_ascii=False)


def new_file_text(
    *,
    kind: str,
    title: str,
    services: list[str],
    impact: str | None,
    started: datetime,
    window: tuple[datetime, datetime] | None,
    reported_by: str | None,
    posted: datetime,
    stage: Stage,
    body: str,
    site_zone: str,
) -> str:
    front = []
    if kind == "maintenance":
        front.append("type: maintenance")
    front.append(f"title: {yaml_text(title)}")
    if impact:
        front.append(f"impact: {impact}")
    front.append(f"services: [{', '.join(services)}]")
    if window:
        front += ["scheduled:", f"  start: {format_stamp(window[0], site_zone)}",
                  f"  end: {format_stamp(window[1], site_zone)}"]  # fmt: skip
    else:
        front.append(f"started: {format_stamp(started, site_zone)}")
    if reported_by:
        front.append(f"reported_by: {reported_by}")
    heading = f"## {format_stamp(posted, site_zone)} — {stage.label}"
    return "---\n" + "\n".join(front) + "\n---\n\n" + heading + "\n" + body.strip("\n") + "\n"


PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def fill(template: str, values: dict[str, str]) -> str:
    """Replace {{name}} placeholders; an unknown name is an error, so typos never reach readers."""

    def sub(m: re.Match) -> str:
        if m[1] not in values:
            raise EditError(f"unknown placeholder '{{{{{m[1]}}}}}' in the template",
                            "placeholders: " + ", ".join("{{" + k + "}}" for k in sorted(values)))  # fmt: skip
        return values[m[1]]

    return PLACEHOLDER.sub(sub, template)


def join_names(names: list[str], language: str) -> str:
    if language == "en" and len(names) > 1:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return ", ".join(names)


# ---------------------------------------------------------------- files on disk


def read_incident(path: Path) -> tuple[str, bool, bytes]:
    """(text without BOM, had a BOM, the raw bytes) — refusing what it could not write back intact."""
    data = path.read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data[3 if bom else 0 :].decode("utf-8")
    except UnicodeDecodeError:
        raise EditError(f"{path} is not UTF-8; not touching it", "save it as UTF-8 first") from None
    return text, bom, data


def encode(text: str, bom: bool) -> bytes:
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def _temp_beside(path: Path, data: bytes) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def write_atomic(path: Path, data: bytes, expected: bytes | None = None) -> None:
    """Replace path with data in one step. With expected, refuse if the file changed meanwhile
    (an editor saved it), so nobody's text is lost."""
    tmp = _temp_beside(path, data)
    try:
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        if expected is not None and path.read_bytes() != expected:
            raise EditError(f"{path} changed while statusgen was editing it; nothing was written", "run the command again")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def create_new(path: Path, data: bytes) -> None:
    """Write a new file atomically; never replace an existing one (even one created a moment ago)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_beside(path, data)
    exists = EditError(f"{path} already exists; not overwriting it",
                       "to add to that incident use `statusgen update`; for a new one choose another title")  # fmt: skip
    try:
        os.chmod(tmp, 0o644)
        os.link(tmp, path)  # fails if path exists: no check-then-write race
    except FileExistsError:
        raise exists from None
    except OSError:  # no hard links on this file system: exclusive create, then write
        try:
            with open(path, "xb") as f:
                f.write(data)
        except FileExistsError:
            raise exists from None
    finally:
        os.unlink(tmp)
