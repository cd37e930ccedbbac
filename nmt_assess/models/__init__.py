"""The data of nmt-assess, as pydantic models (immutable once validated).

- catalog: findings, pack settings, causes, rules and weights, red flags, referral, sources,
  and the Ruleset a pack loads into
- conditions: the condition language of rules and red flags
- intake: a validated intake
- assessment: the assessment document and the batch records

Every name is re-exported here, so `from nmt_assess.models import Rule` keeps working.
"""

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
