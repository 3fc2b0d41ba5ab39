"""The pipeline: load → validate → derive/render → publish. The only place the stages meet.

Builds are incremental (statusgen.cache keeps what earlier builds computed):
- a file is parsed and validated again only when its bytes, its path or site.yaml changed;
- an HTML page that declares what it shows (html.Pages.wanted) is rendered again only when that,
  or anything every page shares (site.yaml, pages, theme, the code), changed; `now` reaches only
  the pages about the present (front page, service pages, what is not settled yet), so a build
  minutes later renders those and keeps the settled history; the other outputs need the whole
  site and are made on every build, from pieces the cache keeps (each incident's JSON, each feed
  entry: cache.keyed memos named by `origins`, what each incident was parsed from);
- Markdown is rendered once per distinct text (cache.memoized);
- only files whose bytes changed are written (statusgen.publish);
- a build whose inputs all equal the previous build's (same files, same `now`) and whose output
  folder is as that build left it does nothing at all.
Large builds parse and render on all cores (statusgen.parallel); output is the same either way.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from statusgen import cache as cachemod
from statusgen import incremental, parallel, urls
from statusgen import publish as publishmod
from statusgen.errors import ContentError, Diagnostic
from statusgen.load import (
    decode_text, load_repo, parse_site, parse_source, read_bytes, read_listed, read_source, source_files,
)
from statusgen.markdown import render_markdown
from statusgen.model import Incident, Site
from statusgen.publish import Changes, FileState
from statusgen.render import Output
from statusgen.render import feeds, html, seo
from statusgen.render import api, badges, embed, ical
from statusgen.render import expiry
from statusgen.theme import Theme, resolve_theme
from statusgen.validate import assemble, validate_incident, validate_page, validate_repo, validate_site

# Output formats that depend only on the model and the instant; html also takes the theme.
RENDERERS = (feeds.render, seo.render, api.render, expiry.render, ical.render, badges.render)


# Relative cost of the render tasks when no earlier build says how long they took.
FIRST_GUESS = {"html": 10.0, "statusgen.render.api.render": 2.0, "statusgen.render.feeds.render": 1.0}

# Below these sizes the pool costs more than it saves.
PARALLEL_PARSE_MIN = 200  # files to parse
PARALLEL_RENDER_MIN = 200  # incidents in the site (to render on all cores) or pages to render (to split the HTML)


@dataclass(frozen=True)
class BuildResult:
    site: Site | None  # None when nothing changed, so nothing was loaded
    outputs: int
    changes: Changes
    incidents: int


def load_site(content: Path) -> Site:
    """The validated model of a status repo; raises ContentError listing every problem."""
    return validate_repo(load_repo(content))


def render_site(site: Site, now: datetime, theme: Theme) -> list[Output]:
    outputs = html.render(site, now, theme)
    outputs.extend(embed.render(site, now, theme))  # the widget uses the theme's templates too
    for renderer in RENDERERS:
        outputs.extend(renderer(site, now))
    return sorted(outputs)


def build(
    content: Path,
    out: Path,
    now: datetime,
    *,
    cache_dir: Path | None | bool = True,
    jobs: int = 1,
    progress: parallel.Progress | None = None,
) -> BuildResult:
    """Build content into out as of now. cache_dir: True for the default place, None for none."""
    folder = cachemod.default_dir(content) if cache_dir is True else cache_dir or None
    return Builder(content, out, cachemod.Cache(folder), jobs=jobs, progress=progress).build(now)


def renderer_names() -> tuple[str, ...]:
    """Names of the renderers a build runs (part of what a build's output depends on)."""
    return tuple(f"{r.__module__}.{r.__qualname__}" for r in (html.render, embed.render, *RENDERERS))


class Builder:
    """Builds one content folder into one output folder, as often as asked (serve keeps one, and
    with it the cache in memory)."""

    def __init__(
        self, content: Path, out: Path, cache: cachemod.Cache, *, jobs: int = 1,
        progress: parallel.Progress | None = None,
    ):  # fmt: skip
        self.content, self.out, self.cache, self.jobs = content, out, cache, jobs
        self.progress = progress or parallel.Progress(quiet=True)
        self.inputs = incremental.Inputs(content, out, cache)
        self.memos: dict[str, cachemod.Memo] | None = None
        # Called with the HTML pages as soon as they are rendered, before the other formats (serve
        # shows them at once); only when the build renders in this process.
        self.on_pages: Callable[[list[Output]], None] | None = None

    def build(self, now: datetime, state: tuple | None = None) -> BuildResult:
        """state: what incremental.unchanged() said, if the caller asked it already."""
        publishmod.check_out_dir(self.out, self.content)
        hashes, record, verified, same = state or incremental.unchanged(self.inputs, now)
        if same:
            assert record is not None
            n = len(verified)
            return BuildResult(None, n, Changes((), (), (), n), record["incidents"])
        try:
            return self._rebuild(now, hashes, record, verified)
        finally:
            # Frozen by _rebuild until the records are saved too (unfrozen, the next collection walks
            # the whole model: ~0.25 s at 10,000 incidents); a process that builds again (serve) must
            # be able to collect this build's objects.
            gc.unfreeze()

    def _rebuild(self, now: datetime, hashes: dict[str, bytes], record: dict | None,
                 verified: dict[str, FileState]) -> BuildResult:  # fmt: skip
        if self.memos is None:
            self.memos = cachemod.load_memos(self.cache)
        token = cachemod.activate(self.memos)
        templates = cachemod.activate_templates(self.cache)
        live: set | None = None  # the parse entries this build used, once it knows them
        complete = False  # whether it rendered every output (so looked up every memo entry it needs)
        origins = None
        try:
            with _gc_paused():  # reading and unpickling make the model, hardly any garbage
                site, keys, hashes = self._load(hashes)
            gc.freeze()  # the model lives as long as the build: later collections need not look through it
            live = set(keys.values())
            origins = cachemod.activate_origins(keys)  # renderers may memoize per incident
            staging = publishmod.Staging(self.out, self.content, verified if record else None)
            try:
                entries, rendering, kept = self._render(site, now, keys, hashes, record, verified, staging)
                complete = not kept
                stale = set(record["files"]) - set(verified) if record else set()
                changes, states = staging.commit(entries, kept, stale)
            except BaseException:
                staging.abandon()
                raise
        finally:
            if origins is not None:
                cachemod.deactivate_origins(origins)
            cachemod.deactivate_templates(templates)
            cachemod.deactivate(token)
            self._save_cache(live, complete)  # what was parsed and rendered is right even if the build failed
        names = renderer_names()
        self.inputs.save_record({
            "input": incremental.input_key(now, hashes, names), "renderers": names, "files": states,
            "incidents": len(site.incidents),
        }, rendering)  # fmt: skip
        return BuildResult(site, len(states), changes, len(site.incidents))

    def _save_cache(self, live: set | None, complete: bool) -> None:
        try:
            self.cache.table("incidents").save(live=live)
            cachemod.save_memos(self.cache, self.memos or {}, complete)
        except OSError as exc:  # a full disk or a read-only cache costs speed, never the build
            self.progress.stream.write(f"statusgen: warning: cannot write the build cache: {exc}\n")

    # ------------------------------------------------------------ load and validate

    def _load(self, hashes: dict[str, bytes]) -> tuple[Site, dict[int, bytes], dict[str, bytes]]:
        """The model; keys: id(incident) → a digest of what it was made from."""
        content = self.content
        problems: list[Diagnostic] = []
        data = read_bytes(content, content / "site.yaml", problems) if (content / "site.yaml").is_file() else None
        text = decode_text("site.yaml", data, problems) if data is not None else None
        node = parse_site(text, problems) if text is not None else None
        config = validate_site(node, problems) if node is not None else None
        if config is None or problems:
            load_site(content)  # reports every problem in every file, as a full load does
            raise ContentError(problems)  # pragma: no cover - load_site raised already
        site_key = hashlib.sha256(data).digest()  # type: ignore[arg-type]
        incident_paths, page_paths = source_files(content, problems)
        table = self.cache.table("incidents")
        results: dict[str, tuple[bytes | None, Incident | None, tuple[Diagnostic, ...]]] = {}
        entry_keys: dict[str, bytes] = {}  # rel → the cache key of what it was parsed from
        misses = []
        for rel in incident_paths:
            h = hashes.get("c/" + rel)
            hit = table.get(key := cachemod.digest(rel, h, site_key)) if h else None
            if hit is not None:
                results[rel] = (h, *hit)
                entry_keys[rel] = key
            else:
                misses.append(rel)
        with self.progress.phase("parsed", len(misses)) as phase:
            phase.note = f"{len(incident_paths) - len(misses):,} unchanged"
            jobs = self.jobs if len(misses) >= PARALLEL_PARSE_MIN else 1
            batches = parallel.chunks(misses, jobs * 8)
            parsed = parallel.map_tasks(
                lambda batch: _parse_batch(content, batch, config, site_key, as_bytes=jobs > 1), batches, jobs,
                lambda index: phase.advance(len(batches[index])),
            )
        hashes = dict(hashes)
        for batch, (batch_hashes, entries, blob, unread) in zip(batches, parsed):
            if blob is not None:
                entries = table.add_pickled(blob, entries)
            else:
                for key, entry in entries.items():
                    table.put(key, entry)
            for rel, h in zip(batch, batch_hashes):
                if h is None:
                    results[rel] = (None, None, unread[rel])
                    continue
                hashes["c/" + rel] = h  # what was parsed, even if the file changed since the scan
                entry_keys[rel] = key = cachemod.digest(rel, h, site_key)
                results[rel] = (h, *entries[key])
        incidents, keys = [], {}
        for rel in sorted(results):
            h, incident, found = results[rel]
            problems.extend(found)
            if incident is not None:
                incidents.append(incident)
                keys[id(incident)] = entry_keys[rel]
        pages = [p for rel in page_paths if (f := read_source(content, content / rel, problems))
                 and (p := validate_page(f, problems))]  # fmt: skip
        return assemble(config, incidents, pages, problems), keys, hashes

    # ------------------------------------------------------------ render

    def _render(
        self, site: Site, now: datetime, keys: dict[int, bytes], hashes: dict[str, bytes],
        record: dict | None, verified: dict[str, FileState], staging: publishmod.Staging,
    ) -> tuple[list[publishmod.Staged], dict[str, Any], set[str]]:  # fmt: skip
        """(staged outputs, what to record of them, paths kept from the previous build unchanged).

        Each task stages its own outputs, so no process holds the whole site's bytes."""
        # Not `now`: pages show what depends on it in their own `shows` (html.Pages.present).
        shared = cachemod.digest(
            *renderer_names(),
            *[part for name, h in sorted(hashes.items()) if not name.startswith("c/incidents/") for part in (name, h)],
        )  # fmt: skip
        theme = resolve_theme(self.content, site.theme)
        last = self.inputs.render_record() if record else {}
        previous = last.get("pages", {}) if last.get("shared") == shared else {}
        selector = Selector(keys, previous, verified)
        known = set(last.get("incident_keys", ())) if previous else set()
        fresh = sum(1 for i in site.incidents if keys.get(id(i)) not in known)
        # Feeds and the JSON API read every incident, so a large site renders in parallel even for
        # one edit; the HTML pages are split across workers only when many of them are to be rendered.
        jobs = self.jobs if len(site.incidents) >= PARALLEL_RENDER_MIN else 1
        shards = jobs if fresh >= PARALLEL_RENDER_MIN else 1
        tasks: list[tuple] = [("html", shard, shards) for shard in range(shards)]
        tasks += [("embed",)] + [("renderer", n) for n in range(len(RENDERERS))]
        took = last.get("seconds", {})
        # Longest first, so the processes finish together: as long as the last build's tasks took,
        # or as a first build's tasks usually compare (the HTML, then the JSON API, then the feeds).
        tasks.sort(key=lambda t: -took.get(_task_name(t), FIRST_GUESS.get(_task_name(t).split("/")[0], 0.0)))
        early = self.on_pages if jobs == 1 else None
        if early is not None:
            tasks.sort(key=lambda t: t[0] != "html")
        with self.progress.phase("rendered", len(tasks)) as phase:
            results = parallel.map_tasks(lambda task: _timed(task, site, now, theme, selector, staging, early),
                                         tasks, jobs, lambda index: phase.advance())  # fmt: skip
            outputs: list[publishmod.Staged] = []
            pages: dict[str, tuple[bytes, bytes]] = {}
            kept: set[str] = set()
            seconds: dict[str, float] = {}
            for task, (task_outputs, task_pages, task_kept, task_seconds) in zip(tasks, results):
                outputs.extend(task_outputs)
                pages.update(task_pages)
                kept |= task_kept
                seconds[_task_name(task)] = task_seconds
            phase.total = len(outputs) + len(kept)
            phase.note = f"{len(kept):,} pages unchanged"
        recorded = {"shared": shared, "pages": pages, "incident_keys": tuple(sorted(keys.values())), "seconds": seconds}
        return sorted(outputs), recorded, kept


@contextlib.contextmanager
def _gc_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _task_name(task: tuple) -> str:
    if task[0] == "renderer":
        r = RENDERERS[task[1]]
        return f"{r.__module__}.{r.__qualname__}"
    return "/".join(map(str, task))


def _timed(task: tuple, site: Site, now: datetime, theme: Theme, selector: "Selector", staging: publishmod.Staging,
           early: Callable[[list[Output]], None] | None = None):  # fmt: skip
    started = time.perf_counter()
    outputs, pages, kept = _render_task(task, site, now, theme, selector)
    if early is not None and task[0] == "html":
        early(outputs)
    return staging.stage(outputs), pages, kept, time.perf_counter() - started


class Selector:
    """Decides for html.Pages which pages to render: those whose inputs changed since the
    previous build (or that it did not write as recorded).

    A page's key is (a digest of what every page shows, a digest of what it shows itself); `previous`
    holds the previous build's keys only if everything the pages share was the same then (see _render)."""

    def __init__(self, keys: dict[int, bytes], previous: dict[str, tuple[bytes, bytes]],
                 verified: dict[str, FileState]):  # fmt: skip
        self.keys, self.previous, self.verified = keys, previous, verified
        self.pages: dict[str, tuple[bytes, bytes]] = {}
        self.kept: set[str] = set()
        self._first: object = None
        self._first_key: bytes | None = None

    def __call__(self, path: str, shows: tuple) -> bool:
        file = urls.file_for(path)
        first, rest = shows[0], shows[1:]
        if first is not self._first:  # what every page shows comes first: fingerprint it once
            parts = self._fingerprint(first, [])
            self._first, self._first_key = first, None if parts is None else cachemod.digest(*parts)
        if self._first_key is None:
            return True
        if len(rest) == 1 and isinstance(rest[0], Incident):  # an incident's page (most pages): its own digest
            own = self.keys.get(id(rest[0]))
        else:
            parts = self._fingerprint(rest, [])
            own = None if parts is None else cachemod.digest(*parts)
        if own is None:
            return True
        self.pages[file] = key = (self._first_key, own)
        if self.previous.get(file) == key and file in self.verified:
            self.kept.add(file)
            return False
        return True

    def _fingerprint(self, value: Any, parts: list) -> list | None:
        if isinstance(value, Incident):
            key = self.keys.get(id(value))
            if key is None:
                return None
            parts.append(key)
        elif isinstance(value, (tuple, list)):
            parts.append(b"(%d" % len(value))
            for item in value:
                if self._fingerprint(item, parts) is None:
                    return None
            parts.append(b")")
        else:
            text = repr(value)
            if " at 0x" in text:  # an object without a value repr: cannot be compared
                return None
            parts.append(text)
        return parts


def _render_task(task: tuple, site: Site, now: datetime, theme: Theme, selector: Selector):
    """One share of the rendering: (outputs, page keys, kept paths)."""
    if task[0] == "embed":
        return embed.render(site, now, theme), {}, set()
    if task[0] == "renderer":
        return RENDERERS[task[1]](site, now), {}, set()
    _, shard, shards = task
    selector.pages, selector.kept = {}, set()
    outputs = html.render(site, now, theme, select=selector, share=(shard, shards))
    return outputs, dict(selector.pages), set(selector.kept)


def _parse_batch(content: Path, batch: list[str], config: Site, site_key: bytes, as_bytes: bool):
    """Parse incident files: (sha256 of each file or None if unreadable, the cache entries of those
    read, those entries pickled or None, the problems of those not read).

    With as_bytes, the entries come pickled, as the cache saves them: a worker must pickle them to
    send them anyway (and then sends only the bytes), and the parent, parsing beside the workers,
    pickles its own then rather than at the end, when nothing else runs."""
    plain_folders: set[str] = set()
    parsed = [_parse_incident(content, rel, config, plain_folders) for rel in batch]
    entries = {cachemod.digest(rel, h, site_key): (incident, found)
               for rel, (h, incident, found) in zip(batch, parsed) if h is not None}  # fmt: skip
    unread = {rel: found for rel, (h, _incident, found) in zip(batch, parsed) if h is None}
    blob = cachemod.pickled(entries) if as_bytes else None
    return [h for h, _incident, _found in parsed], None if parallel.in_worker() else entries, blob, unread


def _parse_incident(
    content: Path, rel: str, config: Site, plain_folders: set[str]
) -> tuple[bytes | None, Incident | None, tuple]:
    """(sha256 of the bytes parsed, the incident or None, its problems) of one incident file
    (plain_folders: see load.read_listed).

    Also renders the Markdown its pages show into the build's memo (the workers that render
    pages then only look it up)."""
    problems: list[Diagnostic] = []
    data = read_listed(str(content), rel, problems, plain_folders)
    if data is None:
        return None, None, tuple(problems)
    text = decode_text(rel, data, problems)
    source = parse_source(rel, text, problems) if text is not None else None
    incident = validate_incident(source, config, problems) if source is not None else None
    if incident is not None:
        render_markdown(incident.summary)
        for update in incident.updates:
            render_markdown(html.shown_body(update))  # feeds show whole bodies, of the latest updates only
        for section in incident.sections:
            render_markdown(section.body)
    return hashlib.sha256(data).digest(), incident, tuple(problems)
