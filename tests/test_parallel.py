"""parallel.map_tasks: every task runs exactly once, in this process or a forked worker, and the
results come back in task order whatever finished first."""

import os
import time

import pytest

from statusgen import parallel

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="needs fork")


def test_every_task_runs_once_and_results_keep_their_order(tmp_path):
    log = tmp_path / "ran"

    def pids() -> set[str]:
        return {line.split()[1] for line in log.read_text().splitlines()}

    def task(n: int) -> int:
        with open(log, "a") as f:
            f.write(f"{n} {os.getpid()}\n")
        deadline = time.monotonic() + 30
        while n < 2 and len(pids()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)  # the first two tasks wait for each other: one in each process
        time.sleep(0.01 * (n % 3))  # uneven lengths: tasks finish out of order
        return n * n

    done: list[int] = []
    assert parallel.map_tasks(task, list(range(24)), jobs=2, on_done=done.append) == [n * n for n in range(24)]
    ran = [line.split() for line in log.read_text().splitlines()]
    assert sorted(int(n) for n, _ in ran) == list(range(24))  # each once
    assert sorted(done) == list(range(24))
    assert os.getpid() in {int(pid) for _, pid in ran}  # this process worked too
    assert len({pid for _, pid in ran}) == 2  # and so did the worker


@pytest.mark.parametrize("failing", [0, 7])
def test_a_failing_task_fails_the_whole_map(failing):
    def task(n: int) -> int:
        if n == failing:
            raise ValueError(f"task {n} failed")
        time.sleep(0.005)
        return n

    with pytest.raises(ValueError, match=f"task {failing} failed"):
        parallel.map_tasks(task, list(range(12)), jobs=2)
