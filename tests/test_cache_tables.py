"""Memo tables in the build cache: a build reads only their indexes, an entry is checked and
unpickled when looked up, what forked workers computed is saved as they encoded it, and nothing
that this machine's key did not sign is ever unpickled."""

from __future__ import annotations

import os
import pickle
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sitekit import NOW, incident, make_repo

from statusgen import build as build_module
from statusgen import cache, markdown, parallel

SALT = b"s" * 32
KEY = b"k" * 32
NS = "test-tables"

# pids of the processes that unpickled a Recorded value (module-level: unpickling calls _recorded)
UNPICKLED: list[int] = []


def _recorded(value):
    UNPICKLED.append(os.getpid())
    return Recorded(value)


class Recorded:
    """A value whose unpickling leaves a trace in UNPICKLED."""

    def __init__(self, value):
        self.value = value

    def __reduce__(self):
        return (_recorded, (self.value,))

    def __eq__(self, other):
        return isinstance(other, Recorded) and other.value == self.value


class Trap:
    """A pickle that creates a file when loaded: what a hostile cache entry would do."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture(autouse=True)
def namespace(monkeypatch):
    """A keyed memo table of this test module's own (load_memos makes one per declared namespace)."""
    monkeypatch.setitem(cache._PURE, NS, None)
    UNPICKLED.clear()


def store(root: Path, entries: dict, *, salt: bytes = SALT, key: bytes = KEY) -> None:
    """One build that computes `entries` into the NS table and saves it."""
    c = cache.Cache(root, salt=salt, key=key)
    memos = cache.load_memos(c)
    for k, v in entries.items():
        memos[NS].keep(k, v)
    cache.save_memos(c, memos)


def loaded(root: Path, *, salt: bytes = SALT, key: bytes = KEY) -> cache.Memo:
    return cache.load_memos(cache.Cache(root, salt=salt, key=key))[NS]


def segments(root: Path) -> list[Path]:
    return sorted((root / "v1" / f"memo-{NS}").glob("*.seg"))


ENTRIES = {
    "plain text": ("<p>plain text</p>\n", "plain text"),
    "ünïcødé \u2014 and \ud800 a lone surrogate": ("x", "y"),
    (b"\x00origin", 3, b"frame"): (b"head", b"tail", datetime(2026, 11, 20, 12, tzinfo=timezone.utc)),
    ("id", "title", "https://example.com/", "2026-11-20T12:00:00+01:00"): (b"<entry/>", b"<item/>", b"{}"),
    "": ("", ""),
}


def test_lookups_return_exactly_what_was_stored(tmp_path):
    store(tmp_path, ENTRIES)
    memo = loaded(tmp_path)
    assert dict.__len__(memo) == 0  # nothing decoded by loading
    for k, v in ENTRIES.items():
        assert memo.lookup(k) == v and type(memo.lookup(k)) is type(v)
    assert memo.lookup("never stored") is None
    assert memo.lookup(("plain text",)) is None  # a tuple holding a stored text is another key


def test_a_table_is_read_entry_by_entry_when_looked_up(tmp_path):
    store(tmp_path, {f"text {n}": Recorded(n) for n in range(200)})
    memo = loaded(tmp_path)
    assert UNPICKLED == []
    assert memo.lookup("text 7") == Recorded(7) and memo.lookup("text 150") == Recorded(150)
    assert memo.lookup("text 7") == Recorded(7)  # kept once decoded
    assert UNPICKLED == [os.getpid()] * 2


def test_memoized_functions_find_their_stored_results(tmp_path, monkeypatch):
    calls = []

    def shout(text):
        calls.append(text)
        return text.upper()

    monkeypatch.setitem(cache._PURE, NS, shout)
    c = cache.Cache(tmp_path, salt=SALT, key=KEY)
    memos = cache.load_memos(c)
    assert [memos[NS][t] for t in ("a", "b", "a")] == ["A", "B", "A"] and calls == ["a", "b"]
    cache.save_memos(c, memos)
    memos = cache.load_memos(cache.Cache(tmp_path, salt=SALT, key=KEY))
    assert [memos[NS][t] for t in ("b", "a", "c")] == ["B", "A", "C"] and calls == ["a", "b", "c"]


def _entry_span(path: Path, memo: cache.Memo, key) -> tuple[int, int]:
    """Where key's entry's bytes are in a one-segment table's file."""
    (run,) = memo.table.runs
    i = run.find(cache.key_digest(key))
    offsets = run._offsets_()
    return run.data_at + offsets[i], run.data_at + offsets[i + 1]


