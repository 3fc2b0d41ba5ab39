"""`statusgen check`: everything the build validates, plus rules for good incident communication.

Every rule is a pure function of (site, raw files, now, config) that yields findings: a stable
rule id, a severity, path:line, a message a tired on-call engineer understands, and a hint.
Rules are configured under `checks:` in site.yaml (see RULES for ids, defaults and options).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Callable, Iterable, Iterator

from statusgen.errors import Diagnostic, did_you_mean
from statusgen.load import RawRepo, SourceFile
from statusgen.model import Impact, Incident, Reporter, Site, Stage, Update
from statusgen.timeparse import NEXT_UPDATE_LINE, TimeSyntaxError, format_duration, parse_duration, zone
from statusgen.yamlnodes import Mapping, Node, Scalar, Sequence

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True, order=True)
class Finding:
    path: str  # relative to the content folder, '/' separators
    line: int  # 1-based; 0 when the problem concerns a whole file
    rule: str
    severity: str
    message: str
    hint: str = ""


# ---------------------------------------------------------------- rules and their configuration


@dataclass(frozen=True)
class Option:
    kind: str  # duration | days | ratio | words | impact | reporters
    default: object
    doc: str


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    summary: str
    options: tuple[tuple[str, Option], ...] = ()


RULES: tuple[Rule, ...] = (
    Rule("update-overdue", ERROR, "an open incident's next update is past the time promised (or the site's interval)",
         (("grace", Option("duration", timedelta(0), "how late an update may be before this fires")),)),
    Rule("update-gap", WARNING, "a past gap between two updates was longer than promised, or longer than the "
         "site's interval without the previous update announcing it",
         (("grace", Option("duration", timedelta(minutes=5), "how late an update may be before this fires")),)),
    Rule("first-update", WARNING, "the first update came too long after `started`",
         (("max", Option("duration", timedelta(minutes=15), "longest acceptable time from start to first update")),
          ("skip-reported-by", Option("reporters", (Reporter.CUSTOMER, Reporter.STAFF),
                                      "reporters for whom `started` is when the problem began, before anyone "
                                      "knew, so the time to the first update is not the team's")))),
    Rule("copy-paste", WARNING, "an update repeats an earlier update of the same incident",
         (("similarity", Option("ratio", 0.9, "0..1: how alike two texts must be (times and numbers ignored)")),)),
    Rule("empty-words", WARNING, "an update only says that the team is investigating or working on it"),
    Rule("vague-title", WARNING, "the title is made only of generic words (\"Outage\", \"Service disruption\")",
         (("words", Option("words", (), "more words that say nothing on their own (the site's name always counts)")),)),
    Rule("resolution", ERROR, "resolved without a final Resolved update, `resolved` later than that update, an "
         "update after it that is not a postmortem, or a maintenance window over without a Completed update",
         (("tolerance", Option("duration", timedelta(0), "how much later than the Resolved update `resolved` may be")),)),
    Rule("resolution-summary", WARNING, "the Resolved update does not say when the impact began and ended"),
    Rule("postmortem-due", WARNING, "a major or critical incident was resolved days ago and has no postmortem",
         (("days", Option("days", 7, "days after resolution before a postmortem is due")),
          ("min-impact", Option("impact", Impact.MAJOR, "the least impact that needs a postmortem")))),
    Rule("time-sanity", ERROR, "a time in the future, or an update before the incident started"),
    Rule("tone", WARNING, "exclamation marks or shouting in a title or update"),
)  # fmt: skip
RULE_BY_ID = {r.id: r for r in RULES}
# Not configurable: problems the build itself refuses, and problems in `checks:` itself.
CONTENT_RULE, CONFIG_RULE = "content", "config"
COMMON_KEYS = ("severity", "ignore")


@dataclass(frozen=True)
class RuleConfig:
    severity: str  # error | warning | off
    ignore: frozenset[str]  # incident ids the rule skips
    options: dict = field(default_factory=dict, compare=False, hash=False)

    def __getitem__(self, key: str):
        return self.options[key]


Config = dict  # rule id -> RuleConfig


def default_config() -> Config:
    return {r.id: RuleConfig(r.severity, frozenset(), {k: o.default for k, o in r.options}) for r in RULES}


def read_config(node: Node | None) -> tuple[Config, list[Finding]]:
    """The rule settings from site.yaml's `checks:` node, and a finding for every mistake in it."""
    config = default_config()
    problems: list[Finding] = []

    def bad(line: int, message: str, hint: str = "") -> None:
        problems.append(Finding("site.yaml", line, CONFIG_RULE, ERROR, message, hint))

    if node is None or (isinstance(node, Scalar) and node.is_null):
        return config, problems
    if not isinstance(node, Mapping):
        bad(node.line, "'checks' must map rule ids to settings", "e.g. 'checks: {first-update: {max: 10m}}'")
        return config, problems
    for key, value in node.items:
        rule = RULE_BY_ID.get(key.text)
        if rule is None:
            bad(key.line, f"unknown rule '{key.text}' in checks", did_you_mean(key.text, RULE_BY_ID))
            continue
        current = config[rule.id]
        if isinstance(value, Scalar):
            severity = _severity(value.text)
            if severity is None:
                bad(value.line, f"'{rule.id}' cannot be '{value.text}'",
                    "write off, on, error or warning, or a mapping of options")  # fmt: skip
            else:
                config[rule.id] = replace(current, severity=rule.severity if severity == "on" else severity)
            continue
        if not isinstance(value, Mapping):
            bad(value.line, f"the settings of '{rule.id}' must be a mapping", f"e.g. '{rule.id}: {{severity: warning}}'")
            continue
        config[rule.id] = _rule_options(rule, current, value, bad)
    return config, problems


