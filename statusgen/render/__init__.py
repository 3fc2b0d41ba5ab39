"""Stage 4, render: one module per output format; each is a pure function of (site, now)
returning (path, bytes) pairs, with paths relative to the output root and '/' separators."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from statusgen.model import Site

Output = tuple[str, bytes]
Renderer = Callable[[Site, datetime], list[Output]]
