"""The one document builder: an evaluation result (and the intake's answers) as the assessment
document (schema_version 3), for both evaluators.

Entries that documents share (the ruleset, contributions, check-next and red-flag entries the
batch path caches) are `Entry` mappings that refuse changes and hold tuples, never lists, so
editing one document can never change another. JSON writes them as it writes dicts and lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, NoReturn, TypedDict, TypeVar, cast

from nmt_assess.engine.scalar import CauseResult, Result, probability, standing_for_causes
from nmt_assess.engine.screens import ScreenEntry, ScreenEvaluator
from nmt_assess.models import RedFlag, Ruleset
from nmt_assess.ruleset.compile import CompiledCause, CompiledPack, CompiledRule

#: The version of the assessment document (and of batch error records): 2 added `answers`,
#: each raised flag's `restricts` and each cause's `withheld` suggestions; 3 each cause's
#: probability `range` and most likely `site`.
SCHEMA_VERSION = 3
CHECK_NEXT_LIMIT = 3
#: The smallest change in probability worth suggesting a question for.
CHECK_NEXT_MIN_SHIFT = 0.01
DIGITS = 4


class Entry(dict[str, Any]):
    """A document entry that may be shared between documents: it refuses every change."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a shared document entry cannot be changed: copy it first")

    __setitem__ = __delitem__ = _refuse
    clear = pop = popitem = setdefault = update = __ior__ = _refuse

    def __reduce__(self) -> Any:  # pickled as a plain dict (worker processes send documents)
        return (dict, (dict(self),))


class PackRefEntry(TypedDict):
    name: str
    version: str
    sha256: str


class RulesetEntry(TypedDict):
    name: str
    version: str
    sha256: str
    packs: tuple[PackRefEntry, ...]


class RaisedFlagEntry(TypedDict):
    id: str
    title: str
    action: str
    findings: tuple[str, ...]
    advice: str
    source: tuple[str, ...]
    restricts: str | dict[str, tuple[str, ...]] | None


class UnscreenedFlagEntry(TypedDict):
    id: str
    action: str
    unanswered: tuple[str, ...]


class ContributionEntry(TypedDict):
    rule: str
    findings: tuple[str, ...]
    direction: Literal["for", "against"]
    factor: float
    basis: str
    counted: bool
    share: float
    group: str | None
    because: str
    source: tuple[str, ...]
    outweighed_by: str | None


class CheckNextEntry(TypedDict):
    finding: str
    question: str
    asked_of: str
    could_lower_to: float
    could_raise_to: float


class WithheldEntry(TypedDict):
    kind: Literal["muscles_to_palpate", "check_next"]
    item: str
    flag: str
    region: str


class SiteEntry(TypedDict):
    id: str
    title: str
    probability: float


class CauseEntry(TypedDict):
    id: str
    title: str
    rank: int
    probability: float
    #: The lowest and highest probability the weights' ranges allow.
    range: tuple[float, float]
    band: str
    prior: float
    site: SiteEntry | None
    contributions: list[Any]  # ContributionEntry, or its JSON from a writer's encoder
    check_next: list[Any]  # CheckNextEntry, or its JSON
    muscles_to_palpate: dict[str, list[str]]
    withheld: list[WithheldEntry]


class AssessmentDocument(TypedDict, total=False):
    schema_version: int
    intake_id: str | None
    intake_date: str | None
    ruleset: RulesetEntry
    referral_first: bool
    red_flags: list[RaisedFlagEntry]
    unscreened_red_flags: list[UnscreenedFlagEntry]
    screens: list[ScreenEntry]  # screening questionnaires that concern the client (not causes)
    causes: list[CauseEntry]
    answers: dict[str, Any]
    disclaimer: str
    source: dict[str, Any]  # added by batch scoring: the input record it came from


class SummaryFlagEntry(TypedDict):
    id: str
    action: str
    findings: tuple[str, ...]
    restricts: str | dict[str, tuple[str, ...]] | None


class SummaryScreenEntry(TypedDict):
    id: str
    result: str | None
    unanswered: tuple[str, ...]


class SummaryCauseEntry(TypedDict):
    id: str
    rank: int
    probability: float
    range: tuple[float, float]
    band: str
    site: str | None
    #: The rules counted for the cause, strongest first (what `contributions` explains).
    counted: tuple[str, ...]


