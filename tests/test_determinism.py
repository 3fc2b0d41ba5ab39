"""The same content gives byte-identical output whatever the machine: hash seed, time zone, locale,
the order files were created in, the folders incidents sit in and where the repo is checked out."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sitekit import NOW

REPO = Path(__file__).resolve().parent.parent


def tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def german_locale() -> dict[str, str]:
    """de_DE.UTF-8 (decimal comma, German month names), compiled once into test-artifacts/ if the
    machine has no such locale; C.UTF-8 where it cannot be made."""
    listed = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.lower()
    if "de_de.utf8" in listed:
        return {"LC_ALL": "de_DE.UTF-8"}
    folder = REPO / "test-artifacts" / "locale"
    if not (folder / "de_DE.UTF-8").is_dir() and shutil.which("localedef"):
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["localedef", "-i", "de_DE", "-f", "UTF-8", str(folder / "de_DE.UTF-8")], capture_output=True)
    if (folder / "de_DE.UTF-8").is_dir():
        return {"LC_ALL": "de_DE.UTF-8", "LOCPATH": str(folder)}
    return {"LC_ALL": "C.UTF-8"}


def copy_content(dest: Path, *, reverse: bool, regroup: bool) -> Path:
    """The example repo, written file by file in sorted or reverse order; with regroup, every
    incident moves to another folder (ids come from file names, so pages must not change)."""
    src = REPO / "content"
    files = sorted((p for p in src.rglob("*") if p.is_file()), reverse=reverse)
    for path in files:
        rel = path.relative_to(src)
        if regroup and rel.parts[0] == "incidents":
            rel = Path("incidents", "moved", *reversed(rel.parts[1:-1]), "x", rel.name)
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest / rel)
    return dest


def start_build(content: Path, out: Path, env: dict[str, str]) -> subprocess.Popen:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "TZ", "PYTHONHASHSEED"))}
    return subprocess.Popen(
        [sys.executable, "-m", "statusgen", "build", "--content", str(content), "--out", str(out), "--now", NOW, "-q"],
        env={**base, **env}, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_output_is_byte_identical_across_machines(tmp_path, german_locale):
    a = copy_content(tmp_path / "checkout-a" / "content", reverse=False, regroup=False)
    b = copy_content(tmp_path / "другая папка" / "content", reverse=True, regroup=True)
    builds = [
        start_build(a, tmp_path / "out-a", {"PYTHONHASHSEED": "0", "TZ": "UTC", "LC_ALL": "C.UTF-8"}),
        start_build(b, tmp_path / "out-b", {"PYTHONHASHSEED": "4242", "TZ": "Pacific/Chatham", "LANG": "tr_TR.UTF-8",
                                            **german_locale}),  # fmt: skip
    ]
    for process in builds:
        _, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
    first, second = tree(tmp_path / "out-a"), tree(tmp_path / "out-b")
    assert len(first) > 100
    assert sorted(set(first) ^ set(second)) == []
    assert [path for path in first if first[path] != second[path]] == []

