"""YAML read as plain text nodes with line numbers, so validation decides what each value means.

PyYAML's own typing turns `no` into False, `2026-11-20 14:05` into a datetime but `… +01:00` into a
string, and `1:30` into 90. We compose the node graph (libyaml when available) and keep every
scalar as the text the author wrote; validation converts it against the expected type.
Alias expansion and nesting are bounded, so a "billion laughs" file fails fast with a clear error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

try:
    from yaml.cyaml import CParser as _Parser  # libyaml's
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Parser  # type: ignore[assignment]


class _Loader(_Parser):  # type: ignore[misc, valid-type]
    """Composes nodes without giving them tags: a scalar's tag is what PyYAML's typing (regexes run
    on every value, a third of composing) would make of it, and nodes here keep the text instead."""

    def resolve(self, kind, value, implicit):
        return ""

    def descend_resolver(self, current_node, current_index):
        pass

    def ascend_resolver(self):
        pass


MAX_NODES = 20_000
MAX_DEPTH = 32
# libyaml's composer recurses in C once per level: ~40,000 levels crash the process (SIGSEGV) and
# ~10,000 take seconds. Text longer than this can nest that deep, so its depth is first measured on
# the event stream, which stops at the first level too many.
_SCAN_DEPTH_ABOVE = 1024


class YamlError(ValueError):
    def __init__(self, message: str, line: int, hint: str = ""):
        super().__init__(message)
        self.message, self.line, self.hint = message, line, hint


@dataclass(frozen=True)
class Scalar:
    text: str
    line: int
    quoted: bool

    @property
    def is_null(self) -> bool:
        return not self.quoted and self.text in ("", "~", "null", "Null", "NULL")


@dataclass(frozen=True)
class Mapping:
    items: tuple[tuple[Scalar, "Node"], ...]
    line: int

    def get(self, key: str) -> "Node | None":
        for k, v in self.items:  # a plain loop: 3x faster than next() over a generator for a few keys
            if k.text == key:
                return v
        return None


@dataclass(frozen=True)
class Sequence:
    items: tuple["Node", ...]
    line: int


Node = Scalar | Mapping | Sequence


def parse_yaml(text: str, first_line: int = 1) -> Node | None:
    """Parse one YAML document; lines in nodes and errors are offset so line 1 is first_line."""
    simple = _simple_fields(text, first_line)
    return simple if simple is not None else _composed(text, first_line)


# Most front matter is lines of 'key: plain words' and 'key: [id, id]', which a line match reads
# into the same nodes as composing does, at a third of the cost. Only lines whose YAML meaning is
# certain qualify: printable ASCII; a plain value that starts with no indicator and holds no ': ',
# no ' #' (a comment) and no trailing ' ' or ':'; flow items of letters, digits, '_' and '-'.
# Any other line (quotes, nesting, comments, a repeated key...) sends the text to libyaml, which
# also says what is wrong. tests/test_parse_speed.py compares both on generated front matter.
_FLOW_ITEMS = r"[A-Za-z0-9][A-Za-z0-9_-]*(?:, [A-Za-z0-9][A-Za-z0-9_-]*)*"
_SIMPLE_FIELD = re.compile(
    rf"([A-Za-z_][A-Za-z0-9_]{{0,63}}): (?:\[({_FLOW_ITEMS})?\]|((?![-?:,\[\]{{}}#&*!|>'\"%@`])[!-~][ -~]*))"
)


def _simple_fields(text: str, first_line: int) -> Mapping | None:
    """The mapping of a text made only of simple fields (see above) and empty lines, else None."""
    items: list[tuple[Scalar, Node]] = []
    keys: set[str] = set()
    nodes = 0
    for n, line in enumerate(text.split("\n")):
        if not line:
            continue
        m = _SIMPLE_FIELD.fullmatch(line)
        if m is None:
            return None
        key, flow, plain = m.groups()
        if key in keys:
            return None
        keys.add(key)
        at = first_line + n
        if plain is None:
            parts = flow.split(", ") if flow else []
            nodes += 2 + len(parts)
            value: Node = Sequence(tuple([Scalar(part, at, False) for part in parts]), at)
        elif ": " in plain or " #" in plain or plain[-1] in " :":
            return None
        else:
            nodes += 2
            value = Scalar(plain, at, False)
        items.append((Scalar(key, at, False), value))
    if not items or nodes > MAX_NODES:
        return None
    return Mapping(tuple(items), items[0][0].line)


def _composed(text: str, first_line: int) -> Node | None:
    """parse_yaml by libyaml's composer, for any YAML."""
    try:
        if len(text) > _SCAN_DEPTH_ABOVE:
            _check_depth(text, first_line)
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line if mark else 0) + first_line
        problem = exc.problem or str(exc)
        if exc.context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            problem += f" ({exc.context} that starts on line {exc.context_mark.line + first_line})"
        raise YamlError(
            f"invalid YAML: {problem}",
            line,
            "check indentation and quoting; a value containing ': ' or starting with a quote must be quoted",
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", first_line) from None
    if root is None:
        return None
    budget = [MAX_NODES]
    return _convert(root, first_line, 0, budget)


def _check_depth(text: str, first_line: int) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_DEPTH + 1:  # _convert allows collections at depth 0..MAX_DEPTH
                line = event.start_mark.line + first_line
                raise YamlError(f"YAML is nested deeper than {MAX_DEPTH} levels", line, "flatten the structure")
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


def _convert(node: yaml.Node, offset: int, depth: int, budget: list[int]) -> Node:
    line = node.start_mark.line + offset
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlError(
            f"YAML has more than {MAX_NODES} values (aliases expanded)",
            line,
            "front matter is for a few fields; remove YAML anchors/aliases",
        )
    if depth > MAX_DEPTH:
        raise YamlError(f"YAML is nested deeper than {MAX_DEPTH} levels", line, "flatten the structure")
    if isinstance(node, yaml.ScalarNode):
        return Scalar(str(node.value), line, node.style in ("'", '"', "|", ">"))
    if isinstance(node, yaml.SequenceNode):
        return Sequence(tuple(_convert(n, offset, depth + 1, budget) for n in node.value), line)
    if isinstance(node, yaml.MappingNode):
        items = []
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, offset, depth + 1, budget)
            if not isinstance(key, Scalar):
                raise YamlError("a key must be plain text", key.line)
            if key.text == "<<":
                raise YamlError("YAML merge keys ('<<') are not supported", key.line, "write the keys out")
            if key.text in seen:
                raise YamlError(
                    f"key '{key.text}' appears twice (first on line {seen[key.text]})",
                    key.line,
                    "remove one of them",
                )
            seen[key.text] = key.line
            items.append((key, _convert(value_node, offset, depth + 1, budget)))
        return Mapping(tuple(items), line)
    raise YamlError("unsupported YAML node", line)  # pragma: no cover - composer yields only these