class SummaryDocument(TypedDict, total=False):
    """What a script acts on, without the text a reader can look up by id (`explain`, or the
    pack): the same figures as the full document, in the same order."""

    schema_version: int
    detail: Literal["summary"]
    intake_id: str | None
    intake_date: str | None
    ruleset: RulesetEntry
    referral_first: bool
    red_flags: list[SummaryFlagEntry]
    unscreened_red_flags: list[UnscreenedFlagEntry]
    screens: list[SummaryScreenEntry]
    causes: list[SummaryCauseEntry]
    disclaimer: str
    source: dict[str, Any]  # added by batch scoring: the input record it came from


#: How much a document explains: `full` (every reason, suggestion and text) or `summary`.
Detail = Literal["full", "summary"]
DETAILS: tuple[Detail, ...] = ("full", "summary")


def answers_entry(catalog: Iterable[str], findings: Mapping[str, Any]) -> dict[str, Any]:
    """The answered findings as the document shows them: in catalog order (so the document
    does not depend on the order they were given in), a list of choices as a list."""
    get = findings.get
    answers = {finding: value for finding in catalog if (value := get(finding)) is not None}
    for finding, value in answers.items():
        if type(value) is tuple or type(value) is list:
            answers[finding] = list(value)
    return answers


def restricts_entry(flag: RedFlag) -> str | dict[str, tuple[str, ...]] | None:
    """What a raised flag keeps hands off, as the document shows it: "body", the regions, or
    None (its action still applies)."""
    if flag.restricts_body:
        return "body"
    return Entry(regions=tuple(flag.restricted_regions)) if flag.restricted_regions else None


def raised_flag_entry(flag: RedFlag, witnesses: tuple[str, ...]) -> RaisedFlagEntry:
    return cast(
        RaisedFlagEntry,
        Entry(
            id=flag.id,
            title=flag.title,
            action=flag.action.value,
            findings=witnesses,
            advice=flag.advice,
            source=tuple(flag.source),
            restricts=restricts_entry(flag),
        ),
    )


def unscreened_flag_entry(flag: RedFlag, unanswered: tuple[str, ...]) -> UnscreenedFlagEntry:
    return cast(
        UnscreenedFlagEntry,
        Entry(id=flag.id, action=flag.action.value, unanswered=unanswered),
    )


def contribution_entry(
    rule: CompiledRule,
    present: bool,
    counted: bool,
    share: float,
    witnesses: tuple[str, ...],
    outweighed_by: str | None,
) -> ContributionEntry:
    """A rule that applied a factor: `present` when it was its `lr` (else its `lr_absent`)."""
    weight = rule.rule.lr if present else rule.rule.lr_absent or rule.rule.lr
    log = rule.log_lr if present else rule.log_absent
    return cast(
        ContributionEntry,
        Entry(
            rule=rule.rule.id,
            findings=witnesses,
            direction="for" if log is not None and log > 0 else "against",
            factor=weight.lr,
            basis=weight.basis,
            counted=counted,
            share=share,
            group=rule.rule.group,
            because=rule.rule.because,
            source=tuple(rule.rule.source),
            outweighed_by=outweighed_by,
        ),
    )


def check_next_entry(
    pack: CompiledPack, finding_id: str, low: float, high: float
) -> CheckNextEntry:
    finding = pack.ruleset.findings[finding_id]
    return cast(
        CheckNextEntry,
        Entry(
            finding=finding_id,
            question=finding.question,
            asked_of=finding.asked_of,
            could_lower_to=low,
            could_raise_to=high,
        ),
    )


def withheld_entry(kind: str, item: str, flag: RedFlag, region: str) -> WithheldEntry:
    """`item`: the pain region or the muscle (muscles to palpate), or the finding (check next);
    `region`: the restricted region that withheld it, or "body"."""
    return cast(WithheldEntry, {"kind": kind, "item": item, "flag": flag.id, "region": region})


def _entry_asked_of(entry: Any) -> tuple[str, str]:
    return entry["finding"], entry["asked_of"]


