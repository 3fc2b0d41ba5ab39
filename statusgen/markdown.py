"""Markdown from content, which is untrusted: parsed into sections, rendered to safe HTML and text.

Raw HTML is off, links with unsafe schemes are dropped by markdown-it's validator, and images
must be local (a remote image would make every reader's browser call a third party).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

from statusgen.cache import memoized

_SAFE_SCHEMES = ("http://", "https://", "mailto:")


_SCHEME_OR_HOST = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")


def _is_local(url: str) -> bool:
    return not _SCHEME_OR_HOST.match(url)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])

    def validate_link(url: str) -> bool:
        low = url.strip().lower()
        return low.startswith(_SAFE_SCHEMES) or _is_local(low)

    md.validateLink = validate_link

    def heading_open(self, tokens, idx, options, env):  # body headings sit below the page's h1/h2
        token = tokens[idx]
        token.tag = f"h{max(3, int(token.tag[1]))}"
        return md.renderer.renderToken(tokens, idx, options, env)

    def heading_close(self, tokens, idx, options, env):
        tokens[idx].tag = f"h{max(3, int(tokens[idx].tag[1]))}"
        return md.renderer.renderToken(tokens, idx, options, env)

    def link_open(self, tokens, idx, options, env):
        href = tokens[idx].attrGet("href") or ""
        if not _is_local(href):
            tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
        return md.renderer.renderToken(tokens, idx, options, env)

    default_image = md.renderer.rules["image"]  # bound method

    def image(self, tokens, idx, options, env):
        token = tokens[idx]
        if _is_local(token.attrGet("src") or ""):
            return default_image(tokens, idx, options, env)
        alt = md.renderer.renderInlineAsText(token.children or [], options, env) or "image"
        src = token.attrGet("src") or ""
        escaped = md.utils.escapeHtml  # type: ignore[attr-defined]
        return f'<a href="{escaped(src)}" rel="nofollow noopener noreferrer">{escaped(alt)}</a>'

    md.add_render_rule("heading_open", heading_open)
    md.add_render_rule("heading_close", heading_close)
    md.add_render_rule("link_open", link_open)
    md.add_render_rule("image", image)
    return md


@lru_cache(maxsize=1)
def _block_parser() -> MarkdownIt:
    """Block structure only (no inline parsing): enough to find headings, and twice as fast."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.disable("inline")
    return md


@memoized("markdown")  # a build keeps the result in its cache
def rendered(text: str) -> tuple[str, str]:
    """(safe HTML, readable text) of a piece of untrusted Markdown, both from one reading of it."""
    return _rendered(text)


def render_markdown(text: str) -> str:
    """Safe HTML for a piece of untrusted Markdown."""
    return rendered(text)[0]


def plain_text(text: str) -> str:
    """The readable text of Markdown, for feeds' summaries, JSON and titles."""
    return rendered(text)[1]


@lru_cache(maxsize=65536)  # outside a build (no memo) the two public functions share one parse
def _rendered(text: str) -> tuple[str, str]:
    if not text:  # a summary or section left empty: a seventh of all texts
        return "", ""
    return (_SIMPLE.fullmatch(text) and _simple_rendered(text)) or _parsed_rendered(text)


def _parsed_rendered(text: str) -> tuple[str, str]:
    md = _parser()
    env: dict = {}
    tokens = md.parse(text, env)
    plain = _plain(tokens)  # first: the render rules change heading tags and link attributes
    return (md.renderer.render(tokens, md.options, env) if text.strip() else ""), plain


# Most texts are plain sentences, maybe with a list, and a parse gives them only paragraphs and
# tight lists of text. A line is plain when it starts with a letter, a non-ASCII character or a
# number that is not a list item's (so no block but a paragraph starts there), holds no inline mark
# (backslash, backtick, ~, *, _, [, <, an '&' that is not before a space) and no control
# character, and ends in no whitespace (nothing to trim, no hard break); an item is '- ' and a
# plain line. tests/test_markdown_speed.py compares the HTML and text made from them with the parse.
_TEXT_RUN = r"[^\x00-\x1f\x7f-\x9f\\`~*_\[<&]*+"  # possessive runs: a text that is not plain fails at once
_PLAIN_LINE = rf"(?!\s)(?:[A-Za-z\u00a0-\U0010ffff]|[0-9]++(?![.)])){_TEXT_RUN}(?:& {_TEXT_RUN})*+(?<!\s)"
_SIMPLE = re.compile(rf"(?:(?:- )?{_PLAIN_LINE})?(?:\n(?:(?:- )?{_PLAIN_LINE})?)*+")


def _simple_rendered(text: str) -> tuple[str, str] | None:
    """(HTML, text) of a text whose lines _SIMPLE accepted, or None if a parse would read them as
    more than paragraphs and tight lists: a loose list, or a line that continues an item."""
    html: list[str] = []
    words: list[str] = []
    block: list[str] = []  # the lines of the paragraph, or the items of the list, being read
    in_list = loose = False
    for line in text.split("\n"):
        if not line:
            if block:
                _close(block, in_list, html, words)
                block = []
            loose = in_list  # an item after the blank line would join this list and loosen it
        elif line[:2] == "- ":
            if loose:
                return None
            if block and not in_list:
                _close(block, False, html, words)  # an item interrupts a paragraph
                block = []
            in_list = True
            block.append(line[2:])
        else:
            if block and in_list:
                return None  # a lazy continuation of the item
            in_list = loose = False
            block.append(line)
    if block:
        _close(block, in_list, html, words)
    return ("".join(html), "\n".join(words)) if html else None


