"""Incremental builds: whatever changed, a rebuild gives exactly the files a clean build gives,
writes only files whose bytes changed, and a lost or damaged cache only costs time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sitekit import NOW, SITE_YAML, build, incident, make_repo

from statusgen import build as build_module
from statusgen.cache import default_dir
from statusgen.theme import builtin_themes_dir

FILES = {
    "incidents/2026/a.md": incident("Elevated error rates on the Public API"),
    "incidents/2026/b.md": incident(
        "Dashboard slow to load", services="[dashboard]", impact="minor",
        started="2026-10-02 09:00 +02:00", resolved="2026-10-02 10:00 +02:00",
        body="## 2026-10-02 09:10 +02:00 — Investigating\nPages take 20 s to load.\n\n"
             "## 2026-10-02 10:00 +02:00 — Resolved\nA slow query was fixed.\n",
    ),
    "incidents/2025/c.md": incident(
        "Webhooks delayed", services="[webhooks]", impact="major",
        started="2025-03-04 11:00 +01:00", resolved="2025-03-04 12:30 +01:00",
        body="## 2025-03-04 11:05 +01:00 — Investigating\nDeliveries are late by up to *20 minutes*.\n\n"
             "## 2025-03-04 12:30 +01:00 — Resolved\nAll queued webhooks were delivered.\n",
    ),
    "incidents/2026/open.md": incident(
        "Login failures", services="[api]", impact="critical", started="2026-11-22 08:00 +01:00", resolved=None,
        body="## 2026-11-22 08:10 +01:00 — Investigating\nSome sign-ins fail.\nNext update in 30 minutes.\n",
    ),
    "pages/about.md": "---\ntitle: About\n---\nWho we are.\n",
}  # fmt: skip


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def clean_build(content: Path, tmp_path: Path, now: str = NOW) -> dict[str, bytes]:
    out = tmp_path / "clean"
    shutil.rmtree(out, ignore_errors=True)
    assert build(content, out, now, "--no-cache") == 0
    return tree(out)


@pytest.fixture
def site(tmp_path):
    """A content folder and its incremental output, built once (the cache is warm)."""
    content = make_repo(tmp_path, FILES)
    out = tmp_path / "public"
    assert build(content, out) == 0
    assert default_dir(content).is_dir()
    return content, out


def rebuild_matches_clean(content: Path, out: Path, tmp_path: Path, now: str = NOW) -> None:
    assert build(content, out, now) == 0
    incremental, clean = tree(out), clean_build(content, tmp_path, now)
    assert sorted(incremental) == sorted(clean)
    differing = [p for p in clean if incremental[p] != clean[p]]
    assert differing == []


def test_editing_an_incident_gives_the_clean_build(site, tmp_path):
    content, out = site
    path = content / "incidents/2026/b.md"
    path.write_text(path.read_text().replace("Pages take 20 s to load.", "Pages take **40 s** to load."))
    rebuild_matches_clean(content, out, tmp_path)
    assert "<strong>40 s</strong>" in (out / "incidents/b/index.html").read_text()


def test_editing_the_title_reaches_lists_and_feeds(site, tmp_path):
    content, out = site
    path = content / "incidents/2025/c.md"
    path.write_text(path.read_text().replace("title: Webhooks delayed", "title: Webhook deliveries delayed"))
    rebuild_matches_clean(content, out, tmp_path)
    assert "Webhook deliveries delayed" in (out / "history/2025/03/index.html").read_text()
    assert "Webhook deliveries delayed" in (out / "feed.xml").read_text()


def test_deleting_an_incident_gives_the_clean_build(site, tmp_path):
    content, out = site
    (content / "incidents/2025/c.md").unlink()
    rebuild_matches_clean(content, out, tmp_path)
    assert not (out / "incidents/c").exists()
    assert not (out / "history/2025").exists()


def test_renaming_an_incident_gives_the_clean_build(site, tmp_path):
    content, out = site
    (content / "incidents/2026/b.md").rename(content / "incidents/2026/dashboard-slow.md")
    rebuild_matches_clean(content, out, tmp_path)
    assert (out / "incidents/dashboard-slow/index.html").is_file()
    assert not (out / "incidents/b").exists()


def test_adding_an_incident_gives_the_clean_build(site, tmp_path):
    content, out = site
    (content / "incidents/2026/d.md").write_text(incident(
        "Payments declined", services="[api, webhooks]", impact="major",
        started="2026-06-01 10:00 +02:00", resolved="2026-06-01 10:40 +02:00",
    ))  # fmt: skip
    rebuild_matches_clean(content, out, tmp_path)


def test_a_theme_template_override_gives_the_clean_build(site, tmp_path):
    content, out = site
    default = (builtin_themes_dir() / "default" / "templates" / "incident.html").read_text()
    (content / "templates").mkdir()
    marker = "<p>Override from content/templates</p>"
    (content / "templates" / "incident.html").write_text(default.replace("{% block main %}", "{% block main %}" + marker, 1))
    rebuild_matches_clean(content, out, tmp_path)
    assert marker in (out / "incidents/c/index.html").read_text()
    # and taking the override away again
    shutil.rmtree(content / "templates")
    rebuild_matches_clean(content, out, tmp_path)
    assert marker not in (out / "incidents/c/index.html").read_text()


def test_a_static_file_override_gives_the_clean_build(site, tmp_path):
    content, out = site
    (content / "static").mkdir()
    (content / "static" / "style.css").write_text("body { color: rebeccapurple; }\n")
    rebuild_matches_clean(content, out, tmp_path)


def test_a_site_yaml_change_gives_the_clean_build(site, tmp_path):
    content, out = site
    (content / "site.yaml").write_text(
        SITE_YAML.replace("title: Test Status", "title: Renamed Status").replace("name: Dashboard", "name: Web app")
    )
    rebuild_matches_clean(content, out, tmp_path)
    assert "Web app" in (out / "incidents/b/index.html").read_text()
    (content / "site.yaml").write_text(SITE_YAML.replace("timezone: Europe/Berlin", "timezone: America/New_York"))
    rebuild_matches_clean(content, out, tmp_path)


def test_a_page_change_and_a_new_instant_give_the_clean_build(site, tmp_path):
    content, out = site
    (content / "pages/about.md").write_text("---\ntitle: About us\n---\nWho we are, really.\n")
    rebuild_matches_clean(content, out, tmp_path)
    rebuild_matches_clean(content, out, tmp_path, "2026-11-22T11:00:00+01:00")  # the open incident is overdue


def test_a_build_at_a_later_instant_rewrites_only_the_pages_about_the_present(site, tmp_path):
    """CI builds with the clock as --now: settled history (an incident closed and in the past, a
    month of them, the archive index, free pages) must not change with it, or every deploy would
    upload every page again. The status now, and when it was computed, is on the live pages."""
    content, out = site
    settled = ["incidents/c/index.html", "history/2025/03/index.html", "history/index.html", "about/index.html"]
    live = ["index.html", "services/api/index.html", "incidents/open/index.html", "history/2026/11/index.html"]
    before = {p: ((out / p).read_bytes(), os.stat(out / p).st_mtime_ns) for p in settled + live}
    later = "2026-11-22T11:00:00+01:00"  # two hours after NOW
    assert later > NOW and build(content, out, later) == 0
    after = {p: ((out / p).read_bytes(), os.stat(out / p).st_mtime_ns) for p in settled + live}
    assert [p for p in settled if after[p] != before[p]] == []
    assert [p for p in live if after[p][0] == before[p][0]] == []
    for p in settled:
        assert b"data-generated" not in after[p][0] and b"Page generated" not in after[p][0]
    assert b"Page generated" in after["index.html"][0]
    rebuild_matches_clean(content, out, tmp_path, later)


def test_a_rebuild_writes_json_again_only_for_the_incident_that_changed(site, tmp_path, monkeypatch):
    from statusgen import cache
    from statusgen.render import api

    content, out = site
    monkeypatch.setattr(cache, "RUN_LENGTH", 1)  # a run of one incident each (see cache.memoized_runs)
    later = "2026-11-22T09:30:00+01:00"  # no instant of the open incident passes: its JSON stays too
    assert build(content, out, later) == 0
    made: list[str] = []
    real = api.incident_parts
    monkeypatch.setattr(api, "incident_parts", lambda i, now, frame: made.append(i.id) or real(i, now, frame))
    path = content / "incidents/2026/b.md"
    path.write_text(path.read_text().replace("A slow query was fixed.", "A slow query was rewritten."))
    assert build(content, out, later) == 0
    assert made == ["b"]
    rebuild_matches_clean(content, out, tmp_path, later)
    assert "A slow query was rewritten." in (out / "api/v2/incidents/all.json").read_text()


def test_a_rebuild_writes_feed_entries_again_only_for_the_update_that_changed(site, tmp_path, monkeypatch):
    from statusgen.render import feeds

    content, out = site
    made: list[str] = []
    real = feeds.xml_pieces
    monkeypatch.setattr(feeds, "xml_pieces", lambda site, entries: made.extend(e.title for e in entries) or
                        real(site, entries))  # fmt: skip
    path = content / "incidents/2026/b.md"
    path.write_text(path.read_text().replace("A slow query was fixed.", "A slow query was rewritten."))
    assert build(content, out, "2026-11-22T09:30:00+01:00") == 0
    assert made == ["[Resolved] Dashboard: Dashboard slow to load"]
    assert "A slow query was rewritten." in (out / "feed.xml").read_text()
    rebuild_matches_clean(content, out, tmp_path, "2026-11-22T09:30:00+01:00")


def test_only_files_whose_bytes_changed_are_written(site):
    content, out = site
    untouched = out / "incidents/c/index.html"
    before = os.stat(untouched)
    path = content / "incidents/2026/b.md"
    path.write_text(path.read_text().replace("A slow query was fixed.", "A slow query was rewritten."))
    assert build(content, out) == 0
    after = os.stat(untouched)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert "rewritten" in (out / "incidents/b/index.html").read_text()


def test_a_rebuild_with_nothing_changed_writes_nothing(site, capsys):
    content, out = site
    stats = {p: os.stat(p).st_mtime_ns for p in out.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert build(content, out, NOW, "--quiet") == 0
    assert {p: os.stat(p).st_mtime_ns for p in out.rglob("*") if p.is_file()} == stats
    from statusgen.cli import main

    assert main(["build", "--content", str(content), "--out", str(out), "--now", NOW]) == 0
    assert "0 added, 0 changed, 0 removed" in capsys.readouterr().out


def test_a_rebuild_with_nothing_changed_loads_no_renderer(site):
    """A `statusgen build` with nothing to do (a scheduled rebuild, a CI re-run) answers from the
    last build's record: it imports neither the renderers nor the other commands."""
    content, out = site
    script = (
        "import sys; from statusgen.cli import main; "
        f"code = main(['build', '--content', {str(content)!r}, '--out', {str(out)!r}, '--now', {NOW!r}, '-q']); "
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] in "
        "('jinja2', 'markdown_it', 'feedgen', 'babel', 'yaml', 'watchdog') or m.startswith('statusgen.commands')))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "0 []", done.stderr


