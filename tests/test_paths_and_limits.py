"""Hostile paths and oversized content: refused with an error naming the file, the line and the limit,
in bounded time and memory; nothing is ever read from, or written to, outside the two folders."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sitekit import NOW, SITE_YAML, build, incident, make_repo

from statusgen.load import MAX_FILE_BYTES, MAX_LINES, MAX_OPEN_BRACKETS
from statusgen.yamlnodes import MAX_DEPTH, MAX_NODES

REPO = Path(__file__).resolve().parent.parent
SECRET = "TOP-SECRET-4b1d"  # planted outside the content folder; must never reach the output


def run_build(capsys, content: Path, out: Path) -> tuple[int, str]:
    capsys.readouterr()
    code = build(content, out)
    return code, capsys.readouterr().err


def published_text(out: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in sorted(out.rglob("*")) if p.is_file())


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the content folder, with files an attacker would like to publish."""
    folder = tmp_path / "outside"
    (folder / "incidents").mkdir(parents=True)
    (folder / "secret.md").write_text(incident(title=SECRET), encoding="utf-8")
    (folder / "incidents" / "leak.md").write_text(incident(title=SECRET), encoding="utf-8")
    (folder / "site.yaml").write_text(SITE_YAML.replace("Test Status", SECRET), encoding="utf-8")
    (folder / "secret.txt").write_text(SECRET, encoding="utf-8")
    return folder


# ---------------------------------------------------------------- ids and names


@pytest.mark.parametrize(
    "bad_id",
    ["../../etc/passwd", "/etc/passwd", "..", "a/b", "a\\\\b", "Outage", "api\u200b", "\u0430pi", "a" * 101, "-a"],
    ids=["dotdot", "absolute", "parent", "slash", "backslash", "upper", "zero-width", "homoglyph", "long", "dash"],
)
def test_incident_ids_that_escape_or_spoof_are_refused(tmp_path, capsys, bad_id):
    content = make_repo(tmp_path, {"incidents/ok.md": incident(extra=f'id: "{bad_id}"\n')})
    code, err = run_build(capsys, content, tmp_path / "out")
    assert code == 1
    assert "incidents/ok.md:7: error: 'id':" in err and "is not a valid id" in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "etc").exists()


@pytest.mark.parametrize(
    "bad_id", ["../x", "/abs", "API", "\u0430pi", "api\u200b", "a b"], ids=["dotdot", "abs", "upper", "homoglyph", "zw", "space"]
)
def test_service_ids_that_escape_or_spoof_are_refused(tmp_path, capsys, bad_id):
    content = make_repo(tmp_path, site_yaml=SITE_YAML.replace("id: webhooks", f'id: "{bad_id}"'))
    code, err = run_build(capsys, content, tmp_path / "out")
    assert code == 1 and "site.yaml:" in err and "is not a valid id" in err


def test_a_homoglyph_of_a_known_service_in_an_incident_is_an_unknown_service(tmp_path, capsys):
    content = make_repo(tmp_path, {"incidents/a.md": incident(services="[\u0430pi]")})  # Cyrillic a
    code, err = run_build(capsys, content, tmp_path / "out")
    assert code == 1 and "incidents/a.md:4: error: unknown service '\u0430pi'" in err and "did you mean 'api'" in err


@pytest.mark.parametrize(
    "name", ["Big Outage.md", "outage\n.md", "caf\u00e9.md", "a\u202egpj.md", "-x.md"],
    ids=["space", "trailing-newline", "accent", "rtl-override", "leading-dash"],
)
def test_file_names_that_cannot_be_urls_are_refused(tmp_path, capsys, name):
    content = make_repo(tmp_path, {f"incidents/{name}": incident()})
    code, err = run_build(capsys, content, tmp_path / "out")
    assert code == 1 and "cannot be an id" in err
    assert not (tmp_path / "out").exists()


def test_a_file_name_that_is_not_utf8_is_reported_not_a_crash(tmp_path, capsys):
    content = make_repo(tmp_path)
    (content / "incidents").mkdir()
    with open(os.fsencode(content / "incidents") + b"/caf\xe9.md", "wb") as f:  # Latin-1 é: not UTF-8
        f.write(incident().encode())
    code, err = run_build(capsys, content, tmp_path / "out")
    assert code == 1 and "incidents/caf\ufffd.md: error: file name is not UTF-8" in err


@pytest.mark.parametrize("slug", ["api", "assets", "incidents", "services", "history", "feed", "404", "index", "badges"])
def test_pages_cannot_take_the_urls_of_generated_outputs(tmp_path, capsys, slug):
    content = make_repo(tmp_path, {f"pages/{slug}.md": "---\ntitle: Mine now\n---\nHello.\n"})
    code, err = run_build(capsys, content, tmp_path / "out")
    assert code == 1 and f"pages/{slug}.md:1: error: page name '{slug}' is taken by a generated page" in err


