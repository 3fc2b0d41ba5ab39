"""Shortcuts in reading content files give exactly what the general paths give.

yamlnodes reads front matter made of simple 'key: value' lines without libyaml; timeparse reads the
common timestamp form without its general pattern; validate matches 'Next update' lines only where
the text's lower case holds those words. Property tests compare each shortcut with the general path
on generated input made of what could fool it (YAML indicators, comments, quotes, odd spaces and
line breaks, odd case folds, bad dates).
"""

from __future__ import annotations

import re
from datetime import datetime

from unittest import mock

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from statusgen import timeparse
from statusgen.timeparse import NEXT_UPDATE_LINE, TimeSyntaxError, parse_timestamp
from statusgen.validate import _promise_lines
from statusgen.yamlnodes import Mapping, Scalar, Sequence, YamlError, _composed, _simple_fields, parse_yaml

SETTINGS = dict(
    derandomize=True, deadline=None, database=None, max_examples=1000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)  # fmt: skip


def outcome(parse, *args):
    try:
        return parse(*args)
    except YamlError as exc:
        return ("YamlError", exc.message, exc.line, exc.hint)
    except TimeSyntaxError as exc:
        return ("TimeSyntaxError", exc.message, exc.hint)


# ---------------------------------------------------------------- front matter

def weighted(*pairs):
    """One of the strategies, each as often as its weight says (one_of would draw each about equally)."""
    table = [strategy for weight, strategy in pairs for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda i: table[i])


good_keys = st.sampled_from(["title", "impact", "services", "started", "_x", "T9", "null", "k" * 64])
bad_keys = st.sampled_from(["<<", "? x", "- a", "a b", "k" * 65, "é", "", "9", "a-b", "[a]", "'a'", "id"])
ascii_chars = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
odd_chars = st.sampled_from(["ü", "\u00a0", "\u0085", "\u2028", "\t", "\r", "\x00", "\x7f", "\ufeff"])
words = st.builds(  # mostly what the shortcut reads: a letter, then words that may hold any indicator
    lambda first, rest: first + rest,
    st.sampled_from("aZ09(.=<~_/"),
    st.text(st.sampled_from("abc XYZ 019 .,-_'\"()/+=<>:#[]{}&*!|%@`?~\\"), max_size=12),
)
flows = st.lists(st.text(st.sampled_from("ab9_-:#, []"), max_size=4), max_size=4).map(lambda i: f"[{', '.join(i)}]")
values = weighted(
    (6, words),
    (2, flows),
    (2, st.text(ascii_chars, max_size=12)),
    (1, st.text(st.one_of(ascii_chars, odd_chars), max_size=12)),
    (2, st.sampled_from([
        "2026-11-20 14:05 +01:00", "Elevated error rates on Public API", "[api, webhooks]", "[]", "[api,web]",
        "[a, b, ]",
        "[ a ]", "[a-b, c_d, 9]", "[-a]", "Errors: api", "C# build", "It's \"down\"", "~", "null", "a #b", "a# b", "x:",
        "x::y", "-5", "---", "...", "{a: b}", "[a, [b]]", "a  b", "a ", "&a x", "*a", "!!str x", "|", ">", "%x", "@x",
        "`x", "a, b", "a{b}c", "a[b]", "a ? b", "a - b", "a\\nb", "'q'", '"q"', "= x", "<< x", "?x", ":x", "-x", "",
    ])),  # fmt: skip
)
fields = st.builds(
    lambda k, sep, v: f"{k}{sep}{v}",
    weighted((6, good_keys), (1, bad_keys)),
    weighted((8, st.just(": ")), (1, st.sampled_from([":", ":  ", " : ", ":\t", ": \t"]))),
    values,
)
other_lines = st.sampled_from(
    ["", " ", "# note", "---", "...", "  - x", "  more words", "  nested: 1", "%YAML 1.1", "\t"]
)
front_matter = st.builds(  # a few generated lines among plain ones, so that many texts could take the shortcut
    lambda before, lines, after, end: "\n".join(["title: x"] * before + lines + ["id: y"] * after) + end,
    st.integers(0, 1),
    st.lists(weighted((8, fields), (1, other_lines)), min_size=1, max_size=3),
    st.integers(0, 1),
    weighted((6, st.just("\n")), (1, st.sampled_from(["", "\n\n", "\r\n"]))),
)

TYPICAL = (
    "title: Elevated error rates on Public API\nimpact: major\nservices: [api, webhooks]\n"
    "started: 2019-10-30 11:38 +01:00\nresolved: 2019-10-30 13:06 +01:00\nreported_by: monitoring\n"
)