class Restriction:
    """What raised red flags keep hands off: the whole body (every emergency or urgent flag,
    and any flag that `restricts: body`), or regions.

    When the whole body is restricted, every muscle to palpate is withheld, and every check-next
    item the therapist answers (the catalog's `asked_of`): those are examinations. Questions for
    the client stay. When regions are, withheld are the muscles to palpate for pain in a
    restricted region, every muscle that lies in one (referral.yaml's `muscles`) whatever region
    the pain is in, and every check-next item whose `hands_on` names one (or is `anywhere`, or
    is not given). Each withheld entry names the flag and the restricted region.
    """

    def __init__(
        self, body: RedFlag | None, regions: dict[str, RedFlag], ruleset: Ruleset | None = None
    ) -> None:
        self.body = body
        self.regions = regions
        self._locations = ruleset.muscle_locations if ruleset is not None else {}
        self._findings = ruleset.findings if ruleset is not None else {}
        #: muscle or finding -> (flag, region) when withheld, else None (the same every time)
        self._muscles: dict[str, tuple[RedFlag, str] | None] = {}
        self._checks: dict[str, tuple[RedFlag, str] | None] = {}

    def flag_for(self, region: str) -> RedFlag | None:
        return self.body or self.regions.get(region)

    def _hit(self, regions: Iterable[str] | None) -> tuple[RedFlag, str] | None:
        """The flag and restricted region that keep hands off `regions` (None: anywhere), or
        None when none does."""
        if self.body is not None:
            return self.body, "body"
        if regions is None:
            first, flag = next(iter(self.regions.items()))
            return flag, first
        for region in regions:
            found = self.regions.get(region)
            if found is not None:
                return found, region
        return None

    def muscle(self, name: str) -> tuple[RedFlag, str] | None:
        """Why a muscle is withheld (a muscle without a location may lie anywhere), or None."""
        if name not in self._muscles:
            self._muscles[name] = self._hit(self._locations.get(name))
        return self._muscles[name]

    def check(self, finding_id: str, who: str) -> tuple[RedFlag, str] | None:
        """Why a check-next item is withheld, or None: a question for the client never is."""
        if who == "client":
            return None
        if finding_id not in self._checks:
            finding = self._findings.get(finding_id)
            self._checks[finding_id] = self._hit(
                None if finding is None else finding.hands_on_regions
            )
        return self._checks[finding_id]

    def apply(
        self,
        muscles: dict[str, list[str]],
        check_next: list[Any],
        asked_of: Callable[[Any], tuple[str, str]],
    ) -> tuple[dict[str, list[str]], list[Any], list[WithheldEntry]]:
        """The muscles and check-next items still suggested, and what was withheld and why;
        `asked_of` gives a check-next item's finding and who answers it. A whole pain region
        withheld is an entry with the region as its item; a muscle withheld where it lies, an
        entry with the muscle as its item (once per cause)."""
        withheld: list[WithheldEntry] = []
        kept_muscles = {}
        named: set[str] = set()
        for region, names in muscles.items():
            flag = self.flag_for(region)
            if flag is not None:
                withheld.append(withheld_entry("muscles_to_palpate", region, flag, region))
                continue
            kept = []
            for name in names:
                hit = self.muscle(name)
                if hit is None:
                    kept.append(name)
                elif name not in named:
                    named.add(name)
                    withheld.append(withheld_entry("muscles_to_palpate", name, *hit))
            if kept:
                kept_muscles[region] = kept
        kept_checks = []
        for item in check_next:
            finding_id, who = asked_of(item)
            hit = self.check(finding_id, who)
            if hit is None:
                kept_checks.append(item)
            else:
                withheld.append(withheld_entry("check_next", finding_id, *hit))
        return kept_muscles, kept_checks, withheld


_Ranked = TypeVar("_Ranked", CauseEntry, SummaryCauseEntry)


