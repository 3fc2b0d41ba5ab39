"""A stranger's pull request puts script payloads in every field and body of a status repo. The site
published from it must never run them: no output has a script, event handler or javascript: link
of the content's making; XML stays well-formed, JSON valid, calendars parse; and every hostile title
still reads exactly as written (escaped, never dropped, never breaking a file).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import icalendar
import pytest
import vobject
from lxml import etree
from sitekit import NOW, build, make_repo

from statusgen.build import load_site
from statusgen.errors import ContentError

CANARY = "window.__pwned=1"
# One line, under 300 characters: quotes, tags, a script end, a CDATA end, Jinja syntax, entities,
# an RLM mark, a zero-width space, a Cyrillic homoglyph and control characters.
TITLE = (
    "Checkout \"down\" 'again' <script>window.__pwned=1</script><img src=x onerror=window.__pwned=1>"
    "</title></script></textarea>]]><![CDATA[x]]> {{ 7*7 }} {% raw %} &amp; &lt; \u200f\u200b P\u0430yments \x01\x1b[31m"
)
SITE_TITLE = 'Acme "Status" </title><script>window.__pwned=1</script>'
SERVICE = '<svg onload=window.__pwned=1>API "v2" & </script>'
GROUP = "Platform <style>*{display:none}</style>"
MAINT = 'DB upgrade; at 02:00, \\ "quoted" <b onmouseover=window.__pwned=1>now</b>'
PAGE_TITLE = "About <iframe src=javascript:window.__pwned=1>"

BODY = """\
<script>window.__pwned=1</script>

<img src=x onerror="window.__pwned=1"> <svg><script>window.__pwned=1</script></svg>

<iframe src="javascript:window.__pwned=1"></iframe> <a href="javascript:window.__pwned=1">raw</a>