def _severity(text: str) -> str | None:
    word = text.strip().lower()
    if word in ("off", "false", "no", "disabled"):
        return "off"
    if word in ("on", "true", "yes", "enabled"):
        return "on"
    return word if word in (ERROR, WARNING) else None


def _rule_options(rule: Rule, current: RuleConfig, node: Mapping, bad: Callable[..., None]) -> RuleConfig:
    options = dict(current.options)
    specs = dict(rule.options)
    severity, ignore = current.severity, current.ignore
    for key, value in node.items:
        name = key.text
        if name not in specs and name not in COMMON_KEYS:
            bad(key.line, f"'{rule.id}' has no option '{name}'", did_you_mean(name, [*specs, *COMMON_KEYS]))
            continue
        if name == "severity":
            word = _severity(value.text) if isinstance(value, Scalar) else None
            if word is None:
                bad(value.line, f"'{rule.id}.severity' must be error, warning or off")
            else:
                severity = rule.severity if word == "on" else word
        elif name == "ignore":
            ids = _words(value)
            if ids is None:
                bad(value.line, f"'{rule.id}.ignore' must be a list of incident ids", "e.g. 'ignore: [2026-03-10-db]'")
            else:
                ignore = frozenset(ids)
        else:
            try:
                options[name] = _option_value(specs[name], value)
            except ValueError as exc:
                bad(value.line, f"'{rule.id}.{name}': {exc}", specs[name].doc)
    return RuleConfig(severity, ignore, options)


def _words(node: Node) -> list[str] | None:
    if isinstance(node, Scalar):
        return [w.strip() for w in node.text.split(",") if w.strip()]
    if isinstance(node, Sequence) and all(isinstance(i, Scalar) for i in node.items):
        return [i.text.strip() for i in node.items if isinstance(i, Scalar)]
    return None