class DocumentBuilder:
    """Assessment documents for one compiled pack."""

    def __init__(self, pack: CompiledPack) -> None:
        self.pack = pack
        self.ruleset = ruleset = pack.ruleset
        self.order = {cause.id: position for position, cause in enumerate(ruleset.causes)}
        self.info = cast(
            RulesetEntry,
            Entry(
                name=ruleset.name,
                version=ruleset.version,
                sha256=ruleset.sha256,
                packs=tuple(
                    Entry(name=pack.name, version=pack.version, sha256=pack.sha256)
                    for pack in ruleset.packs
                ),
            ),
        )
        self._restrictions: dict[tuple[int, ...], Restriction | None] = {}
        self.screens = ScreenEvaluator(ruleset.screens, ruleset.findings)

    # --- the parts both paths assemble ---

    def restriction(self, raised: Sequence[int]) -> Restriction | None:
        """What the raised flags (indices, most severe first) keep hands off, or None."""
        key = tuple(raised)
        if key in self._restrictions:
            return self._restrictions[key]
        flags = [self.pack.flags[i].flag for i in key]
        body = next((flag for flag in flags if flag.restricts_body), None)
        regions: dict[str, RedFlag] = {}
        for flag in flags:
            for region in flag.restricted_regions:
                regions.setdefault(region, flag)
        found = Restriction(body, regions, self.ruleset) if body is not None or regions else None
        self._restrictions[key] = found
        return found

    def muscles(self, cause_id: str, findings: Mapping[str, Any]) -> dict[str, list[str]]:
        ruleset = self.ruleset
        if cause_id != ruleset.referral_cause or not ruleset.referral_finding:
            return {}
        regions = findings.get(ruleset.referral_finding) or ()
        return {
            region: list(ruleset.referral[region].muscles)
            for region in regions
            if region in ruleset.referral
        }

    def cause_entry(
        self,
        cause: CompiledCause,
        rank: int,
        p_rounded: float,
        p_range: tuple[float, float],
        band: str,
        contributions: list[Any],
        check_next: list[Any],
        findings: Mapping[str, Any],
        restriction: Restriction | None,
        asked_of: Callable[[Any], tuple[str, str]] = _entry_asked_of,
        entry_of: Callable[[Any], Any] | None = None,
    ) -> CauseEntry:
        """A cause's entry. A check-next item is an entry, or anything `asked_of` reads (the
        finding and who answers it) and `entry_of` turns into its entry."""
        model = self.ruleset.causes[cause.model]
        muscles = self.muscles(cause.id, findings)
        withheld: list[WithheldEntry] = []
        if restriction is not None:
            muscles, check_next, withheld = restriction.apply(muscles, check_next, asked_of)
        if entry_of is not None:
            check_next = list(map(entry_of, check_next))
        return {
            "id": cause.id,
            "title": model.title,
            "rank": rank,
            "probability": p_rounded,
            "range": p_range,
            "band": band,
            "prior": model.prior,
            "site": None if cause.site is None else site_entry(cause, p_rounded),
            "contributions": contributions,
            "check_next": check_next,
            "muscles_to_palpate": muscles,
            "withheld": withheld,
        }

    def document(
        self,
        intake_id: str | None,
        intake_date: str | None,
        raised: list[RaisedFlagEntry],
        referral_first: bool,
        unscreened: list[UnscreenedFlagEntry],
        causes: list[CauseEntry],
        findings: Mapping[str, Any],
    ) -> AssessmentDocument:
        return {
            "schema_version": SCHEMA_VERSION,
            "intake_id": intake_id,
            "intake_date": intake_date,
            "ruleset": self.info,
            "referral_first": referral_first,
            "red_flags": raised,
            "unscreened_red_flags": unscreened,
            "screens": self.screens.entries(findings),
            "causes": causes,
            "answers": answers_entry(self.ruleset.findings, findings),
            "disclaimer": self.ruleset.disclaimer,
        }

    # --- one intake's result ---

    def build(
        self,
        result: Result,
        findings: Mapping[str, Any],
        intake_id: str | None = None,
        intake_date: str | None = None,
    ) -> AssessmentDocument:
        """The assessment document of one evaluated intake."""
        pack = self.pack
        states = result.states
        raised = self.raised(result)
        restriction = self.restriction(raised) if raised else None
        causes = []
        for cause, outcome, p, low, high in self.standing(result):
            contributions = _with_shares(
                list(self._contributions(cause, outcome.values, states, findings))
            )
            causes.append(
                self.cause_entry(
                    cause,
                    0,
                    *self._figures(p, low, high),
                    contributions,
                    self._check_next(p, outcome.ranges),
                    findings,
                    restriction,
                )
            )
        flags = pack.flags
        return self.document(
            intake_id,
            intake_date,
            [
                raised_flag_entry(flags[i].flag, witnesses(pack, flags[i].when, states, findings))
                for i in raised
            ],
            self._referral_first(raised),
            self._unscreened(result, findings),
            self._ranked(causes),
            findings,
        )

    def summarize(
        self,
        result: Result,
        findings: Mapping[str, Any],
        intake_id: str | None = None,
        intake_date: str | None = None,
    ) -> SummaryDocument:
        """The summary document of one evaluated intake: the full document's figures and ids,
        none of its text (see SummaryDocument). Its result need not hold check-next ranges."""
        pack = self.pack
        states = result.states
        raised = self.raised(result)
        flags = pack.flags
        causes: list[SummaryCauseEntry] = []
        for cause, outcome, p, low, high in self.standing(result):
            rounded, bounds, band = self._figures(p, low, high)
            causes.append(
                {
                    "id": cause.id,
                    "rank": 0,
                    "probability": rounded,
                    "range": bounds,
                    "band": band,
                    "site": None if cause.site is None else cause.site.id,
                    "counted": _counted(cause, outcome.values),
                }
            )
        return {
            "schema_version": SCHEMA_VERSION,
            "detail": "summary",
            "intake_id": intake_id,
            "intake_date": intake_date,
            "ruleset": self.info,
            "referral_first": self._referral_first(raised),
            "red_flags": [
                {
                    "id": flags[i].flag.id,
                    "action": flags[i].flag.action.value,
                    "findings": witnesses(pack, flags[i].when, states, findings),
                    "restricts": restricts_entry(flags[i].flag),
                }
                for i in raised
            ],
            "unscreened_red_flags": self._unscreened(result, findings),
            "screens": [
                {
                    "id": entry["id"],
                    "result": None if entry["result"] is None else entry["result"]["id"],
                    "unanswered": entry["unanswered"],
                }
                for entry in self.screens.entries(findings)
            ],
            "causes": self._ranked(causes),
            "disclaimer": self.ruleset.disclaimer,
        }

    def raised(self, result: Result) -> list[int]:
        """The raised flags (indices), most severe first."""
        return [i for i in self.pack.by_severity if result.flags[i] == "raised"]

    def standing(
        self, result: Result
    ) -> Iterator[tuple[CompiledCause, CauseResult, float, float, float]]:
        """Each cause's standing compiled cause (see standing_for_causes), in pack order, with
        its outcome, probability and the low and high ends of its range."""
        log_odds = [outcome.log_odds for outcome in result.causes]
        for index in standing_for_causes(self.pack, result.states, log_odds):
            outcome = result.causes[index]
            yield (
                self.pack.causes[index],
                outcome,
                probability(outcome.log_odds),
                probability(outcome.low),
                probability(outcome.high),
            )

    def _figures(self, p: float, low: float, high: float) -> tuple[float, tuple[float, float], str]:
        """A cause's probability and range as documents show them, and its band."""
        return (
            round(p, DIGITS),
            (round(low, DIGITS), round(high, DIGITS)),
            self.ruleset.band_of_range(low, high),
        )

    def _referral_first(self, raised: Sequence[int]) -> bool:
        """Whether a raised flag puts the referral before the ranking."""
        return any(self.pack.flags[i].flag.action.is_referral_first for i in raised)

    def _ranked(self, causes: list[_Ranked]) -> list[_Ranked]:
        """The cause entries ranked: most probable first, pack order on a tie."""
        causes.sort(key=lambda c: (-c["probability"], self.order[c["id"]]))
        for rank, entry in enumerate(causes, 1):
            entry["rank"] = rank
        return causes

    def _unscreened(self, result: Result, findings: Mapping[str, Any]) -> list[UnscreenedFlagEntry]:
        return [
            unscreened_flag_entry(
                flag.flag, tuple(f for f in flag.reads if findings.get(f) is None)
            )
            for flag, state in zip(self.pack.flags, result.flags, strict=True)
            if state == "unscreened"
        ]

    def _contributions(
        self,
        cause: CompiledCause,
        values: Sequence[float | None],
        states: Sequence[bool | None],
        findings: Mapping[str, Any],
    ) -> Iterator[tuple[float, CompiledRule, bool, bool, tuple[str, ...], str | None]]:
        values = tuple(values)  # read once: a batch row is made when first read
        for unit in cause.units:
            unit_values = [values[i] for i in unit.rules]
            best_for, best_against = _leaders(unit_values)
            for local, value in enumerate(unit_values):
                if not value:  # None (no factor) or ln 1 (no effect)
                    continue
                rule = cause.rules[unit.rules[local]]
                leader = best_for if value > 0 else best_against
                yield (
                    value,
                    rule,
                    value == rule.log_lr,
                    leader == local,
                    witnesses(self.pack, rule.when, states, findings),
                    None if leader in (local, None) else cause.rules[unit.rules[leader]].rule.id,
                )

    def _check_next(self, p: float, ranges: Sequence[tuple[str, float, float]]) -> list[Any]:
        """The unanswered findings whose answer could move this cause most, either way."""
        options = []
        for finding_id, lowest, highest in ranges:
            low, high = probability(lowest), probability(highest)
            shift = max(high - p, p - low)
            if shift >= CHECK_NEXT_MIN_SHIFT:
                options.append((round(shift, DIGITS), finding_id, low, high))
        options.sort(key=lambda option: -option[0])  # stable: catalog order breaks ties
        return [
            check_next_entry(self.pack, finding_id, round(low, DIGITS), round(high, DIGITS))
            for _, finding_id, low, high in options[:CHECK_NEXT_LIMIT]
        ]


