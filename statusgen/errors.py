"""Diagnostics: every problem in content is reported as path:line: message, with a hint."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    message: str
    hint: str = ""
    severity: str = "error"

    def format(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = _printable(f"{where}: {self.severity}: {self.message}")
        if self.hint:
            text += f"\n    hint: {_printable(self.hint)}"
        return text


# Messages quote content; an escape sequence in it must not drive the terminal or CI log showing it.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _printable(text: str) -> str:
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class ContentError(Exception):
    """Raised with every diagnostic a stage collected; the CLI prints them and exits 1."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(sorted(set(diagnostics)))
        super().__init__("\n".join(d.format() for d in self.diagnostics))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the closest valid choice, or listing them all when none is close."""
    options = sorted(choices)
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "valid values: " + ", ".join(options)
