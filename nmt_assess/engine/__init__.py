"""The evidence engine: (Ruleset, Intake) -> Assessment. Pure: no I/O, no terminal, no numpy.

`scalar` evaluates one intake in plain Python, `batch` many with numpy; both walk the compiled
pack (ruleset.compile) and fill the same Result, which `document` builds into the assessment
document. `Engine` is the one-intake entry point (score, intake, practice, what-if).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from nmt_assess.engine.document import (
    CHECK_NEXT_LIMIT,
    CHECK_NEXT_MIN_SHIFT,
    DETAILS,
    SCHEMA_VERSION,
    AssessmentDocument,
    Detail,
    DocumentBuilder,
    Restriction,
    SummaryDocument,
    answers_entry,
    restricts_entry,
)
from nmt_assess.engine.scalar import Result, ScalarEvaluator, probability
from nmt_assess.models import Intake, RedFlag, Ruleset, Value
from nmt_assess.ruleset.compile import CompiledPack, compiled, log_factor

if TYPE_CHECKING:
    from nmt_assess.models import Assessment

Document = dict[str, Any]

__all__ = [
    "CHECK_NEXT_LIMIT",
    "CHECK_NEXT_MIN_SHIFT",
    "DETAILS",
    "SCHEMA_VERSION",
    "AssessmentDocument",
    "Detail",
    "Document",
    "DocumentBuilder",
    "Engine",
    "Restriction",
    "Result",
    "SummaryDocument",
    "answers_entry",
    "log_factor",
    "log_odds",
    "probability",
    "restricts_entry",
    "score",
]


def score(ruleset: Ruleset, intake: Intake) -> Assessment:
    """Screen red flags, then assess and rank every cause, with the reasons."""
    return Engine(ruleset).score(intake)


def log_odds(p: float) -> float:
    return math.log(p / (1.0 - p))


class Engine:
    """A ruleset prepared for scoring intakes one at a time."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.pack: CompiledPack = compiled(ruleset)
        self.evaluator = ScalarEvaluator(self.pack)
        self.builder = DocumentBuilder(self.pack)

    def score(self, intake: Intake, check_next: bool = True) -> Assessment:
        """The assessment, typed; without `check_next` its causes suggest no next checks (what
        grading a case does not read, and most of the cost of one intake)."""
        from nmt_assess.models import Assessment

        return Assessment.model_validate(self.document(intake, check_next))

    def evaluate(self, findings: Mapping[str, Any]) -> Result:
        return self.evaluator.evaluate(findings)

    def assess(self, intake: Intake, detail: Detail = "full") -> Document:
        """The assessment as its JSON document (schema_version 3) at that detail, for callers
        that treat it as plain JSON data; `document` and `summary` give it typed."""
        document = self.document(intake) if detail == "full" else self.summary(intake)
        return cast(Document, document)

    def document(self, intake: Intake, check_next: bool = True) -> AssessmentDocument:
        """The assessment as its typed JSON document (schema_version 3)."""
        findings = intake.findings
        return self.builder.build(
            self.evaluator.evaluate(findings, check_next),
            findings,
            intake.id,
            None if intake.date is None else intake.date.isoformat(),
        )

    def summary(self, intake: Intake) -> SummaryDocument:
        """The assessment as its summary document: figures and ids, no text (`detail`)."""
        findings = intake.findings
        return self.builder.summarize(
            self.evaluator.evaluate(findings, check_next=False),
            findings,
            intake.id,
            None if intake.date is None else intake.date.isoformat(),
        )

    def probabilities(self, findings: Mapping[str, Any]) -> dict[str, float]:
        """Each cause's probability, without the explanation (for adaptive questioning)."""
        return self.evaluator.probabilities(findings)

    def answer_options(self, finding_id: str) -> tuple[Value, ...]:
        """Answers that reach every outcome the rules distinguish for a finding."""
        options: dict[Value, None] = {}
        for cause in self.pack.causes:
            options.update(dict.fromkeys(cause.candidates.get(finding_id, ())))
        return tuple(options)

    def raised_flags(self, findings: Mapping[str, Any]) -> list[RedFlag]:
        """The red flags the findings raise, most severe first."""
        states = self.evaluator.flag_states(self.evaluator.states(findings))
        flags = self.pack.flags
        return [flags[i].flag for i in self.pack.by_severity if states[i] == "raised"]