def _leaders(values: Sequence[float | None]) -> tuple[int | None, int | None]:
    """The positions of the strongest factor for and the strongest against."""
    best_for = best_against = None
    high = low = 0.0
    for index, value in enumerate(values):
        if value is None:
            continue
        if value > high:
            best_for, high = index, value
        elif value < low:
            best_against, low = index, value
    return best_for, best_against


def _counted(cause: CompiledCause, values: Sequence[float | None]) -> tuple[str, ...]:
    """The ids of the rules counted for the cause (each unit's strongest factor for and
    against, as `_leaders` picks them), strongest first: the order of the full document's
    counted contributions."""
    values = tuple(values)  # read once: a batch row is made when first read
    counted: list[tuple[float, int]] = []
    for unit in cause.units:
        best_for = best_against = -1
        high = low = 0.0
        for index in unit.rules:
            value = values[index]
            if value is None:
                continue
            if value > high:
                best_for, high = index, value
            elif value < low:
                best_against, low = index, value
        if best_for >= 0:
            counted.append((high, best_for))
        if best_against >= 0:
            counted.append((low, best_against))
    # strongest first; a tie keeps the contributions' order: rules are laid out unit by unit
    counted.sort(key=lambda item: (-abs(item[0]), item[1]))
    rules = cause.rules
    return tuple(rules[index].rule.id for _, index in counted)


