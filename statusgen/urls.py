"""The site's URL layout in one place. Paths are relative to the site root; directories end in '/'."""

from __future__ import annotations

import posixpath
from typing import Callable

from statusgen.model import Site


def incident(incident_id: str) -> str:
    return f"incidents/{incident_id}/"


def service(service_id: str) -> str:
    return f"services/{service_id}/"


def history(year: int | None = None, month: int | None = None) -> str:
    return "history/" if year is None else f"history/{year:04d}/{month:02d}/"


def page(slug: str) -> str:
    return f"{slug}/"


def file_for(path: str) -> str:
    """The file that serves a path: 'incidents/x/' → 'incidents/x/index.html'."""
    return path + "index.html" if path == "" or path.endswith("/") else path


def absolute(site: Site, path: str) -> str:
    return site.base_url + path


def relative(from_path: str, to_path: str) -> str:
    """A link from the page at from_path to to_path that works under any host and sub-path."""
    base = posixpath.dirname(file_for(from_path))
    target = to_path or "./"
    here = base.split("/") if base else []
    there = target.rstrip("/").split("/") if target.rstrip("/") else []
    if {"", ".", ".."} & set(here + there):  # not a plain path: let posixpath normalize it
        rel = posixpath.relpath("/" + target.rstrip("/"), "/" + base)
    else:  # the common case, without relpath's cost (pages call this for every link)
        common = 0
        while common < len(here) and common < len(there) and here[common] == there[common]:
            common += 1
        rel = "/".join([".."] * (len(here) - common) + there[common:]) or "."
    if target.endswith("/"):
        rel = "./" if rel == "." else rel + "/"
    return rel


def _plain(parts: list[str]) -> bool:
    return not {"", ".", ".."} & set(parts)


def linker(from_path: str, shared: dict) -> Callable[[str], str]:
    """relative(from_path, ·) for one page. Every page at the same depth in the same top folder links
    the same way to a plain path outside that folder (the feeds, the assets, other sections), so those
    links are worked out once for all of them and kept in `shared` (a dict per build)."""
    base = posixpath.dirname(file_for(from_path))
    here = base.split("/") if base else []
    if not _plain(here):
        return lambda target: relative(from_path, target)
    top = here[0] if here else ""
    links = shared.setdefault((top, len(here)), {})

    def url(target: str) -> str:
        try:
            return links[target]
        except KeyError:
            pass
        rel = relative(from_path, target)
        there = target.rstrip("/").split("/") if target.rstrip("/") else []
        if _plain(there) and (not there or there[0] != top):  # no common folder: only the depth counts
            links[target] = rel
        return rel

    return url
