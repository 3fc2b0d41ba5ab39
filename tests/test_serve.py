"""`statusgen serve` end to end, in a real browser: a saved edit shows up without reloading by
hand, a content error shows in the page (file, line, hint) over the last good site, and fixing
the file brings the page back. The reload script is only in what serve sends, never in files."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sitekit import NOW, incident, make_repo

from statusgen.cache import default_dir
from statusgen.serve import inject

REPO = Path(__file__).resolve().parent.parent
TIMEOUT_MS = 15_000  # generous: the machine running the tests may be busy


class Served:
    def __init__(self, content: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "statusgen", "serve", "--content", str(content), "--port", "0", "--now", NOW],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            self.lines.append(line)
            if line.startswith("Serving http://127.0.0.1:"):
                self.url = line.split()[1]
                return
        self.stop()
        pytest.fail("statusgen serve did not start:\n" + "".join(self.lines))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def served(tmp_path):
    content = make_repo(tmp_path, {"incidents/2026/a.md": incident("Elevated error rates on the Public API")})
    server = Served(content)
    yield content, server
    server.stop()


def test_edits_show_up_errors_show_in_the_page_and_it_recovers(served, browser):
    from playwright.sync_api import expect

    content, server = served
    source = content / "incidents/2026/a.md"
    page = browser.new_page()
    try:
        page.goto(server.url + "incidents/a/")
        heading = page.locator("h1")
        expect(heading).to_contain_text("Elevated error rates on the Public API")
        page.evaluate("window.__sameDocument = true")  # gone after any reload

        source.write_text(incident("Error rates on the Public API are back to normal"))
        expect(heading).to_contain_text("back to normal", timeout=TIMEOUT_MS)
        assert page.evaluate("window.__sameDocument === undefined")  # reloaded by itself

        source.write_text(incident("Error rates on the Public API are back to normal", impact="huge"))
        problems = page.locator("#statusgen-serve-problems")
        expect(problems).to_contain_text("incidents/2026/a.md:3", timeout=TIMEOUT_MS)
        expect(problems).to_contain_text("'impact' cannot be 'huge'")
        expect(problems).to_contain_text("hint:")
        expect(heading).to_contain_text("back to normal")  # the last good site is still there

        other = browser.new_page()  # a page opened while the content is broken shows the error too
        try:
            other.goto(server.url)
            expect(other.locator("#statusgen-serve-problems")).to_contain_text("a.md:3", timeout=TIMEOUT_MS)
        finally:
            other.close()

        source.write_text(incident("Error rates on the Public API are fine again"))
        expect(heading).to_contain_text("fine again", timeout=TIMEOUT_MS)
        expect(problems).to_have_count(0)
    finally:
        page.close()


def test_the_reload_script_is_only_in_what_serve_sends(served):
    from urllib.request import urlopen

    content, server = served
    sent = urlopen(server.url + "incidents/a/").read().decode()
    assert "/__statusgen/live.js" in sent
    built = default_dir(content) / "serve" / "site"
    pages = list(built.rglob("*.html"))
    assert pages and not any("__statusgen" in p.read_text() for p in pages)
    css = next(built.glob("assets/style.*.css")).relative_to(built).as_posix()
    assert "__statusgen" not in urlopen(server.url + css).read().decode()


def test_the_script_goes_before_the_end_of_the_body():
    html = b"<html><body><p>x</p></body>\n</html>\n"
    assert inject(html, 3) == (
        b'<html><body><p>x</p><script src="/__statusgen/live.js" data-generation="3" defer></script></body>\n</html>\n'
    )
