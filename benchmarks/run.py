"""Batch and cold-start benchmark of `nmt-assess score` (not a test: run it by hand).

    python benchmarks/run.py                       # 10k, 100k and 1M intakes
    python benchmarks/run.py --sizes 10000 100000  # a quicker run
    python benchmarks/run.py --detail summary      # `--detail summary` documents

For each size it generates seeded synthetic intakes (benchmarks/generate.py) as JSONL, then
reports, in the same run:
- the floor: plain json.loads + json.dumps of every line of the same file, in one process;
- `nmt-assess score FILE --format jsonl --detail DETAIL` with --jobs 1 and with all cores
  (by default; or --jobs N): wall time,
  intakes per second, the ratio to the floor, and the peak RSS of the largest process;
and the cold start: median wall time of `nmt-assess score one.json --format json` against
`python -c "import typer, pydantic, yaml"`. It prints Markdown for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import intakes, write_jsonl  # noqa: E402

from nmt_assess.batch import default_jobs  # noqa: E402
from nmt_assess.ruleset import load_ruleset  # noqa: E402


def floor_seconds(path: Path) -> float:
    start = time.perf_counter()
    with path.open() as lines:
        for line in lines:
            json.dumps(json.loads(line))
    return time.perf_counter() - start


def run_cli(arguments: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB, largest process of the run) of one command."""
    start = time.perf_counter()
    process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"failed: {' '.join(arguments)}")
    return seconds, usage.ru_maxrss / 1024


def cold_start(cli: str, python: str, one: Path, runs: int) -> tuple[float, float]:
    def median(arguments: list[str]) -> float:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(arguments, stdout=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    baseline = median([python, "-c", "import typer, pydantic, yaml"])
    ours = median([cli, "score", str(one), "--format", "json"])
    return baseline, ours


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark nmt-assess batch scoring.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cold-runs", type=int, default=21)
    parser.add_argument("--detail", choices=("full", "summary"), default="full")
    args = parser.parse_args()
    cli = shutil.which("nmt-assess") or str(Path(sys.executable).parent / "nmt-assess")
    ruleset = load_ruleset()
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.platform()}"
    )
    print(
        "Command: python benchmarks/run.py "
        f"--sizes {' '.join(map(str, args.sizes))} --jobs {args.jobs} --detail {args.detail}, "
        f"started {time.strftime('%Y-%m-%d %H:%M %Z')}\n"
    )
    print(
        "| intakes | floor (s) | jobs 1 (s) | intakes/s | x floor | peak RSS (MiB) "
        f"| jobs {args.jobs} (s) | intakes/s | peak RSS (MiB) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            path = Path(folder) / f"intakes-{size}.jsonl"
            with path.open("w") as out:
                write_jsonl(intakes(ruleset, size, args.seed), out)
            floor = floor_seconds(path)
            score = [cli, "score", str(path), "-f", "jsonl", "--detail", args.detail]
            one_s, one_rss = run_cli([*score, "--jobs", "1"])
            all_s, all_rss = run_cli([*score, "--jobs", str(args.jobs)])
            print(
                f"| {size:,} | {floor:.2f} | {one_s:.1f} | {size / one_s:,.0f} "
                f"| {one_s / floor:.1f} | {one_rss:.0f} | {all_s:.1f} "
                f"| {size / all_s:,.0f} | {all_rss:.0f} |",
                flush=True,
            )
            path.unlink()
        one = Path(folder) / "one.json"
        one.write_text(json.dumps(next(intakes(ruleset, 1, args.seed))))
        baseline, ours = cold_start(cli, sys.executable, one, args.cold_runs)
    print(
        f'\nCold start (median of {args.cold_runs}): `python -c "import typer, pydantic, yaml"` '
        f"{baseline * 1000:.0f} ms; `nmt-assess score one.json --format json` {ours * 1000:.0f} ms "
        f"({ours / baseline:.2f}x)."
    )


if __name__ == "__main__":
    main()
