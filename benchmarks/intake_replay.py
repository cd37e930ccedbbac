"""Replay every bundled case through the quick (adaptive) intake and compare with scoring the
whole case: questions asked, same top cause, every red flag raised, and whether each question
was on the client's site (a site-specific question whose sites meet the regions the case marks;
the case's regions are its own answers, as a client would give them when asked first).

    python benchmarks/intake_replay.py
"""

from __future__ import annotations

import statistics
import sys
import time

from nmt_assess.adaptive import (
    STOP_MARGIN,
    client_regions,
    replay_quick_intake,
    screening_findings,
)
from nmt_assess.engine import Engine
from nmt_assess.models import Intake
from nmt_assess.readers.intake_file import read_intake_file
from nmt_assess.ruleset import default_pack_dir, load_ruleset


def main() -> None:
    ruleset = load_ruleset()
    engine = Engine(ruleset)
    margin = (
        float(sys.argv[sys.argv.index("--margin") + 1]) if "--margin" in sys.argv else STOP_MARGIN
    )
    full_count = len(ruleset.findings) - len(screening_findings(engine))
    rows = []
    start = time.perf_counter()
    for path in sorted((default_pack_dir() / "cases").glob("*.yaml")):
        case = read_intake_file(path, ruleset)
        whole = engine.score(case)
        gathered, asked = replay_quick_intake(engine, case.findings, margin=margin)
        quick = engine.score(Intake.model_validate({"findings": gathered}))
        regions = client_regions(engine, case.findings)
        off_site = [
            f
            for f in asked
            if regions is not None
            and ruleset.findings[f].sites is not None
            and regions.isdisjoint(ruleset.findings[f].sites or ())
        ]
        rows.append(
            (
                path.stem,
                len(asked),
                quick.causes[0].id == whole.causes[0].id,
                {f.id for f in whole.red_flags} <= {f.id for f in quick.red_flags},
                off_site,
            )
        )
    seconds = time.perf_counter() - start
    asked_counts = [r[1] for r in rows]
    same_top = sum(r[2] for r in rows)
    flags = sum(r[3] for r in rows)
    print(
        f"Cases: {len(rows)}; full questionnaire after screening: {full_count} questions; "
        f"stop margin {margin}"
    )
    print(
        f"Questions asked: mean {statistics.mean(asked_counts):.1f} "
        f"({statistics.mean(asked_counts) / full_count:.0%} of full), max {max(asked_counts)}"
    )
    print(f"Same top cause as the whole case: {same_top}/{len(rows)} ({same_top / len(rows):.0%})")
    print(f"Every red flag raised: {flags}/{len(rows)}")
    off = sum(len(r[4]) for r in rows)
    on_site_cases = sum(not r[4] for r in rows)
    print(
        f"Questions off the client's site: {off} of {sum(asked_counts)}; "
        f"cases with every question on site: {on_site_cases}/{len(rows)}"
    )
    print(f"({seconds:.1f} s)")
    for name, count, top, flag, off_site in rows:
        if not top or not flag or off_site or "-v" in sys.argv:
            print(f"  {name}: asked {count}, same top {top}, flags {flag}, off site {off_site}")


if __name__ == "__main__":
    main()
