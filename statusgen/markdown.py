"""Markdown from content, which is untrusted: parsed into sections, rendered to safe HTML and text.

Raw HTML is off, links with unsafe schemes are dropped by markdown-it's validator, and images
must be local (a remote image would make every reader's browser call a third party).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml, unescapeAll
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
    if _SIMPLE.fullmatch(text):
        return _simple_rendered(text, _plain_inline) or _parsed_rendered(text)
    return (_MARKED.fullmatch(text) and _simple_rendered(text, _marked_inline)) or _parsed_rendered(text)


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


def _simple_rendered(text: str, inline: Inline) -> tuple[str, str] | None:
    """(HTML, text) of a text whose lines _SIMPLE or _MARKED accepted (inline: how to render the
    content of a paragraph or item), or None if a parse would read them as more than paragraphs and
    tight lists (a loose list, or a line that continues an item) or inline gives up."""
    html: list[str] = []
    words: list[str] = []
    block: list[str] = []  # the lines of the paragraph, or the items of the list, being read
    in_list = loose = False
    for line in text.split("\n"):
        if not line:
            if block and not _close(block, in_list, inline, html, words):
                return None
            block = []
            loose = in_list  # an item after the blank line would join this list and loosen it
        elif line[:2] == "- ":
            if loose:
                return None
            if block and not in_list:
                if not _close(block, False, inline, html, words):  # an item interrupts a paragraph
                    return None
                block = []
            in_list = True
            block.append(line[2:])
        else:
            if block and in_list:
                return None  # a lazy continuation of the item
            in_list = loose = False
            block.append(line)
    if block and not _close(block, in_list, inline, html, words):
        return None
    return ("".join(html), "\n".join(words)) if html else None


Inline = Callable[[str], "tuple[str, str] | None"]  # (HTML, text) of a paragraph's content


def _close(block: list[str], in_list: bool, inline: Inline, html: list[str], words: list[str]) -> bool:
    if in_list:
        rendered = [inline(item) for item in block]
        if None in rendered:
            return False
        html.append("<ul>\n" + "".join(f"<li>{item[0]}</li>\n" for item in rendered) + "</ul>\n")  # type: ignore[index]
        words.extend(item[1] for item in rendered)  # type: ignore[index]
    else:
        paragraph = inline("\n".join(block))
        if paragraph is None:
            return False
        html.append(f"<p>{paragraph[0]}</p>\n")
        words.append(paragraph[1])
    return True


def _plain_inline(content: str) -> tuple[str, str]:
    return escapeHtml(content), content


# Most of the other texts differ from plain ones only by code spans and inline links (a fifth of a
# 10k corpus's texts, and without this four fifths of the Markdown time). _MARKED accepts lines that
# _SIMPLE would accept if each code span and link were a word, where only shapes whose parse is
# certain count:
# - a code span: one backtick, at least one character that is no backtick or control character,
#   with no whitespace at either end (so nothing to strip), one backtick, then no backtick;
# - a link: '[' not after '!' (an image), a label of plain text (no ']', no mark, no whitespace at
#   either end), '](', a destination of URL characters (no space, parenthesis, backslash, quote,
#   '<', '>' or non-ASCII: markdown-it ends it exactly at the ')', and there is no title), ')'.
# Plain text holds no '[' or backtick, so the parser meets each atom's first character before any
# other construct could claim it, and within an atom nothing else can start. A line may start with
# an atom ('`' is no fence below three backticks, '[x](' no reference definition).
# Links take the parser's own steps (unescape, normalize, validate, escape) in _link_open, and a
# text with a link the validator refuses goes to the parse.
_TEXT_CHARS = r"[^\x00-\x1f\x7f-\x9f\\`~*_\[<&]"
_CODE_SPAN = r"`(?!\s)[^\x00-\x1f\x7f-\x9f`]++(?<!\s)`(?!`)"
_LABEL = r"(?!\s)(?:[^\x00-\x1f\x7f-\x9f\\`~*_\[\]<&]++|& )++(?<!\s)"
_DESTINATION = r"[A-Za-z0-9\-._~:/?#@!$&*+,;=%]++"
_LINK = rf"(?<!!)\[{_LABEL}\]\({_DESTINATION}\)"
_MARKED_LINE = (
    rf"(?!\s)(?=[A-Za-z\u00a0-\U0010ffff`\[]|[0-9]++(?![.)]))"
    rf"(?:{_TEXT_CHARS}++|& |{_CODE_SPAN}|{_LINK})++(?<!\s)"
)
_MARKED = re.compile(rf"(?:(?:- )?{_MARKED_LINE})?(?:\n(?:(?:- )?{_MARKED_LINE})?)*+")
_ATOM = re.compile(r"`([^`]+)`|\[([^\]]+)\]\(([^)]+)\)")  # in text _MARKED accepted, exactly its atoms


def _marked_inline(content: str) -> tuple[str, str] | None:
    html: list[str] = []
    words: list[str] = []
    at = 0
    for atom in _ATOM.finditer(content):
        before = content[at : atom.start()]
        html.append(escapeHtml(before))
        words.append(before)
        code, label, destination = atom.groups()
        if code is not None:
            html.append(f"<code>{escapeHtml(code)}</code>")
            words.append(code)
        else:
            opening = _link_open(destination)
            if opening is None:
                return None
            html.append(f"{opening}{escapeHtml(label)}</a>")
            words.append(label)
        at = atom.end()
    rest = content[at:]
    html.append(escapeHtml(rest))
    words.append(rest)
    return "".join(html), "".join(words)


@lru_cache(maxsize=4096)  # a corpus links to a few pages many times; normalizing is most of a link's cost
def _link_open(destination: str) -> str | None:
    """The '<a …>' markdown-it renders for an inline link to destination (as written, without
    '<>' or a title), or None if its validator refuses the link."""
    md = _parser()
    href = md.normalizeLink(unescapeAll(destination))
    if not md.validateLink(href):
        return None
    rel = "" if _is_local(href) else ' rel="nofollow noopener noreferrer"'
    return f'<a href="{escapeHtml(href)}"{rel}>'


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