@pytest.mark.parametrize("theme", ["../../etc", "/etc", "default/../../x"])
def test_theme_names_cannot_leave_the_themes_folder(tmp_path, capsys, theme):
    content = make_repo(tmp_path, site_yaml=SITE_YAML + f'theme: "{theme}"\n')
    code, err = run_build(capsys, content, tmp_path / "out")
    assert code == 1 and "site.yaml:" in err and "must be a folder name under themes/" in err


# ---------------------------------------------------------------- symbolic links


def test_symlinked_incident_file_pointing_outside_is_refused(tmp_path, capsys, outside):
    content = make_repo(tmp_path, {"incidents/a.md": incident()})
    (content / "incidents" / "b.md").symlink_to(outside / "secret.md")
    code, err = run_build(capsys, content, tmp_path / "out")
    assert code == 1 and "incidents/b.md: error: symbolic link points outside the content folder" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "link, target",
    [("incidents/2026", "incidents"), ("incidents", "incidents"), ("pages", "incidents"), ("site.yaml", "site.yaml")],
    ids=["incident-subfolder", "incidents-folder", "pages-folder", "site-yaml"],
)
def test_symlinked_folders_and_site_yaml_pointing_outside_are_refused(tmp_path, capsys, outside, link, target):
    content = make_repo(tmp_path, {"incidents/a.md": incident()} if link != "incidents" else {})
    if link == "site.yaml":
        (content / "site.yaml").unlink()
    (content / link).symlink_to(outside / target)
    code, err = run_build(capsys, content, tmp_path / "out")
    assert code == 1 and "symbolic link points outside the content folder" in err
    assert SECRET not in err.replace(str(tmp_path), "")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("folder", ["static", "templates"])
def test_theme_overrides_cannot_link_to_files_outside(tmp_path, capsys, outside, folder):
    content = make_repo(tmp_path, {"incidents/a.md": incident()})
    (content / folder).mkdir()
    (content / folder / ("secret.txt" if folder == "static" else "page.html")).symlink_to(outside / "secret.txt")
    code, err = run_build(capsys, content, tmp_path / "out")
    assert code == 1 and f"{folder}/" in err and "symbolic link points outside the content folder" in err
    assert not (tmp_path / "out").exists() or SECRET not in published_text(tmp_path / "out")


def test_symlink_loops_and_dangling_links_are_reported(tmp_path, capsys):
    content = make_repo(tmp_path, {"incidents/a.md": incident()})
    (content / "incidents" / "loop.md").symlink_to("loop.md")
    (content / "incidents" / "gone.md").symlink_to("nowhere.md")
    code, err = run_build(capsys, content, tmp_path / "out")
    assert code == 1
    assert "incidents/loop.md: error:" in err and "incidents/gone.md: error: cannot read file" in err


def test_symlinks_that_stay_inside_the_content_folder_work(tmp_path, capsys):
    content = make_repo(tmp_path, {"shared/a.md": incident(title="Linked inside")})
    (content / "incidents").mkdir()
    (content / "incidents" / "a.md").symlink_to("../shared/a.md")
    code, err = run_build(capsys, content, tmp_path / "out")
    assert code == 0, err
    assert "Linked inside" in (tmp_path / "out" / "incidents" / "a" / "index.html").read_text()


# ---------------------------------------------------------------- the output folder


@pytest.mark.parametrize("where", ["equal", "inside", "contains"])
def test_output_folder_must_be_apart_from_the_content_folder(tmp_path, capsys, where):
    content = make_repo(tmp_path / "repo", {"incidents/a.md": incident()})
    out = {"equal": content, "inside": content / "public", "contains": tmp_path}[where]
    before = {p: p.read_bytes() for p in content.rglob("*") if p.is_file()}
    code, err = run_build(capsys, content, out)
    assert code == 1 and "must be outside the content folder" in err
    assert {p: p.read_bytes() for p in content.rglob("*") if p.is_file()} == before
    assert not list(tmp_path.rglob("index.html"))


def test_output_folder_reached_through_a_symlink_into_content_is_refused(tmp_path, capsys):
    content = make_repo(tmp_path, {"incidents/a.md": incident()})
    (tmp_path / "public").symlink_to(content / "incidents")
    code, err = run_build(capsys, content, tmp_path / "public")
    assert code == 1 and "must be outside the content folder" in err
    assert sorted(p.name for p in (content / "incidents").iterdir()) == ["a.md"]


# ---------------------------------------------------------------- resource limits


def _alias_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, 10):
        prev, cur = chr(ord("a") + n - 1), chr(ord("a") + n)
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\n"


