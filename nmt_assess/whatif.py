"""What-if: how each cause moved when some answers change, and which rules moved it (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nmt_assess.models import Intake, Ruleset

Document = dict[str, Any]


@dataclass(frozen=True)
class WhatIf:
    """An intake scored as it is and with some answers changed (None: made unknown)."""

    changes: dict[str, object]
    original: Document
    variant: Document
    deltas: list[Document]

    def document(self) -> Document:
        """The JSON document of `score --set/--unset -f json`."""
        from nmt_assess.engine import SCHEMA_VERSION

        return {
            "schema_version": SCHEMA_VERSION,
            "changes": dict(self.changes),
            "deltas": self.deltas,
            "original": self.original,
            "variant": self.variant,
        }


def what_if(ruleset: Ruleset, intake: Intake, changes: Mapping[str, object]) -> WhatIf:
    """Score the intake, and again with `changes` (finding id -> answer, or None: unknown)."""
    from nmt_assess.engine import Engine
    from nmt_assess.models import Intake

    merged: dict[str, Any] = {**intake.findings, **changes}
    findings = {f: v for f, v in merged.items() if v is not None}
    engine = Engine(ruleset)
    original = engine.assess(intake)
    variant = engine.assess(
        Intake.model_construct(id=intake.id, date=intake.date, findings=findings)
    )
    return WhatIf(dict(changes), original, variant, compare(original, variant))


def parse_changes(
    ruleset: Ruleset, set_answers: Sequence[str], unset: Sequence[str]
) -> dict[str, object]:
    """FINDING=ANSWER pairs (answers as typed at the intake prompt) and FINDINGs to make
    unknown, as changes for `what_if`. Raises ProblemsError naming each one that is not."""
    from nmt_assess.answers import Command, Invalid, parse_answer
    from nmt_assess.problems import Problem, ProblemsError, did_you_mean

    changes: dict[str, object] = {}
    problems = []
    for text, is_set in [(t, True) for t in set_answers] + [(t, False) for t in unset]:
        finding_id, _, answer = text.partition("=") if is_set else (text, "", "")
        option = "--set" if is_set else "--unset"
        finding = ruleset.findings.get(finding_id.strip())
        if finding is None:
            problems.append(
                Problem(
                    option,
                    None,
                    f"finding '{_echo(finding_id)}'",
                    "unknown finding",
                    did_you_mean(finding_id, ruleset.findings),
                )
            )
            continue
        if not is_set:
            changes[finding.id] = None
            continue
        value = parse_answer(finding, answer)
        if isinstance(value, Invalid | Command) or not answer:
            message = (
                _echo_within(value.message, answer)
                if isinstance(value, Invalid)
                else f"'{_echo(answer)}' is not an answer"
            )
            problems.append(
                Problem(
                    option,
                    None,
                    f"finding '{finding.id}'",
                    message,
                    "write FINDING=ANSWER, e.g. numbness=yes",
                )
            )
            continue
        changes[finding.id] = value
    if problems:
        raise ProblemsError(problems)
    return changes


def _echo(text: str) -> str:
    """A value typed on the command line as a message shows it: control characters as escapes
    (an ESC never reaches the terminal), cut to problems.ECHO_LIMIT characters."""
    from nmt_assess.problems import shown
    from nmt_assess.writers.sanitize import printable

    return shown(printable(text), as_text=True)


def _echo_within(message: str, answer: str) -> str:
    """An answer's message quotes the answer, or one word of it, as typed: each that could not
    be shown as it is is replaced by `_echo` of it (longest first)."""
    import re

    from nmt_assess.writers.sanitize import printable

    cleaned = answer.strip().lower()
    for word in sorted({cleaned, *re.split(r"[\s,;]+", cleaned)}, key=len, reverse=True):
        if word and _echo(word) != word:
            message = message.replace(word, _echo(word))
    return printable(message)


def compare(original: Document, variant: Document) -> list[Document]:
    """Per cause (in the variant's rank order): probability and rank before and after, and the
    counted rules that appeared, disappeared or changed factor."""
    before = {cause["id"]: cause for cause in original["causes"]}
    deltas = []
    for cause in variant["causes"]:
        old = before[cause["id"]]
        old_rules = _counted(old)
        new_rules = _counted(cause)
        deltas.append(
            {
                "cause": cause["id"],
                "title": cause["title"],
                "probability_before": old["probability"],
                "probability_after": cause["probability"],
                "change": round(cause["probability"] - old["probability"], 4),
                "rank_before": old["rank"],
                "rank_after": cause["rank"],
                "rules_added": sorted(r for r in new_rules if r not in old_rules),
                "rules_removed": sorted(r for r in old_rules if r not in new_rules),
                "rules_changed": sorted(
                    r for r in new_rules if r in old_rules and new_rules[r] != old_rules[r]
                ),
            }
        )
    return deltas


def _counted(cause: Document) -> dict[str, float]:
    return {c["rule"]: c["factor"] for c in cause["contributions"] if c["counted"]}