def _option_value(spec: Option, node: Node) -> object:
    if spec.kind in ("words", "reporters"):
        words = _words(node)
        if words is None:
            raise ValueError("must be a list")
        if spec.kind == "words":
            return tuple(w.lower() for w in words)
        try:
            return tuple(Reporter(w.lower()) for w in words)
        except ValueError:
            raise ValueError("reporters are " + ", ".join(r.value for r in Reporter)) from None
    if not isinstance(node, Scalar):
        raise ValueError("must be a single value")
    text = node.text.strip()
    if spec.kind == "duration":
        if text in ("0", "0m"):
            return timedelta(0)
        try:
            return parse_duration(text)
        except TimeSyntaxError as exc:
            raise ValueError(f"{exc.message} ({exc.hint})") from None
    if spec.kind == "days":
        if not text.isdigit():
            raise ValueError(f"'{text}' is not a whole number of days")
        return int(text)
    if spec.kind == "ratio":
        try:
            ratio = float(text)
        except ValueError:
            ratio = -1.0
        if not 0.0 < ratio <= 1.0:
            raise ValueError(f"'{text}' is not a number between 0 and 1")
        return ratio
    if spec.kind == "impact":
        try:
            return Impact(text.lower())
        except ValueError:
            raise ValueError(did_you_mean(text, [i.value for i in Impact])) from None
    raise AssertionError(spec.kind)  # pragma: no cover


# ---------------------------------------------------------------- running the checks


def findings_from_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Finding]:
    return [Finding(d.path, d.line, CONTENT_RULE, d.severity, d.message, d.hint) for d in diagnostics]


def salvage(raw: RawRepo) -> Site | None:
    """The site with only the incidents that validate on their own, so rules can run on them too
    while other files still have errors."""
    from statusgen.validate import validate_incident, validate_site

    problems: list[Diagnostic] = []
    site = validate_site(raw.site, problems)
    if site is None:
        return None
    incidents = [i for f in raw.incidents if (i := validate_incident(f, site, []))]
    seen: set[str] = set()
    unique = [i for i in incidents if not (i.id in seen or seen.add(i.id))]  # type: ignore[func-returns-value]
    return replace(site, incidents=tuple(sorted(unique, key=lambda i: (i.started, i.id), reverse=True)))


def check_repo(raw: RawRepo | None, site: Site | None, diagnostics: Iterable[Diagnostic], now: datetime) -> list[Finding]:
    """All findings for a status repo: the build's own diagnostics, problems in `checks:`, and
    every enabled rule on every incident that validated."""
    findings = findings_from_diagnostics(diagnostics)
    if raw is not None and site is None:
        site = salvage(raw)
    if site is None or raw is None:
        return sorted(set(findings))
    config, problems = read_config(dict(site.options).get("checks"))
    findings += problems
    findings += check_site(site, raw, now, config)
    return sorted(set(findings))


def check_site(site: Site, raw: RawRepo, now: datetime, config: Config) -> list[Finding]:
    files = {f.path: f for f in raw.incidents}
    known = {i.id for i in site.incidents}
    found: list[Finding] = []
    for rule in RULES:
        settings = config[rule.id]
        for incident_id in sorted(settings.ignore - known):
            found.append(Finding("site.yaml", 0, CONFIG_RULE, WARNING,
                                 f"checks: '{rule.id}' ignores '{incident_id}', which is not an incident id",
                                 "remove it, or fix the id (the file name without .md, or its 'id:')"))  # fmt: skip
    for incident in site.incidents:
        ctx = Context(site, incident, files.get(incident.source.path), now)
        for rule in RULES:
            settings = config[rule.id]
            if settings.severity == "off" or incident.id in settings.ignore:
                continue
            for line, message, hint in CHECKS[rule.id](ctx, settings):
                found.append(Finding(incident.source.path, line, rule.id, settings.severity, message, hint))
    return sorted(found)


