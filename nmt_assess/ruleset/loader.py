"""Load rule packs into one validated, cross-checked Ruleset.

A pack is a folder with a `pack.yaml` and any of findings.yaml, causes/*.yaml, red_flags.yaml,
referral.yaml, sources.yaml and cases/. `extends: default` layers it over the bundled pack;
several packs layer in order. A later pack adds findings, rules and red flags, overrides a rule
by id (the keys it gives replace the base rule's), disables rules, and adjusts a cause's prior.
The default pack's red flags cannot be disabled, changed or weakened unless the pack says
`extends: none`: safety is not optional.

Every problem in every file is collected, located to a line and column, and reported at once;
a pack with any error raises ProblemsError and is never half-used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from nmt_assess.marked_yaml import YamlSyntaxError, load_marked, position_of
from nmt_assess.models import Cause, Finding, PackInfo, RedFlag, Referral, Rule, Ruleset
from nmt_assess.problems import Problem, ProblemsError, did_you_mean

PACK_FILE = "pack.yaml"
FINDINGS_FILE = "findings.yaml"
RED_FLAGS_FILE = "red_flags.yaml"
REFERRAL_FILE = "referral.yaml"
SOURCES_FILE = "sources.yaml"
CAUSES_DIR = "causes"
DEFAULT = "default"
_PACK_KEYS = {
    "name",
    "version",
    "description",
    "extends",
    "disable",
    "disclaimer",
    "causes",
    "bands",
    "strengths",
    "referral",
    "client_information",
}


def default_pack_dir() -> Path:
    """The bundled pack: inside the installed package, or `rules/` beside it in a checkout."""
    package = Path(__file__).resolve().parent.parent
    bundled = package / "_rules"
    return bundled if bundled.is_dir() else package.parent / "rules"


def pack_chain(packs: Sequence[Path | str] | Path | str | None) -> list[Path]:
    """The packs to layer, base first: the default pack unless the first says `extends: none`."""
    if packs is None:
        return [default_pack_dir()]
    listed = [Path(packs)] if isinstance(packs, str | Path) else [Path(p) for p in packs]
    if not listed:
        return [default_pack_dir()]
    if _extends(listed[0]) == "none" or listed[0].resolve() == default_pack_dir().resolve():
        return listed
    return [default_pack_dir(), *listed]


def _extends(root: Path) -> str:
    try:
        document = load_marked((root / PACK_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YamlSyntaxError):
        return DEFAULT
    value = document.get("extends", DEFAULT) if isinstance(document, Mapping) else DEFAULT
    return str(value)


def load_ruleset(packs: Sequence[Path | str] | Path | str | None = None) -> Ruleset:
    """Read, validate, layer and cross-check the packs (default: the bundled pack alone)."""
    ruleset, problems, _ = read_packs(pack_chain(packs))
    errors = [p for p in problems if p.severity == "error"]
    if errors or ruleset is None:
        raise ProblemsError(errors)
    return ruleset


def read_packs(
    chain: list[Path],
) -> tuple[Ruleset | None, list[Problem], Callable[[str, str], Place | None]]:
    """The layered ruleset (None when it cannot be built), every error found, and where each
    finding, rule, red flag and region was defined."""
    from nmt_assess.ruleset.checks import check_ruleset

    merge = _Merge()
    for index, root in enumerate(chain):
        _PackReader(root, merge, is_base=index == 0).read()
    ruleset = merge.build()
    if ruleset is not None:
        # cross-checks run on what did validate, so one run reports every problem
        merge.problems.extend(check_ruleset(ruleset, merge.where))
    return ruleset, merge.problems, merge.where


@dataclass
class Place:
    """Where an item was defined: the file, its parsed content, and the path to the item."""

    file: str
    data: Any
    path: tuple[Any, ...]
    pack: str

    def position(self, *subpath: Any) -> tuple[int | None, int | None]:
        return position_of(self.data, (*self.path, *subpath))


@dataclass
class _CauseParts:
    fields: dict[str, Any]
    groups: dict[str, Any]
    rules: dict[str, dict[str, Any]]
    place: Place


@dataclass
class _Merge:
    """What the packs define so far, before validation of the whole."""

    problems: list[Problem] = field(default_factory=list)
    packs: list[PackInfo] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    cause_order: list[str] = field(default_factory=list)
    findings: dict[str, Finding] = field(default_factory=dict)
    causes: dict[str, _CauseParts] = field(default_factory=dict)
    red_flags: dict[str, RedFlag] = field(default_factory=dict)
    protected: set[str] = field(default_factory=set)
    referral: dict[str, Referral] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    strengths: dict[str, float] = field(default_factory=dict)
    rule_pack: dict[str, str] = field(default_factory=dict)
    overridden: dict[str, str] = field(default_factory=dict)
    places: dict[tuple[str, str], Place] = field(default_factory=dict)

    def where(self, kind: str, item_id: str) -> Place | None:
        return self.places.get((kind, item_id))

    def build(self) -> Ruleset | None:
        causes = []
        for cause_id in self.cause_order:
            parts = self.causes.get(cause_id)
            if parts is None:
                continue
            data = {
                **parts.fields,
                "groups": list(parts.groups.values()),
                "rules": list(parts.rules.values()),
            }
            cause = _validate(Cause, data, parts.place, self.problems)
            if cause is not None:
                causes.append(cause)
        if not self.packs:
            return None
        digest = hashlib.sha256("".join(p.sha256 for p in self.packs).encode()).hexdigest()
        top = self.packs[-1]
        settings = self.settings
        fields = {
            "name": top.name,
            "version": top.version,
            "description": settings.get("description") or "",
            "disclaimer": settings.get("disclaimer"),
            "bands": settings.get("bands"),
            "referral_cause": (settings.get("referral") or {}).get("cause"),
            "referral_finding": (settings.get("referral") or {}).get("finding"),
            "client_information": settings.get("client_information") or (),
            "sha256": digest if len(self.packs) > 1 else self.packs[0].sha256,
            "packs": self.packs,
            "findings": self.findings,
            "causes": causes,
            "red_flags": list(self.red_flags.values()),
            "referral": self.referral,
            "sources": self.sources,
            "rule_packs": self.rule_pack,
            "overridden": self.overridden,
        }
        place = self.places.get(("pack", top.name))
        assert place is not None
        result: Ruleset | None = _validate(Ruleset, fields, place, self.problems)
        return result


class _PackReader:
    def __init__(self, root: Path, merge: _Merge, *, is_base: bool) -> None:
        self.root = root
        self.merge = merge
        self.is_base = is_base
        self.digest = hashlib.sha256()
        self.name = root.name

    # --- the whole pack -------------------------------------------------------------------

    def read(self) -> None:
        pack = self._load(PACK_FILE, required=True)
        if not isinstance(pack, Mapping):
            if pack is not None:
                self._problem(PACK_FILE, pack, (), "file", "expected a mapping", check="schema")
            return
        self.name = str(pack.get("name") or self.root.name)
        self._check_pack_keys(pack)
        self.merge.places[("pack", self.name)] = Place(self._label(PACK_FILE), pack, (), self.name)
        for key in ("description", "disclaimer", "bands", "referral", "client_information"):
            if key in pack:
                self.merge.settings[key] = pack[key]
        self.merge.strengths.update(_strengths(pack.get("strengths")))
        self._findings(self._load(FINDINGS_FILE, required=self.is_base))
        self._causes(pack)
        self._red_flags(self._load(RED_FLAGS_FILE, required=self.is_base))
        self._referral(self._load(REFERRAL_FILE, required=False))
        self._sources(self._load(SOURCES_FILE, required=False))
        self._disable(pack)
        self.merge.packs.append(
            PackInfo(
                name=self.name,
                version=str(pack.get("version", "")),
                sha256=self.digest.hexdigest(),
                path=str(self.root),
            )
        )

    def _check_pack_keys(self, pack: Mapping[str, Any]) -> None:
        for key in pack:
            if key not in _PACK_KEYS:
                self._problem(
                    PACK_FILE,
                    pack,
                    (key,),
                    str(key),
                    "unknown key",
                    check="schema",
                    hint=did_you_mean(str(key), _PACK_KEYS),
                )
        if not self.is_base and pack.get("extends", DEFAULT) not in (DEFAULT, "none"):
            self._problem(
                PACK_FILE, pack, ("extends",), "extends", "must be default or none", check="schema"
            )
        if self.is_base:
            for key in ("name", "version", "disclaimer", "bands", "causes"):
                if key not in pack:
                    self._problem(
                        PACK_FILE, pack, (), key, "required in a base pack", check="schema"
                    )

    # --- files ----------------------------------------------------------------------------

    def _label(self, relative: str) -> str:
        return str(self.root / relative)

    def _load(self, relative: str, *, required: bool) -> Any:
        label = self._label(relative)
        try:
            data = (self.root / relative).read_bytes()
        except FileNotFoundError:
            if required:
                self.merge.problems.append(
                    Problem(
                        label,
                        None,
                        "file",
                        "missing",
                        "every rule pack needs this file",
                        check="missing-file",
                    )
                )
            return None
        except OSError as error:
            self.merge.problems.append(
                Problem(label, None, "file", f"cannot read: {error.strerror}", check="unreadable")
            )
            return None
        self.digest.update(relative.encode() + b"\0" + data + b"\0")
        try:
            return load_marked(data.decode("utf-8"))
        except UnicodeDecodeError as error:
            self.merge.problems.append(
                Problem(
                    label, None, "file", f"not UTF-8 text (byte {error.start})", check="encoding"
                )
            )
        except YamlSyntaxError as error:
            check = "duplicate-key" if error.duplicate else "yaml-syntax"
            self.merge.problems.append(
                Problem(label, error.line, "yaml", error.message, col=error.col, check=check)
            )
        return None

    def _at(
        self,
        place: Place,
        subpath: tuple[Any, ...],
        field_name: str,
        message: str,
        *,
        check: str,
        hint: str | None = None,
    ) -> None:
        line, col = place.position(*subpath)
        self.merge.problems.append(
            Problem(place.file, line, field_name, message, hint, col=col, check=check)
        )

    def _problem(
        self,
        relative: str,
        data: Any,
        path: tuple[Any, ...],
        field_name: str,
        message: str,
        *,
        check: str,
        hint: str | None = None,
        severity: str = "error",
    ) -> None:
        line, col = position_of(data, path)
        self.merge.problems.append(
            Problem(
                self._label(relative),
                line,
                field_name,
                message,
                hint,
                col=col,
                check=check,
                severity=severity,
            )
        )

    def _items(self, data: Any, key: str, relative: str) -> list[tuple[int, Any]]:
        if data is None:
            return []
        items = data.get(key) if isinstance(data, Mapping) else None
        if items is None and isinstance(data, Mapping):
            return []
        if not isinstance(items, list):
            self._problem(relative, data, (), key, f"expected a list '{key}'", check="schema")
            return []
        return list(enumerate(items))

    # --- sections -------------------------------------------------------------------------

    def _findings(self, data: Any) -> None:
        lists = data.get("choice_lists", {}) if isinstance(data, Mapping) else {}
        for index, raw in self._items(data, "findings", FINDINGS_FILE):
            place = Place(self._label(FINDINGS_FILE), data, ("findings", index), self.name)
            resolved = _resolve_choices(raw, lists)
            if isinstance(resolved, str):
                self._problem(
                    FINDINGS_FILE,
                    data,
                    ("findings", index, "choices"),
                    "choices",
                    resolved,
                    check="schema",
                )
                continue
            finding = _validate(Finding, resolved, place, self.merge.problems)
            if finding is None:
                continue
            if finding.id in self.merge.findings:
                first = self.merge.where("finding", finding.id)
                self._problem(
                    FINDINGS_FILE,
                    data,
                    ("findings", index, "id"),
                    "id",
                    f"finding '{finding.id}' is already defined",
                    check="duplicate-id",
                    hint=first.file if first else None,
                )
                continue
            self.merge.findings[finding.id] = finding
            self.merge.places[("finding", finding.id)] = place

    def _causes(self, pack: Mapping[str, Any]) -> None:
        listed = pack.get("causes")
        if listed is not None and (
            not isinstance(listed, list) or not all(isinstance(i, str) for i in listed)
        ):
            self._problem(
                PACK_FILE,
                pack,
                ("causes",),
                "causes",
                "expected a list of cause ids",
                check="schema",
            )
            listed = []
        listed = list(listed or [])
        for cause_id in listed:
            if cause_id not in self.merge.cause_order:
                self.merge.cause_order.append(cause_id)
        folder = self.root / CAUSES_DIR
        files = sorted(folder.glob("*.y*ml")) if folder.is_dir() else []
        for path in files:
            cause_id = path.stem
            if cause_id not in self.merge.cause_order:
                self.merge.problems.append(
                    Problem(
                        str(path),
                        None,
                        "file",
                        "cause file not listed under 'causes' in pack.yaml",
                        "list it there, or name an existing cause",
                        check="unlisted-cause",
                    )
                )
                continue
            self._cause(cause_id, self._load(f"{CAUSES_DIR}/{cause_id}.yaml", required=True))
        for cause_id in listed:
            if self.is_base and not (folder / f"{cause_id}.yaml").is_file():
                self.merge.problems.append(
                    Problem(
                        self._label(f"{CAUSES_DIR}/{cause_id}.yaml"),
                        None,
                        "file",
                        "missing",
                        "every cause listed in pack.yaml needs a file",
                        check="missing-file",
                    )
                )

    def _cause(self, cause_id: str, data: Any) -> None:
        relative = f"{CAUSES_DIR}/{cause_id}.yaml"
        if not isinstance(data, Mapping):
            if data is not None:
                self._problem(relative, data, (), "file", "expected a mapping", check="schema")
            return
        if data.get("id") != cause_id:
            self._problem(
                relative,
                data,
                ("id",),
                "id",
                f"must be '{cause_id}', the file's name",
                check="cause-id",
            )
        place = Place(self._label(relative), data, (), self.name)
        parts = self.merge.causes.get(cause_id)
        fields = {k: v for k, v in data.items() if k not in ("groups", "rules")}
        if parts is None:
            parts = _CauseParts(fields, {}, {}, place)
            self.merge.causes[cause_id] = parts
        else:
            parts.fields.update(fields)  # a later pack adjusts the prior, title or description
            parts.place = place
        for _, group in self._items(data, "groups", relative):
            if isinstance(group, Mapping) and "id" in group:
                parts.groups[str(group["id"])] = group
        for index, raw in self._items(data, "rules", relative):
            self._rule(parts, cause_id, relative, data, index, raw)

    def _rule(
        self, parts: _CauseParts, cause_id: str, relative: str, data: Any, index: int, raw: Any
    ) -> None:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("id"), str):
            self._problem(
                relative,
                data,
                ("rules", index),
                f"rules.{index}",
                "expected a rule with an 'id'",
                check="schema",
            )
            return
        rule_id = raw["id"]
        place = Place(self._label(relative), data, ("rules", index), self.name)
        try:
            weighted = _with_weights(raw, cause_id, self.merge.strengths)
        except _UnknownStrength as error:
            self._at(
                place,
                (error.key,),
                f"rules.{index}.{error.key}",
                f"unknown strength '{error.name}'",
                check="unknown-strength",
                hint=did_you_mean(error.name, self.merge.strengths)
                or "use a number or one of: " + ", ".join(self.merge.strengths),
            )
            return
        existing_pack = self.merge.rule_pack.get(rule_id)
        if existing_pack is not None and existing_pack != self.name:
            base = parts.rules.get(rule_id)
            if base is None:
                self._at(
                    place,
                    ("id",),
                    "id",
                    f"rule '{rule_id}' belongs to another cause",
                    check="duplicate-id",
                )
                return
            weighted = {**base, **weighted}  # an override: the keys given replace the base's
            self.merge.overridden[rule_id] = existing_pack
        elif existing_pack == self.name:
            line, col = place.position("id")
            first = self.merge.where("rule", rule_id)
            self.merge.problems.append(
                Problem(
                    place.file,
                    line,
                    "id",
                    f"rule id '{rule_id}' is used twice",
                    f"first used in {first.file}" if first else None,
                    col=col,
                    check="duplicate-id",
                )
            )
            return
        rule = _validate(Rule, weighted, place, self.merge.problems)
        if rule is None:
            return
        parts.rules[rule_id] = weighted
        self.merge.rule_pack[rule_id] = self.name
        self.merge.places[("rule", rule_id)] = place

    def _red_flags(self, data: Any) -> None:
        for index, raw in self._items(data, "red_flags", RED_FLAGS_FILE):
            place = Place(self._label(RED_FLAGS_FILE), data, ("red_flags", index), self.name)
            flag = _validate(RedFlag, raw, place, self.merge.problems)
            if flag is None:
                continue
            base = self.merge.red_flags.get(flag.id)
            if base is not None and flag.id in self.merge.protected:
                weaker = (
                    flag.when != base.when
                    or flag.action.severity > base.action.severity
                    or not _restricts_as_much(flag, base)
                )
                if weaker:
                    self._at(
                        place,
                        ("id",),
                        "id",
                        f"red flag '{flag.id}' of the base pack cannot be changed or weakened",
                        check="protected-red-flag",
                        hint="safety is not optional: only a pack with extends: none may",
                    )
                    continue
            elif base is not None and self.merge.where("flag", flag.id).pack == self.name:  # type: ignore[union-attr]
                self._at(
                    place,
                    ("id",),
                    "id",
                    f"red flag id '{flag.id}' is used twice",
                    check="duplicate-id",
                )
                continue
            self.merge.red_flags[flag.id] = flag
            self.merge.places[("flag", flag.id)] = place
            if self.is_base:
                self.merge.protected.add(flag.id)

    def _referral(self, data: Any) -> None:
        if data is None:
            return
        regions = data.get("regions") if isinstance(data, Mapping) else None
        if not isinstance(regions, Mapping):
            self._problem(
                REFERRAL_FILE, data, (), "regions", "expected a mapping 'regions'", check="schema"
            )
            return
        for region, raw in regions.items():
            place = Place(self._label(REFERRAL_FILE), data, ("regions", region), self.name)
            referral = _validate(Referral, raw, place, self.merge.problems)
            if referral is not None:
                self.merge.referral[str(region)] = referral
                self.merge.places[("region", str(region))] = place

    def _sources(self, data: Any) -> None:
        if data is None:
            return
        sources = data.get("sources") if isinstance(data, Mapping) else None
        if not isinstance(sources, Mapping) or not all(
            isinstance(v, str) for v in sources.values()
        ):
            self._problem(
                SOURCES_FILE, data, (), "sources", "expected tag -> citation", check="schema"
            )
            return
        self.merge.sources.update({str(tag): text for tag, text in sources.items()})

    def _disable(self, pack: Mapping[str, Any]) -> None:
        disable = pack.get("disable") or []
        if not isinstance(disable, list):
            self._problem(
                PACK_FILE,
                pack,
                ("disable",),
                "disable",
                "expected a list of rule ids",
                check="schema",
            )
            return
        for index, item_id in enumerate(disable):
            path = ("disable", index)
            if item_id in self.merge.protected:
                self._problem(
                    PACK_FILE,
                    pack,
                    path,
                    "disable",
                    f"red flag '{item_id}' of the base pack cannot be disabled",
                    check="protected-red-flag",
                    hint="safety is not optional: only a pack with extends: none may",
                )
                continue
            owner = next((c for c in self.merge.causes.values() if item_id in c.rules), None)
            if owner is None:
                known = [r for c in self.merge.causes.values() for r in c.rules]
                self._problem(
                    PACK_FILE,
                    pack,
                    path,
                    "disable",
                    f"no rule '{item_id}' to disable",
                    check="unknown-rule",
                    hint=did_you_mean(str(item_id), known),
                )
                continue
            del owner.rules[item_id]
            self.merge.rule_pack.pop(item_id, None)


def _restricts_as_much(flag: RedFlag, base: RedFlag) -> bool:
    """Whether a flag keeps hands off at least what the base pack's flag of that id does."""
    if flag.restricts_body or (not base.restricts_body and not base.restricted_regions):
        return True
    return not base.restricts_body and set(base.restricted_regions) <= set(flag.restricted_regions)


