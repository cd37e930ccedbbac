"""Seeded generator of realistic synthetic intakes, as JSONL or CSV.

Each intake leans towards one or two causes: the findings that the leading cause's rules use
are answered "yes" more often, so findings co-occur as they do in clients. Every intake leaves
some questions unasked (unknown), answers most screening questions "no", and about one in
thirty raises a red flag.

    python benchmarks/generate.py 10000 --seed 1 --format jsonl > intakes.jsonl
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections.abc import Iterator
from typing import Any

from nmt_assess.models import FindingType, Ruleset
from nmt_assess.ruleset import load_ruleset

ASKED = 0.55  # share of non-screening questions asked
YES_FOR_LEADER = 0.7  # chance a finding the leading cause uses is "yes"
YES_OTHERWISE = 0.15
RED_FLAG_RATE = 1 / 30


def intakes(ruleset: Ruleset, count: int, seed: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    used_by = {
        cause.id: {f for rule in cause.rules if rule.lr.lr > 1 for f in rule.when.findings()}
        for cause in ruleset.causes
    }
    causes = [cause.id for cause in ruleset.causes]
    # Screening yes/no questions are answered no (a red flag now and then); the other
    # screening findings (numbers, choices) are answered like any other finding.
    screening = [
        f
        for f in ruleset.findings.values()
        if f.section == "screening" and f.type is FindingType.yes_no
    ]
    screening_ids = {finding.id for finding in screening}
    for number in range(count):
        leaders = set(rng.sample(causes, rng.choice((1, 1, 2))))
        leaning = set().union(*(used_by[c] for c in leaders))
        findings: dict[str, Any] = {}
        for finding in ruleset.findings.values():
            if finding.id in screening_ids:
                continue
            if rng.random() > ASKED:
                continue  # not asked: unknown
            yes = YES_FOR_LEADER if finding.id in leaning else YES_OTHERWISE
            findings[finding.id] = _answer(rng, finding, yes)
        for finding in screening:
            findings[finding.id] = False
        if rng.random() < RED_FLAG_RATE:
            findings[rng.choice(screening).id] = True
        yield {"id": f"SYN-{number:07d}", "findings": findings}


def _answer(rng: random.Random, finding: Any, yes: float) -> Any:
    if finding.type is FindingType.yes_no:
        return rng.random() < yes
    if finding.type is FindingType.scale_0_10:
        return rng.randint(0, 10)
    if finding.type is FindingType.number:
        low, high = finding.bounds
        return rng.randint(int(max(low, 18 if finding.id == "age" else low)), int(min(high, 85)))
    if finding.type is FindingType.choice:
        return rng.choice(finding.choices)
    return sorted(rng.sample(finding.choices, rng.randint(0, 3)))


def write_jsonl(records: Iterator[dict[str, Any]], out: Any) -> None:
    for record in records:
        out.write(json.dumps(record) + "\n")


def write_csv(records: Iterator[dict[str, Any]], ruleset: Ruleset, out: Any) -> None:
    columns = ["id", *ruleset.findings]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        findings = record["findings"]
        writer.writerow([record["id"], *(_cell(findings.get(f)) for f in columns[1:])])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    args = parser.parse_args()
    ruleset = load_ruleset()
    records = intakes(ruleset, args.count, args.seed)
    if args.format == "csv":
        write_csv(records, ruleset, sys.stdout)
    else:
        write_jsonl(records, sys.stdout)


if __name__ == "__main__":
    main()