def test_a_tampered_entry_is_a_miss_and_never_unpickled(tmp_path):
    store(tmp_path, {"victim": "harmless " * 40, "other": "kept"})
    (path,) = segments(tmp_path)
    start, end = _entry_span(path, loaded(tmp_path), "victim")
    # A pickle of the same length that runs code when loaded, in the entry's place (the index is intact).
    trap = next(t for k in range(end - start) if len(t := pickle.dumps((Trap(tmp_path / "pwned"), "x" * k))) == end - start)
    data = path.read_bytes()
    path.write_bytes(data[:start] + trap + data[end:])
    memo = loaded(tmp_path)
    assert memo.lookup("victim") is None
    assert not (tmp_path / "pwned").exists()
    path.write_bytes(data[: end - 10] + bytes([data[end - 10] ^ 1]) + data[end - 9 :])  # a bit of the text flipped
    memo = loaded(tmp_path)
    assert memo.lookup("victim") is None and memo.lookup("other") == "kept"


@pytest.mark.parametrize("damage", ["index", "signature", "salt", "cut", "junk"])
def test_a_tampered_or_damaged_segment_is_ignored_and_removed(tmp_path, damage):
    store(tmp_path, {"victim": Trap(tmp_path / "pwned")})  # stored in good faith: only the loading matters here
    (path,) = segments(tmp_path)
    data = bytearray(path.read_bytes())
    at = {"index": 80 + 5, "signature": 40, "salt": 10}.get(damage)
    if at is not None:
        data[at] ^= 0xFF
    elif damage == "cut":
        data = data[:50]
    else:
        data = bytearray(b"not a segment")
    path.write_bytes(bytes(data))
    memo = loaded(tmp_path)
    assert memo.lookup("victim") is None
    assert not (tmp_path / "pwned").exists() and not path.exists()


def test_a_segment_signed_with_another_key_or_salt_is_never_unpickled(tmp_path):
    store(tmp_path, {"x": Trap(tmp_path / "pwned")}, key=b"an attacker's own key".ljust(32, b"!"))
    store(tmp_path / "old", {"x": Trap(tmp_path / "pwned")}, salt=b"another version's salt".ljust(32))
    shutil.copy(segments(tmp_path / "old")[0], segments(tmp_path)[0].with_name("1-old.seg"))
    assert len(segments(tmp_path)) == 2
    assert loaded(tmp_path).lookup("x") is None
    assert not (tmp_path / "pwned").exists() and segments(tmp_path) == []


def test_a_segment_cut_short_after_loading_costs_only_time(tmp_path):
    store(tmp_path, {"a": "x" * 1000, "b": "y" * 1000})
    memo = loaded(tmp_path)
    (path,) = segments(tmp_path)
    with open(path, "r+b") as f:  # the file changes under the open table
        f.truncate(path.stat().st_size - 500)
    assert memo.lookup("a") == "x" * 1000 and memo.lookup("b") is None


def _keep_recorded(n: int) -> int:
    memo = cache.active_memo(NS)
    assert memo is not None
    memo.get_or_make(("worker", n), lambda: Recorded(n))
    memo.lookup(("old", 0))
    return n


@pytest.mark.skipif(not parallel.can_fork(), reason="needs forked workers")
def test_entries_from_workers_are_saved_without_unpickling_them_in_the_parent(tmp_path):
    store(tmp_path, {("old", 0): "looked up by workers", ("old", 1): "not looked up"})
    c = cache.Cache(tmp_path, salt=SALT, key=KEY)
    memos = cache.load_memos(c)
    token = cache.activate(memos)
    try:
        assert parallel.map_tasks(_keep_recorded, range(6), jobs=2) == list(range(6))
    finally:
        cache.deactivate(token)
    cache.save_memos(c, memos)
    assert UNPICKLED == []  # the workers' results were neither decoded nor encoded again here
    memo = loaded(tmp_path)
    assert [memo.lookup(("worker", n)) for n in range(6)] == [Recorded(n) for n in range(6)]
    assert UNPICKLED == [os.getpid()] * 6
    assert memos[NS].live_digests() >= {cache.key_digest(("old", 0)), cache.key_digest(("worker", 5))}
    assert cache.key_digest(("old", 1)) not in memos[NS].live_digests()


def test_compaction_keeps_only_the_entries_the_last_build_used(tmp_path):
    for n in range(cache.MAX_SEGMENTS):
        store(tmp_path, {f"text {n}": n})
    assert len(segments(tmp_path)) == cache.MAX_SEGMENTS
    c = cache.Cache(tmp_path, salt=SALT, key=KEY)
    memos = cache.load_memos(c)
    assert memos[NS].lookup("text 2") == 2 and memos[NS].lookup("text 5") == 5
    memos[NS].keep("new", "fresh")
    cache.save_memos(c, memos)  # one segment more than allowed: rewritten as one
    assert len(segments(tmp_path)) == 1
    memo = loaded(tmp_path)
    assert [memo.lookup(k) for k in ("text 2", "text 5", "new")] == [2, 5, "fresh"]
    assert [memo.lookup(f"text {n}") for n in (0, 1, 3, 4, 6, 7)] == [None] * 6
    assert memos[NS].lookup("text 2") == 2 and memos[NS].lookup("new") == "fresh"  # the open table still works