def test_every_command_is_registered_by_the_module_the_cli_names():
    """`statusgen <command>` imports only the module cli.COMMANDS names for it: that module must add
    exactly those commands, or a command would be missing from its own command line."""
    import argparse
    import importlib

    from statusgen.cli import COMMAND_MODULES, COMMANDS, make_parser

    for module in COMMAND_MODULES:
        subparsers = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module).register(subparsers)
        assert sorted(subparsers.choices) == sorted(c for c, m in COMMANDS.items() if m == module)
    for command in COMMANDS:
        (choices,) = [a.choices for a in make_parser(command)._actions if isinstance(a, argparse._SubParsersAction)]
        assert command in choices


def test_a_file_edited_or_deleted_in_the_output_is_written_again(site, tmp_path):
    content, out = site
    (out / "incidents/c/index.html").write_text("defaced")
    (out / "incidents/b/index.html").unlink()
    rebuild_matches_clean(content, out, tmp_path)


def test_the_cache_is_safe_to_delete(site, tmp_path):
    content, out = site
    shutil.rmtree(default_dir(content))
    path = content / "incidents/2026/a.md"
    path.write_text(path.read_text().replace("Rolling back.", "Rolled back."))
    rebuild_matches_clean(content, out, tmp_path)


def test_a_damaged_cache_is_ignored(site, tmp_path):
    content, out = site
    segments = sorted(default_dir(content).rglob("*.seg")) + sorted(default_dir(content).rglob("*.rec"))
    assert segments
    for n, path in enumerate(segments):
        data = bytearray(path.read_bytes())
        if n % 2:
            data[len(data) // 2] ^= 0xFF  # a flipped byte in the middle
            path.write_bytes(bytes(data))
        else:
            path.write_bytes(bytes(data[: len(data) // 3]))  # cut short
    (default_dir(content) / "v1" / "incidents" / "9-junk.seg").write_bytes(b"not a cache segment")
    path = content / "incidents/2026/b.md"
    path.write_text(path.read_text().replace("Pages take 20 s", "Pages take 30 s"))
    rebuild_matches_clean(content, out, tmp_path)
    assert not (default_dir(content) / "v1" / "incidents" / "9-junk.seg").exists()


def test_memo_tables_this_code_no_longer_has_are_removed(site, tmp_path):
    content, out = site
    gone = default_dir(content) / "v1" / "memo-markdown-html"  # as an older version left it
    gone.mkdir()
    (gone / "1-x.seg").write_bytes(b"old")
    path = content / "incidents/2026/b.md"
    path.write_text(path.read_text().replace("Pages take 20 s", "Pages take 30 s"))
    rebuild_matches_clean(content, out, tmp_path)
    assert not gone.exists()
    assert (default_dir(content) / "v1" / "memo-markdown").is_dir()


def test_a_cache_entry_made_by_other_code_is_never_used(site, tmp_path, monkeypatch):
    content, out = site
    # Same content, same paths, but a different salt (another statusgen version): nothing is reused.
    monkeypatch.setattr("statusgen.cache.code_salt", lambda: b"\x01" * 32)
    builder = build_module.Builder(content, out, build_module.cachemod.Cache(default_dir(content)))
    assert builder.cache.table("incidents").entries == {}
    result = builder.build(datetime.fromisoformat(NOW).astimezone(timezone.utc))
    assert result.site is not None and len(result.site.incidents) == 4
    assert tree(out) == clean_build(content, tmp_path)


def test_parallel_builds_give_the_same_files(tmp_path, monkeypatch):
    content = make_repo(tmp_path, FILES)
    monkeypatch.setattr(build_module, "PARALLEL_PARSE_MIN", 1)
    monkeypatch.setattr(build_module, "PARALLEL_RENDER_MIN", 1)
    now = datetime.fromisoformat(NOW).astimezone(timezone.utc)
    build_module.build(content, tmp_path / "parallel", now, jobs=2)
    assert tree(tmp_path / "parallel") == clean_build(content, tmp_path)
    # what the workers parsed is in the cache, for the next build to reuse
    assert len(build_module.cachemod.Cache(default_dir(content)).table("incidents").entries) == 4
    path = content / "incidents/2026/b.md"
    path.write_text(path.read_text().replace("slow query", "slow database query"))
    build_module.build(content, tmp_path / "parallel", now, jobs=2)
    assert tree(tmp_path / "parallel") == clean_build(content, tmp_path)


@pytest.mark.parametrize("shares", [2, 3, 5])
def test_pages_split_among_processes_are_each_rendered_once_as_a_whole_build_renders_them(shares):
    from sitebuilds import EXAMPLE_NOW, example_content

    from statusgen.render import html
    from statusgen.theme import resolve_theme

    site = build_module.load_site(example_content())
    now = datetime.fromisoformat(EXAMPLE_NOW)
    theme = resolve_theme(example_content(), site.theme)
    whole = html.render(site, now, theme)
    parts = [html.render(site, now, theme, share=(k, shares)) for k in range(shares)]
    assert sorted(p for part in parts for p in part) == sorted(whole)  # each page once, same bytes
    assert all(any(path.startswith("incidents/") for path, _ in part) for part in parts)  # all have work


def test_a_content_error_leaves_site_and_cache_usable(site, tmp_path):
    content, out = site
    before = tree(out)
    path = content / "incidents/2026/b.md"
    good = path.read_text()
    path.write_text(good.replace("impact: minor", "impact: huge"))
    assert build(content, out) == 1
    assert tree(out) == before
    path.write_text(good.replace("Pages take 20 s", "Pages take 25 s"))
    rebuild_matches_clean(content, out, tmp_path)


def test_an_interrupted_publish_is_finished_by_the_next_build(site, tmp_path, monkeypatch):
    content, out = site
    path = content / "incidents/2026/b.md"
    path.write_text(path.read_text().replace("Pages take 20 s", "Pages take 50 s"))
    from statusgen import publish

    real = publish._apply
    monkeypatch.setattr(publish, "_apply", lambda out_, staging: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        build_module.build(content, out, datetime.fromisoformat(NOW).astimezone(timezone.utc))
    assert (out.with_name(f".{out.name}.staging") / publish.JOURNAL).is_file()  # committed, not yet moved in
    monkeypatch.setattr(publish, "_apply", real)
    rebuild_matches_clean(content, out, tmp_path)
    assert not out.with_name(f".{out.name}.staging").exists()


class _Trap:
    """A pickle that creates a file when loaded: what a hostile cache file would do, less politely."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_cache_folder_that_came_with_the_repository_is_never_unpickled(site, tmp_path):
    """A pull request can add .statusgen-cache/ next to content/, with the right salt (statusgen's
    source is public), but not signed with this machine's key: it is dropped, never loaded."""
    from statusgen import cache

    content, out = site
    folder = default_dir(content)
    forged = cache._encode(b"an attacker's own key".ljust(32, b"!"), cache.code_salt(), {"x": _Trap(tmp_path / "pwned")})
    files = [*folder.rglob("*.seg"), *folder.rglob("*.rec"), *folder.rglob("*.jbc")]
    assert any(p.suffix == ".jbc" for p in files)  # compiled templates are cached (and signed) too
    for path in files:
        path.write_bytes(forged)
    path = content / "incidents/2026/b.md"
    path.write_text(path.read_text().replace("Pages take 20 s", "Pages take 35 s"))
    rebuild_matches_clean(content, out, tmp_path)
    assert not (tmp_path / "pwned").exists()
