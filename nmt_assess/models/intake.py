"""A validated intake: the answered findings of one client."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import field_validator
from pydantic.json_schema import JsonSchemaValue

from nmt_assess.models.base import FileForm, Frozen, Value


def _whole_number_too(schema: JsonSchemaValue) -> JsonSchemaValue:
    return {"anyOf": [{"type": "integer"}, schema]}


class Intake(Frozen):
    """A validated intake: only answered findings are present; anything absent is unknown."""

    #: A file may give a whole number: the reader keeps its text.
    id: Annotated[str | None, FileForm(_whole_number_too)] = None
    date: dt.date | None = None
    findings: dict[str, Value]

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        """A date object or ISO text (YYYY-MM-DD) only: not a timestamp, not seconds since 1970."""
        if value is None or type(value) is dt.date:
            return value
        if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            return value
        raise ValueError("expected an ISO date, YYYY-MM-DD")
