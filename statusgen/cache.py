"""The build cache: what earlier builds computed, so a rebuild redoes only what changed.

Safe to delete at any time (the next build is a cold one), never inside content/ or the output
(by default `.statusgen-cache/` next to the content folder), and never wrong after an upgrade:
every entry is stored under a salt made of statusgen's own source code, the Python version and
the versions of the libraries whose output ends up in the site, so entries made by other code are
never read. Entries live in append-only segment files, each with a checksum; a damaged or foreign
segment is ignored and removed, so the worst a broken cache can do is cost time.

Two kinds of data:
- tables: many small entries by key, new entries appended as one new segment at its end: parsed
  incidents (all needed by every build: loaded whole) and the memo tables (rendered Markdown, each
  incident's JSON, each feed entry's bytes: only an index is loaded, an entry when looked up);
- records: one value by name (what the last build wrote to an output folder), replaced whole.

The cache folder sits in the status repo's folder, so a pull request could ship one: every file
is therefore signed (HMAC-SHA256) with a key that never lives in the repo (this machine's, in
$XDG_CACHE_HOME/statusgen/, or STATUSGEN_CACHE_KEY), and nothing unsigned is ever unpickled.
"""

from __future__ import annotations

import array
import functools
import hashlib
import hmac
import io
import itertools
import os
import pickle
import shutil
import sys
import time
import zlib
from contextvars import ContextVar
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable

import statusgen

MAGIC = b"SGC1"
SALT_BYTES = 32
MAX_SEGMENTS = 8  # more than this and a table is compacted into one segment at the next save
FOLDER_NAME = ".statusgen-cache"
# Libraries whose behaviour shapes the output: a new version of any of them starts a new cache.
LIBRARIES = ("markdown-it-py", "mdurl", "jinja2", "markupsafe", "pyyaml", "feedgen", "lxml", "icalendar")

README = """\
This folder is statusgen's build cache. It only makes rebuilds faster: delete it at any time.
Keep it out of version control (it is in .gitignore) and out of the published site.
"""


def default_dir(content: Path) -> Path:
    """`.statusgen-cache/` next to the content folder (the status repo's root, usually)."""
    return content.absolute().parent / FOLDER_NAME


@functools.lru_cache(maxsize=1)
def code_salt() -> bytes:
    """A digest of everything besides the content that decides what a build produces."""
    h = hashlib.sha256()
    h.update(f"statusgen {statusgen.__version__}\n{sys.version}\n{sys.implementation.cache_tag}\n".encode())
    for name in LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        h.update(f"{name}={version}\n".encode())
    package = Path(statusgen.__file__).parent
    for path in sorted(package.rglob("*.py")):  # an edited checkout is a new version too
        h.update(path.relative_to(package).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.digest()


def digest(*parts: bytes | str) -> bytes:
    """A short, unambiguous digest of parts (each is length-prefixed)."""
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.digest()


# ---------------------------------------------------------------- segment files


def secret_key() -> bytes:
    """The key that signs this machine's cache files: STATUSGEN_CACHE_KEY if set (say, a CI secret,
    to reuse a cache between CI runs), else a random key made once in $XDG_CACHE_HOME/statusgen/
    (~/.cache), readable by this user only; else one for this process alone."""
    if text := os.environ.get("STATUSGEN_CACHE_KEY"):
        return hashlib.sha256(text.encode()).digest()
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "statusgen"
    path = folder / "cache-key"
    for _ in range(2):
        try:
            data = path.read_bytes()
            if len(data) == 32:
                return data
        except OSError:
            pass
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # the first process wins
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(32))
        except OSError:
            pass
    return _PROCESS_KEY


_PROCESS_KEY = os.urandom(32)


