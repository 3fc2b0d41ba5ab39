"""HTML pages: view models built from the model at `now`, rendered with the theme's Jinja2 templates.

Templates never see raw config: they get small view objects with display-ready values (already in
the site's language and zone) and root-relative paths, and turn paths into relative links with
url(), so the site works on any host and under any sub-path. Static files are fingerprinted so a
CDN may cache them forever.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from types import BuiltinFunctionType, FunctionType, MethodType
from urllib.parse import urlsplit

import jinja2
import jinja2.compiler
import jinja2.runtime
import jinja2.utils
from markupsafe import Markup, escape

try:  # the text part of markupsafe.escape (MarkupSafe 3); escape itself before
    from markupsafe import _escape_inner as _escape_text
except ImportError:  # pragma: no cover
    _escape_text = escape

from statusgen import derive, expiry, index, urls
from statusgen.cache import template_cache
from statusgen.derive import Indicator, Phase, Uptime
from statusgen.i18n import UI, N_, pN_, ui_for
from statusgen.markdown import render_markdown
from statusgen.model import ComponentStatus, Impact, Incident, Site, Stage, Update
from statusgen.render import Output
from statusgen.theme import Theme
from statusgen.timeparse import NEXT_UPDATE_LINE, zone

RECENT_ON_FRONT_PAGE = 10
INCIDENTS_ON_SERVICE_PAGE = 50
# While something is open, the front page and its incident page re-fetch themselves this often.
REFRESH_SECONDS = 60

STATUS_LABEL = {
    ComponentStatus.OPERATIONAL: N_("Operational"),
    ComponentStatus.UNDER_MAINTENANCE: N_("Under maintenance"),
    ComponentStatus.DEGRADED_PERFORMANCE: N_("Degraded performance"),
    ComponentStatus.PARTIAL_OUTAGE: N_("Partial outage"),
    ComponentStatus.MAJOR_OUTAGE: N_("Major outage"),
}
# Where an incident or maintenance stands ("phase" context: it describes the whole incident).
PHASE_LABEL = {
    Phase.OPEN: pN_("phase", "Ongoing"),
    Phase.RESOLVED: pN_("phase", "Resolved"),
    Phase.UPCOMING: pN_("phase", "Scheduled"),
    Phase.IN_PROGRESS: pN_("phase", "In progress"),
    Phase.COMPLETED: pN_("phase", "Completed"),
}
# The heading of one update ("stage" context).
STAGE_LABEL = {
    Stage.INVESTIGATING: pN_("stage", "Investigating"),
    Stage.IDENTIFIED: pN_("stage", "Identified"),
    Stage.MONITORING: pN_("stage", "Monitoring"),
    Stage.UPDATE: pN_("stage", "Update"),
    Stage.RESOLVED: pN_("stage", "Resolved"),
    Stage.POSTMORTEM: pN_("stage", "Postmortem"),
    Stage.SCHEDULED: pN_("stage", "Scheduled"),
    Stage.IN_PROGRESS: pN_("stage", "In progress"),
    Stage.VERIFYING: pN_("stage", "Verifying"),
    Stage.COMPLETED: pN_("stage", "Completed"),
}
IMPACT_LABEL = {
    Impact.NONE: N_("No impact"),
    Impact.MINOR: N_("Minor impact"),
    Impact.MAJOR: N_("Major impact"),
    Impact.CRITICAL: N_("Critical impact"),
}
REPORTER_LABEL = {
    "customer": N_("Reported by a customer"),
    "monitoring": N_("Detected by our monitoring"),
    "staff": N_("Noticed by our staff"),
}
INDICATOR_HEADLINE = {
    Indicator.NONE: N_("All systems operational"),
    Indicator.MAINTENANCE: N_("Maintenance in progress"),
    Indicator.MINOR: N_("Minor service disruption"),
    Indicator.MAJOR: N_("Partial service outage"),
    Indicator.CRITICAL: N_("Major service outage"),
}
# The icon that stands for the overall indicator (icons always come with text).
INDICATOR_ICON = {
    Indicator.NONE: ComponentStatus.OPERATIONAL,
    Indicator.MAINTENANCE: ComponentStatus.UNDER_MAINTENANCE,
    Indicator.MINOR: ComponentStatus.DEGRADED_PERFORMANCE,
    Indicator.MAJOR: ComponentStatus.PARTIAL_OUTAGE,
    Indicator.CRITICAL: ComponentStatus.MAJOR_OUTAGE,
}


# ---------------------------------------------------------------- view models


@dataclass(frozen=True)
class TimeView:
    iso: str  # machine-readable, for <time datetime> and scripts
    text: str  # date, time and zone in the site's zone and language
    clock: str  # time of day and zone only
    day: str  # date only


@dataclass(frozen=True)
class SpanView:
    """From start to end (end None while it lasts); same_day lets templates write "2:00 – 4:00 AM CET"."""

    start: TimeView
    end: TimeView | None
    same_day: bool
    start_no_zone: str  # the start without its zone, when the end carries it


@dataclass(frozen=True)
class ServiceStatusView:
    id: str
    name: str
    path: str
    status: str  # ComponentStatus value, used for icon and CSS class
    label: str


@dataclass(frozen=True)
class UpdateView:
    anchor: str
    stage: str
    stage_label: str
    time: TimeView
    html: str  # the body without its next-update line, which next_update shows in the reader's words
    next_update: TimeView | None


@dataclass(frozen=True)
class IncidentView:
    id: str
    path: str
    title: str
    is_maintenance: bool
    kind_label: str
    impact: str
    impact_label: str
    phase: str
    phase_label: str
    is_live: bool  # open incident or maintenance in progress: the page refreshes itself
    icon: str  # a ComponentStatus value standing for the whole incident
    services: tuple[ServiceStatusView, ...]
    unaffected: tuple[ServiceStatusView, ...]
    span: SpanView  # when it affected (or will affect) its services
    started: TimeView
    ended: TimeView | None
    duration: str | None
    window: SpanView | None
    reported_by: str | None
    summary_html: str
    updates: tuple[UpdateView, ...]  # newest first, as readers expect
    next_update: TimeView | None
    next_update_overdue: bool
    postmortem_url: str | None
    postmortem_html: str | None
    sections: tuple[tuple[str, str], ...]  # (title, html) of other free sections
    # Phases still ahead as (ISO instant, phase, label, icon): statusgen.js moves the badge on.
    phase_steps: tuple[tuple[str, str, str, str], ...] = ()

    @property
    def latest(self) -> UpdateView | None:
        return self.updates[0] if self.updates else None


@dataclass(frozen=True)
class DayView:
    index: int
    label: str  # "Nov 20, 2026: Partial outage, 42 min of downtime" for the tooltip
    status: str


@dataclass(frozen=True)
class UptimeView:
    percent: str
    days: tuple[DayView, ...]  # only days that are not plain operational
    span: int
    summary: str


@dataclass(frozen=True)
class ServiceView:
    id: str
    name: str
    path: str
    description: str
    status: str
    label: str
    uptime30: str
    uptime90: UptimeView


@dataclass(frozen=True)
class OverallView:
    indicator: str
    icon: str
    headline: str
    affected: tuple[ServiceStatusView, ...]  # services not operational now, worst first
    operational: int
    total: int


@dataclass(frozen=True)
class MonthView:
    year: int
    month: int
    label: str
    path: str
    count: int


@dataclass(frozen=True)
class PageLink:
    title: str
    path: str


@dataclass(frozen=True)
class SiteView:
    title: str
    description: str
    language: str
    html_lang: str
    timezone: str
    zone_name: str
    contact: str | None
    contact_href: str | None
    pages: tuple[PageLink, ...]
    overall: OverallView
    indicator: str  # the Statuspage indicator and its (English) description, as the API has them
    indicator_text: str
    uptime_rule: tuple[tuple[str, str], ...]  # (status label, share as percent)


def _contact_href(contact: str | None) -> str | None:
    if not contact:
        return None
    if "@" in contact and ":" not in contact:
        return "mailto:" + contact
    return contact if contact.startswith(("https://", "http://")) else None


_HEADING_TAG = re.compile(r"<(/?)h([3-6])\b")


def _promote_headings(html: str) -> str:
    """Free pages have no h2 of their own, so their Markdown headings (h3 and below, see
    statusgen.markdown) move up one level. Safe on render_markdown's output: raw HTML is escaped."""
    return _HEADING_TAG.sub(lambda m: f"<{m[1]}h{int(m[2]) - 1}", html)


