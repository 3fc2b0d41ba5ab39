"""derive reads the present from an index of when each incident ended (derive.unfinished): the
status, the open incidents, maintenance and uptime must be exactly what a walk through the whole
history finds, at any instant — before, during and after each incident."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

from statusgen import derive, index
from statusgen.build import load_site
from statusgen.derive import Phase, active_span

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from generate import write  # noqa: E402


@pytest.fixture(scope="module", params=["example", "generated"])
def site(request, tmp_path_factory):
    if request.param == "example":
        return load_site(ROOT / "content")
    return load_site(write(400, tmp_path_factory.mktemp("generated")))


def instants(site) -> list:
    """Every start and end in the history, a second either side, and before and after it all."""
    found = set()
    for i in site.incidents:
        for t in (i.started, *active_span(i)):
            if t is not None:
                found |= {t - timedelta(seconds=1), t, t + timedelta(seconds=1)}
    ordered = sorted(found)
    return [ordered[0] - timedelta(days=400), *ordered[:: max(1, len(ordered) // 150)], ordered[-1],
            ordered[-1] + timedelta(days=400)]  # fmt: skip


def test_unfinished_is_what_a_walk_through_the_history_finds(site):
    for t in instants(site):
        walked = [i for i in site.incidents if (end := active_span(i)[1]) is None or end > t]
        assert derive.unfinished(site, t) == walked


def present(site, now) -> tuple:
    """Everything derive works out about the present at now."""
    return (
        derive.open_incidents(site, now), derive.active_incidents(site, now),
        [derive.maintenance_in(site, now, wanted) for wanted in Phase], derive.service_statuses(site, now),
        derive.indicator(site, now),
        [derive.uptime(site, service, now, days) for service in site.services for days in (1, 90)],
        [derive.uptime(index.recent(site, now), service, now, 90) for service in site.services],
    )  # fmt: skip


def test_the_present_read_from_the_index_is_what_the_whole_history_gives(site, monkeypatch):
    moments = instants(site)[::8]
    indexed = [present(site, now) for now in moments]
    monkeypatch.setattr(derive, "unfinished", lambda site, t: list(site.incidents))  # no index: every incident
    assert [present(site, now) for now in moments] == indexed
