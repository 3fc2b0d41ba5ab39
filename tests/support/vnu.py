"""HTML and SVG validation with the Nu Html Checker (vnu.jar from tools/node_modules).

    errors = validate_html(sorted(site.rglob("*.html")))
    assert errors == [], format_errors(errors)

Each call starts one JVM (~2.5 s) for all the given files, so pass them all at
once. Every file is checked as HTML (or as SVG), whatever its extension; a
missing file raises FileNotFoundError (vnu.jar itself would silently pass it). Results are errors only (no warnings), as dicts with ``file``, ``line``,
``column`` and ``message`` (plus ``extract``, the offending source, when given).

If Java or vnu.jar is missing, tests are skipped with the reason, except under
CI (env CI set), where that is an error: install them with ``bash .ci/run``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn
from urllib.parse import unquote, urlsplit

import pytest

__all__ = ["VNU_JAR", "format_errors", "validate_html", "validate_svg"]

REPO_ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = REPO_ROOT / "tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
_CHUNK = 1000  # files per JVM run, to stay far below the OS argument-length limit


def _missing_tool(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error; `bash .ci/run` installs it)")
    pytest.skip(f"{reason}; run `bash .ci/run` to install it")


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        _missing_tool("java is not installed (needed for the Nu Html Checker)")
    if not VNU_JAR.is_file():
        _missing_tool(f"{VNU_JAR} is missing (npm ci in tools/)")
    return java


def _file_of(url: str) -> str:
    return unquote(urlsplit(url).path) if url.startswith("file:") else url


def _run(paths: list[Path], extra: list[str]) -> list[dict]:
    if not paths:
        return []
    # vnu.jar reports nothing (and exits 0) for a file that does not exist.
    absent = [str(p) for p in paths if not Path(p).is_file()]
    if absent:
        raise FileNotFoundError(f"cannot validate missing files: {absent[:10]}")
    java = _java()
    errors: list[dict] = []
    files = [str(Path(p).resolve()) for p in paths]
    for start in range(0, len(files), _CHUNK):
        cmd = [java, "-Xss8m", "-jar", str(VNU_JAR), "--errors-only", "--format", "json",
               "--stdout", *extra, *files[start:start + _CHUNK]]
        proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8")
        try:
            report = json.loads(proc.stdout)
        except json.JSONDecodeError:
            raise RuntimeError(
                f"vnu.jar exited {proc.returncode} without a JSON report:\n"
                f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
            ) from None
        for msg in report.get("messages", []):
            if msg.get("type") == "info":  # not shown with --errors-only, but be sure
                continue
            errors.append({
                "file": _file_of(msg.get("url", "?")),
                "line": msg.get("lastLine", msg.get("firstLine")),
                "column": msg.get("firstColumn", msg.get("lastColumn")),
                "message": msg.get("message", ""),
                "extract": msg.get("extract", ""),
            })
    return errors


def validate_html(paths: list[Path]) -> list[dict]:
    """Nu Html Checker errors for these HTML files ([] when all are valid)."""
    return _run(list(paths), [])


def validate_svg(paths: list[Path]) -> list[dict]:
    """Nu Html Checker errors for these SVG files ([] when all are valid)."""
    return _run(list(paths), ["--svg"])


def format_errors(errors: list[dict]) -> str:
    """One line per error, ``file:line:column: message``, for assertion messages."""
    return "\n".join(f"{e['file']}:{e['line']}:{e['column']}: {e['message']}" for e in errors)