def shown_body(update: Update) -> str:
    """The update's Markdown minus its 'Next update …' line, shown separately as a time."""
    if update.next_update is None:
        return update.body
    return "\n".join(line for line in update.body.split("\n") if not NEXT_UPDATE_LINE.match(line))


class Views:
    """Builds view models for one site at one instant, in the site's language and zone."""

    def __init__(self, site: Site, now: datetime, ui: UI):
        self.site, self.now, self.ui = site, now, ui
        self.statuses = derive.service_statuses(site, now)
        self.names = {s.id: s.name for s in site.services}
        self.by_service = index.by_service(site)  # so a service page reads its own incidents only
        self.recent = index.recent(site, now)  # what the uptime bars can show
        self._incidents: dict[str, IncidentView] = {}  # each incident shows on several pages
        # An incident shows most of its instants twice (its span, its updates' times and promises).
        self._times: dict[datetime, TimeView] = {}
        self._span_parts: dict[datetime, list] = {}  # [timestamp without zone, zone, local date] (see span)
        self._service_statuses: dict[tuple[str, ComponentStatus], ServiceStatusView] = {}
        # Each incident and update shows a few of these labels: looked up once per build.
        self.phase_labels = {p: ui.pgettext(*label) for p, label in PHASE_LABEL.items()}
        self.stage_labels = {st: ui.pgettext(*label) for st, label in STAGE_LABEL.items()}

    def _(self, message: str) -> str:
        return self.ui.gettext(message)

    def time(self, moment: datetime) -> TimeView:
        try:
            return self._times[moment]  # equal datetimes are the same instant: the same view
        except KeyError:
            iso, text, clock, day, *self._span_parts[moment] = self.ui.stamp_parts(moment)
            view = self._times[moment] = TimeView(iso, text, clock, day)
            return view

    def span(self, start: datetime, end: datetime | None) -> SpanView:
        # one zone name at the end of the range only if both ends are in the same day and offset
        start_view, (start_text, start_zone, start_day) = self.time(start), self._span_parts[start]
        if end is None:
            return SpanView(start_view, None, False, start_text)
        end_view, (_, end_zone, end_day) = self.time(end), self._span_parts[end]
        return SpanView(start_view, end_view, start_day == end_day and start_zone == end_zone, start_text)

    def service_status(self, sid: str, status: ComponentStatus) -> ServiceStatusView:
        key = sid, status
        if key not in self._service_statuses:
            self._service_statuses[key] = ServiceStatusView(sid, self.names[sid], urls.service(sid), status.value,
                                                            self._(STATUS_LABEL[status]))  # fmt: skip
        return self._service_statuses[key]

    def overall(self) -> OverallView:
        ind = derive.indicator(self.site, self.now)
        affected = sorted(
            (self.service_status(s.id, self.statuses[s.id]) for s in self.site.services
             if self.statuses[s.id] is not ComponentStatus.OPERATIONAL),
            key=lambda v: -ComponentStatus(v.status).rank,
        )  # fmt: skip
        total = len(self.site.services)
        return OverallView(ind.value, INDICATOR_ICON[ind].value, self._(INDICATOR_HEADLINE[ind]), tuple(affected),
                           total - len(affected), total)  # fmt: skip

    def incident(self, incident: Incident) -> IncidentView:
        if incident.id not in self._incidents:
            self._incidents[incident.id] = self._incident(incident)
        return self._incidents[incident.id]

    def _incident(self, incident: Incident) -> IncidentView:
        ui = self.ui
        ph = derive.phase(incident, self.now)
        start, end = derive.active_span(incident)
        ended = end if end is not None and end <= self.now else None
        post = incident.postmortem_section
        due = derive.next_update_due(incident, self.site) if ph is Phase.OPEN else None
        live = ph in (Phase.OPEN, Phase.IN_PROGRESS)
        worst = max((st for _, st in incident.services), key=lambda st: st.rank, default=ComponentStatus.OPERATIONAL)
        if ph in (Phase.RESOLVED, Phase.COMPLETED):
            icon = ComponentStatus.OPERATIONAL
        elif incident.is_maintenance:
            icon = ComponentStatus.UNDER_MAINTENANCE
        else:
            icon = worst
        window = self.span(incident.window.start, incident.window.end) if incident.window else None
        shown_start = start if incident.is_maintenance else incident.started
        return IncidentView(
            id=incident.id,
            path=urls.incident(incident.id),
            title=incident.title,
            is_maintenance=incident.is_maintenance,
            kind_label=self._(N_("Maintenance")) if incident.is_maintenance else self._(N_("Incident")),
            impact=incident.impact.value,
            impact_label=self._(IMPACT_LABEL[incident.impact]),
            phase=ph.value,
            phase_label=self.phase_labels[ph],
            is_live=live,
            icon=icon.value,
            services=tuple(self.service_status(sid, st) for sid, st in incident.services),
            unaffected=tuple(self.service_status(sid, self.statuses[sid]) for sid in incident.unaffected),
            span=window if window and ph is Phase.UPCOMING else self.span(shown_start, ended),
            started=self.time(shown_start),
            ended=self.time(ended) if ended else None,
            duration=ui.duration(ended - start) if ended else None,
            window=window,
            reported_by=self._(REPORTER_LABEL[incident.reported_by.value]) if incident.reported_by else None,
            summary_html=render_markdown(incident.summary),
            updates=tuple(
                UpdateView(
                    u.anchor, u.stage.value, self.stage_labels[u.stage], self.time(u.at),
                    render_markdown(shown_body(u)), self.time(u.next_update.due) if u.next_update else None,
                )  # fmt: skip
                for u in reversed(derive.published_updates(incident, self.now))
            ),
            next_update=self.time(due) if due else None,
            next_update_overdue=bool(due and due < self.now),
            postmortem_url=incident.postmortem_url,
            postmortem_html=render_markdown(post.body) if post else None,
            sections=tuple((s.title, render_markdown(s.body)) for s in incident.sections if s is not post),
            phase_steps=tuple(
                (self.time(t).iso, p.value, self.phase_labels[p],
                 (ComponentStatus.OPERATIONAL if p in (Phase.RESOLVED, Phase.COMPLETED) else icon).value)
                for t, p in expiry.phase_changes(incident, self.now)
            ),  # fmt: skip
        )

    def uptime(self, up: Uptime) -> UptimeView:
        ui = self.ui
        today = ui.local(self.now).date()
        days = []
        for n, d in enumerate(up.days):
            if not d.counted and d.day < today:
                days.append(DayView(n, self._("%(day)s: no data") % {"day": ui.day(d.day)}, "nodata"))
            elif d.worst is not ComponentStatus.OPERATIONAL:
                label = self._("%(day)s: %(status)s") % {"day": ui.day(d.day), "status": self._(STATUS_LABEL[d.worst])}
                if d.downtime >= timedelta(minutes=1):
                    label += ", " + self._("%(duration)s of downtime") % {"duration": ui.duration(d.downtime)}
                days.append(DayView(n, label, d.worst.value))
        bad_days = sum(1 for d in up.days if d.worst is not ComponentStatus.OPERATIONAL)
        percent = ui.percent(up.ratio)
        summary = ui.ngettext(
            "%(percent)s uptime in the last %(num)s day", "%(percent)s uptime in the last %(num)s days", len(up.days)
        ) % {"percent": percent, "num": ui.number(len(up.days))}
        summary += "; " + ui.ngettext(
            "%(num)s day with incidents", "%(num)s days with incidents", bad_days
        ) % {"num": ui.number(bad_days)}  # fmt: skip
        return UptimeView(percent, tuple(days), len(up.days), summary)

    def service(self, sid: str) -> ServiceView:
        svc = self.site.service(sid)
        status = self.statuses[sid]
        return ServiceView(
            sid, svc.name, urls.service(sid), svc.description, status.value, self._(STATUS_LABEL[status]),
            self.ui.percent(derive.uptime(self.recent, svc, self.now, 30).ratio),
            self.uptime(derive.uptime(self.recent, svc, self.now, 90)),
        )  # fmt: skip

    def site_view(self) -> SiteView:
        s, ui = self.site, self.ui
        rule = tuple((self._(STATUS_LABEL[st]), ui.share(w)) for st, w in s.uptime_rule.weights)
        overall = self.overall()
        return SiteView(
            title=s.title, description=s.description, language=s.language, html_lang=ui.html_lang,
            timezone=s.timezone, zone_name=ui.zone_name(), contact=s.contact, contact_href=_contact_href(s.contact),
            pages=tuple(PageLink(p.title, urls.page(p.slug)) for p in s.pages), overall=overall,
            indicator=overall.indicator, indicator_text=derive.INDICATOR_DESCRIPTION[Indicator(overall.indicator)],
            uptime_rule=rule,
        )  # fmt: skip