def _with_shares(
    items: list[tuple[float, CompiledRule, bool, bool, tuple[str, ...], str | None]],
) -> list[Any]:
    """Each counted contribution's signed share of the evidence (sum of |ln LR| = 1); counted
    contributions first, strongest first."""
    total = 0.0
    for value, _, _, counted, _, _ in items:
        if counted:
            total += abs(value)
    items.sort(key=lambda item: (not item[3], -abs(item[0])))
    return [
        contribution_entry(
            rule,
            present,
            counted,
            round(value / total, DIGITS) if counted and total else 0.0,
            found,
            outweighed_by,
        )
        for value, rule, present, counted, found, outweighed_by in items
    ]


def site_entry(cause: CompiledCause, p_rounded: float) -> SiteEntry:
    assert cause.site is not None
    return cast(SiteEntry, Entry(id=cause.site.id, title=cause.site.title, probability=p_rounded))


def witnesses(
    pack: CompiledPack, root: int, states: Sequence[bool | None], findings: Mapping[str, Any]
) -> tuple[str, ...]:
    """The answered findings that decided the condition, without repeats."""
    found: dict[str, None] = {}
    nodes = pack.nodes

    def visit(index: int) -> None:
        node = nodes[index]
        if not node.children:
            if findings.get(node.finding) is not None:  # type: ignore[arg-type]
                found[node.finding] = None  # type: ignore[index]
            return
        if node.op == "not":
            visit(node.children[0])
            return
        state = states[index]
        for child in node.children:
            child_state = states[child]
            if child_state is not None and (child_state == state or node.op == "at_least"):
                visit(child)

    visit(root)
    return tuple(found)