def _close(block: list[str], in_list: bool, html: list[str], words: list[str]) -> None:
    if in_list:
        html.append("<ul>\n" + "".join(f"<li>{escapeHtml(item)}</li>\n" for item in block) + "</ul>\n")
        words.extend(block)
    else:
        paragraph = "\n".join(block)
        html.append(f"<p>{escapeHtml(paragraph)}</p>\n")
        words.append(paragraph)


def _plain(tokens: list[Token]) -> str:
    out: list[str] = []
    for token in tokens:
        if token.type == "inline":
            out.append("".join(_inline_text(c) for c in token.children or []))
        elif token.type in ("fence", "code_block"):
            out.append(token.content.rstrip("\n"))
    return "\n".join(part for part in out if part)


def _inline_text(token: Token) -> str:
    if token.type in ("text", "code_inline"):
        return token.content
    if token.type in ("softbreak", "hardbreak"):
        return "\n"
    if token.type == "image":
        return "".join(_inline_text(c) for c in token.children or [])
    return ""


@dataclass(frozen=True)
class Block:
    heading: str  # text of the level-2 heading ('' for the part before the first one)
    line: int  # 0-based line of the heading within the body
    text: str  # Markdown between this heading and the next, without surrounding blank lines
    text_line: int  # 0-based line of text's first line within the body


def split_level2(body: str) -> list[Block]:
    """The body cut at level-2 headings; fenced code and indented code never count as headings."""
    lines = body.split("\n")
    starts = _scanned_starts(lines) if _scannable(body) else _parsed_starts(body)
    bounds = [(0, 0, starts[0][0] if starts else len(lines), "")]
    for n, (line, after, heading) in enumerate(starts):
        bounds.append((line, after, starts[n + 1][0] if n + 1 < len(starts) else len(lines), heading))
    blocks = []
    for line, first, end, heading in bounds:
        while first < end and not lines[first].strip():
            first += 1
        blocks.append(Block(heading, line, "\n".join(lines[first:end]).rstrip(), first))
    return blocks


def _parsed_starts(body: str) -> list[tuple[int, int, str]]:
    """(heading line, first line after it, heading text) of each top-level h2, from markdown-it."""
    starts = []
    tokens = _block_parser().parse(body)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2" and token.map and token.level == 0:
            starts.append((token.map[0], token.map[1], tokens[i + 1].content.strip()))
    return starts


# The block parse is half of loading a site, and most bodies are ATX headings, paragraphs and
# simple lists, whose top-level h2s a line scan finds exactly. A body is scannable when it has none
# of what could hide a column-0 '## ' line or make another line an h2 (CommonMark, as markdown-it
# reads it with raw HTML off, so there are no HTML blocks):
# - '\r' or NUL: markdown-it normalizes them, so its lines would not be these lines;
# - a fence opener anywhere (its code may hold '## ' lines);
# - a line of only '-', '=', '|', ':', spaces and tabs: a setext underline (turns the paragraph
#   above into a heading) or a table's delimiter row (no tables, so no table rows to extend);
# - a '>' after only indentation and list markers: a blockquote (kept out, so only lists nest);
# - a '#' after 1-3 spaces: a heading, top-level or nested, which only a parse tells;
# - a line whose indentation, list markers and spaces hold a tab or reach 16 characters: ten
#   nested lists put a marker at column 18 or more, and at that depth (markdown-it's maxNesting,
#   20 levels) the parser skips the rest of the body, '## ' lines included.
# Then every top-level h2 is a column-0 '##' followed by a space, a tab or the line's end (code
# blocks and list items end before a column-0 line; paragraphs, references and lists' lazy lines
# are cut by an ATX heading), and every such line is one. tests/test_markdown_speed.py compares
# the two on generated Markdown.
_NEEDS_PARSE = re.compile(
    "|".join((
        r"^[ \t]*[-=|:][-=|: \t]*$",  # a setext underline or a table's delimiter row
        r"^[ \t*+\-0-9.)]*>",  # a blockquote, maybe inside list items
        r"^ {1,3}#",  # an indented ATX heading
        r"^[ *+\-0-9.)]*\t",  # a tab among indentation and list markers
        r"^[ *+\-0-9.)]{16}",  # list markers at column 16 or more
    )),
    re.M,
)  # fmt: skip


def _scannable(body: str) -> bool:
    return not (
        "```" in body or "~~~" in body or "\r" in body or "\0" in body or _NEEDS_PARSE.search(body)
    )


def _scanned_starts(lines: list[str]) -> list[tuple[int, int, str]]:
    starts = []
    for n, line in enumerate(lines):
        if line[:2] == "##" and line[2:3] in ("", " ", "\t"):
            text = line[2:].rstrip(" \t")
            bare = text.rstrip("#")  # a closing run of '#' counts only after a space or tab
            if bare and bare[-1] in " \t":
                text = bare
            starts.append((n, n + 1, text.strip()))
    return starts