[plain](javascript:window.__pwned=1) [upper](JaVaScRiPt:window.__pwned=1) [vb](vbscript:msgbox(1))
[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+)
[entity](&#106;avascript:window.__pwned=1) [tab](java&#9;script:window.__pwned=1)
[spaced]( javascript:window.__pwned=1 ) <javascript:window.__pwned=1> [ref][evil]
![img](javascript:window.__pwned=1) ![svg](data:image/svg+xml,<svg/onload=window.__pwned=1>)
[titled](https://ok.example/ "\\" onmouseover=\\"window.__pwned=1")
![remote](https://evil.example/x.svg "\\"><script>window.__pwned=1</script>")
[ctrl](\x01javascript:window.__pwned=1) [nbsp](\u00a0javascript:window.__pwned=1)

`<script>window.__pwned=1</script>` and

```html
<script>window.__pwned=1</script>
```

[evil]: javascript:window.__pwned=1
"""

SITE_YAML = f"""\
title: {json.dumps(SITE_TITLE)}
description: {json.dumps("<meta http-equiv=refresh content='0;url=javascript:window.__pwned=1'>")}
base_url: https://status.test.example/
timezone: Europe/Berlin
contact: {json.dumps('help@test.example" onmouseover="window.__pwned=1')}
services:
  - id: api
    name: {json.dumps(SERVICE)}
    group: {json.dumps(GROUP)}
    description: {json.dumps("<img src=x onerror=window.__pwned=1>")}
  - id: dashboard
    name: Dashboard
"""


def front(title: str, extra: str) -> str:
    return f"---\ntitle: {json.dumps(title)}\n{extra}---\n"


FILES = {
    "incidents/open.md": front(TITLE, "impact: major\nservices: [api]\nstarted: 2026-11-22 08:00 +01:00\n"
                               "postmortem: 'https://blog.example/pm\"onmouseover=\"window.__pwned=1'\n")
    + "Summary: " + BODY + "\n## 2026-11-22 08:10 +01:00 — Investigating\n" + BODY
    + "\n## <img src=x onerror=window.__pwned=1> Notes\n" + BODY + "\n## Postmortem\n" + BODY,
    "incidents/resolved.md": front(TITLE + " (old)", "impact: minor\nservices: [api, dashboard]\n"
                                   "started: 2026-11-01 10:00 +01:00\nresolved: 2026-11-01 11:00 +01:00\n")
    + "## 2026-11-01 10:00 +01:00 — Investigating\n" + BODY + "\n## 2026-11-01 11:00 +01:00 — Resolved\nDone.\n",
    "incidents/maint.md": front(MAINT, "type: maintenance\nservices: [api]\n"
                                "scheduled: {start: 2026-11-25 02:00 +01:00, end: 2026-11-25 04:00 +01:00}\n")
    + "## 2026-11-20 10:00 +01:00 — Scheduled\n" + BODY,
    "pages/about.md": front(PAGE_TITLE, "") + BODY,
}  # fmt: skip

URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "poster", "srcset", "data", "background", "cite"}
BAD_TAGS = {"iframe", "object", "embed", "base", "form", "frame", "frameset", "applet", "style", "foreignobject",
            "textarea", "input", "button", "meta http-equiv", "template"}  # fmt: skip


def visible(text: str) -> str:
    """Text without the control characters XML cannot carry (each format may drop them)."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)


def bad_scheme(url: str) -> bool:
    """What a browser would run: it strips controls and spaces around a URL and tabs/newlines in it."""
    url = re.sub(r"^[\x00-\x20]+|[\x00-\x20]+$|[\t\n\r]", "", url).lower()
    return url.startswith(("javascript:", "data:", "vbscript:"))


class Scan(HTMLParser):
    """Everything in an HTML document that could run a script, as a list of findings."""

    def __init__(self, assets: set[str]):
        super().__init__(convert_charrefs=True)
        self.assets, self.findings, self.in_script = assets, [], False
        self.texts: dict[str, list[str]] = {}
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        names = {name for name, _ in attrs}
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.findings.append(f"<{tag} {name}=…>")
            if name in URL_ATTRS and bad_scheme(value):
                self.findings.append(f"<{tag} {name}={value[:40]!r}>")
            if name == "style":
                self.findings.append(f"<{tag} style=…>")
            if tag == "use" and name == "href" and not value.startswith("#"):
                self.findings.append(f"<use href={value!r}>")
        if tag in BAD_TAGS or (tag == "meta" and "http-equiv" in names):
            self.findings.append(f"<{tag}>")
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if Path(src).name not in self.assets:
                self.findings.append(f"<script src={src!r}>")
            self.in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.findings.append(f"inline script {data[:40]!r}")
        for tag in self.stack[-1:]:
            self.texts.setdefault(tag, []).append(data)


def scan_html(html: str, assets: set[str]) -> Scan:
    scan = Scan(assets)
    scan.feed(html)
    scan.close()
    return scan


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("hostile")
    content = make_repo(tmp, FILES, site_yaml=SITE_YAML)
    out = tmp / "out"
    assert build(content, out) == 0
    return out


@pytest.fixture(scope="module")
def assets(site: Path) -> set[str]:
    """The theme's own scripts: the only ones a page may load."""
    return {p.name for p in (site / "assets").glob("*.js")}


def files(site: Path, *patterns: str) -> list[Path]:
    found = sorted({p for pattern in patterns for p in site.glob(pattern) if p.is_file()})
    assert found, patterns
    return found


def test_every_html_page_is_free_of_content_scripts_handlers_and_script_urls(site, assets):
    pages = files(site, "**/*.html")
    assert len(pages) >= 8
    for page in pages:
        scan = scan_html(page.read_text(encoding="utf-8"), assets)
        assert scan.findings == [], page.relative_to(site)


def test_hostile_titles_read_exactly_as_written_on_the_pages(site, assets):
    def h1(rel: str) -> str:
        return visible(scan_html((site / rel).read_text(encoding="utf-8"), assets).texts["h1"][0].strip())

    assert h1("incidents/open/index.html") == visible(TITLE)
    assert h1("incidents/maint/index.html") == visible(MAINT)
    assert h1("about/index.html") == PAGE_TITLE
    assert h1("services/api/index.html") == SERVICE
    title = scan_html((site / "index.html").read_text(encoding="utf-8"), assets).texts["title"]
    assert title[0] == SITE_TITLE  # the page's own <title>, before any SVG <title>


def test_rendered_markdown_keeps_only_safe_links(site):
    page = (site / "incidents" / "open" / "index.html").read_text(encoding="utf-8")
    assert 'href="https://ok.example/"' in page  # a safe link survives, with its title escaped
    assert "&quot; onmouseover=&quot;" in page
    assert '<a href="https://evil.example/x.svg" rel="nofollow noopener noreferrer">' in page  # not an <img>
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page  # raw HTML shown as text


def xml_docs(site: Path) -> list[Path]:
    return files(site, "**/*.xml", "**/*.atom", "**/*.svg")


def test_every_xml_output_is_well_formed_and_svg_has_no_script(site):
    for path in xml_docs(site):
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
        if path.suffix == ".svg":
            for el in root.iter():
                tag = etree.QName(el).localname.lower() if isinstance(el.tag, str) else ""
                assert tag not in ("script", "foreignobject", "iframe"), path
                assert not [a for a in el.attrib if etree.QName(a).localname.lower().startswith("on")], path


def test_feeds_carry_the_title_as_text_and_only_safe_html(site, assets):
    """Titles are text; the HTML that readers render (RSS description, Atom html content) is safe.
    Read with lxml, not feedparser, which sanitizes HTML itself and would hide a problem."""
    atom = "{http://www.w3.org/2005/Atom}"
    for path in files(site, "feed.xml", "feed.atom", "services/api/feed.xml", "services/api/feed.atom"):
        assert not feedparser.parse(path.read_bytes()).bozo, path
        root = etree.parse(str(path)).getroot()
        if path.suffix == ".xml":
            entries = [(i.findtext("title"), [i.findtext("description")]) for i in root.iter("item")]
            feed_title = root.findtext("channel/title")
        else:
            entries = [(e.findtext(atom + "title"), [c.text for c in e.iter(atom + "content")
                        if c.get("type") == "html"]) for e in root.iter(atom + "entry")]  # fmt: skip
            feed_title = root.findtext(atom + "title")
        assert feed_title.startswith(visible(SITE_TITLE)), (path, feed_title)
        titles = [title for title, _ in entries]
        assert any(t.endswith(visible(TITLE)) for t in titles), (path, titles)
        assert any(t.endswith(visible(MAINT)) for t in titles), (path, titles)
        for title, htmls in entries:
            assert htmls and all(htmls), (path, title)
            for html in htmls:
                assert scan_html(html, assets).findings == [], (path, title)


def test_every_json_output_is_valid_and_the_json_feed_html_is_safe(site, assets):
    docs = {p: json.loads(p.read_bytes()) for p in files(site, "**/*.json")}
    feed = docs[site / "feed.json"]
    assert feed["title"] == visible(SITE_TITLE)
    assert any(item["title"].endswith(visible(TITLE)) for item in feed["items"])
    for item in feed["items"]:
        assert scan_html(item["content_html"], assets).findings == [], item["title"]


def test_the_api_reports_names_exactly(site):
    api = site / "api" / "v2"
    if not api.is_dir():
        pytest.skip("no api/v2")
    summary = json.loads((api / "summary.json").read_bytes())
    assert summary["page"]["name"] == visible(SITE_TITLE)
    names = {c["name"] for c in summary["components"]}
    assert visible(SERVICE) in names
    incidents = json.loads((api / "incidents.json").read_bytes())["incidents"]
    assert visible(TITLE) in {visible(i["name"]) for i in incidents}
    maint = json.loads((api / "scheduled-maintenances.json").read_bytes())["scheduled_maintenances"]
    assert visible(MAINT) in {m["name"] for m in maint}


def test_calendar_parses_strictly_with_the_title_intact(site):
    ics = site / "maintenance.ics"
    if not ics.is_file():
        pytest.skip("no maintenance.ics")
    data = ics.read_bytes()
    cal = icalendar.Calendar.from_ical(data)
    events = list(cal.walk("VEVENT"))
    assert [str(e["SUMMARY"]).endswith(visible(MAINT)) for e in events] == [True]
    assert all(not c.errors for c in cal.walk())
    parsed = vobject.readOne(data.decode("utf-8"))
    assert parsed.vevent.summary.value.endswith(visible(MAINT))
    assert "javascript" not in str(events[0].get("URL", ""))


def test_robots_and_sitemap_hold_only_what_they_should(site):
    robots = (site / "robots.txt").read_text().splitlines()
    assert all(line.split(":")[0] in ("User-agent", "Allow", "Disallow", "Sitemap") for line in robots if line)
    locs = etree.parse(str(site / "sitemap.xml")).getroot().iter("{*}loc")
    assert all(loc.text.startswith("https://status.test.example/") for loc in locs)


# ---------------------------------------------------------------- refused at validation


@pytest.mark.parametrize(
    "char", ["\u202e", "\u202a", "\u2066", "\u2069"], ids=["rtl-override", "ltr-embedding", "isolate", "pop-isolate"]
)
def test_bidi_override_characters_in_titles_are_refused(tmp_path, char):
    """They could reverse the status words the pages show after a title ("Operational")."""
    escaped = json.dumps("Payments " + char + "detlaveR")
    content = make_repo(tmp_path, {"incidents/a.md": front("x", "impact: minor\nservices: [api]\n"
                                                         "started: 2026-11-20 10:00 +01:00\n").replace(
        'title: "x"', f"title: {escaped}")}, site_yaml=SITE_YAML)  # fmt: skip
    with pytest.raises(ContentError) as raised:
        load_site(content)
    (diagnostic,) = raised.value.diagnostics
    assert (diagnostic.path, diagnostic.line) == ("incidents/a.md", 2)
    assert f"U+{ord(char):04X}" in diagnostic.message and char not in diagnostic.format()


def test_error_messages_cannot_drive_the_terminal_that_shows_them(tmp_path, capsys):
    """An update heading quoted in an error carries an escape sequence: clear screen, retitle, recolour."""
    body = "## 2026-11-20 10:00 +01:00 \x1b[2J\x1b[31m — Investigating\nx\n## 2026\x1b]0;owned\x07 \u202e x\n"
    content = make_repo(tmp_path, {"incidents/a.md": front("x", "impact: minor\nservices: [api]\n"
                                                         "started: 2026-11-20 10:00 +01:00\n") + body},
                        site_yaml=SITE_YAML)  # fmt: skip
    assert build(content, tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert "cannot read update heading '2026\\x1b]0;owned\\x07 \\u202e x'" in err
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", err)


@pytest.mark.parametrize(
    "url",
    ['https://status.test.example/"><script>x</script>/', "https://status.test.example/\\nDisallow: /",
     "javascript://status.test.example/", "https://status.test.example/ a/"],
    ids=["quote", "newline", "javascript", "space"],
)  # fmt: skip
def test_a_base_url_that_could_break_out_of_an_attribute_or_a_line_is_refused(tmp_path, url):
    site_yaml = SITE_YAML.replace("base_url: https://status.test.example/", f"base_url: {json.dumps(url)}")
    with pytest.raises(ContentError) as raised:
        load_site(make_repo(tmp_path, site_yaml=site_yaml))
    assert any(d.path == "site.yaml" and "base_url" in d.message for d in raised.value.diagnostics)


# ---------------------------------------------------------------- in a real browser


def test_no_payload_runs_in_a_real_browser(site, browser):
    """The pages with the most payloads, served without the CSP (which would block inline script
    anyway): escaping alone must hold."""
    from tests.support.browser import open_page
    from tests.support.server import serve_directory

    with serve_directory(site) as base:
        for path in ["", "incidents/open/", "embed/"]:
            dialogs: list[str] = []
            with open_page(browser, base + path) as loaded:
                loaded.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                loaded.page.evaluate(  # fire any smuggled handler: mouse, focus, load and error events
                    """() => document.querySelectorAll('*').forEach(e =>
                        ['mouseover', 'focus', 'load', 'error'].forEach(t => e.dispatchEvent(new Event(t))))"""
                )
                loaded.page.wait_for_timeout(200)
                dom = loaded.page.evaluate(
                    """() => ({
                        pwned: window.__pwned,
                        inline: [...document.scripts].filter(s => !s.src).length,
                        handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
                            .filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name)),
                        schemes: [...document.querySelectorAll('[href],[src]')].map(e => e.href || e.src)
                            .filter(u => /^(javascript|data|vbscript):/i.test(String(u))),
                        frames: document.querySelectorAll('iframe,object,embed,base').length,
                    })"""
                )
                assert dom == {"pwned": None, "inline": 0, "handlers": [], "schemes": [], "frames": 0}, path
                assert dialogs == [] and loaded.problems() == [], path


@pytest.mark.parametrize(
    "html",
    ["<script>window.__pwned=1</script>", "<img src=x onerror=window.__pwned=1>", '<a href=" java\tscript:x">',
     "<svg><use href='https://evil.example/s.svg#a'/></svg>", "<iframe src=/x>", "<p style='color:red'>",
     '<meta http-equiv="refresh" content="0">', "<script src='https://evil.example/x.js'></script>",
     "<a href='\x01javascript:x'>", "<object data='data:text/html,x'>"],
)  # fmt: skip
def test_the_scanner_sees_each_payload_when_it_is_not_escaped(html):
    assert scan_html(html, {"statusgen.js"}).findings


def test_netlify_builds_never_read_a_cache_that_came_with_the_repository():
    """Every Netlify build is a fresh clone: a cache folder in it came from a pull request."""
    import tomllib

    config = tomllib.loads((Path(__file__).resolve().parent.parent / "netlify.toml").read_text())
    commands = [config["build"]["command"]] + [c["command"] for c in config.get("context", {}).values() if "command" in c]
    for command in commands:
        for step in command.split("&&"):
            if "statusgen build" in step:
                assert "--no-cache" in step.split(), command


class _OpensAFile:
    """A pickle that creates a file when loaded: what a hostile cache entry would do, less politely."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_cache_folder_shipped_in_the_status_repo_cannot_run_code(tmp_path):
    # The salt is public (versions and source), but every cache file is signed with a key that lives
    # outside the repo ($XDG_CACHE_HOME or a CI secret): a pull request cannot sign its own files.
    from statusgen import cache

    repo = tmp_path / "repo"
    content = make_repo(repo, {"incidents/a.md": FILES["incidents/resolved.md"]}, site_yaml=SITE_YAML)
    assert build(content, tmp_path / "out") == 0  # a first build, as the attacker runs it at home
    folder = repo / ".statusgen-cache"
    forged = cache._encode(b"the attacker's own key, not ours", cache.code_salt(), {"entry": _OpensAFile(tmp_path / "pwned")})
    targets = [p for p in folder.rglob("*.seg")] or [folder / "v1/incidents/1-x.seg"]
    for path in targets:  # the pull request adds these files next to content/
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(forged)
    (content / "incidents" / "b.md").write_text(FILES["incidents/resolved.md"], encoding="utf-8")
    assert build(content, tmp_path / "out") == 0  # forged files are ignored, never unpickled
    assert not (tmp_path / "pwned").exists()
