"""The data of nmt-assess, as pydantic models (immutable once validated).

- catalog: findings, pack settings, causes, rules and weights, red flags, referral, sources,
  and the Ruleset a pack loads into
- conditions: the condition language of rules and red flags
- intake: a validated intake
- assessment: the assessment document and the batch records

Every name is re-exported here, so `from nmt_assess.models import Rule` keeps working. The
assessment's models are imported when first asked for: a command that writes its document as
JSON never needs them, and defining them is a good part of its start-up.
"""

from typing import TYPE_CHECKING, Any

from nmt_assess.models.base import (
    LR_MAX,
    LR_MIN,
    PRIOR_MAX,
    PRIOR_MIN,
    Frozen,
    LikelihoodRatio,
    PackNumber,
    Value,
)
from nmt_assess.models.catalog import (
    Action,
    Band,
    Cause,
    Finding,
    FindingType,
    Group,
    PackInfo,
    RedFlag,
    Referral,
    RegionRestriction,
    Rule,
    Ruleset,
    Site,
    Weight,
)
from nmt_assess.models.conditions import (
    AllOf,
    AnyOf,
    AtLeast,
    Condition,
    Findings,
    FindingTest,
    Not,
    expand_shorthand,
)
from nmt_assess.models.intake import Intake

if TYPE_CHECKING:
    from nmt_assess.models.assessment import (
        Assessment,
        AssessmentSummary,
        CauseAssessment,
        CheckNext,
        Contribution,
        ErrorRecord,
        PackRef,
        RaisedFlag,
        RecordError,
        RecordSource,
        RulesetInfo,
        SourcedAssessment,
        UnscreenedFlag,
        Withheld,
    )

#: The names of nmt_assess.models.assessment, imported on first use (PEP 562).
_ASSESSMENT_NAMES = frozenset(
    {
        "Assessment",
        "AssessmentSummary",
        "CauseAssessment",
        "CheckNext",
        "Contribution",
        "ErrorRecord",
        "PackRef",
        "RaisedFlag",
        "RecordError",
        "RecordSource",
        "RulesetInfo",
        "SourcedAssessment",
        "UnscreenedFlag",
        "Withheld",
    }
)


def __getattr__(name: str) -> Any:
    if name in _ASSESSMENT_NAMES:
        from nmt_assess.models import assessment

        return getattr(assessment, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: The name tests/test_conditions.py imports (the function was private before the split).
_expand_shorthand = expand_shorthand

__all__ = [
    "LR_MAX",
    "LR_MIN",
    "PRIOR_MAX",
    "PRIOR_MIN",
    "Action",
    "AllOf",
    "AnyOf",
    "Assessment",
    "AssessmentSummary",
    "AtLeast",
    "Band",
    "Cause",
    "CauseAssessment",
    "CheckNext",
    "Condition",
    "Contribution",
    "ErrorRecord",
    "Finding",
    "FindingTest",
    "FindingType",
    "Findings",
    "Frozen",
    "Group",
    "Intake",
    "LikelihoodRatio",
    "Not",
    "PackInfo",
    "PackNumber",
    "PackRef",
    "RaisedFlag",
    "RecordError",
    "RecordSource",
    "RedFlag",
    "Referral",
    "RegionRestriction",
    "Rule",
    "Ruleset",
    "RulesetInfo",
    "Site",
    "SourcedAssessment",
    "UnscreenedFlag",
    "Value",
    "Weight",
    "Withheld",
    "expand_shorthand",
]