@dataclass(frozen=True)
class Context:
    site: Site
    incident: Incident
    file: SourceFile | None
    now: datetime
    memo: dict = field(default_factory=dict, compare=False)  # texts of updates, computed once

    def text(self, update: Update, code: bool = True) -> str:
        key = (update.line, code)
        if key not in self.memo:
            self.memo[key] = update_text(update.body, code)
        return self.memo[key]

    def line_of(self, key: str) -> int:
        """The front matter line of key (the file's first line when absent)."""
        if self.file is not None:
            for k, _ in self.file.front.items:
                if k.text == key:
                    return k.line
        return 1

    def time(self, moment: datetime, ref: datetime | None = None) -> str:
        """'09:30 CET', with the date when it is not the day of ref (default: the incident's start)."""
        tz = zone(self.site.timezone)
        local = moment.astimezone(tz)
        name = local.tzname() or ""
        if not name or name[0] in "+-":
            name = "UTC" + local.strftime("%z")[:3] if local.utcoffset() else "UTC"
        same_day = local.date() == (ref or self.incident.started).astimezone(tz).date()
        return local.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M") + " " + name

    def command(self, verb: str) -> str:
        stage = "in_progress" if self.incident.is_maintenance else "update"
        if verb == "update":
            return f'statusgen update {self.incident.id} {stage} "what changed, what readers should do"'
        return f'statusgen resolve {self.incident.id} "what was affected, from when to when"'


Yield = Iterator[tuple[int, str, str]]  # (line, message, hint)


def _overdue(ctx: Context, cfg: RuleConfig) -> Yield:
    i, now = ctx.incident, ctx.now
    if i.started > now or (i.resolved is not None and i.resolved <= now):
        return
    last = i.last_update
    if i.is_maintenance:  # maintenance is held only to explicit promises, until its window is over
        if last is None or last.next_update is None or last.at > now or (i.window and i.window.end <= now):
            return
        due, why = last.next_update.due, f"the last update ({ctx.time(last.at, now)}) promised the next by "
    elif last is None:
        due = i.started + ctx.site.update_interval
        why = f"no update posted yet; with the site's {format_duration(ctx.site.update_interval)} interval the first was due by "
    elif last.next_update is not None:
        due, why = last.next_update.due, f"the last update ({ctx.time(last.at, now)}) promised the next by "
    else:
        due = last.at + ctx.site.update_interval
        why = (f"the last update ({ctx.time(last.at, now)}) made no promise, so the site's "
               f"{format_duration(ctx.site.update_interval)} interval applies: the next was due by ")  # fmt: skip
    late = now - due
    if late > cfg["grace"] and late >= timedelta(minutes=1):
        line = last.line if last else ctx.line_of("started")
        yield (line, f"update overdue by {format_duration(late)}: {why}{ctx.time(due, now)}",
               f"post an update now, even if nothing changed: {ctx.command('update')}"
               + ("" if i.is_maintenance else f"; or, if it is over: {ctx.command('resolve')}"))  # fmt: skip


def _gaps(ctx: Context, cfg: RuleConfig) -> Yield:
    i = ctx.incident
    closing = {Stage.RESOLVED, Stage.POSTMORTEM, Stage.COMPLETED}
    for a, b in zip(i.updates, i.updates[1:]):
        if a.stage in closing or b.stage is Stage.POSTMORTEM:
            continue
        gap = b.at - a.at
        if a.next_update is not None:
            late = b.at - a.next_update.due
            if late > cfg["grace"]:
                yield (b.line, f"this update came {format_duration(late)} later than promised: the previous one "
                       f"({ctx.time(a.at)}) promised the next by {ctx.time(a.next_update.due)}, and it came "
                       f"{format_duration(gap)} after it",
                       "post when you promised, even to say there is nothing new; if you need longer, say so "
                       "in the update before")  # fmt: skip
        elif not i.is_maintenance and gap - ctx.site.update_interval > cfg["grace"]:
            yield (b.line, f"{format_duration(gap)} passed since the previous update ({ctx.time(a.at)}), which "
                   f"promised nothing, so readers expected one within the site's "
                   f"{format_duration(ctx.site.update_interval)} interval",
                   "when updates will be less frequent, say so: end the previous update with "
                   "'Next update within 1 hour.'")  # fmt: skip


