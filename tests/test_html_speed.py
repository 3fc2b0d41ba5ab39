"""The shortcuts that make the HTML pages cheaper write what plain Jinja writes: a theme's template
sees the same calls and the same escaping as with an ordinary jinja2.Environment."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jinja2
import pytest
from markupsafe import Markup

from statusgen.i18n import LANGUAGES, ui_for
from statusgen.render import html
from statusgen.theme import Theme
from statusgen.timeparse import zone

TEMPLATE = """\
{% macro m(a, b='B', c=none) -%}[{{ a }}|{{ b }}|{{ c }}]{%- endmacro %}
{% macro boxed(a) -%}[{{ a }}|{{ caller(a) }}]{%- endmacro %}
{% macro rest() -%}{{ varargs|length }} {{ kwargs|dictsort }}{%- endmacro %}
{{ plain(text) }} {{ plain(markup) }} {{ plain(5) }} {{ plain(none) }} {{ plain(html_object) }}
{{ with_context() }} {{ with_env() }} {{ with_eval(text) }} {{ method(text) }} {{ builtin(text) }}
{{ m(text) }} {{ m(text, markup, 5) }} {{ m(markup, c=text) }} {{ m(a=text, b=markup) }} {{ rest(1, 2, k=text) }}
{% call(v) boxed(text) %}<i>{{ v }}{{ text }}</i>{% endcall %}
{% for x in [text, markup] %}{{ m(x) }}{{ with_context() }}{{ loop.cycle(text, markup) }}{% endfor %}
{% set block %}{{ text }}{{ markup }}{% endset %}{{ block }} {{ block|length }}
{% filter upper %}{{ text }}{{ markup }}{% endfilter %}
{{ callable_object(text) }} {{ context_object() }} {{ 3.5 }} {{ [text] }} {{ text ~ markup }}
{% autoescape false %}{{ text }}{{ plain(text) }}{{ m(text, markup, text) }}{% endautoescape %}
{{ text|e }} {{ markup|safe }} {{ "<literal>" }}
"""


class HTMLObject:
    def __html__(self) -> str:
        return "<b>raw html</b>"

    def __str__(self) -> str:
        return "<b>as text</b>"


class Callable:
    def __call__(self, value):
        return value + "!"


class ContextCallable:
    @jinja2.pass_context
    def __call__(self, context):
        return context["text"]


def _variables(env: jinja2.Environment) -> dict:
    return {
        "text": "<a href='x'>&\"</a>",
        "markup": Markup("<em>kept</em>"),
        "html_object": HTMLObject(),
        "plain": lambda v: v,
        "with_context": jinja2.pass_context(lambda ctx: ctx.get("x", ctx["text"])),
        "with_env": jinja2.pass_environment(lambda e: isinstance(e, jinja2.Environment) and "env"),
        "with_eval": jinja2.pass_eval_context(lambda ec, v: f"{ec.autoescape}:{v}"),
        "method": "<{}>".format,
        "builtin": len,
        "callable_object": Callable(),
        "context_object": ContextCallable(),
    }


def test_pages_environment_writes_what_plain_jinja_writes(tmp_path):
    """Calls of functions, methods, macros (with caller, varargs, keywords), context and eval-context
    functions, and every kind of value written out under autoescaping (text with <>&'\", Markup, objects
    with __html__, numbers, none, lists) come out byte for byte as a plain Environment writes them."""
    (tmp_path / "t.html").write_text(TEMPLATE)
    ours = html.template_environment(Theme((tmp_path,), ()), ui_for("en", timezone.utc))
    plain = jinja2.Environment(loader=jinja2.FileSystemLoader(str(tmp_path)), autoescape=True,
                               undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                               keep_trailing_newline=True)  # fmt: skip
    got = ours.get_template("t.html").render(_variables(ours))
    want = plain.get_template("t.html").render(_variables(plain))
    assert got == want
    assert "&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;" in got  # untrusted text is escaped
    assert "<a href='x'>" in got  # and only where autoescape is off
    assert "<b>raw html</b>" in got and "<em>kept</em>" in got


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_range_compares_what_its_ends_read(language):
    """Views.span takes what it compares from UI.stamp_parts(), made with each time once: the same
    'one zone at the end' decision as asking same_day() and zone_abbr() (DST changes, other offsets)."""
    moments = [datetime(2026, 3, 29, 0, 59, tzinfo=timezone.utc), datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc),
               datetime(2026, 3, 29, 22, 30, tzinfo=timezone.utc), datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc),
               datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc),
               datetime(2026, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5)))]  # fmt: skip
    for tz in ("Europe/Berlin", "America/Sao_Paulo", "Asia/Kolkata", "UTC"):
        ui = ui_for(language, zone(tz))
        for moment in moments:
            parts = ui.stamp_parts(moment)
            assert parts[:4] == ui.stamps(moment)
            assert parts[4:] == (ui.timestamp(moment, zone=False), ui.zone_abbr(moment), ui.local(moment).date())
            for end in moments:
                views = html.Views.__new__(html.Views)
                views.ui, views._times, views._span_parts = ui, {}, {}
                span = views.span(moment, end)
                same = ui.same_day(moment, end) and ui.zone_abbr(moment) == ui.zone_abbr(end)
                assert (span.same_day, span.start_no_zone) == (same, ui.timestamp(moment, zone=False))
                assert (span.start.text, span.end.text) == (ui.timestamp(moment), ui.timestamp(end))