def pickled(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _signed(key: bytes, salt: bytes, payload: bytes) -> bytes:
    return MAGIC + salt + hmac.digest(key, salt + payload, "sha256") + payload


def _encode(key: bytes, salt: bytes, value: Any) -> bytes:
    return _signed(key, salt, pickled(value))


def _verified(key: bytes, salt: bytes, data: bytes) -> bytes | None:
    """The payload of a file this machine's key signed under this salt; None for a foreign, stale,
    damaged or unsigned file, which is never unpickled."""
    head = len(MAGIC) + SALT_BYTES + 32
    if len(data) < head or not data.startswith(MAGIC) or data[len(MAGIC) : len(MAGIC) + SALT_BYTES] != salt:
        return None
    payload = data[head:]
    if not hmac.compare_digest(hmac.digest(key, salt + payload, "sha256"), data[head - 32 : head]):
        return None
    return payload


def _decode(key: bytes, salt: bytes, data: bytes) -> tuple[bool, Any]:
    """(ok, value); not ok for a file _verified() refuses or that does not unpickle."""
    payload = _verified(key, salt, data)
    if payload is None:
        return False, None
    try:
        return True, pickle.loads(payload)
    except Exception:  # noqa: BLE001 - any unpickling problem means "not usable", never a crash
        return False, None


def _decode_entries(key: bytes, salt: bytes, data: bytes) -> dict | None:
    """A table segment's entries: one or more pickled dicts one after the other (see Table.add_pickled)."""
    payload = _verified(key, salt, data)
    if payload is None:
        return None
    entries: dict = {}
    stream = io.BytesIO(payload)
    try:
        while stream.tell() < len(payload):
            part = pickle.load(stream)
            if not isinstance(part, dict):
                return None
            entries.update(part)
    except Exception:  # noqa: BLE001 - as in _decode
        return None
    return entries


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


class Table:
    """Entries of one kind (key → value), read from and appended to segment files."""

    def __init__(self, folder: Path | None, salt: bytes, key: bytes):
        self.folder, self.salt, self.key = folder, salt, key
        self.entries: dict[Any, Any] = {}
        self.new: dict[Any, Any] = {}
        self.pickled: list[bytes] = []  # new entries pickled by a worker already (add_pickled)
        self.segments: list[Path] = []
        self.sizes: list[int] = []  # of each segment file
        self.held: list[set] = []  # the keys of each segment
        self.added: set = set()  # the keys of the new entries (put and add_pickled)
        if folder is not None:
            self._load()

    def _load(self) -> None:
        assert self.folder is not None
        try:
            names = sorted(p for p in self.folder.iterdir() if p.suffix == ".seg")
        except OSError:
            return
        for path in names:
            try:
                data = path.read_bytes()
            except OSError:  # removed by a concurrent compaction
                continue
            value = _decode_entries(self.key, self.salt, data)
            if value is None:
                _remove(path)  # stale (other code) or damaged: never read again
                continue
            self.entries.update(value)
            self.segments.append(path)
            self.sizes.append(len(data))
            self.held.append(set(value))

    def get(self, key: Any, default: Any = None) -> Any:
        return self.entries.get(key, default)

    def put(self, key: Any, value: Any) -> None:
        if self.entries.get(key, self) is not value:
            self.entries[key] = value
            self.new[key] = value
            self.added.add(key)

    def add_pickled(self, blob: bytes, entries: dict | None = None) -> dict:
        """New entries as pickled(dict) made them (by a worker, which had to pickle them to send them
        anyway, or by a task that ran beside the workers): saved as they are, not pickled again.
        entries: what blob holds, if at hand. Returns them."""
        if entries is None:
            entries = pickle.loads(blob)
        self.entries.update(entries)
        self.pickled.append(blob)
        self.added.update(entries)
        return entries

    def save(self, live: set | None = None) -> None:
        """Append the new entries; with many segments, merge them (see _merged) keeping only the
        entries whose key is in `live` (those this build used), so the cache does not grow forever."""
        if self.folder is None or (not self.new and not self.pickled and len(self.segments) <= MAX_SEGMENTS):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{os.getpid()}-{os.urandom(6).hex()}.seg"
        if len(self.segments) + 1 > MAX_SEGMENTS:
            merged = _merged(self.sizes)
            keys = self.added.union(*(self.held[i] for i in merged))  # all of them, or all but the big segment's
            keep = {k: self.entries[k] for k in keys if live is None or k in live}
            data = _encode(self.key, self.salt, keep)
            path = self.folder / (("0-" if len(merged) == len(self.segments) else "1-") + name)
            _write_atomic(path, data)
            for i in merged:
                _remove(self.segments[i])
            kept = [i for i in range(len(self.segments)) if i not in merged]
            self.segments = [self.segments[i] for i in kept] + [path]
            self.sizes = [self.sizes[i] for i in kept] + [len(data)]
            self.held = [self.held[i] for i in kept] + [set(keep)]
        else:
            data = _signed(self.key, self.salt, b"".join([*self.pickled, *([pickled(self.new)] if self.new else [])]))
            _write_atomic(self.folder / ("1-" + name), data)
            self.segments.append(self.folder / ("1-" + name))
            self.sizes.append(len(data))
            self.held.append(set(self.added))
        self.new, self.pickled, self.added = {}, [], set()


def _merged(sizes: list[int]) -> list[int]:
    """Which segments a compaction rewrites: all of them, or, while the others together are less than
    a quarter of the largest, all but the largest. An edit adds a small segment; rewriting the big one
    every MAX_SEGMENTS edits cost ~1 s at 10,000 incidents, while this way each byte is rewritten a
    bounded number of times."""
    if not sizes:
        return []
    largest = max(range(len(sizes)), key=sizes.__getitem__)
    if (sum(sizes) - sizes[largest]) * 4 < sizes[largest]:
        return [i for i in range(len(sizes)) if i != largest]
    return list(range(len(sizes)))


# ---------------------------------------------------------------- lazy tables (the memo tables)

# A memo table is large (Markdown of every text, each incident's JSON) and a rebuild looks up a
# part of it, so its segments are read lazily: a build reads and verifies each segment's small
# index (key digest, check and length of every entry, signed as a whole), and an entry's bytes are
# read, compared with their check and unpickled only when its key is looked up.
#
#   segment file: LAZY_MAGIC, salt, HMAC(salt + run index), then a run
#   run:          entry count (8 bytes), each entry's key digest (20), check (16: sha256 of its
#                 bytes) and length (8), then the entries' bytes (each one pickle) one after the other
#
# Forked workers send what they computed as a run (they must serialise it anyway); the parent saves
# runs as they came, and decodes an entry only if something looks it up.
LAZY_MAGIC = b"SGL1"
DIGEST_BYTES = 20
CHECK_BYTES = 16
_ROW = DIGEST_BYTES + CHECK_BYTES + 8
_LAZY_HEAD = len(LAZY_MAGIC) + SALT_BYTES + 32


def key_digest(key: Any) -> bytes:
    """A memo key's name in segment files (hash() differs from process to process)."""
    if type(key) is str:
        data = b"s" + key.encode("utf-8", "surrogatepass")
    else:  # tuples of str, bytes and ints: equal keys pickle the same, different keys differently
        data = b"p" + pickle.dumps(key, protocol=5)
    return hashlib.sha256(data).digest()[:DIGEST_BYTES]


def _check(payload: bytes) -> bytes:
    return hashlib.sha256(payload).digest()[:CHECK_BYTES]


def _pread(fd: int, size: int, at: int) -> bytes:
    if hasattr(os, "pread"):  # no shared file offset: safe in forked workers
        return os.pread(fd, size, at)
    os.lseek(fd, at, os.SEEK_SET)  # (no fork without pread, so no sharing either)
    return os.read(fd, size)


def _little(lengths: array.array) -> array.array:
    """Entry lengths as stored (little-endian 8-byte integers), both ways."""
    if sys.byteorder != "little":
        lengths.byteswap()
    return lengths


def encode_run(entries: Iterable[tuple[bytes, bytes]]) -> list[bytes]:
    """A run of (key digest, pickled value) entries, as parts to join or write one after the other."""
    digests, checks, payloads = [], [], []
    for d, payload in entries:
        digests.append(d)
        checks.append(_check(payload))
        payloads.append(payload)
    lengths = _little(array.array("q", map(len, payloads))).tobytes()
    return [len(payloads).to_bytes(8, "little"), b"".join(digests), b"".join(checks), lengths, *payloads]


class _Run:
    """One run's entries, in memory (a worker's, trusted) or in a segment file (checked when read)."""

    def __init__(self, count: int, index: bytes, source: bytes | int, data_at: int, trusted: bool):
        self.count, self.index, self.source, self.data_at, self.trusted = count, index, source, data_at, trusted
        self._where: dict[bytes, int] | None = None
        self._offsets: list[int] | None = None

    @classmethod
    def of(cls, blob: bytes) -> "_Run":
        """A run made in memory (encode_run, joined)."""
        count = int.from_bytes(blob[:8], "little")
        return cls(count, blob[8 : 8 + count * _ROW], blob, 8 + count * _ROW, True)

    def close(self) -> None:
        if isinstance(self.source, int):
            try:
                os.close(self.source)
            except OSError:
                pass
            self.source = b""

    def __del__(self) -> None:
        self.close()

    def read_all(self) -> None:
        """Keep the entries' bytes in memory (one read instead of one per entry; they are still checked)."""
        if isinstance(self.source, int):
            try:
                size = self._offsets_()[-1]
                data = _pread(self.source, size, self.data_at)
            except OSError:
                return
            self.close()
            self.source, self.data_at = data, 0

    def digest(self, i: int) -> bytes:
        return self.index[i * DIGEST_BYTES : (i + 1) * DIGEST_BYTES]

    def size(self) -> int:
        """The bytes of its entries."""
        return self._offsets_()[-1]

    def digests(self) -> list[bytes]:
        return [self.index[i : i + DIGEST_BYTES] for i in range(0, self.count * DIGEST_BYTES, DIGEST_BYTES)]

    def find(self, d: bytes) -> int | None:
        if self._where is None:
            self._where = dict(zip(self.digests(), range(self.count)))
        return self._where.get(d)

    def _offsets_(self) -> list[int]:
        if self._offsets is None:
            start = self.count * (DIGEST_BYTES + CHECK_BYTES)
            lengths = _little(array.array("q", self.index[start : start + self.count * 8]))
            self._offsets = list(itertools.accumulate(lengths, initial=0))
        return self._offsets

    def payload(self, i: int) -> bytes | None:
        """Entry i's bytes; None if they are not what the signed index says (damaged, tampered)."""
        offsets = self._offsets or self._offsets_()
        at, end = offsets[i], offsets[i + 1]
        if isinstance(self.source, int):
            try:
                data = _pread(self.source, end - at, self.data_at + at)
            except OSError:
                return None
        else:
            data = self.source[self.data_at + at : self.data_at + end]
        if self.trusted:
            return data
        check_at = self.count * DIGEST_BYTES + i * CHECK_BYTES
        if len(data) != end - at or _check(data) != self.index[check_at : check_at + CHECK_BYTES]:
            return None
        return data

    def parts(self) -> list[Any]:
        """The run as encode_run's parts (a run in memory only)."""
        assert isinstance(self.source, bytes)
        n, index, view = self.count, self.index, memoryview(self.source)
        return [n.to_bytes(8, "little"), index[: n * DIGEST_BYTES], index[n * DIGEST_BYTES : n * (DIGEST_BYTES + CHECK_BYTES)],
                index[n * (DIGEST_BYTES + CHECK_BYTES) :], view[self.data_at :]]  # fmt: skip


def _join_runs(runs: list[list[Any]]) -> list[Any]:
    """Several runs' parts as one run's parts (the index parts joined, the entries' bytes as they are)."""
    count = sum(int.from_bytes(parts[0], "little") for parts in runs)
    return [count.to_bytes(8, "little"), *(b"".join(parts[k] for parts in runs) for k in (1, 2, 3)),
            *(data for parts in runs for data in parts[4:])]  # fmt: skip


def _open_run(path: Path, key: bytes, salt: bytes) -> _Run | None:
    """A segment file's run, its index verified; None for a foreign, stale, damaged or unsigned file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        head = _pread(fd, _LAZY_HEAD + 8, 0)
        if len(head) < _LAZY_HEAD + 8 or not head.startswith(LAZY_MAGIC) or head[4 : 4 + SALT_BYTES] != salt:
            raise ValueError
        count = int.from_bytes(head[_LAZY_HEAD:], "little")
        if count > os.fstat(fd).st_size // _ROW:
            raise ValueError
        index = _pread(fd, count * _ROW, _LAZY_HEAD + 8)
        mac = hmac.digest(key, salt + head[_LAZY_HEAD:] + index, "sha256")
        if len(index) != count * _ROW or not hmac.compare_digest(mac, head[4 + SALT_BYTES : _LAZY_HEAD]):
            raise ValueError
    except (OSError, ValueError):
        os.close(fd)
        _remove(path)  # stale (other code) or damaged: never read again
        return None
    return _Run(count, index, fd, _LAZY_HEAD + 8 + count * _ROW, trusted=False)


def _write_run(path: Path, key: bytes, salt: bytes, parts: list[Any]) -> None:
    head = parts[0]
    index = b"".join(parts[1:4])
    mac = hmac.digest(key, salt + head + index, "sha256")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.writelines([LAZY_MAGIC, salt, mac, head, index, *parts[4:]])
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


class LazyTable:
    """A memo table's entries by key digest, read from segment files entry by entry when looked up;
    new runs (workers' or this process's) are appended as one new segment."""

    def __init__(self, folder: Path | None, salt: bytes, key: bytes):
        self.folder, self.salt, self.key = folder, salt, key
        self.runs: list[_Run] = []  # newest last
        self.files: list[Path] = []  # the segment files loaded or written
        self.pending: list[_Run] = []  # runs not saved yet
        self._where: dict[bytes, tuple[_Run, int]] | None = None  # key digest → (run, entry), newest run's
        if folder is not None:
            try:
                names = sorted(p for p in folder.iterdir() if p.suffix == ".seg")
            except OSError:
                names = []
            for path in names:
                if (run := _open_run(path, key, salt)) is not None:
                    self.runs.append(run)
                    self.files.append(path)

    def find(self, d: bytes) -> bytes | None:
        """The pickled value stored under key digest d, if any and intact."""
        if self._where is None:  # worked out on the first lookup: a process that looks up nothing never does
            self._where = {}
            for run in self.runs:
                self._add_where(run)
        hit = self._where.get(d)
        if hit is None:
            return None
        if (payload := hit[0].payload(hit[1])) is not None:
            return payload
        for run in reversed(self.runs):  # that copy is damaged: an older one may not be
            if run is not hit[0] and (i := run.find(d)) is not None and (payload := run.payload(i)) is not None:
                return payload
        return None

    def _add_where(self, run: _Run) -> None:
        assert self._where is not None
        self._where.update(zip(run.digests(), zip(itertools.repeat(run), range(run.count))))

    def add_run(self, blob: bytes) -> None:
        """A run a worker encoded: looked up from memory, saved as it is."""
        run = _Run.of(blob)
        self.runs.append(run)
        self.pending.append(run)
        if self._where is not None:
            self._add_where(run)

    def save(self, fresh: list[tuple[bytes, bytes]], live: Callable[[], set[bytes]] | None) -> None:
        """Append the pending runs and fresh (key digest, pickled value) entries as one segment; with
        many segments, merge them (see _merged) keeping only the entries whose digest is in live(),
        or all of them if live is None (a build that did not look up everything it will need again).

        Afterwards self.runs[i] is read from self.files[i] (the pending runs, kept in memory until
        then, come after the saved ones), so a later save in this process knows what each file holds."""
        if self.folder is None or (not fresh and not self.pending and len(self.files) <= MAX_SEGMENTS):
            self.pending = []
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        saved = self.runs[: len(self.files)]
        merged = _merged([run.size() for run in saved]) if len(self.files) + 1 > MAX_SEGMENTS else []
        keep = live() if live and merged else None
        if merged:  # the merged segments' entries go into the new one, with the pending ones and fresh
            entries: dict[bytes, Any] = {}
            for d, payload in fresh:
                if keep is None or d in keep:
                    entries[d] = payload
            for run in reversed([saved[i] for i in merged] + self.pending):
                run.read_all()
                for i in range(run.count):
                    d = run.digest(i)
                    if (keep is None or d in keep) and d not in entries and (payload := run.payload(i)) is not None:
                        entries[d] = payload
            parts = encode_run(entries.items())
        else:
            parts = _join_runs([run.parts() for run in self.pending] + ([encode_run(fresh)] if fresh else []))
        prefix = "0-" if merged and len(merged) == len(saved) else "1-"
        path = self.folder / f"{prefix}{os.getpid()}-{os.urandom(6).hex()}.seg"
        _write_run(path, self.key, self.salt, parts)
        for i in merged:
            _remove(self.files[i])
            saved[i].close()
        kept = [i for i in range(len(saved)) if i not in merged]
        self.runs, self.files = [saved[i] for i in kept], [self.files[i] for i in kept]
        if (run := _open_run(path, self.key, self.salt)) is not None:
            self.runs.append(run)
            self.files.append(path)
        self.pending = []
        self._where = None


class Cache:
    """The cache folder; `Cache(None)` keeps everything in memory only (--no-cache)."""

    def __init__(self, root: Path | None, salt: bytes | None = None, key: bytes | None = None):
        self.root = root
        self.salt = salt or code_salt()
        self.key = key or (secret_key() if root is not None else _PROCESS_KEY)
        self.tables: dict[str, Table] = {}
        self.memo_tables: dict[str, LazyTable] = {}
        if root is not None:
            self._prepare(root)

    def _prepare(self, root: Path) -> None:
        try:
            root.mkdir(parents=True, exist_ok=True)
            if not (root / "README").exists():
                (root / "README").write_text(README)
                # https://bford.info/cachedir/ — backup tools skip folders with this tag
                (root / "CACHEDIR.TAG").write_text(
                    "Signature: 8a477f597d28d172789f06886806bc55\n# statusgen build cache; see README\n"
                )
        except OSError:
            self.root = None  # a read-only checkout still builds, just without a cache

    def table(self, name: str) -> Table:
        if name not in self.tables:
            self.tables[name] = Table(self.root / "v1" / name if self.root else None, self.salt, self.key)
        return self.tables[name]

    def memo_table(self, namespace: str) -> LazyTable:
        if namespace not in self.memo_tables:
            folder = self.root / "v1" / f"memo-{namespace}" if self.root else None
            self.memo_tables[namespace] = LazyTable(folder, self.salt, self.key)
        return self.memo_tables[namespace]

    def record(self, name: str) -> Any:
        if self.root is None:
            return None
        path = self.root / "v1" / "records" / f"{name}.rec"
        try:
            data = path.read_bytes()
        except OSError:
            return None
        ok, value = _decode(self.key, self.salt, data)
        if not ok:
            _remove(path)
        return value if ok else None

    def set_record(self, name: str, value: Any) -> None:
        if self.root is None:
            return
        folder = self.root / "v1" / "records"
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomic(folder / f"{name}.rec", _encode(self.key, self.salt, value))


# ---------------------------------------------------------------- what the inputs are

# A file's recorded hash is trusted from its stat only if the file was last changed well before
# it was hashed: a write within the file system's timestamp granularity of the hashing could
# otherwise leave size and times unchanged (git's "racy clean" problem).
RACY_NS = 2_000_000_000


def scan(roots: list[tuple[str, Path]], index: dict[str, tuple]) -> tuple[dict[str, bytes], dict[str, tuple]]:
    """Every file under each root as 'prefix/relative/path' → sha256 of its bytes.

    `index` (path → size, mtime, ctime, inode, hash, when hashed) from the previous scan spares
    reading files whose stat is unchanged; returns the hashes and the new index."""
    hashes: dict[str, bytes] = {}
    new_index: dict[str, tuple] = {}
    for prefix, root in roots:
        if not root.is_dir():
            continue
        for key, path in _files(str(root), prefix + "/"):
            try:
                st = os.stat(path)
            except OSError:  # a dangling link, or removed meanwhile: the loader reports it
                continue
            stat = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
            known = index.get(path)
            if known is not None and known[:4] == stat and st.st_mtime_ns + RACY_NS < known[5]:
                hashes[key] = known[4]
                new_index[path] = known
                continue
            hashed_at = time.time_ns()
            try:
                with open(path, "rb") as f:
                    h = hashlib.sha256(f.read()).digest()
            except OSError:
                continue
            hashes[key] = h
            new_index[path] = (*stat, h, hashed_at)
    return hashes, new_index


def _files(folder: str, base: str):
    """(base + relative path, path) of every file under folder, by name, as os.walk finds them
    (links to folders are not followed), without os.walk's joins and stats per entry."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return
    folders = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if not is_dir:
            yield base + entry.name, entry.path
        elif not entry.is_symlink():
            folders.append(entry)
    for entry in folders:
        yield from _files(entry.path, base + entry.name + "/")


# ---------------------------------------------------------------- memoized pure functions

# During a build: namespace → Memo. Outside a build (tests, other commands) nothing is memoized.
_ACTIVE: ContextVar[dict[str, "Memo"] | None] = ContextVar("statusgen_memo", default=None)
_PURE: dict[str, Callable[[str], Any] | None] = {}  # namespace → the function, None if keyed (at import time)


_ABSENT = object()


class Memo(dict):
    """text → result of one pure function (or key → result, see keyed()), remembering which entries
    this build computed or used. Holds the results this process worked out or looked up; the others
    stay in the table, undecoded, until looked up."""

    def __init__(self, function: Callable[[str], Any] | None, table: LazyTable | None = None):
        super().__init__()
        self.function = function
        self.table = table if table is not None else LazyTable(None, b"", b"")
        self.computed: dict[Any, Any] = {}
        self.used: set[Any] = set()  # the keys looked up in this process
        self.live: list[bytes] = []  # the key digests other processes looked up (joined, see task_result)
        self.digests: dict[Any, bytes] = {}  # key → key_digest(key), once worked out

    def _digest(self, key: Any) -> bytes:
        d = self.digests.get(key)
        if d is None:
            d = self.digests[key] = key_digest(key)
        return d

    def _stored(self, key: Any) -> Any:
        """The value the table holds for key (now kept in this dict), or _ABSENT."""
        payload = self.table.find(self._digest(key))
        if payload is None:
            return _ABSENT
        try:
            value = pickle.loads(payload)
        except Exception:  # noqa: BLE001 - as in _decode: not usable, never a crash
            return _ABSENT
        dict.__setitem__(self, key, value)
        return value

    def __missing__(self, text: str) -> Any:
        value = self._stored(text)
        if value is _ABSENT:
            if self.function is None:
                raise KeyError(text)
            value = self[text] = self.computed[text] = self.function(text)
        return value

    def get_or_make(self, key: Any, make: Callable[[], Any]) -> Any:
        """The result kept under key, else make()'s (kept). key must name everything the result depends on."""
        value = self.lookup(key)
        if value is None:
            value = make()
            self.keep(key, value)
        return value

    def lookup(self, key: Any) -> Any:
        """The result kept under key, or None."""
        self.used.add(key)
        value = dict.get(self, key, _ABSENT)
        if value is _ABSENT:
            value = self._stored(key)
        return None if value is _ABSENT else value

    def keep(self, key: Any, value: Any) -> None:
        self.used.add(key)
        self[key] = self.computed[key] = value

    # A forked worker starts each task with begin_task() and sends task_result() back to the
    # parent, which gives it to merge_run().

    def begin_task(self) -> None:
        self.computed, self.used = {}, set()

    def task_result(self) -> tuple[bytes | None, bytes]:
        """(what this process computed as one run, or None; the digests of the keys it looked up, joined)."""
        run = b"".join(encode_run(self.encoded())) if self.computed else None
        return run, b"".join({self._digest(k) for k in self.used})

    def merge_run(self, run: bytes | None, live: bytes) -> None:
        """Take what a forked worker computed (kept encoded until looked up) and looked up."""
        if run is not None:
            self.table.add_run(run)
        self.live.append(live)
        if len(self.live) > 64:  # a long `serve` session: each digest once
            self.live = [b"".join(self._worker_live())]

    def encoded(self) -> list[tuple[bytes, bytes]]:
        """The computed entries as (key digest, pickled value)."""
        return [(self._digest(k), pickled(v)) for k, v in self.computed.items()]

    def live_digests(self) -> set[bytes]:
        """The digests of every key this build looked up, here or in a worker."""
        return self._worker_live() | {self._digest(k) for k in self.used}

    def _worker_live(self) -> set[bytes]:
        return {joined[i : i + DIGEST_BYTES] for joined in self.live for i in range(0, len(joined), DIGEST_BYTES)}


def memoized(namespace: str) -> Callable[[Callable[[str], Any]], Callable[[str], Any]]:
    """Decorate a pure function of one string whose results the build cache may keep.

    The result must depend on the text and on the code (covered by the salt) only."""

    def decorate(function: Callable[[str], Any]) -> Callable[[str], Any]:
        _PURE[namespace] = function

        @functools.wraps(function)
        def wrapper(text: str) -> Any:
            memos = _ACTIVE.get()
            if memos is None:
                return function(text)
            memo = memos[namespace]
            memo.used.add(text)
            return memo[text]

        return wrapper

    return decorate


def keyed(namespace: str) -> str:
    """Declare a memo table of results kept by a key the caller makes (Memo.get_or_make), for
    results that depend on more than one text; returns the namespace for active_memo()."""
    _PURE[namespace] = None  # type: ignore[assignment]
    return namespace


RUN_LENGTH = 64  # items per entry of a memoized_runs table, on average


def memoized_runs(namespace: str, items: list, key_of: Callable[[Any], Any], name_of: Callable[[Any], str],
                  make: Callable[[Any], Any]) -> list:  # fmt: skip
    """[make(item) for item in items], kept in the keyed table namespace by runs of items.

    For a function applied to every item of a long history on every build (say, each incident's
    JSON): one entry per run costs one lookup where one per item cost thousands. key_of(item) must
    name everything make(item) depends on, or be None (then make runs). Runs end after items whose
    name_of (a stable name, such as an incident id) hashes to 0 mod RUN_LENGTH, so they depend on
    the items alone, not on their position: an edit or a new item changes one run, and only that
    run's items are made again."""
    memo = active_memo(namespace)
    keys = [key_of(item) for item in items] if memo is not None else []
    if memo is None or None in keys:
        return [make(item) for item in items]
    results: list = []
    start = 0
    for end, item in enumerate(items, 1):
        if end == len(items) or zlib.crc32(name_of(item).encode()) % RUN_LENGTH == 0:
            run = items[start:end]
            results.extend(memo.get_or_make(tuple(keys[start:end]), lambda run=run: [make(x) for x in run]))
            start = end
    return results


def activate(memos: dict[str, Memo]):
    """Make `memos` the memo tables of this thread's build; returns a token for deactivate()."""
    return _ACTIVE.set(memos)


def deactivate(token) -> None:
    _ACTIVE.reset(token)


def active_memos() -> dict[str, Memo] | None:
    return _ACTIVE.get()


def active_memo(namespace: str) -> Memo | None:
    """This build's memo table of namespace; None outside a build."""
    memos = _ACTIVE.get()
    return None if memos is None else memos.get(namespace)


# During a build: id(model object) → a digest of what it was made from (its file's path and bytes,
# site.yaml; the code is in the cache's salt), which a keyed memo may use to name the object.
_ORIGINS: ContextVar[dict[int, bytes] | None] = ContextVar("statusgen_origins", default=None)


def activate_origins(origins: dict[int, bytes]):
    """Set this thread's build's origins (kept while their objects live); returns a token for deactivate_origins()."""
    return _ORIGINS.set(origins)


def deactivate_origins(token) -> None:
    _ORIGINS.reset(token)


def origin(obj: Any) -> bytes | None:
    """A digest of what obj was made from, if this build knows it (see _ORIGINS)."""
    origins = _ORIGINS.get()
    return None if origins is None else origins.get(id(obj))


# ---------------------------------------------------------------- compiled templates

_TEMPLATES: ContextVar[Any] = ContextVar("statusgen_templates", default=None)


def template_cache() -> Any:
    """During a build, a Jinja bytecode cache in the build cache (Jinja checks each template's
    source, and the folder is per salt), so templates are not compiled again in every process."""
    return _TEMPLATES.get()


def activate_templates(cache: Cache):
    """Make the cache's template folder this thread's; returns a token for deactivate_templates()."""
    if cache.root is None:
        return _TEMPLATES.set(None)
    folder = cache.root / "v1" / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return _TEMPLATES.set(None)
    return _TEMPLATES.set(_signed_templates(folder, cache.key, cache.salt))


def _signed_templates(folder: Path, key: bytes, salt: bytes) -> Any:
    """A Jinja bytecode cache whose files are signed like the rest (compiled code is code)."""
    import jinja2

    class SignedBytecodeCache(jinja2.BytecodeCache):
        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            try:
                data = (folder / f"{bucket.key}.jbc").read_bytes()
            except OSError:
                return
            ok, value = _decode(key, salt, data)
            if ok and isinstance(value, bytes):
                bucket.bytecode_from_string(value)

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            try:
                _write_atomic(folder / f"{bucket.key}.jbc", _encode(key, salt, bucket.bytecode_to_string()))
            except OSError:
                pass

    return SignedBytecodeCache()


def deactivate_templates(token) -> None:
    _TEMPLATES.reset(token)


def load_memos(cache: Cache) -> dict[str, Memo]:
    """The memo tables, each holding only its segments' indexes until something is looked up."""
    return {ns: Memo(fn, cache.memo_table(ns)) for ns, fn in sorted(_PURE.items())}


def save_memos(cache: Cache, memos: dict[str, Memo], complete: bool = True) -> None:
    """complete: the build looked up everything a later build may need (it rendered every output);
    only then may compaction drop what it did not look up (an edit that renders a few pages
    would otherwise leave a cache without the Markdown of all the others)."""
    for ns, memo in memos.items():
        fresh = memo.encoded()
        memo.computed = {}
        memo.table.save(fresh, memo.live_digests if complete else None)
    if cache.root is not None:  # tables of memos this code no longer has (an older version's) go
        for folder in (cache.root / "v1").glob("memo-*"):
            if folder.name[len("memo-") :] not in memos:
                shutil.rmtree(folder, ignore_errors=True)
