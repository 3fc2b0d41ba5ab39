"""Encodings and line endings as editors on every platform write them: UTF-8 with or without a BOM,
CRLF, CR and mixed endings build the same site; anything else is refused with the file and line."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sitekit import SITE_YAML, build, incident, make_repo

from statusgen.build import load_site
from statusgen.errors import ContentError

TITLE = "Zahlungen in Köln verzögert — 支付延迟 — Задержка"


def tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def write_site(tmp_path: Path, name: str, encode) -> Path:
    """A repo whose site.yaml and incident are written through encode(text) -> bytes."""
    content = make_repo(tmp_path / name)
    (content / "site.yaml").write_bytes(encode(SITE_YAML))
    (content / "incidents").mkdir()
    (content / "incidents" / "a.md").write_bytes(encode(incident(title=TITLE)))
    return content


def run_build(capsys, content: Path, out: Path) -> tuple[int, str]:
    capsys.readouterr()
    code = build(content, out)
    return code, capsys.readouterr().err


def errors(content: Path) -> str:
    """What `statusgen build` would print for the content (load and validate only: fast)."""
    try:
        load_site(content)
    except ContentError as exc:
        return "\n".join(d.format() for d in exc.diagnostics)
    return ""


ENCODINGS = {
    "bom": lambda t: b"\xef\xbb\xbf" + t.encode(),
    "crlf": lambda t: t.replace("\n", "\r\n").encode(),
    "cr": lambda t: t.replace("\n", "\r").encode(),
    "bom-crlf": lambda t: b"\xef\xbb\xbf" + t.replace("\n", "\r\n").encode(),
    "mixed": lambda t: "".join(
        line + ("\r\n", "\n", "\r")[n % 3] for n, line in enumerate(t.split("\n")[:-1])
    ).encode(),
}


@pytest.mark.parametrize("kind", sorted(ENCODINGS))
def test_bom_and_line_endings_give_the_same_model_as_plain_utf8(tmp_path, kind):
    """Rendering is a pure function of the model, so the same model means the same site."""
    plain = load_site(write_site(tmp_path, "lf", str.encode))
    assert load_site(write_site(tmp_path, kind, ENCODINGS[kind])) == plain
    assert plain.incidents[0].title == TITLE


def test_a_bom_and_crlf_build_the_same_bytes_as_plain_utf8(tmp_path, capsys):
    for kind, encode in [("lf", str.encode), ("bom-crlf", ENCODINGS["bom-crlf"])]:
        code, err = run_build(capsys, write_site(tmp_path, kind, encode), tmp_path / kind / "out")
        assert code == 0, err
    assert tree(tmp_path / "bom-crlf" / "out") == tree(tmp_path / "lf" / "out")
    page = (tmp_path / "lf" / "out" / "incidents" / "a" / "index.html").read_text(encoding="utf-8")
    assert TITLE in page and "\ufeff" not in page and "\r" not in page


def _line_with(data: bytes, needle: bytes) -> int:
    return data[: data.index(needle)].count(b"\n") + 1


@pytest.mark.parametrize(
    "name, encode, needle, message",
    [
        ("latin-1", lambda t: t.encode("latin-1", "replace"), b"K\xf6ln", "file is not UTF-8 (byte 0xf6)"),
        ("cp1252", lambda t: t.replace(TITLE, "Outage – 50%").encode("cp1252"), b"\x96", "file is not UTF-8 (byte 0x96)"),
        ("nul", lambda t: t.replace("Köln", "K\x00ln").encode(), b"\x00", "file contains a NUL byte"),
        ("utf-16", lambda t: t.encode("utf-16"), b"\xff\xfe", "file is not UTF-8 (byte 0xff)"),
        ("overlong", lambda t: t.replace("Köln", "K\udcc0\udcafln").encode("utf-8", "surrogateescape"), b"\xc0",
         "file is not UTF-8 (byte 0xc0)"),
        ("surrogate", lambda t: t.replace("Köln", "K\udced\udca0\udc80ln").encode("utf-8", "surrogateescape"),
         b"\xed\xa0", "file is not UTF-8 (byte 0xed)"),
    ],
)  # fmt: skip
def test_text_that_is_not_utf8_is_refused_with_its_line(tmp_path, name, encode, needle, message):
    content = make_repo(tmp_path, {"incidents/ok.md": incident()})
    data = encode(incident(title=TITLE))
    (content / "incidents" / "bad.md").write_bytes(data)
    err = errors(content)
    assert f"incidents/bad.md:{_line_with(data, needle)}: error: {message}" in err
    assert "hint:" in err


def test_a_nul_byte_with_crlf_endings_is_reported_on_the_right_line(tmp_path):
    text = incident(body="## 2026-11-20 14:12 +01:00 — Investigating\nFine.\n\nThen\x00 this.\n")
    content = make_repo(tmp_path)
    (content / "incidents").mkdir()
    (content / "incidents" / "a.md").write_bytes(text.replace("\n", "\r\n").encode())
    assert "incidents/a.md:11: error: file contains a NUL byte" in errors(content)


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_line_numbers_in_errors_do_not_depend_on_line_endings(tmp_path, ending):
    text = incident(impact="catastrophic", body="## 2026-11-20 14:12 +01:00 — Investigatin\nWe look.\n")
    content = make_repo(tmp_path)
    (content / "incidents").mkdir()
    (content / "incidents" / "a.md").write_bytes(text.replace("\n", ending).encode())
    err = errors(content)
    assert "incidents/a.md:3: error: 'impact' cannot be 'catastrophic'" in err
    assert "incidents/a.md:8: error: unknown stage 'Investigatin'" in err


def test_invisible_characters_in_keys_are_not_silently_ignored(tmp_path):
    text = incident().replace("impact:", "\u200bimpact:")
    content = make_repo(tmp_path, {"incidents/a.md": text})
    assert "unknown front matter key '\u200bimpact'" in errors(content)


def test_the_cli_reports_an_encoding_error_and_publishes_nothing(tmp_path, capsys):
    content = make_repo(tmp_path, {"incidents/ok.md": incident()})
    (content / "incidents" / "bad.md").write_bytes(incident(title=TITLE).encode("latin-1", "replace"))
    code, err = run_build(capsys, content, tmp_path / "out")
    assert code == 1 and "incidents/bad.md:2: error: file is not UTF-8 (byte 0xf6)" in err
    assert not (tmp_path / "out").exists()