HOSTILE_FILES: dict[str, tuple[str | bytes, str]] = {
    # file: (content, the error message it must get)
    "incidents/alias-bomb.md": ("---\n" + _alias_bomb() + "title: x\n---\n", f"more than {MAX_NODES} values"),
    "incidents/deep-flow.md": ("---\ntitle: " + "[" * 1_900 + "\n---\n", f"nested deeper than {MAX_DEPTH} levels"),
    "incidents/deep-block.md": ("---\ntitle:\n" + "- " * 100_000 + "x\n---\n", f"nested deeper than {MAX_DEPTH} levels"),
    "incidents/deep-map.md": ("---\nt: " + "{a: " * 60_000 + "\n---\n", f"nested deeper than {MAX_DEPTH} levels"),
    "incidents/fifty-mb.md": (b"---\ntitle: big\n---\n" + b"x" * (50 * 1024 * 1024), f"the limit is {MAX_FILE_BYTES:,}"),
    "incidents/million-lines.md": ("---\ntitle: long\n---\n" + "a\n" * 1_000_000, f"the limit is {MAX_FILE_BYTES:,}"),
    "incidents/many-lines.md": ("---\ntitle: long\n---\n" + "a\n" * 100_000, f"the limit is {MAX_LINES:,}"),
    "incidents/brackets.md": ("---\ntitle: b\n---\n" + "![" * 60_000, f"the limit is {MAX_OPEN_BRACKETS:,}"),
    "pages/about.md": ("---\ntitle: About\n---\n" + "[" * 100_000 + "]" * 100_000, f"the limit is {MAX_OPEN_BRACKETS:,}"),
}


def test_resource_abuse_is_refused_fast_in_bounded_memory_with_errors_naming_each_limit(tmp_path):
    """One real `statusgen build` process over every kind of abuse at once."""
    content = make_repo(tmp_path, {"incidents/ok.md": incident()})
    for rel, (data, _) in HOSTILE_FILES.items():
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    script = (
        "import resource, sys\nfrom statusgen.cli import main\ncode = main(sys.argv[1:])\n"
        "print('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\nsys.exit(code)\n"
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", script, "build", "--content", str(content), "--out", str(tmp_path / "out"),
         "--now", NOW, "--jobs", "1", "--no-cache"],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    took = time.monotonic() - started
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    for rel, (_, message) in HOSTILE_FILES.items():
        lines = [line for line in result.stderr.splitlines() if line.startswith(rel + ":")]
        assert lines and message in lines[0], (rel, lines, message)
    assert not (tmp_path / "out").exists()
    maxrss_mb = int(re.search(r"maxrss (\d+)", result.stderr)[1]) / 1024
    assert maxrss_mb < 400, f"peak memory {maxrss_mb:.0f} MB"
    assert took < 20, f"took {took:.1f} s"


def test_limits_leave_room_for_real_incidents():
    """The example repo's largest file is far below every limit (so the limits never bite real work)."""
    files = list((REPO / "content").rglob("*.md"))
    assert max(p.stat().st_size for p in files) * 20 < MAX_FILE_BYTES
    assert max(p.read_text().count("\n") for p in files) * 20 < MAX_LINES
    assert max(p.read_text().count("[") for p in files) * 20 < MAX_OPEN_BRACKETS


def test_thousands_of_updates_build_in_bounded_time(tmp_path, capsys):
    updates = 1000  # 2 lines each: MAX_LINES allows ~5,000 in one file, ~5x the time measured here
    body = "".join(
        f"## 2026-11-{20 + n // 1440:02d} {n % 1440 // 60:02d}:{n % 60:02d} +01:00 — Update\nStill working on it ({n}).\n\n"
        for n in range(updates)
    )
    content = make_repo(tmp_path, {"incidents/long.md": incident(resolved=None, body=body, started="2026-11-20 00:00 +01:00")})
    started = time.monotonic()
    code, err = run_build(capsys, content, tmp_path / "out")
    took = time.monotonic() - started
    assert code == 0, err
    page = (tmp_path / "out" / "incidents" / "long" / "index.html").read_text()
    assert page.count('class="update ') == updates
    assert took < 15, f"{updates} updates took {took:.1f} s"
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert usage < 600, f"peak memory {usage:.0f} MB"


def test_the_readme_documents_the_limits_that_are_enforced():
    section = (REPO / "README.md").read_text().split("## Security model")[1].split("<!-- section:")[0]
    for text in [f"{MAX_FILE_BYTES // 1024} KiB", f"{MAX_LINES:,} lines", f"{MAX_OPEN_BRACKETS:,} `[`",
                 f"{MAX_NODES:,} values", f"{MAX_DEPTH} levels"]:  # fmt: skip
        assert text in section, text
