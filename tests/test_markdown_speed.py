"""statusgen.markdown's shortcuts give exactly what the full markdown-it parse gives.

split_level2 cuts most bodies with a line scan instead of a block parse, and plain texts (paragraphs
and tight lists of words) are rendered without a parse. Property tests compare each shortcut with
the parse on generated Markdown made of the constructs that could fool it (fences, setext
underlines, indented code, nested lists, blockquotes, tables, HTML, references, inline marks).
"""

from __future__ import annotations

import uuid
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from statusgen import cache, markdown
from statusgen.markdown import plain_text, render_markdown, split_level2

SETTINGS = dict(
    derandomize=True, deadline=None, database=None, max_examples=1500,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)  # fmt: skip


def parsed_split(body: str) -> list[markdown.Block]:
    """split_level2 as it was before the line scan: always the block parse."""
    with mock.patch.object(markdown, "_scannable", lambda body: False):
        return split_level2(body)


def headings(body: str) -> list[str]:
    return [block.heading for block in split_level2(body)]


# ---------------------------------------------------------------- generated Markdown

words = st.sampled_from(["", "x", "Update", "a b", "x#", "a \\#", "#", "ü", "\u00a0", "12:00 — Resolved", "*em*"])


def atx_lines(indents: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda indent, hashes, sep, text, close: " " * indent + "#" * hashes + sep + text + close,
        indents, st.sampled_from([2, 2, 2, 1, 3, 6, 7]), st.sampled_from(["", " ", "\t", "  ", "\u00a0"]), words,
        st.sampled_from(["", " #", " ##", "#", " ## ", "\t#", " ###  ", "\u00a0#"]),
    )


atx = atx_lines(st.integers(0, 4))
list_item = st.builds(
    lambda indent, marker, gap, text: " " * indent + marker + gap + text,
    st.integers(0, 20), st.sampled_from(["-", "*", "+", "1.", "2)", "10.", "- -", "1. -"]),
    st.sampled_from([" ", "  ", "\t", "     ", ""]),
    st.one_of(words, atx, st.sampled_from(["```", "> q", "---", "item"])),
)
single_lines = st.one_of(
    atx,
    list_item,
    words,
    st.sampled_from([
        "", " ", "\t", "   ",  # blank
        "Paragraph text.", "Next update in 20 minutes.", "See [our guide](https://example.com).",
        "---", "===", " - - -", "--", "-", "=", "  ===  ", "----x", "***", "___", "* * *", "-- x", "=x",  # rules
        "```", "~~~", "```python", "  ```", "    ```", "``", "~~", "`code`",  # fences
        "    code", "\tcode", "    ## not a heading", "\t## tab", "  \t## x", "        deep code",  # indented code
        "> q", "> ## quoted", ">", " > ## q", ">## q", ">> ## qq",  # blockquotes
        "| a | b |", "|---|---|", "a | b", "--- | ---", ":-:|", "| x |", "|", ":",  # tables
        "<div>", "</div>", "<!-- c -->", "<pre>", "</pre>",  # raw HTML (off)
        "[a]: /url", "[a]:", "'title'", "[a]", "/url",  # reference definitions
        "1.", "1)", "2026. A year", "+", "*",
    ]),  # fmt: skip
)
staircase = st.builds(  # nested lists, up to and past markdown-it's nesting limit (10 lists)
    lambda depth, step, marker: "\n".join(step * k + marker + " item" for k in range(depth)),
    st.one_of(st.integers(1, 13), st.integers(9, 11)), st.sampled_from(["  ", "   ", "    ", "\t", " \t"]),
    st.sampled_from(["-", "*", "1."]),
)
one_line_stack = st.builds(  # list markers (and quote marks) on one line
    lambda marks: "".join(marks) + "a",
    st.one_of(st.lists(st.sampled_from(["- ", "* ", "1. ", "> ", "-\t"]), min_size=1, max_size=12),
              st.integers(8, 12).map(lambda n: ["- "] * n)),
)  # fmt: skip
heading0 = atx_lines(st.just(0))
fenced = st.builds(
    lambda fence, inside, closed: "\n".join([fence, *inside] + ([fence] if closed else [])),
    st.sampled_from(["```", "~~~", "  ```", "````", "- ```"]), st.lists(st.one_of(heading0, words), max_size=3),
    st.booleans(),
)
setext = st.builds(lambda text, line: f"{text}\n{line}", st.sampled_from(["Title", "- item", "a | b"]),
                   st.sampled_from(["---", "===", "  -", "|---|---|", "-|-", ":-:"]))  # fmt: skip
