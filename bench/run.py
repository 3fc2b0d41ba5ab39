"""Benchmark `statusgen build` on synthetic repos (bench/generate.py); not part of the test run.

    python bench/run.py                       # N = 1,000 / 10,000 / 30,000, 3 runs each
    python bench/run.py --sizes 1000 --runs 5

For each N it times whole `statusgen build` processes, as a user or CI runs them:
- cold:       no output folder and no cache;
- no change:  the same content and the same --now again;
- edit old:   one old, resolved incident edited (a sentence added to an update);
- edit open:  one of the open incidents edited (what happens during an incident);
- edit, later: an old incident edited and built 5, 10, 15 … minutes after the previous build, as a
              CI build of a pull request would (its --now is the clock): only the pages whose
              content or status moved on are rendered again;
and reports medians of the runs, the CPU time (all processes), and the peak memory of the whole
process tree (the sum of the proportional set size of the build and its workers, sampled every
200 ms; RSS of the main process alone for comparison). All but the last kind use the same --now,
so a "no change" build really has nothing to do.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import NOW_TEXT, write  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
START = datetime.fromisoformat(NOW_TEXT.replace("Z", "+00:00"))
KINDS = ("cold", "no change", "edit old", "edit open", "edit, later")


def _children(pid: int) -> list[int]:
    """pid and all its descendants."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(parents.get(p, []))
    return found


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def snapshot(workdir: Path) -> Path:
    """A copy of the code under test: a build's cache is keyed by statusgen's own source, so edits
    in the working tree during a long benchmark would otherwise make every build a cold one."""
    target = workdir / "code"
    shutil.rmtree(target, ignore_errors=True)
    for name in ("statusgen", "themes"):
        shutil.copytree(REPO / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    # Compiled as `pip install` compiles an installed package: otherwise, where the environment sets
    # PYTHONDONTWRITEBYTECODE (this one does), every build would compile statusgen's source first.
    compileall.compile_dir(target / "statusgen", quiet=1)
    return target


def run_build(content: Path, out: Path, jobs: int | None, code: Path = REPO, now: str = NOW_TEXT) -> dict:
    """One `statusgen build` process: wall time, CPU time, peak memory of its process tree."""
    cmd = [sys.executable, "-m", "statusgen", "build", "--content", str(content), "--out", str(out),
           "--now", now, "--quiet"]  # fmt: skip
    if jobs:
        cmd += ["--jobs", str(jobs)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=code, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        # Reading memory costs CPU the build would otherwise have (the kernel walks every page of
        # each process): sampled every 25 ms it made a cold 10k build ~25% slower on 2 cores. Peaks
        # last seconds (a phase of the build), so sampling every 200 ms still finds them.
        pids, scanned = [proc.pid], 0.0
        while not done.is_set():
            if time.perf_counter() - scanned > 1.0:
                pids, scanned = _children(proc.pid), time.perf_counter()
            peak[0] = max(peak[0], sum(_pss_kb(p) for p in pids))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"build failed ({proc.returncode}):\n{stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "pss_mb": peak[0] / 1024, "rss_main_mb": usage.ru_maxrss / 1024}


def edit(path: Path, n: int) -> None:
    """Add a sentence to the newest update of an incident (the first '## ' heading's text)."""
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition("\n## ")
    line_end = rest.index("\n")
    rest = rest[: line_end + 1] + f"Benchmark edit number {n}: the numbers above were checked again. " + \
        rest[line_end + 1 :]
    path.write_text(head + sep + rest, encoding="utf-8")


def pick(content: Path) -> tuple[Path, Path]:
    """(an old resolved incident, an open incident) of a generated repo."""
    files = sorted((content / "incidents").rglob("*.md"))
    old = next(p for p in files[len(files) // 2 :] if "maintenance" not in p.name)
    open_ = next(p for p in reversed(files) if "resolved:" not in p.read_text() and "maintenance" not in p.name)
    return old, open_


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def bench(n: int, root: Path, runs: int, jobs: int | None, code: Path) -> dict:
    work = root / f"n{n}"
    stamp = work / "generated.json"
    if not stamp.exists() or json.loads(stamp.read_text()).get("n") != n:
        print(f"generating {n:,} incidents in {work} …", file=sys.stderr)
        write(n, work)
        stamp.write_text(json.dumps({"n": n}))
    content, out, cache = work / "content", work / "public", work / ".statusgen-cache"
    old, open_ = pick(content)
    original = {p: p.read_bytes() for p in (old, open_)}
    result: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    try:
        for r in range(runs):
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(cache, ignore_errors=True)
            result["cold"].append(run_build(content, out, jobs, code))
            print(f"  N={n:,} cold #{r + 1}: {result['cold'][-1]['wall']:.2f} s", file=sys.stderr)
        for r in range(runs):
            result["no change"].append(run_build(content, out, jobs, code))
        for r in range(runs):
            edit(old, r)
            result["edit old"].append(run_build(content, out, jobs, code))
        for r in range(runs):
            edit(open_, r)
            result["edit open"].append(run_build(content, out, jobs, code))
        for r in range(runs):  # as CI builds: the clock has moved on since the last build
            edit(old, runs + r)
            later = (START + timedelta(minutes=5 * (r + 1))).strftime("%Y-%m-%dT%H:%M:%SZ")
            result["edit, later"].append(run_build(content, out, jobs, code, later))
    finally:
        for path, data in original.items():
            path.write_bytes(data)
    return result


def table(results: dict[int, dict]) -> str:
    lines = [
        "| incidents | cold build | no-change rebuild | one old incident edited | one open incident edited "
        "| old incident edited, 5 min later | peak memory (tree PSS / main RSS) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n, res in sorted(results.items()):
        cells = []
        for kind in KINDS:
            cells.append(f"{median(res[kind], 'wall'):.2f} s (cpu {median(res[kind], 'cpu'):.1f} s)")
        mem = max(r["pss_mb"] for kind in res.values() for r in kind)
        rss = max(r["rss_main_mb"] for kind in res.values() for r in kind)
        lines.append(f"| {n:,} | " + " | ".join(cells) + f" | {mem:.0f} MB / {rss:.0f} MB |")
    if len(results) > 1:
        ns = sorted(results)
        lo, hi = ns[0], ns[-1]
        ratio = median(results[hi]["cold"], "wall") / median(results[lo]["cold"], "wall")
        lines.append(f"\nCold build {hi:,} vs {lo:,} incidents: ×{ratio:.1f} the time for ×{hi / lo:.0f} "
                     "the incidents (linear would be equal).")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,30000", help="comma-separated incident counts")
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind (the median is reported)")
    parser.add_argument("--jobs", type=int, default=None, help="passed to statusgen build --jobs")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/statusgen-bench"), help="where repos are made")
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    parser.add_argument("--live", action="store_true", help="run the working tree, not a snapshot of it")
    args = parser.parse_args()
    code = REPO if args.live else snapshot(args.workdir)
    results = {}
    for n in [int(s) for s in args.sizes.split(",")]:
        results[n] = bench(n, args.workdir, args.runs, args.jobs, code)
        print(table({n: results[n]}).splitlines()[-1], file=sys.stderr)
    print(f"statusgen build, medians of {args.runs} runs, every build with --now {NOW_TEXT} "
          f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end)\n")  # fmt: skip
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps({str(k): v for k, v in results.items()}, indent=1))


if __name__ == "__main__":
    main()
