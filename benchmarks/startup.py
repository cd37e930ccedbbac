"""Cold-start benchmark of single commands against the import floor (not a test: run by hand).

    python benchmarks/startup.py                    # builds a wheel, installs it in a temp venv
    python benchmarks/startup.py --cli PATH         # an nmt-assess already installed
    python benchmarks/startup.py --runs 41

It measures, as wall time of a fresh process with output to /dev/null:
- the floor: `python -c "import typer, pydantic, yaml"` with the interpreter of the same venv;
- `nmt-assess score ONE.json --format json` (ONE.json: tests/data/intakes/valid.json);
- `nmt-assess explain RULE` (the first rule of the default pack);
- `nmt-assess practice --case 1 --answer ... --flags none --log TEMP` (non-interactive; the
  log goes to a temporary file);
- `nmt-assess rules test`.
Runs are interleaved and paired: each round runs the floor, then one command, for every
command, so the floor and the command share the machine's state; it reports the median of
each and the median of the paired ratios (command / floor), against the targets of issue 13
(score at most 1.5x, the others at most 2x).

`--imports` adds three lines that only import, timed the same way, to show what the commands
pay before doing anything: pydantic's BaseModel (the floor imports pydantic, whose own import
is lazy), the pack's models (`nmt_assess.models`), and the default pack loaded (prebuilt).

The wheel is where the prebuilt default pack lives (nmt_assess/_prebuilt, made by the build
hook): an editable install or a checkout has none and loads the pack from YAML, so measure an
installed wheel (the default), or pass --cli of one. Building needs pip and the build
requirements (hatchling, pydantic, pyyaml) from an index or a local wheelhouse.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"score": 1.5, "explain": 2.0, "practice": 2.0, "rules test": 2.0}


def install_wheel(folder: Path) -> Path:
    """Build the wheel of this checkout and install it in a new venv; its nmt-assess."""
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "wheel", "--quiet", "--no-deps", "-w", str(folder / "dist"), str(ROOT)], check=True
    )
    subprocess.run([sys.executable, "-m", "venv", str(folder / "venv")], check=True)
    python = folder / "venv" / "bin" / "python"
    (wheel,) = (folder / "dist").glob("*.whl")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        check=True,
    )
    return folder / "venv" / "bin" / "nmt-assess"


def wall(arguments: list[str], cwd: Path) -> float:
    """The wall time of one run, from `cwd` (a `python -c` imports from its working folder:
    never this checkout's nmt_assess)."""
    start = time.perf_counter()
    subprocess.run(
        arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, cwd=cwd
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", help="an installed nmt-assess (default: build a wheel)")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--imports", action="store_true", help="also time import-only lines")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        cli = Path(args.cli) if args.cli else install_wheel(folder)
        python = str(cli.parent / "python")
        one = folder / "one.json"
        shutil.copy(ROOT / "tests" / "data" / "intakes" / "valid.json", one)
        facts = subprocess.run(
            [
                python,
                "-c",
                "from nmt_assess.ruleset import load_ruleset\n"
                "try:\n"
                "    from nmt_assess.ruleset.prebuilt import state\n"
                "except ImportError:\n"
                "    state = lambda: 'none-before-issue-13'\n"
                "r = load_ruleset()\n"
                "print(r.causes[0].rules[0].id, ','.join(c.id for c in r.causes), state())",
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=folder,
        ).stdout.split()
        rule, causes, state = facts
        commands = {
            "score": [str(cli), "score", str(one), "--format", "json"],
            "explain": [str(cli), "explain", rule],
            "practice": [
                str(cli),
                "practice",
                "--case",
                "1",
                "--answer",
                causes,
                "--flags",
                "none",
                "--log",
                str(folder / "practice-log.jsonl"),
            ],
            "rules test": [str(cli), "rules", "test"],
        }
        if args.imports:
            floor = "import typer, pydantic, yaml"
            commands |= {
                "(BaseModel)": [python, "-c", f"{floor}; from pydantic import BaseModel"],
                "(pack models)": [python, "-c", f"{floor}; import nmt_assess.models"],
                "(pack loaded)": [
                    python,
                    "-c",
                    f"{floor}; from nmt_assess.ruleset import load_ruleset; load_ruleset()",
                ],
            }
        floor_command = [python, "-c", "import typer, pydantic, yaml"]
        for arguments in commands.values():  # warm the file cache and the bytecode
            wall(floor_command, folder)
            wall(arguments, folder)
        floors: dict[str, list[float]] = {name: [] for name in commands}
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, arguments in commands.items():
                floors[name].append(wall(floor_command, folder))
                times[name].append(wall(arguments, folder))
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print(
        f"{now}; {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"nmt-assess: {cli} (prebuilt default pack: {state}); {args.runs} paired runs each\n")
    print("| command | floor median (ms) | command median (ms) | paired ratio median | target |")
    print("|---|---:|---:|---:|---:|")
    for name in commands:
        ratios = [t / f for t, f in zip(times[name], floors[name], strict=True)]
        target = f"{TARGETS[name]}x" if name in TARGETS else ""
        print(
            f"| {name} | {statistics.median(floors[name]) * 1000:.0f} "
            f"| {statistics.median(times[name]) * 1000:.0f} "
            f"| {statistics.median(ratios):.2f}x | {target} |"
        )


if __name__ == "__main__":
    main()