def test_compaction_after_a_partial_build_keeps_every_entry(tmp_path):
    """An edit renders a few pages, so looks up a few Markdown texts: compacting then must not drop
    the texts of every other page, or the next full render would make them all again."""
    for n in range(cache.MAX_SEGMENTS):
        store(tmp_path, {f"text {n}": n})
    c = cache.Cache(tmp_path, salt=SALT, key=KEY)
    memos = cache.load_memos(c)
    assert memos[NS].lookup("text 2") == 2
    memos[NS].keep("new", "fresh")
    cache.save_memos(c, memos, complete=False)
    assert len(segments(tmp_path)) == 1
    memo = loaded(tmp_path)
    assert [memo.lookup(f"text {n}") for n in range(cache.MAX_SEGMENTS)] == list(range(cache.MAX_SEGMENTS))
    assert memo.lookup("new") == "fresh"


def test_tables_of_namespaces_the_code_no_longer_has_are_removed(tmp_path):
    store(tmp_path, {"a": 1})
    gone = tmp_path / "v1" / "memo-markdown-html"
    gone.mkdir()
    (gone / "1-x.seg").write_bytes(b"old")
    store(tmp_path, {"b": 2})
    assert not gone.exists() and segments(tmp_path)


FILES = {
    "incidents/2026/a.md": incident("Elevated error rates on the Public API"),
    "incidents/2026/b.md": incident(
        "Dashboard slow to load", services="[dashboard]", impact="minor",
        started="2026-10-02 09:00 +02:00", resolved="2026-10-02 10:00 +02:00",
        body="## 2026-10-02 09:10 +02:00 — Investigating\nPages take *20 s* to load.\n\n"
             "## 2026-10-02 10:00 +02:00 — Resolved\nA slow query was fixed.\n",
    ),
    "incidents/2025/c.md": incident("Webhooks delayed", services="[webhooks]", started="2025-03-04 11:00 +01:00",
                                    resolved="2025-03-04 12:30 +01:00"),
}  # fmt: skip


def test_a_build_after_an_edit_reads_back_what_the_first_build_stored(tmp_path, monkeypatch):
    content = make_repo(tmp_path, FILES)
    now = datetime.fromisoformat(NOW).astimezone(timezone.utc)
    monkeypatch.setattr(build_module, "PARALLEL_PARSE_MIN", 1)
    monkeypatch.setattr(build_module, "PARALLEL_RENDER_MIN", 1)
    build_module.build(content, tmp_path / "out", now, cache_dir=tmp_path / "cache", jobs=2)  # workers' runs saved
    rendered: list[str] = []
    real = markdown._rendered.__wrapped__  # not the process's own lru_cache: only the build cache may spare work

    def counting(text):
        rendered.append(text)
        return real(text)

    monkeypatch.setattr(markdown, "_rendered", counting)
    path = content / "incidents/2026/b.md"
    path.write_text(path.read_text().replace("Pages take *20 s*", "Pages take *30 s*"))
    build_module.build(content, tmp_path / "out", now, cache_dir=tmp_path / "cache", jobs=1)
    assert rendered == ["Pages take *30 s* to load."]
    clean = tmp_path / "clean"
    build_module.build(content, clean, now, cache_dir=None, jobs=1)
    files = sorted(p.relative_to(clean) for p in clean.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "out") for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert all((clean / f).read_bytes() == (tmp_path / "out" / f).read_bytes() for f in files)


def _runs_of(names: list[str], changed: dict[str, int], tmp_path: Path, made: list[str]) -> list:
    """memoized_runs over items named `names` (version 0 unless changed says otherwise), in one build
    that saves its memos to tmp_path."""
    c = cache.Cache(tmp_path, salt=SALT, key=KEY)
    memos = cache.load_memos(c)
    token = cache.activate(memos)
    try:
        items = [(name, changed.get(name, 0)) for name in names]
        result = cache.memoized_runs(NS, items, lambda item: item, lambda item: item[0],
                                     lambda item: made.append(item[0]) or f"{item[0]} v{item[1]}")  # fmt: skip
    finally:
        cache.deactivate(token)
    cache.save_memos(c, memos)
    return result


