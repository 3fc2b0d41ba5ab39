"""How long from saving an incident file to seeing the change in a browser, with `statusgen serve`.

    python bench/serve_latency.py                 # 1,000 incidents, 7 edits
    python bench/serve_latency.py --n 10000 --edits 5

Starts serve on a synthetic repo (bench/generate.py), opens an incident page in headless Chromium
(/usr/bin/chromium, as in the tests), then repeatedly changes the incident's title on disk and
waits until the page shows it, with no reload by hand. Reports the median and the slowest edit.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import NOW_TEXT, write  # noqa: E402
from run import REPO, pick, snapshot  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="incidents in the repo")
    parser.add_argument("--edits", type=int, default=7, help="edits to time (the median is reported)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/statusgen-bench"))
    parser.add_argument("--live", action="store_true", help="run the working tree, not a snapshot of it")
    args = parser.parse_args()
    code = REPO if args.live else snapshot(args.workdir)
    root = args.workdir / f"serve-n{args.n}"
    content = write(args.n, root)
    old, open_ = pick(content)
    proc = subprocess.Popen(
        [sys.executable, "-m", "statusgen", "serve", "--content", str(content), "--port", "0", "--now", NOW_TEXT],
        cwd=code, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        url = ""
        while not url:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                raise SystemExit("serve did not start")
            if line.startswith("Serving "):
                url = line.split()[1]
        from playwright.sync_api import sync_playwright

        results = {}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_page()
            for label, path in (("old incident", old), ("open incident", open_)):
                page.goto(url + f"incidents/{path.stem}/")
                original = path.read_text(encoding="utf-8")
                times = []
                try:
                    for n in range(args.edits):
                        marker = f"Edited title number {n} for the latency benchmark"
                        text = "\n".join(f"title: {marker}" if line.startswith("title: ") else line
                                         for line in original.split("\n"))  # fmt: skip
                        time.sleep(2.5)  # let the previous rebuild finish (feeds and API follow the pages)
                        started = time.perf_counter()
                        path.write_text(text, encoding="utf-8")
                        page.wait_for_function(
                            "m => document.querySelector('h1') && document.querySelector('h1').textContent.includes(m)",
                            arg=marker, timeout=60_000, polling=10,
                        )  # fmt: skip
                        times.append(time.perf_counter() - started)
                finally:
                    path.write_text(original, encoding="utf-8")
                results[label] = times
            browser.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
    print(f"statusgen serve, {args.n:,} incidents: time from saving a file to the change shown in Chromium")
    for label, times in results.items():
        print(f"  {label}: median {statistics.median(times):.2f} s, slowest {max(times):.2f} s "
              f"({len(times)} edits: {', '.join(f'{t:.2f}' for t in times)})")  # fmt: skip


if __name__ == "__main__":
    main()
