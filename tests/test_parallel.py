"""parallel.map_tasks: every task runs exactly once, in this process or a forked worker, and the
results come back in task order whatever finished first.

Each case runs in a fresh interpreter: map_tasks forks only from a process with a single thread,
and an earlier test may have left one running (a server, say)."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent(
    """\
    import json, os, sys, time
    from pathlib import Path
    from statusgen import parallel
    log, failing = Path(sys.argv[1]), int(sys.argv[2])
    assert parallel.can_fork()

    def pids():
        return {line.split()[1] for line in log.read_text().splitlines()}

    def task(n):
        with open(log, "a") as f:
            f.write(f"{n} {os.getpid()}\\n")
        if n == failing:
            raise ValueError(f"task {n} failed")
        deadline = time.monotonic() + 10
        while n < 2 and len(pids()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)  # the first two tasks wait for each other: one in each process
        time.sleep(0.01 * (n % 3))  # uneven lengths: tasks finish out of order
        return n * n

    done = []
    try:
        results = parallel.map_tasks(task, list(range(24)), jobs=2, on_done=done.append)
    except ValueError as exc:
        print(json.dumps({"error": str(exc)}))
    else:
        print(json.dumps({"results": results, "done": done, "me": os.getpid()}))
    """
)


def run(tmp_path: Path, failing: int = -1) -> dict:
    log = tmp_path / "ran"
    log.write_text("")
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(log), str(failing)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    answer["ran"] = [line.split() for line in log.read_text().splitlines()]
    return answer


def test_every_task_runs_once_and_results_keep_their_order(tmp_path):
    answer = run(tmp_path)
    assert answer["results"] == [n * n for n in range(24)]
    assert sorted(answer["done"]) == list(range(24))
    ran = answer["ran"]
    assert sorted(int(n) for n, _ in ran) == list(range(24))  # each once
    assert str(answer["me"]) in {pid for _, pid in ran}  # the calling process worked too
    assert len({pid for _, pid in ran}) == 2  # and so did the worker


@pytest.mark.parametrize("failing", [0, 7])
def test_a_failing_task_fails_the_whole_map(tmp_path, failing):
    assert run(tmp_path, failing)["error"] == f"task {failing} failed"
