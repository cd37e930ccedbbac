"""Calibration of the default pack on its case library: how high the top probabilities go, how
wide their ranges are, by kind of intake (a client's own form, or a full intake with an
examination), and how often each band's top cause is a cause the case expects to lead.

    python benchmarks/calibration.py

A case is a client-only form when none of its answered findings is asked of the therapist.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence

from nmt_assess.cases import Case, read_case
from nmt_assess.engine import Engine
from nmt_assess.models import Intake
from nmt_assess.ruleset import default_pack_dir, load_ruleset
from nmt_assess.ruleset.loader import case_files


def quartiles(values: Sequence[float]) -> str:
    if len(values) < 2:
        return " / ".join(f"{v:.2f}" for v in values) or "-"
    low, mid, high = statistics.quantiles(values, n=4, method="inclusive")
    return f"{low:.2f} / {mid:.2f} / {high:.2f}"


def main() -> None:
    ruleset = load_ruleset()
    engine = Engine(ruleset)
    tops: dict[str, list[float]] = defaultdict(list)
    widths: dict[str, list[float]] = defaultdict(list)
    bands: Counter[tuple[str, str]] = Counter()
    hits: Counter[tuple[str, str]] = Counter()
    for path in case_files(default_pack_dir()):
        case = read_case(path, ruleset)
        assert isinstance(case, Case), path
        kind = (
            "full"
            if any(ruleset.findings[f].asked_of == "therapist" for f in case.findings)
            else "client-only"
        )
        assessment = engine.score(Intake.model_validate({"findings": case.findings}))
        top = assessment.causes[0]
        tops[kind].append(top.probability)
        widths[kind].append(top.range[1] - top.range[0])
        bands[(kind, top.band)] += 1
        hits[(kind, top.band)] += top.id in case.expect.top
    labels = [band.label for band in ruleset.bands]
    print(
        "| intake kind | cases | top probability: q1 / median / q3 | max | range width: "
        "q1 / median / q3 |"
    )
    print("|---|---:|---|---:|---|")
    for kind in ("client-only", "full"):
        print(
            f"| {kind} | {len(tops[kind])} | {quartiles(tops[kind])} | {max(tops[kind]):.2f} "
            f"| {quartiles(widths[kind])} |"
        )
    print()
    print("| intake kind | band of the top cause | cases | top cause as expected |")
    print("|---|---|---:|---:|")
    for kind in ("client-only", "full"):
        for label in labels:
            count = bands[(kind, label)]
            if count:
                share = hits[(kind, label)] / count
                print(f"| {kind} | {label} | {count} | {hits[(kind, label)]} ({share:.0%}) |")


if __name__ == "__main__":
    main()