def _first_update(ctx: Context, cfg: RuleConfig) -> Yield:
    i = ctx.incident
    if i.is_maintenance or not i.updates or i.reported_by in cfg["skip-reported-by"]:
        return
    first = i.updates[0]
    took = first.at - i.started
    if took > cfg["max"]:
        yield (first.line, f"the first update came {format_duration(took)} after the start ({ctx.time(i.started)}); "
               f"the limit is {format_duration(cfg['max'])}",
               "post early: a first update can be two sentences (what is affected, that you are on it); "
               "if the problem began long before anyone noticed, set 'reported_by:'")  # fmt: skip


_NUMBERS = re.compile(r"\d+(?:[.,:]\d+)*")
_FENCE = re.compile(r"^ {0,3}(```|~~~).*?(?:^ {0,3}\1[^\n]*$|\Z)", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`+[^`\n]*`+")
_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_EMPHASIS = re.compile(r"(?<!\w)[*_]|[*_](?!\w)|<(https?://[^>\s]+)>")
_LINE_MARK = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d{1,3}[.)]\s+)", re.MULTILINE)


def update_text(body: str, code: bool = True) -> str:
    """An update's words for the heuristics below: Markdown marks, link targets and the next-update
    line removed; code kept as text, or dropped with code=False. A cheap approximation of
    markdown.plain_text, which would parse every update again (most of check's time at 10,000
    incidents). Context.text keeps the result for the incident's rules."""
    text = "\n".join(ln for ln in body.split("\n") if not NEXT_UPDATE_LINE.match(ln))
    if "`" in text or "~~~" in text:
        text = _FENCE.sub(lambda m: m.group(0).split("\n", 1)[-1].rsplit("\n", 1)[0] if code else " ", text)
        text = _CODE_SPAN.sub(lambda m: m.group(0).strip("`") if code else " ", text)
    if "](" in text:
        text = _LINK.sub(r"\1", text)
    text = _LINE_MARK.sub("", text)
    if "*" in text or "_" in text or "<" in text:
        text = _EMPHASIS.sub(lambda m: m.group(1) or "", text.replace("**", "").replace("__", ""))
    return " ".join(text.split())


def _comparable(text: str) -> str:
    """An update's words without times and numbers, case or spacing."""
    text = _NUMBERS.sub("0", text.lower())
    return " ".join(re.findall(r"\w+", text))


def _copy_paste(ctx: Context, cfg: RuleConfig) -> Yield:
    texts = [(u, _comparable(ctx.text(u)).split()) for u in ctx.incident.updates]  # compared word by word
    threshold = cfg["similarity"]
    for n, (u, text) in enumerate(texts):
        if not text:
            continue
        m = difflib.SequenceMatcher(None, autojunk=False)
        m.set_seq2(text)  # analysed once, compared with each earlier update
        for earlier, other in texts[:n]:
            if not other:
                continue
            m.set_seq1(other)
            if m.real_quick_ratio() >= threshold and m.quick_ratio() >= threshold and m.ratio() >= threshold:
                yield (u.line, f"this update repeats the one at {ctx.time(earlier.at)} "
                       f"({round(m.ratio() * 100)}% the same, ignoring times and numbers)",
                       "say what changed since then; if nothing did, say that in one sentence and when "
                       "you expect news")  # fmt: skip
                break


