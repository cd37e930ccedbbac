"""The vectorised batch engine gives the reference engine's documents exactly, and declines
(None) every document it does not fully validate, so those take the reference path."""

from __future__ import annotations

import gc
import io
import json
import random
from pathlib import Path
from typing import Any

import pytest

from nmt_assess import batch
from nmt_assess.batch import ChunkScorer, score_stream
from nmt_assess.engine import Engine
from nmt_assess.engine.batch import BatchEvaluator
from nmt_assess.models import Finding, FindingType, Intake, Ruleset
from nmt_assess.readers.csv_reader import ColumnMap
from nmt_assess.readers.inputs import Input, read_records
from nmt_assess.validation import validate_intake
from tests.conftest import CASES_DIR

Document = dict[str, Any]


def random_value(rng: random.Random, finding: Finding) -> Any:
    if finding.type is FindingType.yes_no:
        return rng.random() < 0.4
    if finding.type is FindingType.scale_0_10:
        return rng.randint(0, 10)
    if finding.type is FindingType.number:
        low, high = finding.bounds or (0, 100)
        return rng.choice([int(low), int(high), rng.randint(int(low), int(high)), low + 0.5])
    choices = list(finding.choices or ())
    if finding.type is FindingType.choice:
        return rng.choice(choices)
    return rng.sample(choices, k=rng.randint(0, min(4, len(choices))))


def random_intakes(
    ruleset: Ruleset,
    count: int,
    seed: int,
    unknown_shares: tuple[float, ...] = (0, 0.2, 0.5, 0.9, 1),
) -> list[Document]:
    """Intakes from all answered to all unknown, with some unknowns given as null."""
    rng = random.Random(seed)
    documents = []
    for number in range(count):
        unknown_share = rng.choice(unknown_shares)
        findings: dict[str, Any] = {}
        for finding_id, finding in ruleset.findings.items():
            if rng.random() >= unknown_share:
                findings[finding_id] = random_value(rng, finding)
            elif rng.random() < 0.1:
                findings[finding_id] = None
        documents.append({"id": f"R-{number}", "findings": findings})
    return documents


def reference(ruleset: Ruleset, document: Document) -> Document:
    intake = validate_intake(document, ruleset.findings)
    assert isinstance(intake, Intake)
    return Engine(ruleset).assess(intake)


def assert_same_as_reference(ruleset: Ruleset, documents: list[Document]) -> None:
    engine = Engine(ruleset)
    fast = list(BatchEvaluator(engine.pack).assess_documents(documents))
    for document, result in zip(documents, fast, strict=True):
        intake = validate_intake(document, ruleset.findings)
        assert isinstance(intake, Intake)
        # json.dumps also tells 0.0 from -0.0, which == does not
        assert json.dumps(result) == json.dumps(engine.assess(intake)), document["id"]


def test_random_intakes_match_the_reference_engine(ruleset: Ruleset) -> None:
    assert_same_as_reference(ruleset, random_intakes(ruleset, 1500, seed=1))


def test_a_batch_with_every_finding_answered_matches_the_reference_engine(
    ruleset: Ruleset,
) -> None:
    # nothing is left to check next: the path that skips findings every intake answered
    assert_same_as_reference(ruleset, random_intakes(ruleset, 100, 7, unknown_shares=(0,)))


def test_the_case_library_matches_the_reference_engine(ruleset: Ruleset) -> None:
    import yaml

    documents = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        case = yaml.safe_load(path.read_text())
        documents.append({"id": path.stem, "findings": case["findings"]})
    assert len(documents) >= 40
    assert_same_as_reference(ruleset, documents)


def test_the_mini_pack_matches_the_reference_engine(mini: Ruleset) -> None:
    assert_same_as_reference(mini, random_intakes(mini, 400, seed=2))


def test_a_pack_without_red_flags_matches_the_reference_engine(mini: Ruleset) -> None:
    assert_same_as_reference(mini.model_copy(update={"red_flags": ()}), random_intakes(mini, 50, 6))


@pytest.mark.parametrize(
    "document",
    [
        {"id": "X", "findings": {"tinglng": True}},  # unknown finding
        {"id": "X", "findings": {"tingling": "yes"}},  # not coerced
        {"id": "X", "findings": {"tingling": 1}},
        {"id": "X", "findings": {"pain_intensity": 7.0}},  # a scale takes whole numbers
        {"id": "X", "findings": {"pain_intensity": True}},
        {"id": "X", "findings": {"pain_intensity": 11}},
        {"id": "X", "findings": {"age": float("nan")}},
        {"id": "X", "findings": {"age": 10**400}},
        {"id": "X", "findings": {"pain_onset": "yesterday"}},
        {"id": "X", "findings": {"pain_locations": ["calf", "calf"]}},
        {"id": "X", "findings": {"pain_locations": "calf"}},
        {"id": "X", "findings": {"pain_locations": [["calf"]]}},
        {"id": "X", "findings": "tingling"},
        {"id": 1.5, "findings": {}},
        {"id": True, "findings": {}},
        {"id": "X", "date": "5 May 2024", "findings": {}},
        {"id": "X", "date": "2024-02-30", "findings": {}},
        {"id": "X", "title": "a case file", "findings": {}},  # case metadata: the reference way
        {"findings": {}, "extra": 1},
        ["not", "a", "mapping"],
        None,
    ],
)
def test_it_declines_what_the_reference_must_judge(ruleset: Ruleset, document: Any) -> None:
    good = {"id": "G", "findings": {"tingling": True}}
    results = list(BatchEvaluator(Engine(ruleset).pack).assess_documents([good, document, good]))
    assert results[1] is None
    assert results[0] is not None and results[2] is not None
    assert results[0] == reference(ruleset, good)