# ---------------------------------------------------------------- rendering


class _Context(jinja2.runtime.Context):
    @jinja2.utils.internalcode
    def call(__self, __obj, *args, **kwargs):  # Jinja's own signature
        """Context.call with the same result, sooner for what pages call dozens of times (functions,
        methods, macros): Jinja's asks every callable three questions, a quarter of a page's time."""
        kind = type(__obj)
        if kind is _Macro:
            if kwargs:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
            if not kwargs and len(args) == __obj._argument_count and not (
                __obj.caller or __obj.catch_kwargs or __obj.catch_varargs
            ):  # every argument by position: what Macro.__call__ and Macro._invoke then do
                try:
                    rv = __obj._func(*args)
                except StopIteration:
                    return __self._stopped()
                return Markup(rv) if __self.eval_ctx.autoescape else rv
            args = (__self.eval_ctx, *args)  # Macro.__call__ takes the eval context
        elif kind in _PLAIN_CALLABLES:  # their own pass_* mark is all Jinja would look at
            pass_arg = getattr(__obj, "jinja_pass_arg", None)
            if pass_arg is _EVAL_CONTEXT:
                args = (__self.eval_ctx, *args)
            elif pass_arg is not None:
                return super().call(__obj, *args, **kwargs)
            if kwargs:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
        else:
            return super().call(__obj, *args, **kwargs)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self._stopped()

    def _stopped(self):
        return self.environment.undefined("value was undefined because a callable raised a StopIteration exception")


