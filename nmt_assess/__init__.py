"""nmt-assess: score a neuromuscular-therapy intake against the five NMT causes of pain.

from nmt_assess import load_ruleset, load_intake, score
ruleset = load_ruleset()                      # the bundled default pack
intake = load_intake("intake.yaml", ruleset)  # or validate_intake(mapping, ruleset.findings)
assessment = score(ruleset, intake)           # pure: no I/O
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nmt_assess.engine import Engine, score
    from nmt_assess.models import Assessment, Intake, Ruleset
    from nmt_assess.problems import Problem, ProblemsError
    from nmt_assess.readers.intake_file import read_intake_file as load_intake
    from nmt_assess.ruleset import load_ruleset
    from nmt_assess.validation import validate_intake

__version__ = "0.1.0"

_EXPORTS = {
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
    "Problem",
    "ProblemsError",
    "Ruleset",
    "load_intake",
    "load_ruleset",
    "score",
    "validate_intake",
]


def __getattr__(name: str) -> Any:
    """Import on first use, so `import nmt_assess` (and the CLI) stays fast."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'nmt_assess' has no attribute {name!r}")
    import importlib

    module_name, _, attribute = _EXPORTS[name].partition(":")
    return getattr(importlib.import_module(module_name), attribute or name)
