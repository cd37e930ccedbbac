"""How a large rule pack scores against the default pack, in one process (not a test: run it
by hand). Issue 13's target: a pack of 1,000 rules scores at least 1/5 as fast as the default.

    python benchmarks/large_pack.py                 # 1,000 rules, 300 red flags, 6,000 intakes
    python benchmarks/large_pack.py --rules 2000 --detail summary

The large pack is the default pack with its first cause's rules copied up to `--rules` (a third
of them in one large group, the last testing 70 findings) and its red flags copied up to
`--flags` (the last testing 70 findings): the shape tests/test_evaluators.py checks for
correctness. Both packs score the same seeded intakes (benchmarks/generate.py) the way `score
-f jsonl` does in one process: chunks of records evaluated with numpy, documents built and
written as JSON Lines. Best of three, intakes per second.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import intakes

from nmt_assess.batch import CHUNK_SIZE, ChunkScorer
from nmt_assess.models import AnyOf, FindingTest, FindingType, Ruleset
from nmt_assess.readers.records import Origin, RawRecord
from nmt_assess.ruleset import load_ruleset


def large_pack(ruleset: Ruleset, rules: int, flags: int) -> Ruleset:
    yes_no = [f for f, finding in ruleset.findings.items() if finding.type is FindingType.yes_no]
    wide = AnyOf(any=tuple(FindingTest(finding=yes_no[i % len(yes_no)]) for i in range(70)))
    cause = ruleset.causes[0]
    made = []
    for number in range(rules):
        rule = cause.rules[number % len(cause.rules)]
        update: dict[str, Any] = {"id": f"{rule.id}.{number}"}
        if number % 3 == 0:
            update["group"] = "big"
        if number == rules - 1:
            update["when"] = wide
        made.append(rule.model_copy(update=update))
    copies = []
    for number in range(flags):
        flag = ruleset.red_flags[number % len(ruleset.red_flags)]
        update = {"id": f"{flag.id}.{number}"}
        if number == flags - 1:
            update["when"] = wide
        copies.append(flag.model_copy(update=update))
    causes = (cause.model_copy(update={"rules": tuple(made)}), *ruleset.causes[1:])
    return ruleset.model_copy(update={"causes": causes, "red_flags": tuple(copies)})


def rate(ruleset: Ruleset, records: list[RawRecord], detail: str) -> float:
    scorer = ChunkScorer(ruleset, vectorise=True, detail=detail)  # type: ignore[arg-type]
    assert scorer.fast is not None, "the pack left the batch path"
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for at in range(0, len(records), CHUNK_SIZE):
            for record in scorer.score(records[at : at + CHUNK_SIZE]):
                orjson.dumps(record)
        best = min(best, time.perf_counter() - start)
    return len(records) / best


def main() -> None:
    parser = argparse.ArgumentParser(description="Score a large pack against the default one.")
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--flags", type=int, default=300)
    parser.add_argument("--count", type=int, default=6000)
    parser.add_argument("--detail", choices=("full", "summary"), default="full")
    args = parser.parse_args()
    default = load_ruleset()
    large = large_pack(default, args.rules, args.flags)
    documents = [orjson.loads(orjson.dumps(d)) for d in intakes(default, args.count, 1)]
    records = [RawRecord(Origin("x.jsonl", n, n), d) for n, d in enumerate(documents, 1)]
    ours = rate(default, records, args.detail)
    theirs = rate(large, records, args.detail)
    print(f"{args.count:,} intakes, {args.detail} documents, one process, best of 3:")
    for name, pack, speed in (("default", default, ours), ("large", large, theirs)):
        rules = sum(len(cause.rules) for cause in pack.causes)
        flags = len(pack.red_flags)
        print(f"  {name} pack ({rules:,} rules, {flags} red flags): {speed:,.0f} intakes/s")
    print(f"  large / default: {theirs / ours:.2f} (target: at least 0.20)")


if __name__ == "__main__":
    main()