_Macro = jinja2.runtime.Macro
_PLAIN_CALLABLES = frozenset({FunctionType, MethodType, BuiltinFunctionType})
_EVAL_CONTEXT = jinja2.pass_eval_context(lambda: None).jinja_pass_arg  # type: ignore[attr-defined]


def _output(value) -> str:
    """What escape(value) writes, for the compiled templates' output only (it is joined into the page
    at once, so it need not be Markup): escape() makes a new Markup of every value, twice for Markup
    values (a macro's, gettext's), about a quarter of a page's time. Text is always escaped."""
    kind = type(value)
    if kind is str:
        return _escape_text(value)
    if kind is Markup:
        return value
    return escape(value)


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Compiles {{ … }} under autoescaping to environment.output(…) instead of escape(…)."""

    def _output_child_pre(self, node, frame, finalize) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            return super()._output_child_pre(node, frame, finalize)
        self.write("environment.output(")
        if finalize.src is not None:
            self.write(finalize.src)


class _Environment(jinja2.Environment):
    context_class = _Context
    code_generator_class = _CodeGenerator
    output = staticmethod(_output)  # see _CodeGenerator

    def make_globals(self, d):
        """A template's globals as one plain dict, not Jinja's ChainMap over the environment's: every
        import and include looks them all up. Globals are set before the first template loads."""
        return {**self.globals, **(d or {})}


def template_environment(theme: Theme, ui: UI) -> jinja2.Environment:
    """The theme's templates, autoescaped and strict, with the UI language's catalog installed."""
    env = _Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in theme.template_dirs]),
        bytecode_cache=template_cache(),  # compiled templates from the build cache, if a build has one
        auto_reload=False,  # one environment per build: no need to stat the files for every page
        cache_size=-1,  # a theme's few templates in a plain dict: each page looks up five, Jinja's LRU locks
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(ui.translations, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(_template_words(ui.translations), time_tag=time_tag, icon_tag=icon_tag)
    return env


# The two smallest pieces of _macros.html are written here: every page shows them dozens of times, and
# a Jinja macro call costs about three times a function's. Values are escaped as the templates would.
def time_tag(t: TimeView, f: str | None = None, relative: bool = False, due: bool = False) -> Markup:
    """<time datetime="{{ t.iso }}" data-f="{{ f }}" data-relative data-due>{{ t.text }}</time>, with
    only the attributes asked for, and t.clock as the text if f is "t", t.day if f is "d"."""
    text = t.clock if f == "t" else t.day if f == "d" else t.text
    attributes = f' data-f="{_output(f)}"' if f else ""
    if relative:
        attributes += " data-relative"
    if due:
        attributes += " data-due"
    return Markup(f'<time datetime="{_output(t.iso)}"{attributes}>{_output(text)}</time>')


def icon_tag(status: str) -> Markup:
    """The sprite's symbol for a status (an incident's icon is one too), decorative: text always follows."""
    try:
        return _ICONS[status] if type(status) is str else _icon_tag(status)
    except KeyError:
        icon = _icon_tag(status)
        if len(_ICONS) < 64:  # there are five statuses
            _ICONS[status] = icon
        return icon


def _icon_tag(status: str) -> Markup:
    s = _output(status)
    return Markup(f'<svg class="icon s-{s}" aria-hidden="true" focusable="false" width="16" height="16">'
                  f'<use href="#i-{s}"/></svg>')  # fmt: skip


_ICONS: dict[str, Markup] = {}


def _template_words(translations) -> dict:
    """gettext, _, pgettext and ngettext for templates, doing what jinja2.ext's "newstyle" ones do
    (the result is Markup when autoescaping, always %-formatted, variables escaped) in one call instead
    of three, and remembering what they said: a page says ~25 strings, most of them on every page."""
    said: dict = {}

    @functools.lru_cache(maxsize=1024)  # the types: Markup("<b>") and "<b>" are equal keys, not equal values
    def formatted(message: str, items: tuple, types: tuple) -> Markup:
        return Markup(translations.gettext(message)) % dict(items)

    @jinja2.pass_eval_context
    def gettext(eval_ctx, message: str, /, **variables) -> str:
        if not eval_ctx.autoescape:
            return translations.gettext(message) % variables
        if variables:
            try:
                return formatted(message, tuple(variables.items()), tuple(map(type, variables.values())))
            except TypeError:  # a value that cannot be a key
                return Markup(translations.gettext(message)) % variables
        try:
            return said[message]
        except KeyError:
            said[message] = rv = Markup(translations.gettext(message)) % variables
            return rv

    @jinja2.pass_eval_context
    def pgettext(eval_ctx, context: str, message: str, /, **variables) -> str:
        variables.setdefault("context", context)
        if not eval_ctx.autoescape:
            return translations.pgettext(context, message) % variables
        if len(variables) > 1:
            return Markup(translations.pgettext(context, message)) % variables
        try:
            return said[context, message]
        except KeyError:
            said[context, message] = rv = Markup(translations.pgettext(context, message)) % variables
            return rv

    @jinja2.pass_eval_context
    def ngettext(eval_ctx, singular: str, plural: str, num: int, /, **variables) -> str:
        variables.setdefault("num", num)
        rv = translations.ngettext(singular, plural, num)
        return (Markup(rv) if eval_ctx.autoescape else rv) % variables

    return {"gettext": gettext, "_": gettext, "pgettext": pgettext, "ngettext": ngettext}


def fingerprinted_assets(theme: Theme) -> tuple[dict[str, str], list[Output]]:
    """Static files as assets/<stem>.<hash>.<ext>; later theme folders override earlier ones."""
    files: dict[str, Path] = {}
    for folder in theme.static_dirs:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files[path.relative_to(folder).as_posix()] = path
    names: dict[str, str] = {}
    outputs: list[Output] = []
    for rel, path in sorted(files.items()):
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:10]
        stem, dot, ext = rel.rpartition(".")
        name = f"assets/{stem}.{digest}.{ext}" if dot else f"assets/{rel}.{digest}"
        names[rel] = name
        outputs.append((name, data))
    return names, outputs


class Pages:
    def __init__(self, site: Site, now: datetime, theme: Theme, select=None, share: tuple[int, int] = (0, 1)):
        self.site, self.now, self.select = site, now, select
        # Which of `shares` processes rendering the pages this one is: see _shares().
        self.share, shares = share
        self.months = derive.by_month(site)
        self.month_share = _shares(self.months, shares)
        self.incident_share = {id(i): self.month_share[key] for key, items in self.months for i in items}
        self.ui = ui_for(site.language, zone(site.timezone))
        self.env = template_environment(theme, self.ui)
        self.assets, self.asset_outputs = fingerprinted_assets(theme)
        self.links: dict = {}  # see urls.linker
        self.views = Views(site, now, self.ui)
        self.site_view = self.views.site_view()
        self.generated = self.views.time(now)
        change = expiry.next_change(site, now)  # when the page may be out of date (statusgen.js says so)
        self.valid_until = self.views.time(change[0]) if change else None
        # Pages about the present — the front page, service pages, an incident or a month of the archive
        # not yet settled (derive.settled) — show the status now, when it was computed and until when it
        # holds. The others show none of it, so a build at a later instant leaves them byte for byte as
        # they were (the CDN uploads only what changed, and a rebuild renders only the present).
        self.settled_site = replace(self.site_view, overall=None, indicator=None, indicator_text=None)
        # What every page shows besides its own `shows` (see wanted()), and what pages about the present add.
        self.shared = (self.settled_site, sorted(self.assets.items()))
        self.present = (self.site_view, self.generated, self.valid_until,
                        sorted((sid, st.value) for sid, st in self.views.statuses.items()))  # fmt: skip
        # Templates import _macros.html without the page's context, so Jinja makes that module once per
        # build instead of twice per page. Macros still link with url() and asset(): these globals link
        # from the page being rendered (self._url, set by render()).
        self._url = None  # url() of the page being rendered
        self.env.globals.update(url=self._link, asset=self._asset)

    def _link(self, target: str) -> str:
        return self._url(target)

    def _asset(self, name: str) -> str:
        return self._url(self.assets[name])

    def wanted(self, path: str, *shows, live: bool = True) -> bool:
        """Whether to render the page at path. Incremental builds pass `select` (statusgen.build),
        which skips a page whose inputs did not change: `shows` must be everything the page shows
        besides self.shared (and self.present for a live page: one about the present), the site's
        settings and the theme (model objects or view values)."""
        if self.select is None:
            return True
        return self.select(path, (self.shared, self.present, *shows) if live else (self.shared, *shows))

    def render(self, template: str, url, title: str, canonical: str | None, refresh: int | None, *,
               live: bool = True, **context) -> str:  # fmt: skip
        """A page; one not `live` (not about the present) gets no status now, no generated time."""
        self._url = url
        return self.env.get_template(template).render(
            site=self.site_view if live else self.settled_site, ui=self.ui, page_title=title, url=url,
            asset=self._asset, canonical=canonical, generated=self.generated if live else None, refresh=refresh,
            valid_until=self.valid_until if live else None, **context,
        )  # fmt: skip

    def page(self, template: str, path: str, title: str, *, refresh: bool = False, live: bool = True,
             **context) -> Output:  # fmt: skip
        url = urls.linker(path, self.links)
        html = self.render(template, url, title, urls.absolute(self.site, path), REFRESH_SECONDS if refresh else None,
                           live=live, **context)  # fmt: skip
        return urls.file_for(path), html.encode("utf-8")

    def all(self) -> list[Output]:
        outputs = self.present_pages() if self.share == 0 else []
        for incident in self.site.incidents:
            if self.incident_share[id(incident)] != self.share:
                continue
            live = not derive.settled(incident, self.now)
            if not self.wanted(urls.incident(incident.id), incident, live=live):
                continue
            view = self.views.incident(incident)
            outputs.append(self.page("incident.html", view.path, incident.title, refresh=view.is_live, live=live,
                                     incident=view))  # fmt: skip
        outputs.extend(self.months_pages())
        return outputs

    def present_pages(self) -> list[Output]:
        """The pages about the site as a whole: front page, services, history index, free pages, 404."""
        site, views = self.site, self.views
        outputs = list(self.asset_outputs)
        services = [views.service(s.id) for s in site.services]
        groups = [(g, [v for v in services if v.id in {s.id for s in members}]) for g, members in site.groups]
        open_ = [views.incident(i) for i in derive.open_incidents(site, self.now)]
        active_maint = [views.incident(i) for i in derive.maintenance_in(site, self.now, Phase.IN_PROGRESS)]
        upcoming = [views.incident(i) for i in derive.maintenance_in(site, self.now, Phase.UPCOMING)]
        shown = {v.id for v in open_ + active_maint + upcoming}
        recent = [views.incident(i) for i in islice(
            (i for i in site.incidents if i.id not in shown and i.started <= self.now), RECENT_ON_FRONT_PAGE)]
        outputs.append(self.page(
            "index.html", "", site.title, refresh=bool(open_ or active_maint), groups=groups, open_incidents=open_,
            active_maintenance=active_maint, upcoming=upcoming, recent=recent[:RECENT_ON_FRONT_PAGE],
        ))  # fmt: skip
        for svc in services:
            latest = views.by_service[svc.id][:INCIDENTS_ON_SERVICE_PAGE]
            if not self.wanted(svc.path, svc, latest):
                continue
            its = [views.incident(i) for i in latest]
            outputs.append(self.page("service.html", svc.path, svc.name, service=svc, incidents=its,
                                     feed=f"services/{svc.id}/feed.xml", atom=f"services/{svc.id}/feed.atom"))  # fmt: skip
        outputs.append(self.history_index())
        for p in site.pages:
            body = _promote_headings(render_markdown(p.body))
            outputs.append(self.page("page.html", urls.page(p.slug), p.title, live=False, body=body))
        outputs.append(self.not_found())
        return outputs

    @functools.cached_property  # the history index and the month pages both show it
    def month_index(self) -> tuple[list[MonthView], list[int]]:
        """Every month with incidents, newest first, and every year."""
        months = self.months
        index = [MonthView(y, m, self.ui.month(y, m), urls.history(y, m), len(items)) for (y, m), items in months]
        return index, sorted({y for (y, _m), _i in months}, reverse=True)

    def history_index(self) -> Output:
        index, years = self.month_index
        return self.page("history.html", urls.history(), self.ui.gettext("History"), live=False, months=index,
                         years=years)  # fmt: skip

    def months_pages(self) -> list[Output]:
        """This share's pages of the history archive, one per month."""
        _ = self.ui.gettext
        index, years = self.month_index
        outputs: list[Output] = []
        year_paths = {yy: next(e.path for e in index if e.year == yy) for yy in years}
        for n, ((y, m), items) in enumerate(self.months):
            if self.month_share[y, m] != self.share:
                continue
            newer = index[n - 1] if n > 0 else None
            older = index[n + 1] if n + 1 < len(index) else None
            label = index[n].label
            in_year = [e for e in index if e.year == y]
            live = not all(derive.settled(i, self.now) for i in items)
            if not self.wanted(urls.history(y, m), items, newer, older, in_year, years, year_paths, live=live):
                continue
            outputs.append(self.page(
                "month.html", urls.history(y, m), _("History: %(month)s") % {"month": label}, live=live,
                label=label, year=y,
                incidents=[self.views.incident(i) for i in items], newer=newer, older=older,
                months=in_year, years=years, year_paths=year_paths,
            ))  # fmt: skip
        return outputs

    def not_found(self) -> Output:
        """404.html is served at any depth, so its links are absolute paths under base_url's path."""
        root = urlsplit(self.site.base_url).path

        def url(target: str) -> str:
            return root + target

        html = self.render("404.html", url, self.ui.gettext("Page not found"), None, None, live=False)
        return "404.html", html.encode("utf-8")


def render(site: Site, now: datetime, theme: Theme, select=None, share: tuple[int, int] = (0, 1)) -> list[Output]:
    """Every page; with `select`, only those it wants (see Pages.wanted). With share=(k, n), only
    the k-th of n disjoint parts of the site, so n processes can render it together."""
    return Pages(site, now, theme, select, share).all()


def _shares(months: list[tuple[tuple[int, int], list[Incident]]], shares: int) -> dict[tuple[int, int], int]:
    """(year, month) → which of `shares` processes renders that month's page and its incidents' pages.

    A month's page shows its incidents, so keeping both in one process builds each incident's
    view once (split by page, each process built three quarters of them). Runs of months with about
    as many incidents each; the first, newest run goes with the pages about the present (share 0),
    which show recent incidents too."""
    total = sum(len(items) for _key, items in months) or 1
    result, seen = {}, 0
    for key, items in months:
        result[key] = min(shares - 1, seen * shares // total)
        seen += len(items)
    return result

