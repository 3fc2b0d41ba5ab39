"""`statusgen build` as a user runs it: output, errors, exit codes, and a published site never lost."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sitekit import NOW, build, incident, make_repo

from statusgen.publish import MARKER, PublishError, check_outputs

REPO = Path(__file__).resolve().parent.parent


def tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def run(*args, cwd=REPO, env=None):
    return subprocess.run(
        [sys.executable, "-m", "statusgen", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )


def test_example_site_builds_every_output(tmp_path):
    out = tmp_path / "public"
    result = run("build", "--content", "content", "--out", str(out), "--now", NOW)
    assert result.returncode == 0, result.stderr
    assert "Built" in result.stdout and str(out) in result.stdout
    for path in ["index.html", "404.html", "history/index.html", "sitemap.xml", "robots.txt", "feed.xml",
                 "feed.atom", "services/api/index.html", "services/api/feed.xml", "services/api/feed.atom"]:  # fmt: skip
        assert (out / path).is_file(), path
    assert len(list((out / "incidents").iterdir())) >= 25
    assert (out / MARKER).is_file()


def test_same_content_builds_byte_identical_output(tmp_path):
    env = dict(os.environ, PYTHONHASHSEED="random", TZ="America/Los_Angeles", LC_ALL="C.UTF-8")
    a = run("build", "--out", str(tmp_path / "a"), "--now", NOW, env=env)
    env["TZ"], env["PYTHONHASHSEED"] = "Asia/Tokyo", "12345"
    b = run("build", "--out", str(tmp_path / "b"), "--now", NOW, env=env)
    assert a.returncode == b.returncode == 0
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_source_date_epoch_sets_now(tmp_path):
    env = dict(os.environ, SOURCE_DATE_EPOCH="1795334400")  # 2026-11-22T08:00:00Z
    assert run("build", "--out", str(tmp_path / "a"), env=env).returncode == 0
    assert run("build", "--out", str(tmp_path / "b"), "--now", "2026-11-22T08:00:00Z").returncode == 0
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_content_errors_exit_1_list_all_and_keep_the_published_site(tmp_path):
    content = make_repo(tmp_path, {"incidents/a.md": incident()})
    out = tmp_path / "public"
    assert build(content, out) == 0
    before = tree(out)
    (content / "incidents" / "a.md").write_text(incident(services="[apii]", impact="huge"))
    (content / "incidents" / "b.md").write_text("---\ntitle: [broken\n---\n")
    result = run("build", "--content", str(content), "--out", str(out), "--now", NOW)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "incidents/a.md:3: error: 'impact' cannot be 'huge'" in result.stderr
    assert "incidents/a.md:4: error: unknown service 'apii'" in result.stderr
    assert "hint: did you mean 'api'?" in result.stderr
    assert "incidents/b.md:3: error: invalid YAML" in result.stderr
    assert "starts on line 2" in result.stderr
    assert "nothing was published" in result.stderr
    assert tree(out) == before


def test_a_crash_while_rendering_keeps_the_published_site(tmp_path, monkeypatch):
    content = make_repo(tmp_path, {"incidents/a.md": incident()})
    out = tmp_path / "public"
    assert build(content, out) == 0
    before = tree(out)

    def explode(site, now):
        raise RuntimeError("renderer bug")

    monkeypatch.setattr("statusgen.build.RENDERERS", (explode,))
    with pytest.raises(RuntimeError):
        build(content, out)
    assert tree(out) == before


def test_rebuild_reports_what_changed(tmp_path, capsys):
    content = make_repo(tmp_path, {"incidents/a.md": incident()})
    out = tmp_path / "public"
    assert run("build", "--content", str(content), "--out", str(out), "--now", NOW).returncode == 0
    again = run("build", "--content", str(content), "--out", str(out), "--now", NOW)
    assert "0 added, 0 changed, 0 removed" in again.stdout
    (content / "incidents" / "a.md").unlink()
    third = run("build", "--content", str(content), "--out", str(out), "--now", NOW)
    assert "removed" in third.stdout and not (out / "incidents" / "a").exists()


def test_refuses_to_replace_a_folder_it_did_not_make(tmp_path):
    content = make_repo(tmp_path)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    result = run("build", "--content", str(content), "--out", str(out), "--now", NOW)
    assert result.returncode == 1 and "not made by statusgen" in result.stderr
    assert (out / "thesis.tex").read_text() == "years of work"


@pytest.mark.parametrize("where", ["content", "content/public", "."])
def test_refuses_output_inside_or_around_content(tmp_path, where):
    content = make_repo(tmp_path)
    result = run("build", "--content", str(content), "--out", str(tmp_path / where), "--now", NOW)
    assert result.returncode == 1 and "outside the content folder" in result.stderr
    assert (content / "site.yaml").is_file()


@pytest.mark.parametrize("path", ["../escape.html", "/etc/passwd", "a/../../b", "a\\b", MARKER])
def test_outputs_cannot_leave_the_site(path):
    with pytest.raises(PublishError):
        check_outputs([(path, b"")])


def test_two_outputs_on_one_path_are_refused():
    with pytest.raises(PublishError, match="two outputs"):
        check_outputs([("a/index.html", b"1"), ("a/index.html", b"2")])


def test_help_reads_like_a_mature_tool():
    top = run("--help")
    assert top.returncode == 0 and "build" in top.stdout and "Exit status" in top.stdout
    sub = run("build", "--help")
    for option in ("--content", "--out", "--now"):
        assert option in sub.stdout
    assert run().returncode == 2  # no command: usage, not a traceback


def test_bad_now_is_a_clear_error(tmp_path):
    result = run("build", "--content", str(make_repo(tmp_path)), "--out", str(tmp_path / "o"), "--now", "soon")
    assert result.returncode == 1 and "cannot read 'soon'" in result.stderr and "Traceback" not in result.stderr


def test_console_script_is_installed():
    exe = Path(sys.executable).with_name("statusgen")
    result = subprocess.run([str(exe) if exe.exists() else "statusgen", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("statusgen ")


def test_an_update_written_ahead_appears_nowhere_until_its_time(tmp_path):
    body = (
        "## 2026-11-20 14:12 +01:00 — Investigating\nWe see elevated 5xx responses from the API.\n\n"
        "## 2026-11-20 16:00 +01:00 — Resolved\nWritten ahead: all fixed.\n"
    )
    content = make_repo(tmp_path, {"incidents/a.md": incident(resolved=None, body=body)})
    before, after = tmp_path / "before", tmp_path / "after"
    assert build(content, before, "2026-11-20T15:00:00+01:00") == 0
    assert build(content, after, "2026-11-20T16:00:00+01:00") == 0
    for name in ("incidents/a/index.html", "feed.xml", "feed.atom", "feed.json", "api/v2/incidents.json"):
        assert "Written ahead" not in (before / name).read_text(), name
        assert "Written ahead" in (after / name).read_text(), name
