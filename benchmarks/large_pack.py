"""How a large rule pack scores against the default pack, in one process (not a test: run it
by hand). Issue 13's target: a pack of 1,000 rules scores at least 1/5 as fast as the default.

    python benchmarks/large_pack.py                 # 1,000 rules, 300 red flags, 6,000 intakes
    python benchmarks/large_pack.py --rules 2000 --detail summary

The large pack is tests/test_evaluators.py's `big_pack`, the one the tests check for
correctness: the default pack with its first cause's rules copied up to `--rules` (a third of
them in one large group, the last testing 70 findings) and its red flags copied up to `--flags`
(the last testing 70 findings). Both packs score the same seeded intakes
(benchmarks/generate.py) the way `score -f jsonl` does in one process: chunks of records
evaluated with numpy, documents built and written as JSON Lines. Best of three, intakes per second.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from generate import intakes  # noqa: E402

from nmt_assess.batch import CHUNK_SIZE, ChunkScorer  # noqa: E402
from nmt_assess.models import Ruleset  # noqa: E402
from nmt_assess.readers.records import Origin, RawRecord  # noqa: E402
from nmt_assess.ruleset import load_ruleset  # noqa: E402
from tests.test_evaluators import big_pack  # noqa: E402  (the pack the tests check)


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
    large = big_pack(default, args.rules, args.flags)
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
