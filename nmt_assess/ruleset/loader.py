"""Load a rule pack folder into a validated, cross-checked Ruleset.

Every problem in every file is collected, located to a line and reported at once; a pack with
any problem raises ProblemsError and is never half-used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from nmt_assess.marked_yaml import YamlSyntaxError, line_of, load_marked
from nmt_assess.models import Cause, Finding, RedFlag, Referral, Ruleset
from nmt_assess.problems import Problem, ProblemsError, did_you_mean
from nmt_assess.ruleset.checks import check_ruleset

PACK_FILE = "pack.yaml"
FINDINGS_FILE = "findings.yaml"
RED_FLAGS_FILE = "red_flags.yaml"
REFERRAL_FILE = "referral.yaml"
SOURCES_FILE = "sources.yaml"
CAUSES_DIR = "causes"


def default_pack_dir() -> Path:
    """The bundled pack: inside the installed package, or `rules/` beside it in a checkout."""
    package = Path(__file__).resolve().parent.parent
    bundled = package / "_rules"
    return bundled if bundled.is_dir() else package.parent / "rules"


def load_ruleset(pack_dir: Path | str | None = None) -> Ruleset:
    """Read, validate and cross-check the rule pack in `pack_dir` (default: the bundled pack)."""
    return _PackReader(Path(pack_dir) if pack_dir else default_pack_dir()).read()


class _PackReader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.digest = hashlib.sha256()
        self.raw: dict[str, Any] = {}

    def read(self) -> Ruleset:
        pack = self._load(PACK_FILE, required=True)
        if not isinstance(pack, Mapping):
            raise ProblemsError(self.problems or [self._top_problem(PACK_FILE, "a mapping")])
        strengths = _strengths(pack.get("strengths"))
        findings = self._findings(self._load(FINDINGS_FILE, required=True))
        causes = [self._cause(cause_id, strengths) for cause_id in self._cause_ids(pack)]
        red_flags = self._red_flags(self._load(RED_FLAGS_FILE, required=True))
        referral = self._referral(self._load(REFERRAL_FILE, required=False))
        sources = self._sources(self._load(SOURCES_FILE, required=False))
        if self.problems:
            raise ProblemsError(self.problems)
        fields = {
            "name": pack.get("name"),
            "version": str(pack.get("version", "")),
            "description": pack.get("description"),
            "disclaimer": pack.get("disclaimer"),
            "bands": pack.get("bands"),
            "referral_cause": (pack.get("referral") or {}).get("cause"),
            "referral_finding": (pack.get("referral") or {}).get("finding"),
            "client_information": pack.get("client_information") or (),
            "sha256": self.digest.hexdigest(),
            "findings": {f.id: f for f in findings},
            "causes": causes,
            "red_flags": red_flags,
            "referral": referral,
            "sources": sources,
        }
        ruleset: Ruleset | None = self._validate(Ruleset, fields, PACK_FILE, pack, ())
        if ruleset is None:
            raise ProblemsError(self.problems)
        self.problems.extend(check_ruleset(ruleset, self.raw, str(self.root)))
        if self.problems:
            raise ProblemsError(self.problems)
        return ruleset

    # --- files --------------------------------------------------------------------------

    def _load(self, relative: str, *, required: bool) -> Any:
        path = self.root / relative
        label = str(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            if required:
                self.problems.append(
                    Problem(label, None, "file", "missing", "every rule pack needs this file")
                )
            return None
        except OSError as error:
            self.problems.append(Problem(label, None, "file", f"cannot read: {error.strerror}"))
            return None
        self.digest.update(relative.encode() + b"\0" + data + b"\0")
        try:
            parsed = load_marked(data.decode("utf-8"))
        except UnicodeDecodeError as error:
            self.problems.append(
                Problem(label, None, "file", f"not UTF-8 text (byte {error.start})")
            )
            return None
        except YamlSyntaxError as error:
            self.problems.append(Problem(label, error.line, "yaml", error.message))
            return None
        self.raw[relative] = parsed
        return parsed

    def _top_problem(self, relative: str, expected: str) -> Problem:
        return Problem(str(self.root / relative), 1, "file", f"expected {expected} at the top")

    def _validate(
        self,
        model: type[BaseModel],
        data: Any,
        relative: str,
        raw: Any,
        path: tuple[Any, ...],
        context: dict[str, Any] | None = None,
    ) -> Any:
        try:
            return model.model_validate(data, context=context)
        except ValidationError as error:
            for detail in error.errors():
                loc = path + tuple(detail["loc"])
                shown = loc[:-1] if loc[-2:] in (("lr", "lr"), ("lr_absent", "lr")) else loc
                field = ".".join(str(part) for part in shown) or "value"
                self.problems.append(
                    Problem(
                        str(self.root / relative),
                        line_of(raw, loc),
                        field,
                        _plain_message(detail),
                    )
                )
            return None

    def _items(self, data: Any, key: str, relative: str) -> list[tuple[int, Any]]:
        if data is None:
            return []
        items = data.get(key) if isinstance(data, Mapping) else None
        if not isinstance(items, list):
            self.problems.append(self._top_problem(relative, f"a mapping with a list '{key}'"))
            return []
        return list(enumerate(items))

    # --- sections -----------------------------------------------------------------------

    def _findings(self, data: Any) -> list[Finding]:
        lists = data.get("choice_lists", {}) if isinstance(data, Mapping) else {}
        found = []
        for index, raw in self._items(data, "findings", FINDINGS_FILE):
            resolved = _resolve_choices(raw, lists)
            if isinstance(resolved, str):
                self.problems.append(
                    Problem(
                        str(self.root / FINDINGS_FILE),
                        line_of(data, ("findings", index, "choices")),
                        f"findings.{index}.choices",
                        resolved,
                    )
                )
                continue
            finding = self._validate(Finding, resolved, FINDINGS_FILE, data, ("findings", index))
            if finding is not None:
                found.append(finding)
        return found

    def _cause_ids(self, pack: Mapping[str, Any]) -> list[str]:
        ids = pack.get("causes")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            self.problems.append(self._top_problem(PACK_FILE, "'causes': a list of cause ids"))
            return []
        listed = {f"{cause_id}.yaml" for cause_id in ids}
        for path in sorted((self.root / CAUSES_DIR).glob("*.y*ml")):
            if path.name not in listed:
                self.problems.append(
                    Problem(
                        str(path), None, "file", "cause file not listed under 'causes' in pack.yaml"
                    )
                )
        return list(ids)

    def _cause(self, cause_id: str, strengths: Mapping[str, float]) -> Cause | None:
        relative = f"{CAUSES_DIR}/{cause_id}.yaml"
        data = self._load(relative, required=True)
        if not isinstance(data, Mapping):
            if data is not None:
                self.problems.append(self._top_problem(relative, "a mapping"))
            return None
        if data.get("id") != cause_id:
            self.problems.append(
                Problem(
                    str(self.root / relative),
                    line_of(data, ("id",)),
                    "id",
                    f"must be '{cause_id}', the file's name",
                )
            )
        rules = data.get("rules")
        if isinstance(rules, list):
            weighted = []
            for index, rule in enumerate(rules):
                try:
                    weighted.append(_with_weights(rule, cause_id, strengths))
                except _UnknownStrength as error:
                    self.problems.append(
                        Problem(
                            str(self.root / relative),
                            line_of(data, ("rules", index, error.key)),
                            f"rules.{index}.{error.key}",
                            f"unknown strength '{error.name}'",
                            did_you_mean(error.name, strengths)
                            or "use a number or one of: " + ", ".join(strengths),
                        )
                    )
            data = {**data, "rules": weighted}
        return self._validate(Cause, data, relative, self.raw[relative], ())  # type: ignore[no-any-return]

    def _red_flags(self, data: Any) -> list[RedFlag]:
        return [
            flag
            for index, raw in self._items(data, "red_flags", RED_FLAGS_FILE)
            if (flag := self._validate(RedFlag, raw, RED_FLAGS_FILE, data, ("red_flags", index)))
        ]

    def _referral(self, data: Any) -> dict[str, Referral]:
        regions = data.get("regions") if isinstance(data, Mapping) else None
        if data is None:
            return {}
        if not isinstance(regions, Mapping):
            self.problems.append(self._top_problem(REFERRAL_FILE, "a mapping 'regions'"))
            return {}
        validated = {
            region: self._validate(Referral, raw, REFERRAL_FILE, data, ("regions", region))
            for region, raw in regions.items()
        }
        return {region: ref for region, ref in validated.items() if ref is not None}

    def _sources(self, data: Any) -> dict[str, str]:
        sources = data.get("sources") if isinstance(data, Mapping) else None
        if data is None:
            return {}
        if not isinstance(sources, Mapping) or not all(
            isinstance(v, str) for v in sources.values()
        ):
            self.problems.append(self._top_problem(SOURCES_FILE, "'sources': tag -> citation"))
            return {}
        return {str(tag): text for tag, text in sources.items()}


def _strengths(raw: Any) -> dict[str, float]:
    if not isinstance(raw, Mapping):
        return {}
    return {
        str(name): float(entry["lr"]) if isinstance(entry, Mapping) else float(entry)
        for name, entry in raw.items()
        if isinstance(entry, int | float) or (isinstance(entry, Mapping) and "lr" in entry)
    }


def _resolve_choices(raw: Any, lists: Mapping[str, Any]) -> Any:
    """`choices: body_regions` names a list declared once under `choice_lists`."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("choices"), str):
        return raw
    name = raw["choices"]
    if name not in lists:
        return f"no choice list named '{name}' under choice_lists"
    return {**raw, "choices": lists[name]}