others = st.sampled_from(["a\r## after a CR", "\r", "## a\0", "  ## indented", "> q", "- > q", "\t- item"])
tricky = st.one_of(single_lines, staircase, one_line_stack, fenced, setext, others)
# Bodies as authors write them, made of lines the scan accepts (and near misses): most are scanned.
plain_lines = st.one_of(
    heading0,
    st.sampled_from(["", "Paragraph text.", "- item", "* item", "1. item", "  continued", "    code", "##x",
                     "[a]: /url", "***", "a | b", "| a | b |", "## 2026-11-20 14:25 +01:00 — Identified",
                     "- ## nested", "1. # nested", "  - sub item", "-- x", "=x", "Next update in 20 minutes.",
                     "*", "1.", "1 > 0"]),
)  # fmt: skip
plain_bodies = st.builds(lambda parts: "\n".join(parts), st.lists(plain_lines, max_size=14))
# ...with one construct that could fool the scan, among headings that it could hide.
one_tricky = st.builds(
    lambda before, chunk, after: "\n".join([*before, chunk, *after]),
    st.lists(plain_lines, max_size=5), tricky, st.lists(plain_lines, min_size=1, max_size=5),
)
mixed = st.builds(
    lambda parts, tail: "\n".join(parts) + tail, st.lists(st.one_of(plain_lines, tricky), max_size=12),
    st.sampled_from(["", "\n", "\n\n"]),
)


@settings(**SETTINGS)
@given(st.one_of(plain_bodies, one_tricky, mixed))
@example("```\n## inside\n```\n## after")
@example("- a\n  - b\n    - c\n      - d\n        - e\n          - f\n            - g\n              - h\n"
         "                - i\n                  - j\n## swallowed by the nesting limit")  # fmt: skip
@example("- - - - - - - - - - a\n## swallowed")
@example("Title\n---\n## x")
def test_the_line_scan_finds_the_headings_the_parser_finds(body):
    scanned = markdown._scannable(body)
    event("scanned" if scanned else "parsed")
    if scanned:
        assert markdown._scanned_starts(body.split("\n")) == markdown._parsed_starts(body)
    assert split_level2(body) == parsed_split(body)


TRICKY = {
    "Intro\n\n## 2026-11-20 14:25 +01:00 — Identified\nText\n": ["", "2026-11-20 14:25 +01:00 — Identified"],
    "```\n## not a heading\n```\n## yes": ["", "yes"],
    "~~~\n## inside an unclosed fence": [""],
    "Title\n---\n## x": ["", "Title", "x"],  # a setext heading is a level-2 heading too
    "Title\n===\n## x": ["", "x"],
    "- a\n## b": ["", "b"],  # a column-0 heading ends the list
    "- a\n  ## nested": [""],
    "  ## indented up to three spaces": ["", "indented up to three spaces"],
    "    ## indented code": [""],
    "\t## a tab is indented code": [""],
    "> quote\n## after the quote": ["", "after the quote"],
    "> ## quoted": [""],
    "| a | b |\n|---|---|\n## after the table": ["", "after the table"],
    "<div>\n## raw HTML is off\n</div>": ["", "raw HTML is off"],
    "[a]:\n## b": ["", "b"],
    "## x ##\n##\n## #\n##x\n### h3\n## a#\n## a \\#\n##\tb  ##  ": ["", "x", "", "", "a#", "a \\#", "b"],
    "a\r## after a lone CR": ["", "after a lone CR"],
    "a\0\n## after a NUL": ["", "after a NUL"],
    "- " * 10 + "a\n## swallowed by the nesting limit": [""],
    "\n".join("\t" * k + "- item" for k in range(10)) + "\n## swallowed, tabs being 4 columns": [""],
    "> " * 12 + "a\n## a quote's nesting ends with the quote": ["", "a quote's nesting ends with the quote"],
}


@pytest.mark.parametrize("body", TRICKY)
def test_tricky_bodies_are_cut_as_commonmark_says(body):
    assert headings(body) == TRICKY[body]
    assert split_level2(body) == parsed_split(body)


def test_bodies_as_authors_write_them_skip_the_parse():
    body = (
        "## 2026-11-20 14:25 +01:00 — Identified\nThe cause was a bad deploy.\n\n- retried\n- re-sent\n"
        "  1. nested\n\nNext update in 20 minutes.\n\n## Post-mortem ##\nSee [our guide](https://x.example).\n"
    )
    with mock.patch.object(markdown, "_parsed_starts", side_effect=AssertionError("parsed")):
        assert headings(body) == ["", "2026-11-20 14:25 +01:00 — Identified", "Post-mortem"]


# ---------------------------------------------------------------- plain texts skip the parse


parsed_rendered = markdown._parsed_rendered  # (HTML, text) from markdown-it, without the shortcuts


WORDS = ["word", "Login", "é", "本次", "Несколько", "—", "’", "2026", "1", "10", "1.5%", "12:00"]
NEAR_MISSES = [" ", "  ", ".", ",", "!", "?", "(", ")", "]", "'", '"', ">", "#", "-", "=", "|", ":", "+", "/", "& ",
               "&", "&amp;", "&#35;", "1.", "2)", "10.", "2026)", "![", "- ", "-", "* ", "+ ", "\n- ", "\n-  ",
               "\n  "]  # fmt: skip
MARKS = ["*", "_", "`", "\\", "[", "<", "~", "\t", "\r", "\x00", "\x0b", "\x1c", "\x85", "\xa0", "\u2003", "\u2028",
         "\u3000", "\ufeff", "\n"]  # fmt: skip
