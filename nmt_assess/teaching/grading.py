"""Grading a student's case analysis against the engine's (pure).

- top cause: right or wrong;
- rank agreement: Kendall's tau over the five causes (+1 same order, -1 reversed);
- red flags: caught, missed and extra; a missed emergency or urgent flag is a serious miss,
  whatever the ranking;
- supporting findings: compared with the findings behind the engine's strongest reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nmt_assess.models import Assessment

SUPPORT_COMPARED = 3  # the engine's strongest reasons for its top cause that a student may name


@dataclass(frozen=True)
class Grade:
    case: str
    top_expected: str
    top_given: str
    top_correct: bool
    kendall_tau: float
    pairs_agreeing: int
    pairs_total: int
    flags_caught: list[str]
    flags_missed: list[str]
    flags_extra: list[str]
    serious_miss: bool
    support_given: list[str]
    support_expected: list[str]
    support_matched: list[str]

    @property
    def passed(self) -> bool:
        return self.top_correct and not self.serious_miss

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed, "rank_agreement": self.rank_words()}

    def rank_words(self) -> str:
        return (
            f"{self.pairs_agreeing} of the {self.pairs_total} pairs of causes are in the same "
            f"order as the rules' ranking (Kendall's tau {self.kendall_tau:+.2f}: +1 is the same "
            "order, 0 no agreement, -1 reversed)"
        )


def kendall_tau(given: Sequence[str], expected: Sequence[str]) -> tuple[float, int, int]:
    """Tau over the causes both rankings hold, with the agreeing and total pair counts."""
    position = {cause: index for index, cause in enumerate(given)}
    ordered = [cause for cause in expected if cause in position]
    pairs = list(combinations(ordered, 2))
    agreeing = sum(1 for a, b in pairs if position[a] < position[b])
    if not pairs:
        return 0.0, 0, 0
    return (2 * agreeing - len(pairs)) / len(pairs), agreeing, len(pairs)


def grade(
    case_id: str,
    assessment: Assessment,
    ranking: Sequence[str],
    flags: Sequence[str],
    support: Sequence[str] = (),
) -> Grade:
    expected_ranking = [cause.id for cause in assessment.causes]
    tau, agreeing, total = kendall_tau(ranking, expected_ranking)
    raised = {flag.id: flag for flag in assessment.red_flags}
    missed = [flag_id for flag_id in raised if flag_id not in flags]
    top = assessment.causes[0]
    strongest = [c for c in top.contributions if c.counted and c.direction == "for"]
    expected_support = list(
        dict.fromkeys(f for c in strongest[:SUPPORT_COMPARED] for f in c.findings)
    )
    return Grade(
        case=case_id,
        top_expected=top.id,
        top_given=ranking[0] if ranking else "",
        top_correct=bool(ranking) and ranking[0] == top.id,
        kendall_tau=round(tau, 4),
        pairs_agreeing=agreeing,
        pairs_total=total,
        flags_caught=[flag_id for flag_id in raised if flag_id in flags],
        flags_missed=missed,
        flags_extra=[flag_id for flag_id in flags if flag_id not in raised],
        serious_miss=any(raised[f].action.is_referral_first for f in missed),
        support_given=list(support),
        support_expected=expected_support,
        support_matched=[f for f in support if f in expected_support],
    )
