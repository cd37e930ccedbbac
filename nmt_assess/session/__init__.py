"""The intake session as library code: what to ask next, the answer typed to it, back, done."""

from nmt_assess.session.intake import (
    Confirm,
    IntakeSession,
    Page,
    Prompt,
    Question,
    Reply,
    Step,
    file_safe,
    id_problem,
)

__all__ = [
    "Confirm",
    "IntakeSession",
    "Page",
    "Prompt",
    "Question",
    "Reply",
    "Step",
    "file_safe",
    "id_problem",
]