# Words that, alone, say nothing a reader can act on. A sentence made only of them is filler.
FILLER_WORDS = frozenset("""
we we're were are is am be been being have has had our us team teams engineer engineers engineering
staff currently still actively now continuing continue continues to investigating investigate
investigation looking look looks into at working work on aware of the an a issue issues problem
problems incident incidents situation matter it its this that these reports report cause root fix
fixing fixed resolve resolving resolution identified identify found determined and will shall provide
post share update updates more information info details detail further soon shortly as possible asap
when where once available thank thanks you your for patience understanding apologize apologise
apologies sorry inconvenience any caused cause may might some users customers affecting affected
impacting impacted experiencing ongoing there high top priority urgently urgency immediately please
stay tuned bear with keep posted informed regarding about all hands in progress next following
""".split())
_NON_LATIN = re.compile(r"[^\W\d_A-Za-z\u00c0-\u024f]")
_LETTER = re.compile(r"[^\W\d_]")


def mostly_latin(text: str) -> bool:
    """At least 80% of the letters are Latin (ASCII or accented)."""
    letters = len(_LETTER.findall(text))
    if not letters:
        return False
    if text.isascii():
        return True
    return len(_NON_LATIN.findall(text)) <= 0.2 * letters


def says_nothing(text: str) -> bool:
    """True when every word of an update is filler ("We are investigating the issue."), in English.

    Other languages never match (their words are not in the list), and text mostly in other
    scripts is skipped outright: a missed warning is better than a false one. Any digit counts as
    content (a time, a share, an error code)."""
    if re.search(r"\d", text):
        return False
    words = re.findall(r"[a-z']+", text.lower().replace("’", "'"))
    return bool(words) and all(w in FILLER_WORDS for w in words) and mostly_latin(text)


def _empty_words(ctx: Context, cfg: RuleConfig) -> Yield:
    for u in ctx.incident.updates:
        if not ctx.text(u):
            yield (u.line, "this update has no text" + (" besides its next-update line" if u.body.strip() else ""),
                   "say what readers notice and what you are doing about it")
        elif says_nothing(ctx.text(u)):
            yield (u.line, "this update only says that you are on it: nothing about what readers notice or "
                   "what has been done",
                   "say which service and symptom (since when, for whom) and what you did or will do next; "
                   "one concrete fact is enough")  # fmt: skip


# Words that name no service and no symptom a reader could recognise. A title made only of them
# (and of the site's own name) is vague: "Outage", "Service disruption", "Investigating an issue".
GENERIC_TITLE_WORDS = frozenset("""
outage outages issue issues problem problems incident incidents disruption disruptions interruption
interruptions trouble troubles difficulties difficulty service services system systems platform
some all users customers partial major minor critical ongoing investigating investigation update
updates unexpected unplanned technical current currently known potential possible intermittent
elevated degraded degradation performance status emergency urgent general various several
the a an of with for on in to at our your we are is was affecting impacting certain and or
""".split())


def title_is_vague(title: str, site: Site, extra: Iterable[str] = ()) -> bool:
    """True when every word of the title is generic ("Outage", "Service disruption").

    Any other word (a service, a feature, a symptom, in any language or script) counts as saying
    something; that keeps false alarms away from titles in other languages. Numbers count only
    as HTTP status codes (503); dates and versions say nothing on their own."""
    generic = GENERIC_TITLE_WORDS | set(extra) | {w.lower() for w in re.findall(r"[^\W_]+", site.title)}
    for word in re.findall(r"[^\W_]+", title.lower()):
        if word.isdigit() or re.fullmatch(r"\d+[a-z]{0,2}", word):
            if re.fullmatch(r"[1-5]\d\d(?:s|xx)?|[1-5]xx", word):
                return False
            continue
        if word not in generic:
            return False
    return True


def _vague_title(ctx: Context, cfg: RuleConfig) -> Yield:
    if title_is_vague(ctx.incident.title, ctx.site, cfg["words"]):
        examples = ", ".join(s.name for s in ctx.site.services[:3])
        yield (ctx.line_of("title"), f"the title '{ctx.incident.title}' names neither a service nor a symptom",
               f"say what readers notice and where, e.g. 'Slow responses from the {ctx.site.services[0].name}' "
               f"(services: {examples}…)")  # fmt: skip


