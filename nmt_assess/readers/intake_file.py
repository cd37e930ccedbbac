"""Read one intake file (YAML or JSON) into a validated Intake, or located problems."""

from __future__ import annotations

from pathlib import Path

from nmt_assess.models import Intake, Ruleset
from nmt_assess.problems import Problem, ProblemsError
from nmt_assess.readers.documents import json_records, yaml_records
from nmt_assess.readers.records import validate_record


def read_intake_file(path: Path | str, ruleset: Ruleset) -> Intake:
    """The validated intake in `path`; raises ProblemsError listing every problem."""
    label = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ProblemsError(
            [Problem(label, None, "file", f"cannot read: {error.strerror}")]
        ) from None
    return parse_intake_text(data, label, ruleset)


def parse_intake_text(data: bytes, label: str, ruleset: Ruleset) -> Intake:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problem = Problem(
            label, None, "file", f"not UTF-8 text (byte {error.start})", "save the file as UTF-8"
        )
        raise ProblemsError([problem]) from None
    if label.lower().endswith(".json"):
        records = list(json_records(text, label, [], ruleset.findings))
    else:
        records = list(yaml_records(text, label))
    if len(records) != 1:
        problem = Problem(label, None, "file", f"holds {len(records)} intakes, expected one")
        raise ProblemsError([problem])
    result = validate_record(records[0], ruleset.findings)
    if isinstance(result, Intake):
        return result
    raise ProblemsError(result)