def test_memoized_runs_make_again_only_the_run_of_an_item_that_changed_or_was_added(tmp_path):
    names = [f"incident-{n}" for n in range(2000)]
    made: list[str] = []
    assert _runs_of(names, {}, tmp_path, made) == [f"{name} v0" for name in names]
    assert made == names
    made.clear()
    assert _runs_of(names, {}, tmp_path, made) == [f"{name} v0" for name in names]
    assert made == []  # all from the cache
    result = _runs_of(["incident-new", *names], {"incident-900": 1}, tmp_path, made)
    assert result == ["incident-new v0"] + [f"{name} v{int(name == 'incident-900')}" for name in names]
    # Only the runs holding the new and the changed item, each a few times RUN_LENGTH at most.
    assert "incident-900" in made and "incident-new" in made
    assert 2 <= len(made) <= 10 * cache.RUN_LENGTH
    assert "incident-1999" not in made and "incident-500" not in made


def test_memoized_runs_make_every_item_when_one_has_no_key_or_outside_a_build():
    items = ["a", "b", "c"]
    assert cache.memoized_runs(NS, items, lambda item: item, str, str.upper) == ["A", "B", "C"]
    memos = {NS: cache.Memo(None)}
    token = cache.activate(memos)
    try:
        made: list[str] = []
        key = lambda item: None if item == "b" else item  # noqa: E731 - an item this build cannot name
        assert cache.memoized_runs(NS, items, key, str, lambda item: made.append(item) or item.upper()) == \
            ["A", "B", "C"]  # fmt: skip
        assert made == items and not memos[NS].computed  # nothing kept under a key that names too little
    finally:
        cache.deactivate(token)


def test_compaction_after_small_edits_leaves_the_big_segment_as_it_is(tmp_path):
    """A long history's table is one big segment; each edit adds a small one. Rewriting the big
    one whenever there are too many cost ~1 s of an edit at 10,000 incidents: only the small ones
    are merged, and every entry is still there."""
    store(tmp_path, {f"old text {n}": "x" * 200 for n in range(2000)})
    (big,) = segments(tmp_path)
    before = big.stat()
    for n in range(cache.MAX_SEGMENTS + 3):  # edits: builds that render a few pages (complete=False)
        c = cache.Cache(tmp_path, salt=SALT, key=KEY)
        memos = cache.load_memos(c)
        memos[NS].keep(f"edit {n}", n)
        cache.save_memos(c, memos, complete=False)
    assert len(segments(tmp_path)) <= cache.MAX_SEGMENTS
    after = big.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    memo = loaded(tmp_path)
    assert [memo.lookup(f"edit {n}") for n in range(cache.MAX_SEGMENTS + 3)] == list(range(cache.MAX_SEGMENTS + 3))
    assert memo.lookup("old text 1999") == "x" * 200


def test_the_parse_table_merges_small_segments_only_and_drops_what_no_build_uses(tmp_path):
    def save(entries: dict, live: set) -> None:
        table = cache.Cache(tmp_path, salt=SALT, key=KEY).table("incidents")
        for k, v in entries.items():
            table.put(k, v)
        table.save(live=live)

    history = {f"incident {n}": "x" * 200 for n in range(2000)}
    save(history, set(history))
    (big,) = sorted((tmp_path / "v1" / "incidents").glob("*.seg"))
    before = big.stat()
    for n in range(cache.MAX_SEGMENTS + 3):  # each edit replaces the last edit's version of one incident
        save({f"edited v{n}": n}, set(history) | {f"edited v{n}"})
    files = sorted((tmp_path / "v1" / "incidents").glob("*.seg"))
    assert big in files and len(files) <= cache.MAX_SEGMENTS
    after = big.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    entries = cache.Cache(tmp_path, salt=SALT, key=KEY).table("incidents").entries
    assert entries.keys() >= history.keys() and f"edited v{cache.MAX_SEGMENTS + 2}" in entries
    assert "edited v0" not in entries  # merged away: no build used it any more


def _worker_run(entries: dict) -> bytes:
    """What a forked worker sends for the entries it computed (see Memo.task_result)."""
    return b"".join(cache.encode_run([(cache.key_digest(k), cache.pickled(v)) for k, v in entries.items()]))


def test_one_process_saving_build_after_build_keeps_every_entry_through_compactions(tmp_path):
    """serve saves after each build with the same tables, and workers send their entries as runs:
    each compaction, small or whole, must keep what every earlier save wrote."""
    store(tmp_path, {f"old text {n}": "x" * 200 for n in range(2000)})
    c = cache.Cache(tmp_path, salt=SALT, key=KEY)
    memos = cache.load_memos(c)
    expected = {"old text 7": "x" * 200}
    for n in range(3 * cache.MAX_SEGMENTS):
        memos[NS].keep(f"parent {n}", n)
        memos[NS].merge_run(_worker_run({f"worker {n}": -n}), b"")
        expected.update({f"parent {n}": n, f"worker {n}": -n})
        cache.save_memos(c, memos, complete=False)
        assert len(segments(tmp_path)) <= cache.MAX_SEGMENTS
        memo = loaded(tmp_path)
        assert {k: memo.lookup(k) for k in expected} == expected
    assert {k: memos[NS].lookup(k) for k in expected} == expected  # the open table too