@settings(**SETTINGS)
@given(front_matter, st.sampled_from([1, 2]))
@example(TYPICAL, 2)
@example("\n\ntitle: x\n\nid: y\n", 2)
@example("title: a\ntitle: b\n", 2)  # a repeated key: libyaml's path says so
@example("services: [" + ", ".join(["a"] * 20_001) + "]\n", 2)  # more values than MAX_NODES
def test_simple_front_matter_reads_as_libyaml_composes_it(text, first_line):
    shortcut = _simple_fields(text, first_line)
    event(f"shortcut taken: {shortcut is not None}")
    assert outcome(parse_yaml, text, first_line) == outcome(_composed, text, first_line)


def test_front_matter_of_incident_files_takes_the_shortcut():
    node = _simple_fields(TYPICAL, 2)
    assert node == _composed(TYPICAL, 2)
    assert isinstance(node, Mapping) and node.line == 2
    assert node.get("services") == Sequence((Scalar("api", 4, False), Scalar("webhooks", 4, False)), 4)
    assert node.get("started") == Scalar("2019-10-30 11:38 +01:00", 5, False)


# ---------------------------------------------------------------- timestamps


def general_timestamp(text: str, zone: str) -> datetime:
    """parse_timestamp without the shortcut for the common form (a pattern that matches nothing)."""
    with mock.patch.object(timeparse, "_COMMON_TIMESTAMP", re.compile(r"(?!)")):
        return parse_timestamp(text, zone)


digits = st.text(st.sampled_from(list("0123456789") + ["\u0661", "²", "a"]), min_size=1, max_size=5)
stamps = st.one_of(
    st.builds(
        lambda y, mo, d, sep, h, mi, space, sign, oh, om: f"{y}-{mo}-{d}{sep}{h}:{mi}{space}{sign}{oh}:{om}",
        st.sampled_from(["2026", "1899", "1900", "9000", "9001", "0000", "٢٠٢٦"]) | digits,
        st.sampled_from(["01", "02", "12", "13", "00"]) | digits,
        st.sampled_from(["01", "28", "29", "30", "31", "32"]) | digits,
        st.sampled_from([" ", "T", "  ", "\t"]),
        st.sampled_from(["00", "09", "23", "24", "9"]) | digits,
        st.sampled_from(["00", "59", "60"]) | digits,
        st.sampled_from([" ", "", "  "]),
        st.sampled_from(["+", "-", "±"]),
        st.sampled_from(["00", "01", "14", "15", "99"]),
        st.sampled_from(["00", "30", "59", "60"]),
    ),
    st.sampled_from(
        ["2026-11-20 14:05", "2026-11-20T13:05Z", "2026-11-20 14:05 Europe/Berlin", " 2026-11-20 14:05 +01:00 "]
    ),
)


@settings(**SETTINGS)
@given(stamps, st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]))
@example("2024-02-29 23:59 +14:00", "UTC")
@example("2026-02-29 10:00 +01:00", "UTC")  # not a real day
@example("2026-11-20 14:05 +15:00", "UTC")  # offset out of range
def test_common_timestamps_read_as_the_general_pattern_reads_them(text, zone):
    got, expected = outcome(parse_timestamp, text, zone), outcome(general_timestamp, text, zone)
    assert got == expected
    if isinstance(got, datetime):
        assert got.utcoffset() == expected.utcoffset() and got.fold == expected.fold


# ---------------------------------------------------------------- next-update lines

body_lines = st.sampled_from([
    "Next update in 30 minutes.", "  next update by 14:45", "**Next update**: 15:00", "_Next update_ in 1h",
    "We will post the next update soon", "Next updates follow", "\tNext update in 5m", "\u00a0Next update in 5m",
    "Next update\u2028in 5m", "Next update\rin 5m", "", " ", "text", "- Next update in 2h", "NEXT UPDATE BY 9:00",
    "İ Next update in 5m", "Next update İn 5m", "İ" * 30, "next update, next update", "NEXT\u212aUPDATE",
    "ſ next update",
])  # fmt: skip


@settings(**SETTINGS)
@given(st.lists(body_lines, max_size=8).map("\n".join))
@example("İ" * 40 + "\nNext update in 5m\nx")  # 'İ'.lower() is two characters: positions in the lower case shift
def test_next_update_lines_found_in_a_text_are_the_lines_that_match(text):
    per_line = [(n, m["rest"]) for n, line in enumerate(text.split("\n")) if (m := NEXT_UPDATE_LINE.match(line))]
    assert [(n, m["rest"]) for n, m in _promise_lines(text)] == per_line