def _validate(model: type[BaseModel], data: Any, place: Place, problems: list[Problem]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        for detail in error.errors():
            loc = tuple(detail["loc"])
            shown = loc[:-1] if loc[-2:] in (("lr", "lr"), ("lr_absent", "lr")) else loc
            field_name = ".".join(str(part) for part in (*place.path, *shown)) or "value"
            line, col = place.position(*loc)
            problems.append(
                Problem(
                    place.file, line, field_name, _plain_message(detail), col=col, check="schema"
                )
            )
        return None


def _strengths(raw: Any) -> dict[str, float]:
    if not isinstance(raw, Mapping):
        return {}
    return {
        str(name): float(entry)
        for name, entry in raw.items()
        if isinstance(entry, int | float) and not isinstance(entry, bool)
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


def _with_weights(
    rule: Mapping[str, Any], cause_id: str, strengths: Mapping[str, float]
) -> dict[str, Any]:
    """Attach the cause and turn `lr: 2.0` or `lr: small` into a Weight mapping."""
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
    "string_type": lambda d: f"expected text, got {d['input']!r}",
    "enum": lambda d: f"expected one of {d['ctx']['expected']}, got {d['input']!r}",
    "literal_error": lambda d: f"expected {d['ctx']['expected']}, got {d['input']!r}",
}


def _plain_message(detail: Mapping[str, Any]) -> str:
    friendly = _FRIENDLY.get(detail["type"])
    message = friendly(dict(detail)) if friendly else str(detail["msg"])
    return message.removeprefix("Value error, ")
