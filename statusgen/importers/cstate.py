"""cState → drafts. Reads a cState (Hugo) site: its config (title, baseURL, timeZone, params.systems,
params.categories) and content/issues/**/*.md.

Mapping (also in README "Migrating"):
- systems → services (ids slugified from names), categories → groups in the config's order; an
  `untitled` category's systems have no group. `affected` names match systems case-insensitively
  (cState lowercases them in URLs); an unknown name becomes a service in the group "Other"; an
  issue that affects nothing goes to a service "general".
- severity → impact and per-service status: down → critical / major_outage,
  disrupted → major / partial_outage, notice → minor / degraded_performance; `informational: true`
  → impact none. A missing severity counts as notice.
- update paragraphs `*Label* - text {{< track "time" >}}` (newest- or oldest-first) → updates; a
  label that is not a stage (e.g. *Soon*) makes an Update whose text starts with the label.
  Text outside updates is the summary; a `*Post-mortem*` block becomes a '## Postmortem' section.
- times without an offset are UTC, as cState requires, unless the config sets Hugo's timeZone.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import yaml

from statusgen.importers.drafts import (
    GENERAL_SERVICE_DESCRIPTION,
    GENERAL_SERVICE_NAME,
    OTHER_GROUP,
    Conversion,
    IncidentDraft,
    Problem,
    ServiceDraft,
    SiteDraft,
    SourceError,
    UpdateDraft,
    assign_ids,
    clean_text,
    close_timeline,
    format_time,
    one_line,
    parse_time,
    settle_updates,
    slugify,
)
from statusgen.model import STATUS_FOR_IMPACT, Impact, Kind, Stage
from statusgen.timeparse import TimeSyntaxError, zone
from statusgen.validate import LANGUAGES, parse_base_url

CONFIG_NAMES = (
    "config.yml", "config.yaml", "config.toml", "config.json", "hugo.yml", "hugo.yaml", "hugo.toml", "hugo.json",
    "config/_default/config.yml", "config/_default/config.yaml", "config/_default/config.toml",
    "config/_default/hugo.yml", "config/_default/hugo.yaml", "config/_default/hugo.toml",
)  # fmt: skip
MAX_BYTES = 2 * 1024 * 1024

SEVERITY_IMPACT = {"down": Impact.CRITICAL, "disrupted": Impact.MAJOR, "notice": Impact.MINOR}
LABEL_STAGES = {
    "investigating": Stage.INVESTIGATING, "investigation": Stage.INVESTIGATING,
    "identified": Stage.IDENTIFIED, "monitoring": Stage.MONITORING, "update": Stage.UPDATE,
    "updated": Stage.UPDATE, "resolved": Stage.RESOLVED, "fixed": Stage.RESOLVED,
    "post-mortem": Stage.POSTMORTEM, "postmortem": Stage.POSTMORTEM, "post mortem": Stage.POSTMORTEM,
}  # fmt: skip
# Front matter that means nothing outside cState's own templates, or that we map.
KNOWN_KEYS = {
    "title", "date", "resolved", "resolvedwhen", "severity", "affected", "informational", "pin", "section",
    "draft", "automated", "id", "lastmod", "slug", "publishdate",
}  # fmt: skip

TRACK = re.compile(r"\{\{[<%]\s*track\s+(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s%>]+))\s*[%>]\}\}")
SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.S)
LABEL = re.compile(
    r"^\s*(?P<mark>\*\*|\*|__|_)(?P<label>[^*_\n]{1,40}?)(?P=mark)(?:\s*[-–—:]\s*|\s*$|\s*\n)(?P<rest>.*)$", re.S
)
RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")


@dataclass(frozen=True)
class CStateSite:
    root: str
    config_path: str
    config: dict
    issues: tuple[tuple[str, str], ...]  # (path as shown to the user, text)


def read_site(root: Path) -> CStateSite:
    """The config and the issue files of a cState site (sorted); SourceError if unreadable."""
    if not root.is_dir():
        raise SourceError(str(root), "no such folder (pass the cState site's folder, the one with config.yml)")
    config_file = next((root / name for name in CONFIG_NAMES if (root / name).is_file()), None)
    if config_file is None:
        raise SourceError(str(root), "no cState config here (looked for config.yml, config.toml, hugo.yml …)")
    config = _parse_config(config_file, _read(config_file))
    issues_dir = root / "content" / "issues"
    files = sorted(issues_dir.rglob("*.md")) if issues_dir.is_dir() else []
    issues = tuple(
        (str(p), _read(p)) for p in files if not p.name.startswith(("_", ".")) and not p.name.startswith("_index")
    )
    return CStateSite(str(root), str(config_file), config, issues)


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SourceError(str(path), f"file is larger than {MAX_BYTES // (1024 * 1024)} MB")
        return path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except OSError as exc:
        raise SourceError(str(path), f"cannot read file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise SourceError(str(path), f"not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


def _parse_config(path: Path, text: str) -> dict:
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(str(path), f"cannot parse the config: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise SourceError(str(path), "the config is not a mapping of settings")
    return data


def _get(mapping: object, key: str, default=None):
    """Hugo reads config keys case-insensitively."""
    if not isinstance(mapping, dict):
        return default
    for k, v in mapping.items():
        if str(k).lower() == key.lower():
            return v
    return default


# ---------------------------------------------------------------- converting


def convert(site: CStateSite, display_zone: str | None = None) -> Conversion:
    problems: list[Problem] = []
    cfg, cfg_path = site.config, site.config_path
    params = _get(cfg, "params", {}) or {}
    naive_zone = "UTC"
    if configured := _get(cfg, "timeZone"):
        try:
            zone(str(configured))
            naive_zone = str(configured)
        except TimeSyntaxError:
            problems.append(Problem(cfg_path, f"timeZone '{configured}' is unknown; times without offset are UTC"))
    tz_name = display_zone or naive_zone
    try:
        zone(tz_name)
    except TimeSyntaxError as exc:
        raise SourceError("--timezone", exc.message) from None
    services = _Systems(params, cfg_path, problems)
    incidents = []
    for path, text in site.issues:
        draft = _issue(path, text, naive_zone, tz_name, services, problems)
        if draft:
            incidents.append(draft)
    ids = services.ids()
    incidents = [replace(d, services=tuple(sorted((ids[k], s) for k, s in d.services))) for d in incidents]
    if not site.issues:
        problems.append(Problem(site.root, "no content/issues/*.md; only the systems were imported"))
    return Conversion(_site(cfg, cfg_path, params, tz_name, services.drafts(), problems), tuple(incidents),
                      tuple(sorted(set(problems))))  # fmt: skip


def _site(cfg: dict, cfg_path: str, params: dict, tz_name: str, services, problems: list[Problem]) -> SiteDraft:
    title = one_line(_get(cfg, "title") or "")[0] or "Status"
    if not _get(cfg, "title"):
        problems.append(Problem(cfg_path, "no title; the site is called 'Status' (edit site.yaml)"))
    raw_url = str(_get(cfg, "baseURL") or "")
    try:
        base_url = parse_base_url(raw_url)
    except ValueError:
        base_url = "https://status.example.com/"
        problems.append(Problem(cfg_path, f"baseURL {raw_url!r} is not an absolute http(s) URL; base_url is "
                                          f"{base_url} (edit site.yaml)"))  # fmt: skip
    language = None
    if code := str(_get(cfg, "languageCode") or _get(cfg, "defaultContentLanguage") or ""):
        language = code.lower().replace("_", "-").split("-")[0]
        if language not in LANGUAGES:
            problems.append(Problem(cfg_path, f"language '{code}' is not available in statusgen; English is used"))
            language = None
    description = one_line(_get(params, "description") or "")[0]
    return SiteDraft(title, base_url, tz_name, language, description, services,
                     "Imported from cState by `statusgen import cstate`.")  # fmt: skip


class _Systems:
    """params.systems → services in category order, and the lookup from `affected` names."""

    def __init__(self, params: dict, source: str, problems: list[Problem]):
        self.problems, self.source = problems, source
        categories = [c for c in (_get(params, "categories") or []) if isinstance(c, dict)]
        rank = {str(_get(c, "name")): n for n, c in enumerate(categories)}
        untitled = {str(_get(c, "name")) for c in categories if _truthy(_get(c, "untitled"))}
        systems = []
        for n, s in enumerate(_get(params, "systems") or []):
            s = {"name": s} if isinstance(s, str) else s
            name = one_line(str(_get(s, "name") or ""))[0] if isinstance(s, dict) else ""
            if not name:
                problems.append(Problem(source, f"system #{n + 1} has no name; skipped"))
                continue
            category = _get(s, "category")
            category = str(category) if category is not None else None
            if category is not None and category not in rank:
                problems.append(Problem(source, f"system '{name}': category '{category}' is not in categories"))
            if _get(s, "link"):
                problems.append(Problem(source, f"system '{name}': its link is not carried over (no such field)"))
            group = None if category is None or category in untitled else one_line(category)[0]
            systems.append((rank.get(category or "", len(rank)), n, name, group,
                            one_line(str(_get(s, "description") or ""))[0]))  # fmt: skip
        systems.sort()
        self.systems = [(f"system:{name}", name, group, description) for _, _, name, group, description in systems]
        self.by_slug: dict[str, str] = {}
        for key, name, _, _ in self.systems:
            self.by_slug.setdefault(slugify(name) or name.lower(), key)
        self.extra: dict[str, str] = {}
        self.general = False
        self._ids: dict[str, str] | None = None

    def resolve(self, names: list[str], source: str) -> list[str]:
        keys = []
        for name in names:
            slug = slugify(name) or name.lower()
            key = self.by_slug.get(slug)
            if key is None:
                key = f"other:{slug}"
                if key not in self.extra:
                    self.extra[key] = name
                    self.problems.append(Problem(source, f"affected '{name}' is not a system in the config; it "
                                                         f"became a service in the group '{OTHER_GROUP}'"))  # fmt: skip
            if key not in keys:
                keys.append(key)
        return keys

    def ids(self) -> dict[str, str]:
        if self._ids is None:
            items = [(key, name, group, "system") for key, name, group, _ in self.systems]
            items += [(key, name, OTHER_GROUP, "system") for key, name in sorted(self.extra.items())]
            if self.general:
                items.append(("general:", GENERAL_SERVICE_NAME, None, "general"))
            self._ids = assign_ids(items)
        return self._ids

    def drafts(self) -> tuple[ServiceDraft, ...]:
        ids = self.ids()
        result = [ServiceDraft(ids[key], name, group, description, None, "cState system")
                  for key, name, group, description in self.systems]  # fmt: skip
        result += [ServiceDraft(ids[key], one_line(name)[0], OTHER_GROUP, "", None, "named in issues, not in the config")
                   for key, name in sorted(self.extra.items())]  # fmt: skip
        if self.general:
            result.append(ServiceDraft(ids["general:"], GENERAL_SERVICE_NAME, None, GENERAL_SERVICE_DESCRIPTION, None,
                                       "issues that named no system"))  # fmt: skip
        if not result:
            self.problems.append(Problem(self.source, "no systems in params.systems"))
        return tuple(result)


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1")
    return bool(value)


# ---------------------------------------------------------------- one issue


def split_front_matter(text: str, path: str) -> tuple[dict, str]:
    """YAML (---) or TOML (+++) front matter as a dict of plain values, and the body."""
    for fence, parse in (("---", _yaml_front), ("+++", tomllib.loads)):
        if text.startswith(fence + "\n"):
            end = re.search(rf"^{re.escape(fence)}\s*$", text[len(fence) + 1 :], re.M)
            if end is None:
                raise SourceError(path, f"front matter is not closed with a '{fence}' line")
            front = text[len(fence) + 1 : len(fence) + 1 + end.start()]
            body = text[len(fence) + 1 + end.end() :]
            try:
                data = parse(front)
            except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
                raise SourceError(path, f"cannot parse the front matter: {' '.join(str(exc).split())}") from None
            if not isinstance(data, dict):
                raise SourceError(path, "the front matter is not a mapping of fields")
            return data, body
    raise SourceError(path, "no front matter (a cState issue starts with '---' and its fields)")


def _yaml_front(text: str) -> object:
    # BaseLoader keeps every scalar as the text written: no guessing of dates, booleans or numbers.
    return yaml.load(text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader)) or {}


@dataclass
class _Item:
    label: str | None
    paragraphs: list[str] = field(default_factory=list)
    time: str | None = None


def parse_body(body: str) -> tuple[list[str], list[_Item]]:
    """(free paragraphs, update items) of an issue body, in file order."""
    free: list[str] = []
    items: list[_Item] = []
    current: _Item | None = None
    for para in re.split(r"\n[ \t]*\n", body.strip("\n")):
        if not para.strip():
            continue
        if RULE.match(para):  # a '---' between the post-mortem and the updates ends a block
            current = None
            continue
        track = TRACK.search(para)
        label = LABEL.match(para)
        if label and len(label["label"].split()) > 4:
            label = None
        if label or (track and current is None):
            text = label["rest"] if label else para
            current = _Item(label["label"].strip().rstrip(":") if label else None)
            items.append(current)
        elif current is not None and current.time is None:
            text = para
        else:
            free.append(para)
            continue
        if track:
            current.time = next(g for g in (track["dq"], track["sq"], track["bare"]) if g is not None)
            text = TRACK.sub("", text)
        if text.strip():
            current.paragraphs.append(text.strip())
        if track:
            current = None
    return free, items


def _issue(path: str, text: str, naive_zone: str, tz_name: str, systems: _Systems, problems: list[Problem]):
    front, body = split_front_matter(text, path)
    fields = {str(k).lower(): v for k, v in front.items()}
    if _truthy(fields.get("draft")):
        problems.append(Problem(path, "a draft; skipped"))
        return None
    title, cut = one_line(str(fields.get("title") or ""))
    if not title:
        title = Path(path).stem
        problems.append(Problem(path, f"no title; it is called '{title}'"))
    elif cut:
        problems.append(Problem(path, "the title was cut to 300 characters"))

    def when(value: object, what: str) -> datetime | None:
        if value in (None, ""):
            return None
        try:
            return parse_time(value, naive_zone).replace(microsecond=0)
        except ValueError as exc:
            problems.append(Problem(path, f"{what}: {exc}"))
            return None

    started = when(fields.get("date"), "date")
    unknown = sorted(k for k in fields if k not in KNOWN_KEYS)
    if unknown:
        problems.append(Problem(path, f"fields with no equivalent, not carried over: {', '.join(unknown)}"))
    if _truthy(fields.get("pin")):
        problems.append(Problem(path, "pin: true has no equivalent (statusgen shows open incidents first)"))
    informational = _truthy(fields.get("informational"))
    severity = str(fields.get("severity") or "").strip().lower()
    if informational:
        impact = Impact.NONE
    elif severity in SEVERITY_IMPACT:
        impact = SEVERITY_IMPACT[severity]
    else:
        impact = Impact.MINOR
        problems.append(Problem(path, f"severity '{severity}' is not down, disrupted or notice; imported as notice "
                                      "(minor)" if severity else "no severity; imported as notice (minor)"))  # fmt: skip

    free, items = parse_body(body)
    for found in sorted({m.group(0) for m in SHORTCODE.finditer(body) if not TRACK.fullmatch(m.group(0))}):
        problems.append(Problem(path, f"Hugo shortcode {found} is kept as text"))
    resolved_flag = _truthy(fields.get("resolved")) or ("resolved" not in fields and bool(fields.get("resolvedwhen")))
    closed = resolved_flag or informational
    resolved_when = when(fields.get("resolvedwhen"), "resolvedWhen") if closed else None

    updates: list[UpdateDraft] = []
    postmortem: list[str] = []
    untimed: list[_Item] = []
    for item in items:
        stage = LABEL_STAGES.get((item.label or "update").lower())
        paras = list(item.paragraphs)
        if stage is None:
            paras[:1] = [f"**{item.label}** — {paras[0]}" if paras else f"**{item.label}**"]
            stage = Stage.UPDATE
        text = clean_text("\n\n".join(paras))
        if item.time is None:
            if stage is Stage.POSTMORTEM:
                postmortem.append(text)
            else:
                untimed.append(replace(item, paragraphs=[text], label=stage.value))
            continue
        at = when(item.time, "track")
        if at is None:
            untimed.append(replace(item, paragraphs=[text], label=stage.value))
            continue
        updates.append(UpdateDraft(at, stage, text))
    for item in untimed:  # an update without a time: the time it resolved, or the only time there is
        stage = Stage(item.label)
        at = None
        if stage is Stage.RESOLVED and closed:
            at = resolved_when or (max(u.at for u in updates) if updates else started)
        elif not updates and len(untimed) == 1:
            at = started
        if at is not None and all(u.at != at for u in updates):
            updates.append(UpdateDraft(at, stage, item.paragraphs[0]))
        else:
            free.append(item.paragraphs[0])
            problems.append(Problem(path, "an update without a {{< track >}} time is kept in the summary"))
    summary = clean_text("\n\n".join(free))
    if started is None:
        started = min((u.at for u in updates), default=None)
        if started is None:
            problems.append(Problem(path, "no readable date; skipped"))
            return None
        problems.append(Problem(path, "no readable date; the first update's time is used"))
    updates = settle_updates(updates, path, title, problems)
    if updates and updates[0].at < started:
        started = updates[0].at
    if closed and not updates and summary:  # the text is the whole story: let it be the final word
        at = resolved_when if resolved_when and resolved_when >= started else started
        updates, summary = [UpdateDraft(at, Stage.RESOLVED, summary)], ""
    hint = resolved_when or (max([started] + [u.at for u in updates]) if closed else None)
    if hint is not None and hint < started:
        problems.append(Problem(path, f"resolvedWhen is before date; resolved at {format_time(started, tz_name)}"))
        hint = max([started] + [u.at for u in updates])
    updates, resolved = close_timeline(updates, closed, hint, Kind.INCIDENT, tz_name, path, title, problems)

    names = fields.get("affected") or []
    names = [names] if isinstance(names, str) else [str(n) for n in names if n not in (None, "")]
    keys = systems.resolve(names, path)
    if not keys:
        systems.general = True
        keys = ["general:"]
    status = STATUS_FOR_IMPACT[impact]
    return IncidentDraft(
        title=title, kind=Kind.INCIDENT, impact=impact, services=tuple((k, status) for k in keys),
        started=started, resolved=resolved, window=None, summary=summary, updates=tuple(updates),
        postmortem=clean_text("\n\n".join(postmortem)), origin=f"Imported from cState issue {Path(path).name}",
        source=path, key=Path(path).stem,
    )  # fmt: skip
