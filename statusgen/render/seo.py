"""robots.txt and sitemap.xml: what search engines need to find every page."""

from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import escape

from statusgen import urls
from statusgen.derive import by_month
from statusgen.model import Site
from statusgen.render import Output


def page_paths(site: Site) -> list[str]:
    """Every HTML page of the site, in a stable order."""
    paths = ["", urls.history()]
    paths += [urls.history(y, m) for (y, m), _ in by_month(site)]
    paths += [urls.service(s.id) for s in site.services]
    paths += [urls.incident(i.id) for i in site.incidents]
    paths += [urls.page(p.slug) for p in site.pages]
    return paths


def render(site: Site, now: datetime) -> list[Output]:
    entries = "".join(f"<url><loc>{escape(urls.absolute(site, p))}</loc></url>\n" for p in page_paths(site))
    sitemap = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + entries + "</urlset>\n"
    )
    robots = f"User-agent: *\nAllow: /\nSitemap: {urls.absolute(site, 'sitemap.xml')}\n"
    return [("sitemap.xml", sitemap.encode()), ("robots.txt", robots.encode())]
