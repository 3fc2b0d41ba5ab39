"""Both cores where it pays: forked workers for parsing and rendering, and a progress display.

Work is split into tasks that each return plain data; results come back in task order, so the
output never depends on which process finished first. The parent takes tasks too, beside jobs - 1
workers. Workers are forked, so they start with the parent's model and caches without copying
them through a pipe; forking is only done from a process with a single thread (a forked copy of a
threaded process can deadlock).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
import time
from typing import Any, Callable, Iterable, Sequence, TextIO

from statusgen import cache

# The work of the pool being started: inherited by its forked workers, which get only indexes
# through the pipe (closures cannot be pickled). Set and cleared around each pool's lifetime.
_WORK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None
# One flag per task of that pool, shared by its processes: set by whichever takes the task first.
_TAKEN: Any = None
_IN_WORKER = False


def in_worker() -> bool:
    """Whether this process is a forked worker (whose results are pickled to reach the parent)."""
    return _IN_WORKER


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _take(index: int) -> bool:
    with _TAKEN.get_lock():
        if _TAKEN[index]:
            return False
        _TAKEN[index] = 1
        return True


def _run(index: int) -> tuple[int, Any, dict[str, tuple[bytes | None, bytes]]] | None:
    """Task `index` in a worker; None if the parent took it already."""
    global _IN_WORKER
    assert _WORK is not None
    _IN_WORKER = True
    if not _take(index):
        return None
    function, items = _WORK
    memos = cache.active_memos() or {}
    for memo in memos.values():
        memo.begin_task()
    result = function(items[index])
    # What the task computed goes back encoded as the cache stores it: the parent saves it as it is.
    found = {ns: memo.task_result() for ns, memo in memos.items()}
    return index, result, found


def map_tasks(
    function: Callable[[Any], Any], items: Sequence[Any], jobs: int, on_done: Callable[[int], None] | None = None
) -> list[Any]:
    """[function(item) for item in items], on up to `jobs` processes when that is possible: this
    one and jobs - 1 forked workers; on_done(index) is called as each item is finished.

    Whatever the workers add to the active memo tables (cache.memoized) is merged back, encoded
    (decoded only if looked up)."""
    if jobs <= 1 or len(items) <= 1 or not can_fork():
        results = []
        for item in items:
            results.append(function(item))
            if on_done:
                on_done(len(results) - 1)
        return results
    global _WORK, _TAKEN
    context = multiprocessing.get_context("fork")
    _WORK, _TAKEN = (function, items), context.Array("b", len(items))
    memos = cache.active_memos() or {}
    results: list[Any] = [None] * len(items)

    def collect(found: tuple | None) -> None:
        if found is not None:
            index, result, memo_runs = found
            results[index] = result
            for ns, (run, live) in memo_runs.items():
                memos[ns].merge_run(run, live)
            if on_done:
                on_done(index)

    # Workers share the parent's memory until they write to it; a garbage collection in a worker
    # would write to every object it visits, so the objects made so far are left out of it.
    gc.freeze()
    try:
        with context.Pool(min(jobs, len(items)) - 1) as pool:
            finished = pool.imap_unordered(_run, range(len(items)))  # one answer per task, None if not its
            answers = 0
            # This process works too, on the next task nobody has taken: a worker fewer to fork, and
            # what it makes needs no pickling. Between its tasks it collects what the workers finished.
            for index in range(len(items)):
                if _take(index):
                    results[index] = function(items[index])
                    if on_done:
                        on_done(index)
                while answers < len(items):
                    try:
                        collect(finished.next(timeout=0))
                    except multiprocessing.TimeoutError:
                        break
                    answers += 1
            for found in finished:
                collect(found)
    finally:
        _WORK, _TAKEN = None, None
        gc.unfreeze()
    return results


def chunks(items: Sequence[Any], count: int) -> list[Sequence[Any]]:
    """items cut into about `count` contiguous runs (fewer for short lists)."""
    size = max(1, -(-len(items) // max(1, count)))
    return [items[i : i + size] for i in range(0, len(items), size)]


class Progress:
    """A progress bar on a terminal; elsewhere (CI logs, pipes) one line per long phase, or nothing.

    Writes to stderr, so stdout keeps only the build's summary."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False, tty: bool | None = None):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        isatty = getattr(self.stream, "isatty", lambda: False)()
        self.tty = (isatty and not os.environ.get("CI") and os.environ.get("TERM") != "dumb") if tty is None else tty

    def phase(self, label: str, total: int) -> "Phase":
        return Phase(self, label, total)


class Phase:
    MIN_SECONDS_TO_REPORT = 1.0  # shorter phases stay silent off a terminal
    BAR = 28

    def __init__(self, progress: Progress, label: str, total: int):
        self.progress, self.label, self.total = progress, label, max(total, 0)
        self.done = 0
        self.started = time.perf_counter()
        self.drawn = 0.0
        self.note = ""

    def __enter__(self) -> "Phase":
        return self

    def advance(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        p = self.progress
        if p.quiet or not p.tty or self.total < 2:
            return
        now = time.perf_counter()
        if now - self.drawn < 0.1 and self.done < self.total:
            return
        self.drawn = now
        filled = int(self.BAR * self.done / self.total) if self.total else self.BAR
        bar = "█" * filled + "░" * (self.BAR - filled)
        p.stream.write(f"\r{self.label:<10} {bar} {self.done:>7,}/{self.total:,}")
        p.stream.flush()

    def __exit__(self, *exc: object) -> None:
        p = self.progress
        took = time.perf_counter() - self.started
        if p.quiet:
            return
        if p.tty and self.drawn:
            p.stream.write("\r\033[K")  # clear the bar's line
        if took >= self.MIN_SECONDS_TO_REPORT and exc[0] is None:
            note = f" ({self.note})" if self.note else ""
            p.stream.write(f"statusgen: {self.label} {self.total:,} in {took:.1f} s{note}\n")
        p.stream.flush()