def _resolution(ctx: Context, cfg: RuleConfig) -> Yield:
    """`resolved:` is when impact ended (README): it may be earlier than the Resolved update that
    announces it (after some monitoring), never later; after that update only a postmortem follows."""
    i, now = ctx.incident, ctx.now
    closing = Stage.COMPLETED if i.is_maintenance else Stage.RESOLVED
    word = closing.label
    final = next((u for u in i.updates if u.stage is closing), None)
    if i.resolved is not None and final is None:
        yield (ctx.line_of("resolved"), f"'resolved' is set but there is no {word} update: readers see the last "
               f"update ({i.last_update.stage.label if i.last_update else 'none'}) as the final word",
               f"add a final update: {ctx.command('resolve')}")  # fmt: skip
    if i.resolved is not None and final is not None and i.resolved - final.at > cfg["tolerance"]:
        yield (ctx.line_of("resolved"), f"'resolved' ({ctx.time(i.resolved)}) is after the {word} update "
               f"({ctx.time(final.at)}) that announced it",
               f"set 'resolved:' to when the impact ended, at the latest the time of the {word} update")  # fmt: skip
    if final is not None:
        for u in i.updates:
            if u.at > final.at and u.stage is not Stage.POSTMORTEM:
                yield (u.line, f"this update ({u.stage.label}, {ctx.time(u.at)}) comes after the {word} update "
                       f"({ctx.time(final.at)})",
                       "after resolution only a Postmortem update belongs here; if the problem came back, open "
                       "a new incident (statusgen new) and link the two")  # fmt: skip
    if i.is_maintenance and i.window and i.resolved is None and i.window.end < now - timedelta(hours=1):
        yield (ctx.line_of("scheduled"), f"the maintenance window ended at {ctx.time(i.window.end, now)} but no "
               "Completed update says how it went",
               f"statusgen resolve {i.id} \"what was done, any impact, from when to when\"")  # fmt: skip


_CLOCK_OR_SPAN = re.compile(
    r"\b\d{1,2}[:.h]\d{2}\b|\d+\s*(?:min|minutes?|hours?|hrs?|h|days?|seconds?|s)\b|\d+\s*(?:分钟|小时|мин|час)",
    re.IGNORECASE,
)


def _resolution_summary(ctx: Context, cfg: RuleConfig) -> Yield:
    closing = Stage.COMPLETED if ctx.incident.is_maintenance else Stage.RESOLVED
    for u in ctx.incident.updates:
        if u.stage is closing and not _CLOCK_OR_SPAN.search(ctx.text(u)):
            yield (u.line, f"the {closing.label} update does not say when the impact began and ended",
                   "give the impact window with times and zone, e.g. 'Between 14:05 and 15:32 CET, about 30% of "
                   "API requests failed', and whether anyone needs to act")  # fmt: skip


def _postmortem_due(ctx: Context, cfg: RuleConfig) -> Yield:
    i = ctx.incident
    if i.is_maintenance or i.resolved is None or i.impact.rank < cfg["min-impact"].rank:
        return
    if i.postmortem_url or i.postmortem_section or any(u.stage is Stage.POSTMORTEM for u in i.updates):
        return
    age = ctx.now - i.resolved
    if age > timedelta(days=cfg["days"]):
        yield (ctx.line_of("resolved"), f"this {i.impact.value} incident was resolved {age.days} days ago "
               f"({i.resolved.astimezone(zone(ctx.site.timezone)):%Y-%m-%d}) and has no postmortem",
               "add 'postmortem: <link>' to the front matter, or a '## Postmortem' section: what happened, "
               "why, and what you changed")  # fmt: skip


