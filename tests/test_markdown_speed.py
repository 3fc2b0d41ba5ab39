"""statusgen.markdown's shortcuts give exactly what the full markdown-it parse gives.

split_level2 cuts most bodies with a line scan instead of a block parse, and plain texts (paragraphs
and tight lists of words, maybe with code spans and inline links) are rendered without a parse.
Property tests compare each shortcut with the parse on generated Markdown made of the constructs
that could fool it (fences, setext underlines, indented code, nested lists, blockquotes, tables,
HTML, references, inline marks, hostile link destinations), and on every text of the example site
and of a synthetic corpus.
"""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from statusgen import cache, markdown
from statusgen.build import load_site
from statusgen.markdown import plain_text, render_markdown, split_level2
from statusgen.render.html import shown_body

REPO_ROOT = Path(__file__).resolve().parents[1]

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


def path_taken(text: str) -> str:
    """Which way _rendered goes for a text: 'simple', 'marked' (code spans and links) or 'parsed'."""
    if markdown._SIMPLE.fullmatch(text):
        return "simple" if markdown._simple_rendered(text, markdown._plain_inline) else "parsed"
    if markdown._MARKED.fullmatch(text) and markdown._simple_rendered(text, markdown._marked_inline):
        return "marked"
    return "parsed"


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
    event(path_taken(text))
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


# ---------------------------------------------------------------- code spans and links skip the parse


LABELS = ["our guide", "x", "status page", "本次", "Q & A", '"quoted"', "a > b", "(a)", "wow!", "1.", "a)b", "é",
          "", " ", " a", "a ", "a]b", "[a]", "a [b] c", "Q&A", "&amp;", "<b>", "*em*", "`c`", "a\\]", "a\nb", "x\t",
          "\xa0a", "a\u2003", "![i](y)", "[x](y)"]  # fmt: skip
DESTINATIONS = [
    # what authors write
    "https://docs.example/payments/retries", "http://x.example/?a=1&b=2#top", "/incidents/2026/x", "#top", "x.html",
    "../up", "mailto:ops@x.example", "//cdn.example/a", "HTTPS://EXAMPLE.COM/A", "https://x.example/~user/*a*_b_",
    "https://user:pw@x.example:8080/p;q=1", "https://x.example/%20%zz%", "%", "https://x.example/a%2", "?q", "x:y",
    "https://xn--n3h.example/", "https://[::1]/", "https://EXAMPLE.com./", "tel:+123", "a=b&c", "https://x/!$',;=@",
    # unsafe schemes, however written
    "javascript:alert", "JAVASCRIPT:alert", "JavaScript:x", " javascript:x", "java\nscript:x", "java\tscript:x",
    "javascript&#58;x", "&#106;avascript:x", "&#x6A;avascript:x", "&#X6a;avascript:x", "javascript&colon;x",
    "jav&#x09;ascript:x", "javascript:alert(1)", "data:text/html,x", "DATA:text/html;base64,PHNjcmlwdD4",
    "data:image/png;base64,AAAA", "vbscript:x", "VBScript:x", "file:///etc/passwd", "javascript%3Ax",
    "%6Aavascript:x", "\x00javascript:x", "\x01javascript:x", "java\x00script:x", "javascript:/\\x",
    # what ends a destination, or makes one odd
    "", " ", "https://x y", "https://x/(a)", "https://x/(a", "https://x/a)b", "<https://x>", "<javascript:x>",
    'https://x "title"', "https://x 'title'", "https://x (title)", 'https://x "t" extra', "https://ü.example/ä",
    "https://x/ä%C3%A4", "https://x/a\\)b", "https://x/a\\", "https://x/&amp;", "https://x/&quot;", 'https://x/"',
    "https://x/<script>", "https://x/>", "https://x/a`b`", "https://x/[a]", "https://x/{a}|^", "https://x/\u2028",
    "https://x/\xa0", "https://x/&#0;", "&", "&amp;", "&#;", "&#xZ;",
]  # fmt: skip
CODE_SPANS = ["`x`", "`mobile-worker`", "`a  b`", "` x `", "` x`", "`x `", "`  `", "` `", "``", "`a``b`", "``a``",
              "```x```", "`a\\`", "`\\`", "`<b>&amp;`", "`[x](y)`", "`*x*`", "`a` `b`", "`a``", "`a`b`", "`ü`",
              "`a\nb`", "`x", "`\t`", "`a\tb`", "`\xa0a`", "`a\u2003`", "`](javascript:x)`", "`!`", "`&`",
              "`https://x`", "`<https://x>`"]  # fmt: skip
