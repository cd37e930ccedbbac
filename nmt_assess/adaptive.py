"""Adaptive questioning (pure): which question to ask next, and when asking more is pointless.

The next question is the one with the largest expected information gain over the five cause
probabilities: the mean, over the question's possible answers, of how far (KL divergence, in
bits) the answer would move the causes' probabilities. The rules give no base rate for each
answer, so the answers are weighted equally (yes and no; each choice).

Stop rule: the intake offers to stop when no single answer to any unasked question could let
the second cause overtake the first, or another cause overtake the second, by more than
STOP_MARGIN on the log-odds scale.
benchmarks/intake_replay.py measures the trade-off on the case library (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from nmt_assess.engine import Engine

#: How far past the cause ahead of it (log-odds) an answer must be able to take a challenger
#: for the intake to keep asking: 0.04 is odds about 4% ahead.
STOP_MARGIN = 0.04


def divergence(after: float, before: float) -> float:
    """KL divergence (bits) of one cause's Bernoulli after an answer from before it."""
    total = 0.0
    for p, q in ((after, before), (1 - after, 1 - before)):
        if p > 0:
            total += p * math.log2(p / q)
    return total


def information_gain(engine: Engine, findings: Mapping[str, Any], finding_id: str) -> float:
    """Expected information gain: the mean, over the answers, of the divergence of the causes'
    probabilities after the answer from those now (the mutual-information form of the gain,
    which never rewards a question for leaving a cause uncertain)."""
    now = engine.probabilities(findings)
    options = engine.answer_options(finding_id)
    total = 0.0
    for answer in options:
        after = engine.probabilities({**findings, finding_id: answer})
        total += sum(divergence(after[c], now[c]) for c in now)
    return total / len(options) if options else 0.0


def next_question(
    engine: Engine, findings: Mapping[str, Any], candidates: Iterable[str]
) -> str | None:
    """The candidate with the largest expected information gain (ties: catalog order)."""
    best, best_gain = None, -math.inf
    for finding_id in candidates:
        gain = information_gain(engine, findings, finding_id)
        if gain > best_gain + 1e-12:
            best, best_gain = finding_id, gain
    return best


def could_reorder_top_two(
    engine: Engine,
    findings: Mapping[str, Any],
    candidates: Iterable[str],
    margin: float = STOP_MARGIN,
) -> bool:
    """Could one answer to one unasked question let the second cause overtake the first, or
    a third overtake the second, with log-odds to spare of more than `margin`?"""
    now = engine.probabilities(findings)
    order = sorted(now, key=lambda c: -now[c])
    pairs = [(order[1], order[0])] + [(other, order[1]) for other in order[2:]]
    for finding_id in candidates:
        for answer in engine.answer_options(finding_id):
            after = engine.probabilities({**findings, finding_id: answer})
            if any(
                _logit(after[challenger]) - _logit(after[holder]) > margin
                for challenger, holder in pairs
            ):
                return True
    return False


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def screening_findings(engine: Engine) -> list[str]:
    """Asked before anything else: the screening section and every finding a red flag reads
    (age, pain intensity and the like), so that every red flag can be raised."""
    catalog = engine.ruleset.findings
    flagged = {f for flag in engine.ruleset.red_flags for f in flag.when.findings()}
    return [f for f, finding in catalog.items() if finding.section == "screening" or f in flagged]


def site_questions(engine: Engine) -> list[str]:
    """Asked right after screening: where the client has pain and symptoms (the pack's
    site_findings), since they decide which site-specific questions mean anything."""
    return [f for f in engine.ruleset.site_findings if f in engine.ruleset.findings]


def client_regions(engine: Engine, findings: Mapping[str, Any]) -> set[str] | None:
    """The body regions the client marked (pain or symptoms), None when none is answered."""
    answered = [findings.get(f) for f in site_questions(engine)]
    if all(value is None for value in answered):
        return None
    return {region for value in answered if value for region in value}


def on_site(engine: Engine, findings: Mapping[str, Any], candidates: Iterable[str]) -> list[str]:
    """The candidates that have meaning for the client's regions: a site-specific question
    (a finding with `sites`) is dropped when the client's marked regions miss its sites."""
    regions = client_regions(engine, findings)
    catalog = engine.ruleset.findings
    return [f for f in candidates if regions is None or _meets(catalog[f].sites, regions)]


def _meets(sites: tuple[str, ...] | None, regions: set[str]) -> bool:
    return sites is None or not regions.isdisjoint(sites)


def next_site_question(
    engine: Engine, findings: Mapping[str, Any], asked: Iterable[str]
) -> str | None:
    """The first site question not yet answered or asked."""
    done = set(asked)
    return next(
        (f for f in site_questions(engine) if findings.get(f) is None and f not in done), None
    )


def replay_quick_intake(
    engine: Engine, answers: Mapping[str, Any], *, margin: float = STOP_MARGIN
) -> tuple[dict[str, Any], list[str]]:
    """The quick intake's path through a known set of answers (a case): screening first, then
    the adaptive questions until the stop rule holds. A question the answers leave open is asked
    and stays unknown. Returns the findings gathered and the questions asked after screening."""
    screening = screening_findings(engine)
    findings = {f: v for f, v in answers.items() if f in screening}
    pending = [f for f in engine.ruleset.findings if f not in screening]
    asked: list[str] = []
    while pending:
        chosen = next_site_question(engine, findings, asked)
        if chosen is None:
            open_ = on_site(engine, findings, pending)
            if not open_ or not could_reorder_top_two(engine, findings, open_, margin):
                break
            chosen = next_question(engine, findings, open_)
        assert chosen is not None
        if chosen in pending:
            pending.remove(chosen)
        asked.append(chosen)
        if answers.get(chosen) is not None:
            findings[chosen] = answers[chosen]
    return findings, asked