def _time_sanity(ctx: Context, cfg: RuleConfig) -> Yield:
    i, now = ctx.incident, ctx.now
    ahead = lambda t: f"{ctx.time(t, now)}, {format_duration(t - now)} in the future (now is {ctx.time(now, now)})"  # noqa: E731
    hint = "check the date and the UTC offset (+01:00 or +02:00?); `statusgen update` stamps the current time"
    if not i.is_maintenance and i.started > now:
        yield ctx.line_of("started"), f"'started' is {ahead(i.started)}", hint
    if i.resolved is not None and i.resolved > now and ctx.file and ctx.file.front.get("resolved") is not None:
        yield ctx.line_of("resolved"), f"'resolved' is {ahead(i.resolved)}", hint
    for u in i.updates:
        if u.at > now:
            yield u.line, f"this update is dated {ahead(u.at)}", hint
        elif not i.is_maintenance and u.at < i.started:
            yield (u.line, f"this update ({ctx.time(u.at)}) is earlier than 'started' ({ctx.time(i.started)})",
                   "'started' is when the problem began; move it earlier or fix the update's time")  # fmt: skip


_SHOUT = re.compile(r"\b[A-Z]{3,}(?:\s+[A-Z]{3,}){2,}\b")


def _tone(ctx: Context, cfg: RuleConfig) -> Yield:
    hint = "keep a calm, factual tone: state what happens, to whom, and what you do"
    if "!" in ctx.incident.title or "！" in ctx.incident.title:
        yield ctx.line_of("title"), "the title has an exclamation mark", hint
    for u in ctx.incident.updates:
        text = re.sub(r"https?://\S+", "", ctx.text(u, code=False))
        if "!" in text or "！" in text:
            yield u.line, "this update has an exclamation mark", hint
        elif _SHOUT.search(text):
            yield u.line, f"this update shouts ('{_SHOUT.search(text)[0]}')", hint  # type: ignore[index]


CHECKS: dict[str, Callable[[Context, RuleConfig], Yield]] = {
    "update-overdue": _overdue,
    "update-gap": _gaps,
    "first-update": _first_update,
    "copy-paste": _copy_paste,
    "empty-words": _empty_words,
    "vague-title": _vague_title,
    "resolution": _resolution,
    "resolution-summary": _resolution_summary,
    "postmortem-due": _postmortem_due,
    "time-sanity": _time_sanity,
    "tone": _tone,
}
assert set(CHECKS) == set(RULE_BY_ID)


# ---------------------------------------------------------------- output


def _github_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def format_findings(findings: list[Finding], fmt: str, prefix: str = "") -> str:
    """Findings as text, GitHub workflow commands, or JSON; prefix joins paths to the repo root."""
    import json

    where = lambda f: prefix + f.path  # noqa: E731
    if fmt == "json":
        items = [{"rule": f.rule, "severity": f.severity, "path": where(f), "line": f.line, "message": f.message,
                  "hint": f.hint} for f in findings]  # fmt: skip
        return json.dumps(items, indent=2, ensure_ascii=False) + "\n"
    out = []
    for f in findings:
        if fmt == "github":
            props = f"file={_github_escape(where(f), True)}"
            if f.line:
                props += f",line={f.line}"
            props += f",title={_github_escape(f'statusgen {f.rule}', True)}"
            body = f.message + (f"\nhint: {f.hint}" if f.hint else "")
            out.append(f"::{f.severity} {props}::{_github_escape(body)}")
        else:
            loc = f"{where(f)}:{f.line}" if f.line else where(f)
            out.append(f"{loc}: {f.severity} [{f.rule}]: {f.message}" + (f"\n    hint: {f.hint}" if f.hint else ""))
    return "".join(line + "\n" for line in out)


def summary(findings: list[Finding], incidents: int) -> str:
    errors = sum(f.severity == ERROR for f in findings)
    warnings = len(findings) - errors
    checked = f"{incidents} incident" + ("" if incidents == 1 else "s")
    if not findings:
        return f"All clear: {checked} checked."
    return f"{errors} error(s), {warnings} warning(s) in {checked}."
