"""Never lose a published page or an author's text: a build killed at any moment (SIGKILL, for real),
a full disk or a crash leaves a complete site that serves; `--out` never deletes what statusgen did
not make and never touches content/; `new`/`update`/`resolve` replace files atomically."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest
from sitekit import NOW, SITE_YAML, build, incident, make_repo

from statusgen.publish import MARKER

REPO = Path(__file__).resolve().parent.parent

# Runs statusgen's CLI in a real process after installing one hook that kills that process with
# SIGKILL at a chosen moment (so the kill is real and lands exactly where the test wants it):
#   stage N    - in the middle of writing the N-th output file (half its bytes are on disk)
#   replace N  - just before the N-th os.replace() that touches the site folder (SITE_DIR)
#   count      - no kill; print how many such os.replace() calls a build makes
HOOK = textwrap.dedent(
    """\
    import os, pathlib, signal, sys
    mode, n, site_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    seen = [0]
    def die():
        sys.stdout.flush(); sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "stage":
        import builtins
        real_open = builtins.open
        def hooked_open(file, mode="r", *args, **kwargs):
            f = real_open(file, mode, *args, **kwargs)
            if "w" in mode and "b" in mode and str(file).startswith(site_dir):
                seen[0] += 1
                if seen[0] == n:
                    class Dying:
                        def __enter__(self): return self
                        def __exit__(self, *exc): return False
                        def write(self, data):
                            f.write(bytes(data)[: len(data) // 2]); f.flush()
                            die()
                    return Dying()
            return f
        builtins.open = hooked_open
    else:
        replace = os.replace
        def hooked_replace(src, dst, *a, **k):
            if str(src).startswith(site_dir) or str(dst).startswith(site_dir):
                seen[0] += 1
                if mode == "replace" and seen[0] == n:
                    die()
            return replace(src, dst, *a, **k)
        os.replace = hooked_replace
    from statusgen.cli import main
    code = main(sys.argv[4:])
    if mode == "count":
        print("replace-calls", seen[0])
    sys.exit(code)
    """
)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def digest(files: dict[str, bytes]) -> dict[str, str]:
    return {k: hashlib.sha256(v).hexdigest()[:16] for k, v in files.items()}


def statusgen(content: Path, out: Path, hook: tuple[str, int] = ("count", 0)) -> subprocess.CompletedProcess:
    args = ["build", "--content", str(content), "--out", str(out), "--now", NOW, "--quiet"]
    site_dir = str(out.parent) + os.sep
    return subprocess.run(
        [sys.executable, "-c", HOOK, hook[0], str(hook[1]), site_dir, *args],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip


def repo(tmp_path: Path, title: str, incidents: int = 12) -> Path:
    """A status repo in tmp_path/<title>/content; its cache (if any) stays beside it, not in site/."""
    files = {
        f"incidents/2026/i{n:02d}.md": incident(
            title=f"{title} incident {n}", started=f"2026-10-{n + 1:02d} 10:00 +01:00",
            resolved=f"2026-10-{n + 1:02d} 11:00 +01:00", body="## 2026-10-01 10:00 +01:00 — Investigating\nLooking.\n",
        )
        for n in range(incidents)
    }  # fmt: skip
    return make_repo(tmp_path / title, files, site_yaml=SITE_YAML.replace("Test Status", f"{title} Status"))


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """Two versions of a site (every page differs) and what a clean build makes of each."""
    tmp = tmp_path_factory.mktemp("versions")
    old, new = repo(tmp, "Old"), repo(tmp, "New")
    clean = {}
    for name, content in (("old", old), ("new", new)):
        assert build(content, tmp / "clean" / name) == 0
        clean[name] = tree(tmp / "clean" / name)
    assert set(clean["old"]) == set(clean["new"]) and clean["old"]["index.html"] != clean["new"]["index.html"]
    return old, new, clean


def published(tmp_path: Path, old: Path) -> Path:
    out = tmp_path / "site" / "public"
    assert build(old, out) == 0
    return out


def assert_serves(out: Path, expected: dict[str, bytes]) -> None:
    """Every page and file of the site is there, whole, over HTTP."""
    from tests.support.server import serve_directory

    with serve_directory(out) as base:
        for path in ["", "incidents/i03/", "history/", "feed.xml", "api/v2/summary.json"]:
            with urllib.request.urlopen(base + path, timeout=10) as response:
                body = response.read()
            assert body == expected[(path + "index.html") if path.endswith("/") or not path else path], path


@pytest.mark.parametrize("nth", [5])
def test_a_build_killed_while_writing_leaves_the_previous_site_complete(tmp_path, sites, nth):
    old, new, clean = sites
    out = published(tmp_path, old)
    result = statusgen(new, out, ("stage", nth))
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert tree(out) == tree(tmp_path / "site" / "public") == clean["old"] | {MARKER: tree(out)[MARKER]}
    assert_serves(out, clean["old"])
    assert build(new, out) == 0  # the next build cleans up and publishes
    assert digest(tree(out)) == digest(clean["new"] | {MARKER: tree(out)[MARKER]})
    assert [p.name for p in out.parent.iterdir()] == ["public"]


@pytest.fixture(scope="module")
def renames(tmp_path_factory, sites) -> int:
    """How many renames in the site folder a rebuild with changed pages makes."""
    old, new, _ = sites
    out = tmp_path_factory.mktemp("count") / "site" / "public"
    assert build(old, out) == 0
    counted = statusgen(new, out)
    assert counted.returncode == 0, counted.stderr
    return int(counted.stdout.split("replace-calls")[1])


@pytest.mark.parametrize("when", ["middle", "last"])
def test_a_build_killed_while_moving_the_new_site_in_leaves_whole_files_and_recovers(tmp_path, sites, renames, when):
    old, new, clean = sites
    out = published(tmp_path, old)
    assert renames >= 1
    result = statusgen(new, out, ("replace", {"first": 1, "middle": (renames + 1) // 2, "last": renames}[when]))
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert out.is_dir(), "the site folder is missing: a reader would get 404s until the next build"
    for path, data in tree(out).items():
        assert path == MARKER or data in (clean["old"].get(path), clean["new"].get(path)), f"{path} is half written"
    assert build(new, out) == 0
    assert digest(tree(out)) == digest(clean["new"] | {MARKER: tree(out)[MARKER]})


def test_an_exception_during_a_build_leaves_the_previous_site(tmp_path, sites, monkeypatch):
    old, new, clean = sites
    out = published(tmp_path, old)
    from statusgen.render import feeds

    def broken(site, now):
        raise RuntimeError("a renderer bug")

    monkeypatch.setattr(feeds, "render", broken)
    monkeypatch.setattr("statusgen.build.RENDERERS", (broken,))
    with pytest.raises(RuntimeError):
        build(new, out, NOW, "--jobs", "1", "--no-cache")
    assert tree(out) == clean["old"] | {MARKER: tree(out)[MARKER]}


# ---------------------------------------------------------------- a full disk

DISK_FULL = textwrap.dedent(
    """\
    import json, os, subprocess, sys
    from pathlib import Path
    mount, old, new = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    from statusgen.cli import main
    def snapshot():
        return {p.relative_to(out).as_posix(): p.read_bytes().hex() for p in sorted(out.rglob("*")) if p.is_file()}
    out = mount / "public"
    result = {"first": main(["build", "--content", str(old), "--out", str(out), "--now", sys.argv[4], "-q"])}
    before = snapshot()
    free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
    with open(mount / "filler", "wb") as f:  # leave 48 KiB: too little for the changed pages
        f.write(b"x" * (free - 48 * 1024))
    import io, contextlib
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            result["full"] = main(["build", "--content", str(new), "--out", str(out), "--now", sys.argv[4], "-q"])
        except BaseException as exc:
            result["full"] = "raised " + type(exc).__name__ + ": " + str(exc)
    result["stderr"] = err.getvalue()
    result["unchanged"] = snapshot() == before
    result["left_over"] = sorted(p.name for p in mount.iterdir() if p.name not in ("public", "filler"))
    os.unlink(mount / "filler")
    result["after"] = main(["build", "--content", str(new), "--out", str(out), "--now", sys.argv[4], "-q"])
    result["left_after"] = sorted(p.name for p in mount.iterdir() if p.name != "public")
    print(json.dumps(result))
    """
)


def test_a_full_disk_fails_the_build_clearly_and_keeps_the_previous_site(tmp_path, sites):
    """On a real 4 MiB tmpfs, in a private mount namespace (root or a user namespace: no cleanup)."""
    old, new, _ = sites
    if not shutil.which("unshare") or subprocess.run(["unshare", "-Urm", "true"], capture_output=True).returncode:
        pytest.skip("cannot make a mount namespace here (unshare -Urm)")
    (tmp_path / "mnt").mkdir()
    result = subprocess.run(
        ["unshare", "-Urm", sys.executable, "-c", DISK_FULL, str(tmp_path / "mnt"), str(old), str(new), NOW],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["first"] == 0
    assert report["full"] == 1, {k: report[k] for k in ("full", "unchanged", "left_over", "stderr")}
    assert "No space left on device" in report["stderr"] and "Traceback" not in report["stderr"], report["stderr"]
    assert report["unchanged"], "the published site changed during a failed build"
    # What the failed build staged may stay on the disk until the next build removes it first.
    assert report["left_over"] in ([], [".public.staging"])
    assert report["after"] == 0 and report["left_after"] == []


# ---------------------------------------------------------------- --out never deletes what it did not make


@pytest.mark.parametrize("existing", ["notes.txt", ".git/HEAD", "sub/deep/file.md"])
def test_out_refuses_a_folder_statusgen_did_not_make(tmp_path, capsys, existing):
    content = make_repo(tmp_path, {"incidents/a.md": incident()})
    out = tmp_path / "mine"
    (out / existing).parent.mkdir(parents=True, exist_ok=True)
    (out / existing).write_text("precious")
    code = build(content, out)
    assert code == 1 and "was not made by statusgen" in capsys.readouterr().err
    assert tree(out) == {existing: b"precious"}


def test_out_that_is_a_file_is_refused_and_kept(tmp_path, capsys):
    content = make_repo(tmp_path, {"incidents/a.md": incident()})
    (tmp_path / "out").write_text("precious")
    assert build(content, tmp_path / "out") == 1
    assert (tmp_path / "out").read_text() == "precious"


def test_a_build_never_writes_into_the_content_folder(tmp_path):
    content = make_repo(tmp_path, {"incidents/a.md": incident(), "pages/about.md": "---\ntitle: About\n---\nHi.\n"})
    before = tree(content)
    mtimes = {p: p.stat().st_mtime_ns for p in content.rglob("*")}
    assert build(content, tmp_path / "out") == 0
    assert build(content, tmp_path / "out") == 0
    assert tree(content) == before
    assert {p: p.stat().st_mtime_ns for p in content.rglob("*")} == mtimes


# ---------------------------------------------------------------- editing commands


def edit_command(content: Path, *args: str, hook: tuple[str, int] | None = None) -> subprocess.CompletedProcess:
    mode, n = hook or ("count", 0)
    return subprocess.run(
        [sys.executable, "-c", HOOK, mode, str(n), str(content) + os.sep, *args, "--content", str(content), "--now", NOW],
        capture_output=True, text=True, timeout=60, cwd=REPO,
    )  # fmt: skip


@pytest.mark.skipif(not (REPO / "statusgen" / "edit.py").is_file(), reason="no editing commands")
def test_an_update_killed_before_its_file_is_replaced_leaves_the_old_file_whole(tmp_path):
    text = incident(resolved=None).replace("\n", "\r\n")  # CRLF, as a Windows editor saved it
    content = make_repo(tmp_path)
    (content / "incidents").mkdir()
    path = content / "incidents" / "a.md"
    path.write_bytes(text.encode())
    killed = edit_command(content, "update", "a", "monitoring", "A fix is rolled out.", hook=("replace", 1))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert path.read_bytes() == text.encode()
    assert load_ok(content)  # a temp file left behind by the kill is hidden from the build
    done = edit_command(content, "update", "a", "monitoring", "A fix is rolled out.")
    assert done.returncode == 0, done.stderr
    new = path.read_bytes()
    assert new.startswith(text.encode()[: text.index("## ")]) and b"A fix is rolled out." in new
    assert text.encode().replace(b"\r\n", b"\n").split(b"\n---\n")[1].strip() in new.replace(b"\r\n", b"\n")


@pytest.mark.skipif(not (REPO / "statusgen" / "edit.py").is_file(), reason="no editing commands")
def test_editing_a_broken_file_never_loses_the_authors_text(tmp_path):
    broken = "---\ntitle: Half written\nimpact: [unclosed\nservices: [api]\n---\nMy notes, not saved anywhere else.\n"
    content = make_repo(tmp_path, {"incidents/a.md": broken})
    for args in (["update", "a", "identified", "Found it."], ["resolve", "a"]):
        result = edit_command(content, *args)
        after = (content / "incidents" / "a.md").read_text()
        assert "My notes, not saved anywhere else." in after and "title: Half written" in after, (args, result.stderr)
        assert result.returncode != 0 or "Found it." in after or "resolved" in after.lower()
    assert sorted(p.name for p in (content / "incidents").iterdir()) == ["a.md"]


def load_ok(content: Path) -> bool:
    from statusgen.build import load_site

    return len(load_site(content).incidents) == 1