GOOD = 22  # LABELS[:11], DESTINATIONS[:GOOD] and CODE_SPANS[:3] are what authors write: links the shortcut takes


def link_texts(labels: list[str], destinations: list[str], bangs: list[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda bang, label, destination: f"{bang}[{label}]({destination})",
                     st.sampled_from(bangs), st.sampled_from(labels), st.sampled_from(destinations))  # fmt: skip


good_pieces = st.one_of(
    link_texts(LABELS[:11], DESTINATIONS[:GOOD], [""]), st.sampled_from(CODE_SPANS[:3]), word_pieces, word_pieces,
)
any_pieces = st.one_of(
    link_texts(LABELS, DESTINATIONS, ["", "", "", "!", "\\", "["]), st.sampled_from(CODE_SPANS), word_pieces,
    near_misses, constructs,
    st.sampled_from(["*em*", "**strong**", "_u_", "__s__", "~~s~~", "a*", "&copy;", "\\", "<x>", "]", "[", "(", ")",
                     "![", "](", "](x)", "[a]: /url", "\n[a]: https://ref.example", "[a][]", "[a]"]),
)  # fmt: skip
GOOD_SEPARATORS = [" ", " ", " ", ". ", ", ", "\n", "\n\n", "\n- ", "\n\n- "]
SEPARATORS = GOOD_SEPARATORS + ["", "!", "(", ")", "& ", "&", "- ", "\n  ", " \n", "\\\n", "\n---\n", "\n1. "]


def inline_texts_of(starts: list[str], separators: list[str], pieces) -> st.SearchStrategy[str]:
    return st.builds(
        lambda start, first, rest: start + first + "".join(rest), st.sampled_from(starts), pieces,
        st.lists(st.tuples(st.sampled_from(separators), pieces).map("".join), max_size=8),
    )  # fmt: skip


good_inline_texts = inline_texts_of(["", "- "], GOOD_SEPARATORS, good_pieces)
inline_texts = st.one_of(
    good_inline_texts,  # mostly taken by the shortcut
    st.builds(lambda text, piece, at: text[:at] + piece + text[at:],  # ... with one odd piece somewhere
              good_inline_texts, st.one_of(any_pieces, st.sampled_from(SEPARATORS)), st.integers(0, 200)),
    inline_texts_of(["", "", "- ", "1. ", "10 ", "# ", "> ", "    "], SEPARATORS, any_pieces),
)  # fmt: skip


@settings(**{**SETTINGS, "max_examples": 4000})
@given(inline_texts)
@example("See [our guide](https://docs.example/payments/retries) for details.")
@example("The root cause was a faulty deploy of the `payments-worker` service.")
@example("[x](javascript:alert)")
@example("[x](&#106;avascript:alert)")
@example("Wow![x](https://x.example)")
@example("`a``b`")
@example("[x](https://x.example)[y](/y) `a` `b`\n- [z](mailto:z@x.example)\n- `c`")
def test_code_spans_and_links_render_as_the_parser_renders_them(text):
    event(path_taken(text))
    assert markdown._rendered.__wrapped__(text) == parsed_rendered(text)


@pytest.mark.parametrize("destination", DESTINATIONS)
def test_each_link_destination_renders_as_the_parser_renders_it(destination):
    for text in (f"[x]({destination})", f"See [our guide]({destination}).", f"- `a` [b]({destination}) c"):
        assert markdown._rendered.__wrapped__(text) == parsed_rendered(text), text


@pytest.mark.parametrize("label", LABELS)
def test_each_link_label_renders_as_the_parser_renders_it(label):
    for text in (f"[{label}](https://x.example)", f"See [{label}](/incidents/x) `a`.", f"- a\n- [{label}](#top)"):
        assert markdown._rendered.__wrapped__(text) == parsed_rendered(text), text


@pytest.mark.parametrize("code", CODE_SPANS)
def test_each_code_span_renders_as_the_parser_renders_it(code):
    for text in (code, f"Deploy of {code} failed.", f"{code}[x](/x)", f"[x](/x){code}", f"- {code}\n- b {code}"):
        assert markdown._rendered.__wrapped__(text) == parsed_rendered(text), text


@pytest.mark.parametrize("destination", [
    "javascript:alert", "JAVASCRIPT:alert", "&#106;avascript:x", "&#x6A;avascript:x", "javascript&#58;x",
    "javascript&colon;x", "data:text/html,x", "DATA:text/html;base64,PHNjcmlwdD4", "data:image/png;base64,AAAA",
    "vbscript:x", "file:///etc/passwd",
])  # fmt: skip
def test_links_with_unsafe_schemes_never_become_links(destination):
    for text in (f"[click]({destination})", f"Fine `code` and [click]({destination}) here"):
        html, words = markdown._rendered.__wrapped__(text)
        assert "<a" not in html and "href" not in html, text
        assert (html, words) == parsed_rendered(text)


def test_links_and_code_spans_skip_the_parse():
    text = ("The root cause was a faulty deploy of the `payments-worker` service.\n"
            "See [our guide](https://docs.example/payments/retries?a=1&b=%zz) for details & more.\n\n"
            "- [Post-mortem](/incidents/2026/x) and [mail](mailto:ops@x.example)\n- `<b>` [ü](/status#top)")  # fmt: skip
    with mock.patch.object(MarkdownIt, "parse", side_effect=AssertionError("parsed")):
        assert markdown._rendered.__wrapped__(text) == (
            "<p>The root cause was a faulty deploy of the <code>payments-worker</code> service.\n"
            'See <a href="https://docs.example/payments/retries?a=1&amp;b=%25zz" rel="nofollow noopener noreferrer">'
            "our guide</a> for details &amp; more.</p>\n"
            '<ul>\n<li><a href="/incidents/2026/x">Post-mortem</a> and '
            '<a href="mailto:ops@x.example" rel="nofollow noopener noreferrer">mail</a></li>\n'
            '<li><code>&lt;b&gt;</code> <a href="/status#top">ü</a></li>\n</ul>\n',
            "The root cause was a faulty deploy of the payments-worker service.\n"
            "See our guide for details & more.\nPost-mortem and mail\n<b> ü",
        )


# ---------------------------------------------------------------- real texts


def corpus_texts(content: Path) -> list[str]:
    """Every distinct Markdown text a build of content renders (and the feeds' whole bodies)."""
    site = load_site(content)
    texts = {page.body for page in site.pages}
    for incident in site.incidents:
        texts.add(incident.summary)
        texts.update(section.body for section in incident.sections)
        for update in incident.updates:
            texts.update((update.body, shown_body(update)))
    return sorted(texts)


@pytest.fixture(scope="module")
def synthetic_texts(tmp_path_factory) -> list[str]:
    spec = importlib.util.spec_from_file_location("bench_generate", REPO_ROOT / "bench" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)  # type: ignore[union-attr]
    return corpus_texts(generate.write(1000, tmp_path_factory.mktemp("corpus")))


def test_every_text_of_the_example_site_renders_as_the_parser_renders_it():
    texts = corpus_texts(REPO_ROOT / "content")
    assert len(texts) > 100
    for text in texts:
        assert markdown._rendered.__wrapped__(text) == parsed_rendered(text), text


def test_every_text_of_a_synthetic_corpus_renders_as_the_parser_renders_it(synthetic_texts):
    for text in synthetic_texts:
        assert markdown._rendered.__wrapped__(text) == parsed_rendered(text), text


def test_nearly_every_text_of_a_synthetic_corpus_skips_the_parse(synthetic_texts):
    paths = [path_taken(text) for text in synthetic_texts if text]
    marked = [text for text in synthetic_texts if "](" in text or "`" in text]
    assert len(marked) > len(paths) / 10  # the corpus has links and code spans to take the shortcut
    assert paths.count("marked") > len(paths) / 10
    assert paths.count("parsed") < len(paths) / 100


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