def test_ids_and_iso_dates_read_as_the_reference_reads_them(ruleset: Ruleset) -> None:
    documents = [
        {"id": 17, "date": "2024-05-01", "findings": {"numbness": False}},
        {"id": None, "date": None, "findings": {}},
        {"findings": {"age": 40.5}},
    ]
    results = list(BatchEvaluator(Engine(ruleset).pack).assess_documents(documents))
    for document, result in zip(documents, results, strict=True):
        assert result == reference(ruleset, document)
    assert results[0] is not None and results[0]["intake_id"] == "17"


# --- the batch path as a whole: the same records whichever way a record goes -----------------

TRICKY_LINES = [
    b'{"id": "A", "findings": {"tingling": true, "numbness": true}}\n',
    b'{"id": "B", "findings": {"tingling": true, "tingling": false}}\n',  # repeated key
    b'{"id": "C: with a colon", "findings": {"tingling": true}}\n',  # fails safe
    b'{"id": 123456789012345678901234567890, "findings": {}}\n',  # orjson: a float
    b'{"id": "D", "findings": {"age": NaN}}\n',  # only the json module reads NaN
    b'{"id": "E", "findings": {"age": 1e400}}\n',
    b'{"id": "F", "findings": {"tingling": tr\n',  # truncated
    b'{"id": "G", "findings": {"pain_locations": ["wrist_hand"], "x": {"y": 1}}}\n',
    b'{"id": "H", "findings": {"tingling": "yes"}}\n',
    b'{"id": "I", "findings": {"numbness": true}, "date": "2024-01-02"}\n',
    b'"just a string"\n',
    b'{"id": "\xff", "findings": {}}\n',  # not UTF-8
]


def records(data: bytes) -> list[Any]:
    source = Input(None, "jsonl")
    return list(read_records(source, {}, ColumnMap(), io.BytesIO(data), []))


def test_records_are_the_same_by_the_fast_path_and_the_reference_path(
    ruleset: Ruleset,
) -> None:
    data = b"".join(TRICKY_LINES * 3)
    fast = list(ChunkScorer(ruleset, vectorise=True).score(records(data)))
    plain = list(ChunkScorer(ruleset, vectorise=False).score(records(data)))
    assert len(fast) == len(plain) == 3 * len(TRICKY_LINES)
    assert json.dumps(fast) == json.dumps(plain)
    failed = [r["source"]["line"] for r in fast[: len(TRICKY_LINES)] if "errors" in r]
    assert failed == [2, 5, 6, 7, 8, 9, 11, 12]  # a repeated key is never resolved silently
    assert fast[3]["intake_id"] == "123456789012345678901234567890"


def test_a_batch_restores_the_collector_threshold(ruleset: Ruleset, tmp_path: Path) -> None:
    before = gc.get_threshold()
    data = b"".join(TRICKY_LINES)
    stream = score_stream(records(data), ruleset, jobs=1)
    next(stream)
    assert gc.get_threshold()[0] >= 20_000
    list(stream)
    assert gc.get_threshold() == before


def test_small_batches_skip_numpy(ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
    made = []
    monkeypatch.setattr(batch, "_batch_evaluator", lambda *args: made.append(args))
    list(score_stream(records(b"".join(TRICKY_LINES)), ruleset, jobs=1))
    assert made == []


def test_csv_records_are_the_same_by_either_path(ruleset: Ruleset) -> None:
    ids = ["tingling", "numbness", "pain_intensity", "pain_locations", "age", "recent_trauma"]
    rng = random.Random(4)
    cells = [["true", "false", "yes", "", "1"], ["false", "n", ""], ["7", "", "11", "x"]]
    cells += [["wrist_hand;neck", "", "calf"], ["44", "", "200"], ["no", "", "maybe"]]
    rows = [",".join(ids)]
    rows += [",".join(rng.choice(options) for options in cells) for _ in range(300)]
    data = "\n".join(rows).encode()

    def csv_records() -> list[Any]:
        source = Input(None, "csv")
        return list(read_records(source, ruleset.findings, ColumnMap(), io.BytesIO(data), []))

    fast = list(ChunkScorer(ruleset, vectorise=True).score(csv_records()))
    plain = list(ChunkScorer(ruleset, vectorise=False).score(csv_records()))
    blank_rows = sum(1 for row in rows[1:] if not row.strip(","))  # not records
    assert len(fast) == 300 - blank_rows
    assert json.dumps(fast) == json.dumps(plain)
    assert 0 < sum("errors" in record for record in fast) < 300  # both kinds are in the mix


@pytest.mark.parametrize(
    "output_format", ["jsonl", "json", "csv", "table", "markdown", "html", "fhir"]
)
def test_every_writer_gives_the_same_output_by_either_path(
    ruleset: Ruleset, tmp_path: Path, output_format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from nmt_assess.cli.app import app

    source = tmp_path / "many.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in random_intakes(ruleset, 250, 5)))
    outputs = []
    for vectorise_from in (1, 10**9):
        monkeypatch.setattr(batch, "VECTORISE_FROM", vectorise_from)
        result = CliRunner().invoke(app, ["score", str(source), "-f", output_format, "-j", "1"])
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
