"""What a therapist types at the intake prompt, turned into an answer or a command (pure).

y / n / s          yes, no, skip (unknown) for yes/no questions
7                  a number (0-10 scales, ages, scores)
2  or  chronic     a choice, by number or by name
1,3 or neck,jaw    several choices; "none" for none
?  b  done         why this question, back one question, finish now
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from nmt_assess.models import Finding, FindingType, Value
from nmt_assess.problems import did_you_mean


class Command(str, Enum):
    skip = "skip"
    back = "back"
    why = "why"
    done = "done"


@dataclass(frozen=True)
class Invalid:
    """An answer that does not fit, with a hint to re-ask with."""

    message: str


_COMMANDS = {
    "s": Command.skip,
    "skip": Command.skip,
    "b": Command.back,
    "back": Command.back,
    "?": Command.why,
    "why": Command.why,
    "done": Command.done,
}
_YES = {"y", "yes", "true", "1"}
_NO = {"n", "no", "false", "0"}
_SPLIT = re.compile(r"\s*[,;]\s*|\s+")


def parse_answer(finding: Finding, text: str) -> Value | Command | Invalid:
    cleaned = text.strip().lower()
    if cleaned in _COMMANDS:
        return _COMMANDS[cleaned]
    if not cleaned:
        return Invalid("type an answer, or s to skip")
    kind = finding.type
    if kind is FindingType.yes_no:
        if cleaned in _YES:
            return True
        if cleaned in _NO:
            return False
        return Invalid("answer y (yes), n (no) or s (skip)")
    if kind in (FindingType.scale_0_10, FindingType.number):
        return _number(finding, cleaned)
    choices = finding.choices or ()
    if kind is FindingType.choice:
        return _choice(cleaned, choices)
    if cleaned == "none":
        return ()
    picked = []
    for part in _SPLIT.split(cleaned):
        if not part:
            continue
        choice = _choice(part, choices)
        if isinstance(choice, Invalid):
            return choice
        if choice not in picked:
            picked.append(choice)
    return tuple(picked)


def _number(finding: Finding, text: str) -> Value | Invalid:
    low, high = finding.bounds or (0, 10)
    try:
        value: float = int(text) if finding.type is FindingType.scale_0_10 else float(text)
    except ValueError:
        whole = "a whole number" if finding.type is FindingType.scale_0_10 else "a number"
        return Invalid(f"type {whole} from {low:g} to {high:g}")
    if not low <= value <= high:
        return Invalid(f"{text} is outside {low:g} to {high:g}")
    return int(value) if float(value).is_integer() else value


def _choice(text: str, choices: tuple[str, ...]) -> str | Invalid:
    if text.isdigit() and 1 <= int(text) <= len(choices):
        return choices[int(text) - 1]
    name = text.replace(" ", "_")
    if name in choices:
        return name
    hint = did_you_mean(name, choices)
    return Invalid(
        f"'{text}' is not a choice"
        + (f" ({hint})" if hint else "")
        + f"; type 1-{len(choices)} or a name"
    )