class _UnknownStrength(Exception):
    def __init__(self, key: str, name: str) -> None:
        self.key = key
        self.name = name


def _with_weights(rule: Any, cause_id: str, strengths: Mapping[str, float]) -> Any:
    """Attach the cause and turn `lr: 2.0` or `lr: small` into a Weight mapping."""
    if not isinstance(rule, Mapping):
        return rule
    out: dict[str, Any] = {**rule, "cause": cause_id}
    for key in ("lr", "lr_absent"):
        value = out.get(key)
        if isinstance(value, str):
            if value not in strengths:
                raise _UnknownStrength(key, value)
            out[key] = {"lr": strengths[value], "strength": value}
        elif value is not None and not isinstance(value, Mapping):
            out[key] = {"lr": value}
    return out


_FRIENDLY: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda d: "required field is missing",
    "extra_forbidden": lambda d: "unknown field",
    "greater_than": lambda d: f"must be greater than {float(d['ctx']['gt']):g}",
    "less_than": lambda d: f"must be less than {float(d['ctx']['lt']):g}",
    "float_parsing": lambda d: f"expected a number, got {d['input']!r}",
}


def _plain_message(detail: Mapping[str, Any]) -> str:
    friendly = _FRIENDLY.get(detail["type"])
    message = friendly(dict(detail)) if friendly else str(detail["msg"])
    return message.removeprefix("Value error, ")
