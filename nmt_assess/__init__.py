"""nmt-assess: score a neuromuscular-therapy intake against the five NMT causes of pain.

from nmt_assess import load_ruleset, load_intake, score
ruleset = load_ruleset()                      # the bundled default pack
intake = load_intake("intake.yaml", ruleset)  # or validate_intake(mapping, ruleset.findings)
assessment = score(ruleset, intake)           # pure: no I/O
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nmt_assess.cases import run_cases
    from nmt_assess.engine import Engine, score
    from nmt_assess.meanings import explain
    from nmt_assess.models import Assessment, Intake, Ruleset
    from nmt_assess.problems import Problem, ProblemsError
    from nmt_assess.readers.intake_file import read_intake_file as load_intake
    from nmt_assess.ruleset import load_ruleset
    from nmt_assess.ruleset.lint import lint
    from nmt_assess.scoring import score_inputs
    from nmt_assess.teaching.grading import grade
    from nmt_assess.teaching.practice import grade_case, grade_class, load_cases, parse_ranking
    from nmt_assess.validation import validate_intake
    from nmt_assess.whatif import WhatIf, parse_changes, what_if
    from nmt_assess.writers.formats import OutputFormat

__version__ = "0.1.0"

_EXPORTS = {
    "OutputFormat": "nmt_assess.writers.formats",
    "WhatIf": "nmt_assess.whatif",
    "explain": "nmt_assess.meanings",
    "grade": "nmt_assess.teaching.grading",
    "grade_case": "nmt_assess.teaching.practice",
    "grade_class": "nmt_assess.teaching.practice",
    "lint": "nmt_assess.ruleset.lint",
    "load_cases": "nmt_assess.teaching.practice",
    "parse_changes": "nmt_assess.whatif",
    "parse_ranking": "nmt_assess.teaching.practice",
    "run_cases": "nmt_assess.cases",
    "score_inputs": "nmt_assess.scoring",
    "what_if": "nmt_assess.whatif",
    "Assessment": "nmt_assess.models",
    "Engine": "nmt_assess.engine",
    "Intake": "nmt_assess.models",
    "Problem": "nmt_assess.problems",
    "ProblemsError": "nmt_assess.problems",
    "Ruleset": "nmt_assess.models",
    "load_intake": "nmt_assess.readers.intake_file:read_intake_file",
    "load_ruleset": "nmt_assess.ruleset",
    "score": "nmt_assess.engine",
    "validate_intake": "nmt_assess.validation",
}

__all__ = [
    "Assessment",
    "Engine",
    "Intake",
    "OutputFormat",
    "Problem",
    "ProblemsError",
    "Ruleset",
    "WhatIf",
    "explain",
    "grade",
    "grade_case",
    "grade_class",
    "lint",
    "load_cases",
    "load_intake",
    "load_ruleset",
    "parse_changes",
    "parse_ranking",
    "run_cases",
    "score",
    "score_inputs",
    "validate_intake",
    "what_if",
]


def __getattr__(name: str) -> Any:
    """Import on first use, so `import nmt_assess` (and the CLI) stays fast."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'nmt_assess' has no attribute {name!r}")
    import importlib

    module_name, _, attribute = _EXPORTS[name].partition(":")
    return getattr(importlib.import_module(module_name), attribute or name)
