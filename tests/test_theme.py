"""Themes: the site's own templates and static files override the chosen theme, which overrides the default."""

import re

from sitekit import SITE_YAML, build, incident, make_repo


def test_site_template_and_static_overrides(tmp_path):
    content = make_repo(tmp_path, {
        "incidents/a.md": incident(),
        "templates/404.html": '{% extends "base.html" %}{% block main %}<h1>Lost? Try our status page.</h1>{% endblock %}',
        "static/style.css": "body { color: rebeccapurple; }\n",
        "static/logo.txt": "ACME\n",
    })  # fmt: skip
    out = tmp_path / "public"
    assert build(content, out) == 0
    assert "Lost? Try our status page." in (out / "404.html").read_text()
    index = (out / "index.html").read_text()
    (css_href,) = re.findall(r'href="(assets/style\.[0-9a-f]{10}\.css)"', index)
    assert (out / css_href).read_text() == "body { color: rebeccapurple; }\n"
    assert list((out / "assets").glob("logo.*.txt"))  # extra static files are published fingerprinted too
    # pages that were not overridden still come from the default theme
    assert "Elevated error rates on the Public API" in (out / "incidents" / "a" / "index.html").read_text()


def test_a_theme_chosen_in_site_yaml(tmp_path):
    content = make_repo(tmp_path, {
        "themes/plain/templates/index.html": "<!DOCTYPE html><title>{{ site.title }}</title><p>{{ site.indicator_text }}</p>\n",
    }, SITE_YAML + "theme: plain\n")  # fmt: skip
    out = tmp_path / "public"
    assert build(content, out) == 0
    assert (out / "index.html").read_text() == "<!DOCTYPE html><title>Test Status</title><p>All Systems Operational</p>\n"
    assert "<h1>" in (out / "history" / "index.html").read_text()  # falls back to the default theme


def test_unknown_theme_is_a_content_error(tmp_path, capsys):
    content = make_repo(tmp_path, {}, SITE_YAML + "theme: shiny\n")
    assert build(content, tmp_path / "public") == 1
    assert "theme 'shiny' not found" in capsys.readouterr().err


def test_fingerprints_change_with_content(tmp_path):
    a = make_repo(tmp_path / "a", {"static/style.css": "a {}\n"})
    b = make_repo(tmp_path / "b", {"static/style.css": "b {}\n"})
    assert build(a, tmp_path / "a" / "out") == build(b, tmp_path / "b" / "out") == 0
    names = [sorted(p.name for p in (tmp_path / x / "out" / "assets").glob("style.*.css")) for x in "ab"]
    assert names[0] != names[1]
