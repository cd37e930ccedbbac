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
_LIST = re.compile(r"\s*[,;]\s*")
_SPACE = re.compile(r"\s+")
_JOIN = re.compile(r"[\s_-]+")


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
    for part in _names(cleaned, choices):
        choice = _choice(part, choices)
        if isinstance(choice, Invalid):
            return choice
        if choice not in picked:
            picked.append(choice)
    if not picked:
        return Invalid("type numbers or names, comma-separated, or none")
    return tuple(picked)


def _names(text: str, choices: tuple[str, ...]) -> list[str]:
    """The parts of a several-choice answer: split at commas and semicolons, then at spaces
    except between the words of a choice as displayed ("wrist hand")."""
    parts = []
    for part in _LIST.split(text):
        words = [word for word in _SPACE.split(part) if word]
        while words:
            # the longest run of words that names a choice ("head temple neck": two choices)
            size = next(
                (n for n in range(len(words), 1, -1) if _key(" ".join(words[:n])) in choices), 1
            )
            parts.append(" ".join(words[:size]))
            words = words[size:]
    return parts


def _key(text: str) -> str:
    """A choice name as typed ("Wrist hand", "wrist-hand", "wrist_hand") as the rules spell it."""
    return _JOIN.sub("_", text.strip().lower())


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
    name = _key(text)
    if name in choices:
        return name
    hint = did_you_mean(name, choices)
    return Invalid(
        f"'{text}' is not a choice"
        + (f" ({hint})" if hint else "")
        + f"; type 1-{len(choices)} or a name"
    )
