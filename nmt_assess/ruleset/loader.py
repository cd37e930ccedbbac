"""Load rule packs into one validated, cross-checked Ruleset.

A pack is a folder with a `pack.yaml` and any of findings.yaml, causes/*.yaml, red_flags.yaml,
referral.yaml, sources.yaml, screens.yaml and cases/ (`.yml` is read like `.yaml` everywhere).
The first pack stands alone when it says `extends: none`, or when it says nothing and sets what
only a complete pack sets (`causes`, `bands` and `disclaimer`: a copy of the default pack);
otherwise it is layered over the bundled pack. Several packs layer in order. A later pack adds
findings, rules, red flags and screens (a screen of the same id replaces), overrides a rule by
id (the keys it gives replace the base rule's), disables rules, and adjusts a cause's prior.
The default pack's red flags cannot be disabled, changed or weakened unless the pack says
`extends: none`: safety is not optional.

Every problem in every file is collected, located to a line and column, and reported at once;
a pack with any error raises ProblemsError and is never half-used.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from nmt_assess.marked_yaml import YamlSyntaxError, load_marked_all, position_of
from nmt_assess.models import (
    LR_MAX,
    LR_MIN,
    PRIOR_MAX,
    PRIOR_MIN,
    Cause,
    Finding,
    Group,
    LikelihoodRatio,
    PackInfo,
    RedFlag,
    Referral,
    Rule,
    Ruleset,
)
from nmt_assess.models.catalog import (
    FindingsFile,
    MuscleRegions,
    PackSettings,
    RedFlagsFile,
    ReferralFile,
    SourcesFile,
)
from nmt_assess.models.screens import Screen, ScreensFile
from nmt_assess.problems import Problem, ProblemsError, did_you_mean

PACK_FILE = "pack.yaml"
FINDINGS_FILE = "findings.yaml"
RED_FLAGS_FILE = "red_flags.yaml"
REFERRAL_FILE = "referral.yaml"
SOURCES_FILE = "sources.yaml"
SCREENS_FILE = "screens.yaml"
CAUSES_DIR = "causes"
CASES_DIR = "cases"
DEFAULT = "default"
NONE = "none"
YAML_SUFFIXES = (".yaml", ".yml")
#: What only a complete pack sets: a first pack without `extends` that sets all three stands alone.
_COMPLETE_KEYS = ("causes", "bands", "disclaimer")
#: The top-level keys of each file but pack.yaml, the first of each the one the file must give:
#: the fields of the models that give the files their JSON Schemas.
_FILE_KEYS = {
    FINDINGS_FILE: tuple(FindingsFile.model_fields),
    RED_FLAGS_FILE: tuple(RedFlagsFile.model_fields),
    REFERRAL_FILE: tuple(ReferralFile.model_fields),
    SOURCES_FILE: tuple(SourcesFile.model_fields),
    SCREENS_FILE: tuple(ScreensFile.model_fields),
}
_PLAIN_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
_PACK_KEYS = tuple(PackSettings.model_fields)


def default_pack_dir() -> Path:
    """The bundled pack: inside the installed package, or `rules/` beside it in a checkout."""
    package = Path(__file__).resolve().parent.parent
    bundled = package / "_rules"
    return bundled if bundled.is_dir() else package.parent / "rules"


def pack_chain(packs: Sequence[Path | str] | Path | str | None) -> list[Path]:
    """The packs to layer, base first: the default pack unless the first stands alone."""
    if packs is None:
        return [default_pack_dir()]
    listed = [Path(packs)] if isinstance(packs, str | Path) else [Path(p) for p in packs]
    if not listed:
        return [default_pack_dir()]
    if is_standalone(listed[0]) or _same_folder(listed[0], default_pack_dir()):
        return listed
    return [default_pack_dir(), *listed]


def is_standalone(root: Path) -> bool:
    """True when the pack says `extends: none`, or says nothing and sets `causes`, `bands` and
    `disclaimer` (a complete pack, such as a copy of the default one)."""
    pack = _pack_document(root)
    if not isinstance(pack, Mapping):
        return False
    if "extends" in pack:
        return bool(pack["extends"] == NONE)
    return all(key in pack for key in _COMPLETE_KEYS)


def _pack_document(root: Path) -> Any:
    path = yaml_file(root, PACK_FILE)
    if not path.is_file():
        return None
    try:
        return load_marked_all(path.read_text(encoding="utf-8"))[0]  # problems: read() says
    except (OSError, UnicodeDecodeError, YamlSyntaxError, RecursionError):
        return None


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):
        return False


def yaml_file(folder: Path, name: str) -> Path:
    """`name` (a .yaml file) in the folder, or its .yml spelling when only that exists."""
    path = folder / name
    other = path.with_suffix(".yml")
    return other if not path.exists() and other.exists() else path


def yaml_files(folder: Path) -> list[Path]:
    """The .yaml and .yml files of a folder (not recursive), in name order."""
    try:
        entries = sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError:
        return []
    return [p for p in entries if p.suffix.lower() in YAML_SUFFIXES and p.is_file()]


def case_files(pack: Path) -> list[Path]:
    """The case files of a pack: cases/*.yaml and cases/*.yml."""
    return yaml_files(pack / CASES_DIR)


def same_stem_problems(files: Sequence[Path]) -> list[Problem]:
    """One error for each file whose name, less its suffix, another file already has."""
    seen: dict[str, Path] = {}
    problems = []
    for path in files:
        first = seen.setdefault(path.stem, path)
        if first is not path:
            problems.append(
                Problem(
                    str(path),
                    None,
                    "file",
                    f"'{path.stem}' is given twice: {first.name} and {path.name}",
                    f"keep one of them; {first.name} is the one read",
                    check="duplicate-file",
                )
            )
    return problems


def load_ruleset(packs: Sequence[Path | str] | Path | str | None = None) -> Ruleset:
    """Read, validate, layer and cross-check the packs (default: the bundled pack alone). The
    bundled pack alone comes from the wheel's prebuilt artifact when it matches (prebuilt.py)."""
    chain = pack_chain(packs)
    if chain == [default_pack_dir()]:
        from nmt_assess.ruleset import prebuilt
        from nmt_assess.ruleset.compile import remember

        built = prebuilt.load(chain[0])[1]
        if built is not None:
            remember(built.pack)
            prebuilt.remember(built)
            return built.pack.ruleset
    ruleset, problems, _ = read_packs(chain)
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
    return ruleset, without_knock_ons(merge.problems), merge.where


def without_knock_ons(problems: list[Problem]) -> list[Problem]:
    """The problems less the errors that follow from a value YAML could not build (a tag such
    as `!!python/object`, a 5,000-digit number: read as null, and reported): those on its line
    that stand before it, at the key or the rule or condition that holds it. Warnings, and
    errors after it on the line, are kept."""
    unbuilt: dict[tuple[str, int], int] = {}
    for problem in problems:
        if problem.check == "yaml-syntax" and problem.line:
            place = (problem.file, problem.line)
            unbuilt[place] = max(unbuilt.get(place, 0), problem.col or 0)
    return [
        problem
        for problem in problems
        if problem.check == "yaml-syntax"
        or problem.severity != "error"
        or (problem.col or 0) > unbuilt.get((problem.file, problem.line or 0), -1)
    ]


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
@dataclass
class _CauseParts:
    fields: dict[str, Any]
    groups: dict[str, Any]
    rules: dict[str, dict[str, Any]]
    place: Place


#: Stand-ins for top-level fields that failed validation (their errors are already reported), so
#: the cross-checks still run and one lint shows every problem.
_RULESET_STAND_INS: dict[str, Any] = {
    "description": "",
    "disclaimer": "",
    "bands": [{"label": "-"}],
    "referral_cause": None,
    "referral_finding": None,
    "client_information": (),
}
_RULE_STAND_INS: dict[str, Any] = {
    "lr": {"lr": 1.0},
    "lr_absent": None,
    "unless": None,
    "group": None,
    "because": "",
    "source": (),
    "lint_ignore": (),
}
#: The warning a rule's stand-in would bring about, silenced on that rule.
_STAND_IN_SILENCES = {
    "because": ("missing-because",),
    "source": ("missing-source",),
    "lr": ("missing-population", "missing-lr-absent"),
    "lr_absent": ("missing-population", "missing-lr-absent"),
}
_CAUSE_STAND_INS: dict[str, Any] = {
    "title": "",
    "description": "",
    "prior": 0.5,
    "prior_note": "",
    "groups": (),
}


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
    #: screen id -> screen (a later pack's screen of the same id replaces it)
    screens: dict[str, Screen] = field(default_factory=dict)
    protected: set[str] = field(default_factory=set)
    referral: dict[str, Referral] = field(default_factory=dict)
    #: muscle -> the body regions it lies in (referral.yaml's `muscles`)
    muscle_locations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    strengths: dict[str, float] = field(default_factory=dict)
    strength_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    rule_pack: dict[str, str] = field(default_factory=dict)
    overridden: dict[str, str] = field(default_factory=dict)
    places: dict[tuple[str, str], Place] = field(default_factory=dict)
    #: causes some pack has a file for (usable or not)
    cause_files: set[str] = field(default_factory=set)

    def where(self, kind: str, item_id: str) -> Place | None:
        return self.places.get((kind, item_id))

    def build(self) -> Ruleset | None:
        causes = []
        for cause_id in self.cause_order:
            parts = self.causes.get(cause_id)
            if parts is None and cause_id in self.cause_files:
                continue  # the file's own problems are reported
            if parts is None:
                listed = self.places[("listed-cause", cause_id)]
                line, col = listed.position()
                self.problems.append(
                    Problem(
                        listed.file,
                        line,
                        "causes",
                        f"cause '{cause_id}' is listed, but no pack has a file "
                        f"{CAUSES_DIR}/{cause_id}.yaml",
                        "add the file, or take the cause off the list",
                        col=col,
                        check="missing-file",
                    )
                )
                continue
            data = {
                **parts.fields,
                "groups": list(parts.groups.values()),
                "rules": list(parts.rules.values()),
            }
            cause = _validate(Cause, data, parts.place, self.problems, _CAUSE_STAND_INS)
            if cause is not None:
                causes.append(cause)
        if not self.packs:
            return None
        digest = hashlib.sha256("".join(p.sha256 for p in self.packs).encode()).hexdigest()
        top = self.packs[-1]
        settings = self.settings
        referral = settings.get("referral")
        referral = referral if isinstance(referral, Mapping) else {}
        fields = {
            "name": top.name,
            "version": top.version,
            "description": settings.get("description") or "",
            "disclaimer": settings.get("disclaimer"),
            "bands": settings.get("bands"),
            "referral_cause": referral.get("cause"),
            "referral_finding": referral.get("finding"),
            "site_findings": settings.get("site_findings") or (),
            "client_information": settings.get("client_information") or (),
            "sha256": digest if len(self.packs) > 1 else self.packs[0].sha256,
            "packs": self.packs,
            "findings": self.findings,
            "causes": causes,
            "red_flags": list(self.red_flags.values()),
            "screens": list(self.screens.values()),
            "referral": self.referral,
            "muscle_locations": self.muscle_locations,
            "sources": self.sources,
            "rule_packs": self.rule_pack,
            "overridden": self.overridden,
        }
        place = self.places.get(("pack", top.name))
        assert place is not None
        result: Ruleset | None = _validate(
            Ruleset, fields, place, self.problems, _RULESET_STAND_INS
        )
        return result


class _PackReader:
    def __init__(self, root: Path, merge: _Merge, *, is_base: bool) -> None:
        self.root = root
        self.merge = merge
        self.is_base = is_base
        self.digest = hashlib.sha256()
        self.name = root.name
        #: file kind (findings.yaml) -> the name it has in this pack (findings.yml, say)
        self.names: dict[str, str] = {}
        self.inferred_standalone = False

    # --- the whole pack -------------------------------------------------------------------

    def read(self) -> None:
        if not self.root.is_dir():
            what = "does not exist" if not self.root.exists() else "is not a folder"
            self.merge.problems.append(
                Problem(
                    str(self.root),
                    None,
                    "pack",
                    what,
                    "a rule pack is a folder with a pack.yaml",
                    check="missing-file",
                )
            )
            return
        self._resolve_names()
        loaded = self._load(PACK_FILE, required=True)
        usable = isinstance(loaded, Mapping)
        if not usable and loaded is not None:
            self._problem(
                PACK_FILE, loaded, (), "file", "expected a mapping of pack keys", check="schema"
            )
        pack: Mapping[str, Any] = loaded if isinstance(loaded, Mapping) else {}
        name = pack.get("name")
        self.name = name if isinstance(name, str) and name else self.root.name
        self.inferred_standalone = self.is_base and "extends" not in pack
        if usable:
            self._check_pack_keys(pack)
        self.merge.places[("pack", self.name)] = Place(self._label(PACK_FILE), pack, (), self.name)
        for key in (
            "description",
            "disclaimer",
            "bands",
            "referral",
            "client_information",
            "site_findings",
        ):
            if key in pack:
                self.merge.settings[key] = pack[key]
        self._strengths(pack)
        self._findings(self._load(FINDINGS_FILE, required=self.is_base))
        self._causes(pack, usable=usable)
        self._red_flags(self._load(RED_FLAGS_FILE, required=self.is_base))
        self._referral(self._load(REFERRAL_FILE, required=False))
        self._sources(self._load(SOURCES_FILE, required=False))
        self._screens(self._load(SCREENS_FILE, required=False))
        self._disable(pack)
        version = pack.get("version", "")
        self.merge.packs.append(
            PackInfo(
                name=self.name,
                version=version if isinstance(version, str) else str(version),
                sha256=self.digest.hexdigest(),
                path=str(self.root),
                lint_ignore=self._lint_ignore(pack),
            )
        )

    def _lint_ignore(self, pack: Mapping[str, Any]) -> tuple[str, ...]:
        """The warnings this pack silences in its own files: warning ids of the registry."""
        from nmt_assess.ruleset.checks import unknown_check_message, warning_ids

        raw = pack.get("lint_ignore")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self._problem(
                PACK_FILE,
                pack,
                ("lint_ignore",),
                "lint_ignore",
                f"expected a list of check ids, got {_kind(raw)}",
                check="schema",
            )
            return ()
        ignored = []
        allowed = warning_ids()
        for index, check_id in enumerate(raw):
            message = (
                unknown_check_message(check_id, allowed, "a pack")
                if isinstance(check_id, str)
                else f"expected a check id, got {shown(check_id)}"
            )
            if message is None:
                ignored.append(check_id)
                continue
            self._problem(
                PACK_FILE,
                pack,
                ("lint_ignore", index),
                f"lint_ignore.{index}",
                message,
                check="unknown-check",
                hint=did_you_mean(str(check_id), allowed)
                or "a pack can ignore: " + ", ".join(allowed),
            )
        return tuple(ignored)

    def _resolve_names(self) -> None:
        """Each file kind's name in this pack: .yaml, or .yml when only that is there."""
        kinds = (
            PACK_FILE,
            FINDINGS_FILE,
            RED_FLAGS_FILE,
            REFERRAL_FILE,
            SOURCES_FILE,
            SCREENS_FILE,
        )
        for kind in kinds:
            self.names[kind] = yaml_file(self.root, kind).name
            both = [self.root / kind, self.root / Path(kind).with_suffix(".yml")]
            if all(path.exists() for path in both):
                self.merge.problems.extend(same_stem_problems(both))

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
        for key in ("name", "version", "description", "disclaimer"):
            if key in pack and not isinstance(pack[key], str):
                self._problem(
                    PACK_FILE,
                    pack,
                    (key,),
                    key,
                    f"expected text, got {shown(pack[key])}",
                    check="schema",
                    hint="quote it" if key == "version" else None,
                )
        extends = pack.get("extends", DEFAULT)
        if extends not in (DEFAULT, NONE):
            self._problem(
                PACK_FILE,
                pack,
                ("extends",),
                "extends",
                f"expected default or none, got {shown(extends)}",
                check="schema",
            )
        elif extends == NONE and not self.is_base:
            self._problem(
                PACK_FILE,
                pack,
                ("extends",),
                "extends",
                "a pack that stands alone (extends: none) must be the first pack",
                check="schema",
                hint="give it first, or say extends: default to layer it",
            )
        if self.is_base:
            for key in ("name", "version", "disclaimer", "bands", "causes"):
                if key not in pack:
                    self._problem(
                        PACK_FILE,
                        pack,
                        (),
                        key,
                        "required in a pack that stands alone",
                        check="schema",
                        hint="or say extends: default to layer the pack over the default one",
                    )

    # --- files ----------------------------------------------------------------------------

    def _name(self, relative: str) -> str:
        return self.names.get(relative, relative)

    def _label(self, relative: str) -> str:
        return str(self.root / self._name(relative))

    def _load(self, relative: str, *, required: bool) -> Any:
        """The file's YAML, or None (with the problem reported) when it is absent or unusable."""
        name = self._name(relative)
        label = self._label(relative)
        path = self.root / name
        if path.exists() and not path.is_file():  # a FIFO or a device would block or never end
            self.merge.problems.append(
                Problem(label, None, "file", "not a regular file", check="unreadable")
            )
            return None
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            if required:
                hint = "every rule pack needs this file"
                if self.inferred_standalone and relative in (FINDINGS_FILE, RED_FLAGS_FILE):
                    hint = (
                        "a pack that sets causes, bands and disclaimer stands alone; "
                        "say extends: default to layer it over the default pack"
                    )
                self.merge.problems.append(
                    Problem(label, None, "file", "missing", hint, check="missing-file")
                )
            return None
        except OSError as error:
            reason = error.strerror or str(error)
            self.merge.problems.append(
                Problem(label, None, "file", f"cannot read: {reason}", check="unreadable")
            )
            return None
        self.digest.update(name.encode() + b"\0" + data + b"\0")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            self.merge.problems.append(
                Problem(
                    label, None, "file", f"not UTF-8 text (byte {error.start})", check="encoding"
                )
            )
            return None
        document, yaml_problems, readable = read_located_yaml(label, text)
        self.merge.problems.extend(yaml_problems)  # each one: the rest of the file is checked
        if not readable:
            return None
        if document is None and not yaml_problems:
            self.merge.problems.append(
                Problem(
                    label,
                    1,
                    "file",
                    "empty file",
                    "give its content, or delete the file",
                    col=1,
                    check="schema",
                )
            )
        return document

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

    def _file_keys(self, data: Any, relative: str) -> bool:
        """Check the top-level keys of a findings, red flags, referral or sources file; False
        when the file is not a mapping (reported)."""
        if data is None:
            return False
        keys = _FILE_KEYS[relative]
        if not isinstance(data, Mapping):
            self._problem(
                relative,
                data,
                (),
                "file",
                f"expected a mapping with '{keys[0]}', got {_kind(data)}",
                check="schema",
            )
            return False
        for key in data:
            if key not in keys:
                self._problem(
                    relative,
                    data,
                    (key,),
                    str(key),
                    "unknown key",
                    check="schema",
                    hint=did_you_mean(str(key), keys) or "expected: " + ", ".join(keys),
                )
        if keys[0] not in data:
            self._problem(relative, data, (), keys[0], "required field is missing", check="schema")
        return True

    def _items(self, data: Any, key: str, relative: str) -> list[tuple[int, Any]]:
        if not isinstance(data, Mapping) or key not in data:
            return []
        items = data[key]
        if not isinstance(items, list):
            self._problem(
                relative,
                data,
                (key,),
                key,
                f"expected a list, got {_kind(items)}",
                check="schema",
            )
            return []
        return list(enumerate(items))

    # --- sections -------------------------------------------------------------------------

    def _strengths(self, pack: Mapping[str, Any]) -> None:
        raw = pack.get("strengths")
        if raw is None:
            return
        if not isinstance(raw, Mapping):
            self._problem(
                PACK_FILE,
                pack,
                ("strengths",),
                "strengths",
                f"expected a mapping of name -> likelihood ratio, got {_kind(raw)}",
                check="schema",
            )
            return
        for name, value in raw.items():
            if not isinstance(name, str):
                self._problem(
                    PACK_FILE,
                    pack,
                    ("strengths", name),
                    f"strengths.{shown(name)}",
                    f"expected a strength name as text, got {shown(name)}",
                    check="schema",
                    hint="quote it",
                )
                continue
            place = Place(self._label(PACK_FILE), pack, ("strengths", name), self.name)
            try:
                self.merge.strengths[name] = _likelihood_ratio().validate_python(value)
            except ValidationError as error:
                _report(error, place, self.merge.problems)
        self._strength_ranges(pack)

    def _strength_ranges(self, pack: Mapping[str, Any]) -> None:
        raw = pack.get("strength_ranges")
        if raw is None:
            return
        place = Place(self._label(PACK_FILE), pack, (), self.name)
        try:
            settings = PackSettings.model_validate(
                {"name": "-", "version": "-", "strength_ranges": raw}
            )
        except ValidationError as error:
            _report(error, place, self.merge.problems)
            return
        for name, bounds in settings.strength_ranges.items():
            if name not in self.merge.strengths:
                self._at(
                    place,
                    ("strength_ranges", name),
                    f"strength_ranges.{shown(name)}",
                    f"'{shown(name)}' is not a strength",
                    check="unknown-strength",
                    hint=did_you_mean(name, self.merge.strengths) or "name one of strengths",
                )
                continue
            low, high = sorted(bounds)
            if not low <= self.merge.strengths[name] <= high:
                self._at(
                    place,
                    ("strength_ranges", name),
                    f"strength_ranges.{shown(name)}",
                    f"the range {low:g}-{high:g} does not hold the strength's value "
                    f"{self.merge.strengths[name]:g}",
                    check="schema",
                    hint="give the band of the scale the value lies in",
                )
                continue
            self.merge.strength_ranges[name] = (low, high)

    def _findings(self, data: Any) -> None:
        if not self._file_keys(data, FINDINGS_FILE):
            return
        lists = data.get("choice_lists", {})
        if not isinstance(lists, Mapping):
            self._problem(
                FINDINGS_FILE,
                data,
                ("choice_lists",),
                "choice_lists",
                f"expected a mapping of name -> choices, got {_kind(lists)}",
                check="schema",
            )
            lists = {}
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

    def _causes(self, pack: Mapping[str, Any], *, usable: bool) -> None:
        raw = pack.get("causes")
        if raw is not None and not isinstance(raw, list):
            self._problem(
                PACK_FILE,
                pack,
                ("causes",),
                "causes",
                f"expected a list of cause ids, got {_kind(raw)}",
                check="schema",
            )
        for index, cause_id in enumerate(raw if isinstance(raw, list) else []):
            if not isinstance(cause_id, str) or not _PLAIN_ID.fullmatch(cause_id):
                self._problem(
                    PACK_FILE,
                    pack,
                    ("causes", index),
                    f"causes.{index}",
                    f"expected a cause id (letters, digits, _ and -), got {shown(cause_id)}",
                    check="schema",
                )
                continue
            if cause_id not in self.merge.cause_order:
                self.merge.cause_order.append(cause_id)
                self.merge.places[("listed-cause", cause_id)] = Place(
                    self._label(PACK_FILE), pack, ("causes", index), self.name
                )
        folder = self.root / CAUSES_DIR
        files = yaml_files(folder)
        self.merge.problems.extend(same_stem_problems(files))
        by_id: dict[str, Path] = {}
        for path in files:
            by_id.setdefault(path.stem, path)
        for cause_id, path in by_id.items():
            if cause_id not in self.merge.cause_order:
                if usable:
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
                    self._load(f"{CAUSES_DIR}/{path.name}", required=True)  # its own errors too
                    continue
                # pack.yaml is unusable: check every cause file all the same
                self.merge.cause_order.append(cause_id)
                self.merge.places[("listed-cause", cause_id)] = Place(str(path), {}, (), self.name)
            relative = f"{CAUSES_DIR}/{path.name}"
            self.merge.cause_files.add(cause_id)
            self._cause(cause_id, relative, self._load(relative, required=True))

    def _cause(self, cause_id: str, relative: str, data: Any) -> None:
        if not isinstance(data, Mapping):
            if data is not None:
                self._problem(
                    relative,
                    data,
                    (),
                    "file",
                    f"expected a mapping, got {_kind(data)}",
                    check="schema",
                )
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
        self.merge.places[("cause", cause_id)] = place  # for checks of its sites
        parts = self.merge.causes.get(cause_id)
        fields = {k: v for k, v in data.items() if k not in ("groups", "rules")}
        if parts is None:
            parts = _CauseParts(fields, {}, {}, place)
            self.merge.causes[cause_id] = parts
        else:
            parts.fields.update(fields)  # a later pack adjusts the prior, title or description
            parts.place = place
        for index, raw in self._items(data, "groups", relative):
            group_place = Place(self._label(relative), data, ("groups", index), self.name)
            group = _validate(Group, raw, group_place, self.merge.problems)
            if group is not None:
                parts.groups[group.id] = raw
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
        weighted, unknown = _with_weights(
            raw, cause_id, self.merge.strengths, self.merge.strength_ranges
        )
        for key, name in unknown.items():  # a stand-in takes its place: the rest is checked
            self._at(
                place,
                (key,),
                f"rules.{index}.{key}",
                f"unknown strength '{name}'",
                check="unknown-strength",
                hint=_text_number_hint(name)
                or did_you_mean(name, self.merge.strengths)
                or "use a number or one of: " + ", ".join(self.merge.strengths),
            )
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
        used: dict[str, Any] = {}
        rule = _validate(Rule, weighted, place, self.merge.problems, _RULE_STAND_INS, used)
        if rule is None:
            return
        stood_in = [key for key, value in used.items() if value is not weighted.get(key)]
        stood_in += list(unknown)  # an unknown strength: its stand-in is already in place
        silenced = [c for key in stood_in for c in _STAND_IN_SILENCES.get(key, ())]
        if silenced:  # `because: 5` is reported; "rule has no 'because'" would be a knock-on
            used = used or dict(weighted)
            used["lint_ignore"] = (*rule.lint_ignore, *silenced)
        parts.rules[rule_id] = used or weighted
        self.merge.rule_pack[rule_id] = self.name
        self.merge.places[("rule", rule_id)] = place

    def _red_flags(self, data: Any) -> None:
        if not self._file_keys(data, RED_FLAGS_FILE):
            return
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
        if not self._file_keys(data, REFERRAL_FILE):
            return
        self._muscle_locations(data)
        regions = data.get("regions")
        if regions is None:
            return
        if not isinstance(regions, Mapping):
            self._problem(
                REFERRAL_FILE,
                data,
                ("regions",),
                "regions",
                f"expected a mapping of region -> muscles, got {_kind(regions)}",
                check="schema",
            )
            return
        for region, raw in regions.items():
            place = Place(self._label(REFERRAL_FILE), data, ("regions", region), self.name)
            referral = _validate(Referral, raw, place, self.merge.problems)
            if referral is not None:
                self.merge.referral[str(region)] = referral
                self.merge.places[("region", str(region))] = place

    def _muscle_locations(self, data: Mapping[str, Any]) -> None:
        """`muscles`: muscle -> the body regions it lies in (a later pack's entry replaces)."""
        muscles = data.get("muscles")
        if muscles is None:
            return
        if not isinstance(muscles, Mapping):
            self._problem(
                REFERRAL_FILE,
                data,
                ("muscles",),
                "muscles",
                "expected a mapping of muscle -> the body regions it lies in, "
                f"got {_kind(muscles)}",
                check="schema",
            )
            return
        for muscle, raw in muscles.items():
            place = Place(self._label(REFERRAL_FILE), data, ("muscles", muscle), self.name)
            try:
                regions = _muscle_regions().validate_python(raw)
            except ValidationError as error:
                _report(error, place, self.merge.problems)
                continue
            self.merge.muscle_locations[str(muscle)] = regions
            self.merge.places[("muscle", str(muscle))] = place

    def _sources(self, data: Any) -> None:
        if not self._file_keys(data, SOURCES_FILE):
            return
        sources = data.get("sources")
        if sources is None:
            return
        if not isinstance(sources, Mapping):
            self._problem(
                SOURCES_FILE,
                data,
                ("sources",),
                "sources",
                f"expected a mapping of tag -> citation, got {_kind(sources)}",
                check="schema",
            )
            return
        for tag, text in sources.items():
            if not isinstance(text, str):
                self._problem(
                    SOURCES_FILE,
                    data,
                    ("sources", tag),
                    f"sources.{tag}",
                    f"expected the citation as text, got {shown(text)}",
                    check="schema",
                )
                continue
            self.merge.sources[str(tag)] = text

    def _screens(self, data: Any) -> None:
        """screens.yaml: each screen validated on its own; a later pack's screen of the same id
        replaces the earlier one."""
        if not self._file_keys(data, SCREENS_FILE):
            return
        for index, raw in self._items(data, "screens", SCREENS_FILE):
            place = Place(self._label(SCREENS_FILE), data, ("screens", index), self.name)
            screen = _validate(Screen, raw, place, self.merge.problems)
            if screen is None:
                continue
            first = self.merge.where("screen", screen.id)
            if first is not None and first.pack == self.name:
                self._at(
                    place,
                    ("id",),
                    "id",
                    f"screen id '{screen.id}' is used twice",
                    check="duplicate-id",
                )
                continue
            self.merge.screens[screen.id] = screen
            self.merge.places[("screen", screen.id)] = place

    def _disable(self, pack: Mapping[str, Any]) -> None:
        disable = pack.get("disable")
        if disable is None:
            return
        if not isinstance(disable, list):
            self._problem(
                PACK_FILE,
                pack,
                ("disable",),
                "disable",
                f"expected a list of rule ids, got {_kind(disable)}",
                check="schema",
            )
            return
        for index, item_id in enumerate(disable):
            path = ("disable", index)
            if not isinstance(item_id, str):
                self._problem(
                    PACK_FILE,
                    pack,
                    path,
                    f"disable.{index}",
                    f"expected a rule id, got {shown(item_id)}",
                    check="schema",
                )
                continue
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
                    hint=did_you_mean(item_id, known),
                )
                continue
            del owner.rules[item_id]
            self.merge.rule_pack.pop(item_id, None)


def _restricts_as_much(flag: RedFlag, base: RedFlag) -> bool:
    """Whether a flag keeps hands off at least what the base pack's flag of that id does."""
    if flag.restricts_body or (not base.restricts_body and not base.restricted_regions):
        return True
    return not base.restricts_body and set(base.restricted_regions) <= set(flag.restricted_regions)


def _validate(
    model: type[BaseModel],
    data: Any,
    place: Place,
    problems: list[Problem],
    stand_ins: Mapping[str, Any] | None = None,
    used: dict[str, Any] | None = None,
) -> Any:
    """The validated model, or None with every problem reported. With `stand_ins`, top-level
    fields that fail are replaced by them and the model is returned all the same, so that the
    checks of the whole can run (the failures are already reported); `used` then receives the
    data with the stand-ins."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        failed = _report(error, place, problems)
    except RecursionError:
        line, col = place.position()
        problems.append(
            Problem(place.file, line, "value", "nested too deeply", col=col, check="schema")
        )
        return None
    if stand_ins is None or not isinstance(data, Mapping):
        return None
    # keys the model does not know are left out (their errors are reported): a stray key must
    # not drop a whole cause and bring knock-on errors about everything that names it
    unknown = failed - model.model_fields.keys()
    if not failed - unknown <= stand_ins.keys():
        return None
    patched = {key: value for key, value in data.items() if str(key) not in unknown}
    patched |= {key: stand_ins[key] for key in failed - unknown}
    try:
        result = model.model_validate(patched)
    except ValidationError:
        return None
    if used is not None:
        used.update(patched)
    return result


def report_validation_error(
    error: ValidationError, place: Place, problems: list[Problem], check: str
) -> None:
    """Add one located problem per failing field of `error`, in our words, not pydantic's."""
    _report(error, place, problems, check)


def _report(
    error: ValidationError, place: Place, problems: list[Problem], check: str = "schema"
) -> set[str]:
    """Add one problem per failing field (the alternatives of a union merged into one);
    return the top-level fields that failed."""
    grouped: dict[tuple[Any, ...], list[Any]] = {}
    for detail in error.errors():
        grouped.setdefault(_data_path(tuple(detail["loc"])), []).append(detail)
    failed = set()
    for path, details in grouped.items():
        deeper = any(other[: len(path)] == path and other != path for other in grouped)
        details = [d for d in details if not (deeper and d["type"] == "too_short")]
        if not details:
            continue
        if path:
            failed.add(str(path[0]))
        shown_path = path[:-1] if path[-2:] in (("lr", "lr"), ("lr_absent", "lr")) else path
        field_name = ".".join(str(part) for part in (*place.path, *shown_path)) or "value"
        line, col = place.position(*path)
        problems.append(
            Problem(
                place.file,
                line,
                field_name,
                _merged_message(details),
                _text_number_hint(details[0].get("input"))
                or _range_hint((*place.path, *shown_path)),
                col=col,
                check=check,
            )
        )
    return failed


_CONDITION_HOLDERS = {"when", "unless", "not", "applies_when"}
_CONDITION_TAGS = {"finding", "all", "any", "not", "at_least"}
_UNION_TAGS = {"bool", "str", "float", "int"}


def _data_path(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The path in the file of a pydantic error location: union tags dropped."""
    out: list[Any] = []
    tag_next = False
    for part in loc:
        if tag_next and part in _CONDITION_TAGS:
            tag_next = False
            continue
        out.append(part)
        in_list = isinstance(part, int) and len(out) >= 2 and out[-2] in ("all", "any", "of")
        tag_next = part in _CONDITION_HOLDERS or in_list
    while out and out[-1] in _UNION_TAGS:
        out.pop()
    return tuple(out)


@functools.cache
def _muscle_regions() -> TypeAdapter[tuple[str, ...]]:
    return TypeAdapter(MuscleRegions)


@functools.cache
def _likelihood_ratio() -> TypeAdapter[float]:
    return TypeAdapter(LikelihoodRatio)


def _text_number_hint(value: Any) -> str | None:
    """YAML 1.1 reads `1e-3` (no dot) as text: say so when text looks like a number."""
    if not isinstance(value, str):
        return None
    try:
        float(value)
    except ValueError:
        return None
    return f"YAML reads {shown(value)} as text: write a plain number such as 1.0e-3, unquoted"


def _range_hint(path: tuple[Any, ...]) -> str | None:
    last = path[-1] if path else None
    if last in ("lr", "lr_absent") or (len(path) >= 2 and path[-2] == "strengths"):
        return f"a likelihood ratio is a number from {LR_MIN:g} to {LR_MAX:g}"
    if last == "prior":
        return f"a prior is a number from {PRIOR_MIN:g} to {PRIOR_MAX:g}"
    return None


def read_located_yaml(label: str, text: str) -> tuple[Any, list[Problem], bool]:
    """The YAML document in `text`, with a located problem for each thing that could not be
    built (a duplicate key, a tag such as !!python/object: the rest is still read), and
    whether the text could be read at all (False: the problems say why, the document is None).
    Pack files and case files are read through it, so a YAML problem reads alike in both."""
    try:
        document, unbuilt = load_marked_all(text)
    except YamlSyntaxError as error:
        check = "duplicate-key" if error.duplicate else "yaml-syntax"
        return (
            None,
            [Problem(label, error.line, "yaml", error.message, col=error.col, check=check)],
            False,
        )
    except (RecursionError, MemoryError):
        return (
            None,
            [Problem(label, None, "yaml", "nested too deeply to read", check="yaml-syntax")],
            False,
        )
    except ValueError as error:  # a value YAML cannot build, such as a 5,000-digit number
        return (
            None,
            [Problem(label, None, "yaml", unreadable_value(error), check="yaml-syntax")],
            False,
        )
    problems = [
        Problem(
            label,
            item.line,
            "yaml",
            item.message,
            col=item.col,
            check="duplicate-key" if item.duplicate else "yaml-syntax",
        )
        for item in unbuilt
    ]
    return document, problems, True


def unreadable_value(error: ValueError) -> str:
    return f"a value that cannot be read: {shown(str(error), 80).strip(chr(39))}"


def shown(value: Any, limit: int = 40) -> str:
    """A value as the author wrote it in YAML, cut to a sensible length."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, float) and not math.isfinite(value):
        text = ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    elif isinstance(value, int) and abs(value) > 10**limit:
        text = "a number too long to show"
    elif isinstance(value, str | int | float):
        text = repr(value) if isinstance(value, str) else str(value)
    else:
        text = _kind(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "nothing"
    return shown(value)


def _resolve_choices(raw: Any, lists: Mapping[str, Any]) -> Any:
    """`choices: body_regions` names a list declared once under `choice_lists`."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("choices"), str):
        return raw
    name = raw["choices"]
    if name not in lists:
        return f"no choice list named '{name}' under choice_lists"
    return {**raw, "choices": lists[name]}


def _with_weights(
    rule: Mapping[str, Any],
    cause_id: str,
    strengths: Mapping[str, float],
    ranges: Mapping[str, tuple[float, float]],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Attach the cause and turn `lr: 2.0` (with its `lr_range`) or `lr: small` (with the
    strength's band) into a Weight mapping; a name that is no strength (`lr: "2"`) is replaced
    by its stand-in and returned, by key."""
    out: dict[str, Any] = {**rule, "cause": cause_id}
    unknown: dict[str, str] = {}
    for key in ("lr", "lr_absent"):
        value = out.get(key)
        if isinstance(value, str):
            if value not in strengths:
                unknown[key] = value
                out[key] = _RULE_STAND_INS[key]
                continue
            low, high = ranges.get(value, (None, None))
            out[key] = {"lr": strengths[value], "strength": value, "low": low, "high": high}
        elif value is not None and not isinstance(value, Mapping):
            bounds = out.get(f"{key}_range")
            if isinstance(bounds, list | tuple) and len(bounds) == 2:
                low, high = bounds
                out[key] = {"lr": value, "low": low, "high": high}
            else:
                out[key] = {"lr": value}
    return out, unknown


_EXPECTED = {
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}

_FRIENDLY: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda d: "required field is missing",
    "extra_forbidden": lambda d: "unknown field",
    "greater_than": lambda d: f"must be greater than {float(d['ctx']['gt']):g}",
    "greater_than_equal": lambda d: f"must be at least {float(d['ctx']['ge']):g}",
    "less_than": lambda d: f"must be less than {float(d['ctx']['lt']):g}",
    "less_than_equal": lambda d: f"must be at most {float(d['ctx']['le']):g}",
    "enum": lambda d: f"expected one of {d['ctx']['expected']}, got {shown(d['input'])}",
    "literal_error": lambda d: f"expected {d['ctx']['expected']}, got {shown(d['input'])}",
}


def _merged_message(details: list[Mapping[str, Any]]) -> str:
    """One message for one field: `expected a or b, got X` when every failure is a type."""
    expected = [_EXPECTED[d["type"]] for d in details if d["type"] in _EXPECTED]
    if len(expected) == len(details):
        unique = list(dict.fromkeys(expected))
        return f"expected {' or '.join(unique)}, got {shown(details[0]['input'])}"
    return "; ".join(
        dict.fromkeys(_plain_message(d) for d in details if d["type"] not in _EXPECTED)
    )


def _plain_message(detail: Mapping[str, Any]) -> str:
    friendly = _FRIENDLY.get(detail["type"])
    message = friendly(dict(detail)) if friendly else str(detail["msg"])
    return message.removeprefix("Value error, ")