CONSTRUCTS = ["*x*", "**x**", " _x_ ", "`x`", "\\.", "\\*", "[x](y)", "[x]", "<http://x.example>", " ~~x~~ ", "![x](y)",
              "\\\n", "  \nx", "&copy;", "&#35;"]  # fmt: skip
word_pieces, near_misses, marks, constructs = map(st.sampled_from, (WORDS, NEAR_MISSES, MARKS, CONSTRUCTS))


def text_of(pieces: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    line = st.builds(
        lambda first, rest: first + "".join(rest), st.one_of(word_pieces, pieces), st.lists(pieces, max_size=7)
    )
    return st.lists(st.one_of(line, line, st.just("")), max_size=6).map("\n".join)


# Sentences (plain), texts of words and near misses, and texts with Markdown's marks now and then.
sentences = st.builds(
    lambda first, rest: " ".join([first, *rest]),
    word_pieces, st.lists(st.one_of(word_pieces, st.sampled_from(["& co", ">", '"q"', "x.", "(y)", "1."])), max_size=6),
)
items = sentences.map("- ".__add__)
sentence_texts = st.lists(st.one_of(sentences, items, st.just("")), min_size=1, max_size=6).map("\n".join)


def inserted(marks: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda text, mark, at: text[:at] + mark + text[at:], sentence_texts, marks, st.integers(0, 60))


texts = st.one_of(
    sentence_texts,
    inserted(constructs),
    inserted(st.one_of(marks, near_misses)),
    text_of(st.one_of(word_pieces, word_pieces, near_misses)),
    text_of(st.one_of(word_pieces, word_pieces, word_pieces, near_misses, near_misses, marks)),
)


@settings(**SETTINGS)
@given(texts)
@example("Login & SSO is back.\nNext update in 20 minutes.\n\n\nThe cause: a bad deploy > 2 hosts, \"fixed\".")
@example("10. March")
@example("2,611 payouts\n1) late")
@example("ends in a no-break space\xa0")
@example("&copy; not a plain ampersand")
@example("")
@example("Para\n- a\n- b\n\nNext\n- c")
@example("- a\n\n- b")  # loose
@example("- a\n\n\nPara\n\n- b")
@example("- a\nlazy")
@example("- a\n  b")
@example("-  a\n- b")
def test_plain_texts_render_as_the_parser_renders_them(text):
    event("simple" if markdown._SIMPLE.fullmatch(text) and markdown._simple_rendered(text) else "parsed")
    assert markdown._rendered.__wrapped__(text) == parsed_rendered(text)


@pytest.mark.parametrize("mark", CONSTRUCTS + MARKS + NEAR_MISSES)
def test_each_mark_renders_as_the_parser_renders_it(mark):
    for text in (f"{mark}word", f"Word {mark} word", f"Word{mark}word", f"Word {mark}", f"Word\n{mark}\n\nword"):
        assert markdown._rendered.__wrapped__(text) == parsed_rendered(text), text


def test_a_plain_update_skips_the_parse():
    text = 'Login & SSO is back.\n- Retries > 2 work\n- Webhooks are re-sent\n\n本次事件 "fixed".\nNext update in 20 min.'
    with mock.patch.object(MarkdownIt, "parse", side_effect=AssertionError("parsed")):
        assert markdown._rendered.__wrapped__(text) == (
            "<p>Login &amp; SSO is back.</p>\n"
            "<ul>\n<li>Retries &gt; 2 work</li>\n<li>Webhooks are re-sent</li>\n</ul>\n"
            "<p>本次事件 &quot;fixed&quot;.\nNext update in 20 min.</p>\n",
            'Login & SSO is back.\nRetries > 2 work\nWebhooks are re-sent\n本次事件 "fixed".\nNext update in 20 min.',
        )


# ---------------------------------------------------------------- one parse for HTML and text


def test_html_and_text_of_one_text_come_from_one_parse():
    text = f"Rolled back *{uuid.uuid4()}*; see [status](https://example.com) and `code`."
    with mock.patch.object(MarkdownIt, "parse", autospec=True, side_effect=MarkdownIt.parse) as parse:
        html, words = render_markdown(text), plain_text(text)
    assert parse.call_count == 1
    assert html.startswith("<p>Rolled back <em>") and 'rel="nofollow noopener noreferrer"' in html
    assert words.startswith("Rolled back ") and "status and code." in words


def test_a_build_keeps_html_and_text_in_one_memo_entry():
    memos = cache.load_memos(cache.Cache(None))
    token = cache.activate(memos)
    try:
        text = f"Fixed **{uuid.uuid4()}**"
        html, words = render_markdown(text), plain_text(text)
    finally:
        cache.deactivate(token)
    assert list(memos["markdown"].computed) == [text]
    word = text[8:-2]
    assert memos["markdown"][text] == (html, words) == (f"<p>Fixed <strong>{word}</strong></p>\n", f"Fixed {word}")
