"""Where the time of a batch goes, stage by stage, in one process (not a test: run it by hand).

    python benchmarks/stages.py            # 20,000 seeded synthetic intakes, chunks of 2,000
    python benchmarks/stages.py --count 50000 --chunk 4000
    python benchmarks/stages.py --detail summary

Each stage is timed on its own over the same intakes, best of three, in microseconds per
intake: reading JSONL lines into records, checking and encoding a chunk's findings as arrays,
scoring the chunk (numpy), building the documents, and writing them as JSON Lines. The stages
do not quite add up to a whole run: a run also moves records between them, and collects
garbage (switched off here, since this script holds every document at once).
"""

from __future__ import annotations

import argparse
import gc
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import intakes, write_jsonl  # noqa: E402

from nmt_assess.engine import Engine  # noqa: E402
from nmt_assess.engine.batch import BatchEvaluator  # noqa: E402
from nmt_assess.readers.csv_reader import ColumnMap  # noqa: E402
from nmt_assess.readers.inputs import Input, read_records  # noqa: E402
from nmt_assess.ruleset import load_ruleset  # noqa: E402
from nmt_assess.writers.jsonl import JsonlWriter  # noqa: E402


def best_of_three(work: Callable[[], Any], count: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(3):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best / count * 1e6, result


def main() -> None:
    parser = argparse.ArgumentParser(description="Time each stage of batch scoring.")
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--detail", choices=("full", "summary"), default="full")
    args = parser.parse_args()
    gc.disable()
    ruleset = load_ruleset()
    text = io.StringIO()
    write_jsonl(intakes(ruleset, args.count, args.seed), text)
    data = text.getvalue().encode()
    fast = BatchEvaluator(Engine(ruleset).pack)  # as `score -f jsonl` does

    def read() -> list[Any]:
        source = Input(None, "jsonl")
        return list(read_records(source, ruleset.findings, ColumnMap(), io.BytesIO(data), []))

    def chunks(items: list[Any]) -> list[list[Any]]:
        return [items[i : i + args.chunk] for i in range(0, len(items), args.chunk)]

    read_us, records = best_of_three(read, args.count)
    findings = [[r.document["findings"] for r in chunk] for chunk in chunks(records)]
    encode_us, encoded = best_of_three(lambda: [fast._encode(f) for f in findings], args.count)
    pairs = list(zip(findings, encoded, strict=True))
    full = args.detail == "full"
    score_us, scored = best_of_three(
        lambda: [fast._results(columns, len(f), full) for f, (columns, _) in pairs], args.count
    )
    build = fast.builder.build if full else fast.builder.summarize
    build_us, documents = best_of_three(
        lambda: [
            build(result, f)
            for results, chunk in zip(scored, findings, strict=True)
            for result, f in zip(results, chunk, strict=True)
        ],
        args.count,
    )

    def write() -> None:
        writer = JsonlWriter(io.TextIOWrapper(io.BytesIO()), ruleset)
        writer.begin()
        for document in documents:
            writer.write(document)
        writer.end()

    write_us, _ = best_of_three(write, args.count)
    print(
        f"{args.count:,} intakes, chunks of {args.chunk:,}, {args.detail} documents; "
        "microseconds per intake:"
    )
    stages = [
        ("read JSONL into records", read_us),
        ("check and encode findings", encode_us),
        ("evaluate (numpy) to results", score_us),
        ("build documents", build_us),
        ("write JSON Lines", write_us),
    ]
    for name, micros in stages:
        print(f"  {name:<28} {micros:6.1f}")
    print(f"  {'sum of the stages':<28} {sum(m for _, m in stages):6.1f}")


if __name__ == "__main__":
    main()
