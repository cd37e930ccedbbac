"""Hostile rule packs and `rules` commands: every problem located, in one run, never a traceback.

Each test builds its packs in tmp_path and asserts the exit code, that no traceback is printed,
that the files given are unchanged and that no stray file is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from nmt_assess.cli.app import app
from nmt_assess.problems import ProblemsError
from nmt_assess.ruleset import default_pack_dir, load_ruleset, pack_chain
from nmt_assess.ruleset.checks import CHECKS, RULE_IGNORABLE
from nmt_assess.ruleset.lint import lint

runner = CliRunner()
LOCATED = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (error|warning): \[(?P<check>[a-z-]+)\] "
)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    result = runner.invoke(app, list(args), env=env)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


def tree(root: Path) -> dict[str, bytes | None]:
    """Every file (with its content) and folder under root."""
    out: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        out[key] = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    return out


def lint_problems(pack: Path) -> tuple[list[str], int]:
    """The lint lines of a pack (each checked to be located) and the exit code; the pack
    and the folder around it are checked unchanged."""
    before = tree(pack.parent)
    result = run("rules", "lint", str(pack))
    assert tree(pack.parent) == before
    lines = result.stdout.splitlines()
    for line in lines:
        assert LOCATED.match(line), line
    return lines, result.exit_code


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


OVERLAY = "name: hostile\nversion: '1'\nextends: default\n"


def overlay(tmp_path: Path, files: dict[str, str], pack_yaml: str = OVERLAY) -> Path:
    return write(tmp_path / "pack", {"pack.yaml": pack_yaml, **files})


def rule_file(*rules: str) -> str:
    return "id: ischemia\nrules:\n" + "".join(f"  - {rule}\n" for rule in rules)


# --- numbers in a pack are numbers ---------------------------------------------------------

BAD_NUMBERS = [".inf", "-.inf", ".nan", "true", "false", "'2'", "[2]", "1" * 5000]


@pytest.mark.parametrize("value", BAD_NUMBERS, ids=lambda v: v[:8])
@pytest.mark.parametrize(
    ("where", "template"),
    [
        ("lr", "{id: ischemia.x, when: sedentary_work, lr: %s, because: b, source: []}"),
        (
            "lr_absent",
            "{id: ischemia.x, when: sedentary_work, lr: 2, lr_absent: %s, because: b}",
        ),
        ("gt", "{id: ischemia.x, when: {finding: age, gt: %s}, lr: 2, because: b}"),
        ("lte", "{id: ischemia.x, when: {finding: pain_intensity, lte: %s}, lr: 2, because: b}"),
    ],
)
def test_a_rule_number_that_is_not_a_finite_number_is_a_located_error(
    tmp_path: Path, where: str, template: str, value: str
) -> None:
    pack = overlay(tmp_path, {"causes/ischemia.yaml": rule_file(template % value)})
    lines, code = lint_problems(pack)
    assert code == 2
    errors = [line for line in lines if ": error: " in line]
    assert len(errors) == 1, lines
    if len(value) > 100:  # the YAML loader refuses the number where it stands
        assert errors[0].startswith(f"{pack}/causes/ischemia.yaml:3:")
        assert "[yaml-syntax]" in errors[0]
        assert "a number of 5000 digits" in errors[0]
        return
    assert errors[0].startswith(f"{pack}/causes/ischemia.yaml:3:")
    assert f".{where}: " in errors[0]
    quoted = value == "'2'" and where in ("lr", "lr_absent")  # text there names a strength
    expected = "unknown strength '2' (YAML reads '2' as text" if quoted else "expected"
    assert expected in errors[0]


@pytest.mark.parametrize("value", BAD_NUMBERS[:6], ids=lambda v: v[:8])
def test_a_prior_strength_band_or_bound_that_is_not_a_number_is_an_error(
    tmp_path: Path, value: str
) -> None:
    pack = overlay(
        tmp_path,
        {
            "causes/ischemia.yaml": f"id: ischemia\nprior: {value}\n",
            "findings.yaml": (
                "findings:\n  - {id: grip, type: number, label: Grip, question: Grip?, "
                f"asked_of: therapist, section: examination, meaning: m, min: {value}, max: 90}}\n"
            ),
        },
        OVERLAY + f"strengths:\n  huge: {value}\nbands:\n  - {{label: a, below: {value}}}\n"
        "  - {label: b}\n",
    )
    lines, code = lint_problems(pack)
    assert code == 2
    fields = {line.split("] ")[1].split(":")[0] for line in lines if ": error: " in line}
    assert {"prior", "strengths.huge", "findings.0.min", "bands.0.below"} <= fields, lines


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1.0e-300", "must be at least 0.001"),
        ("1.0e+300", "must be at most 1000"),
        ("0", "must be at least 0.001"),
        ("-2", "must be at least 0.001"),
        ("1e-300", "YAML reads '1e-300' as text"),
    ],
)
def test_a_likelihood_ratio_outside_the_allowed_range_is_an_error(
    tmp_path: Path, value: str, message: str
) -> None:
    pack = overlay(
        tmp_path,
        {
            "causes/ischemia.yaml": rule_file(
                f"{{id: ischemia.x, when: sedentary_work, lr: {value}}}"
            )
        },
    )
    lines, code = lint_problems(pack)
    assert code == 2
    assert any(message in line and ".lr: " in line for line in lines), lines
    with pytest.raises(ProblemsError):
        load_ruleset([pack])


@pytest.mark.parametrize(("value", "ok"), [("0.0005", False), ("0.001", True), ("0.9999", False)])
def test_a_prior_must_lie_from_0_001_to_0_999(tmp_path: Path, value: str, ok: bool) -> None:
    pack = overlay(tmp_path, {"causes/ischemia.yaml": f"id: ischemia\nprior: {value}\n"})
    _, code = lint_problems(pack)
    assert code == (0 if ok else 2)


def test_true_and_one_are_not_interchangeable_in_conditions(tmp_path: Path) -> None:
    pack = overlay(
        tmp_path,
        {
            "causes/ischemia.yaml": rule_file(
                "{id: ischemia.x, when: {finding: sedentary_work, is: 1}, lr: 2, because: b}",
                "{id: ischemia.y, when: {at_least: true, of: [sedentary_work]}, lr: 2}",
            )
        },
    )
    lines, code = lint_problems(pack)
    assert code == 2
    assert any("when.is: expected true or false or text, got 1" in line for line in lines)
    assert any("when.at_least: expected a whole number, got true" in line for line in lines)


def test_a_pack_with_a_bad_number_never_scores(tmp_path: Path) -> None:
    pack = overlay(
        tmp_path,
        {"causes/ischemia.yaml": rule_file("{id: ischemia.x, when: sedentary_work, lr: .inf}")},
    )
    intake = write(tmp_path, {"intake.yaml": "id: a\nfindings: {age: 40}\n"}) / "intake.yaml"
    before = tree(tmp_path)
    result = run("score", str(intake), "--rules", str(pack))
    assert result.exit_code == 2
    assert "expected a finite number, got .inf" in result.output
    assert tree(tmp_path) == before


# --- empty and unusable files --------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "\ufeff"])
def test_an_empty_pack_yaml_is_a_located_error(tmp_path: Path, text: str) -> None:
    pack = write(tmp_path / "pack", {"pack.yaml": text})
    lines, code = lint_problems(pack)
    assert code == 2
    assert lines == [
        f"{pack}/pack.yaml:1:1: error: [schema] file: empty file "
        "(give its content, or delete the file)"
    ]


@pytest.mark.parametrize(
    "relative",
    ["findings.yaml", "red_flags.yaml", "referral.yaml", "sources.yaml", "causes/ischemia.yaml"],
)
def test_every_empty_file_of_a_pack_is_an_error(tmp_path: Path, relative: str) -> None:
    pack = overlay(tmp_path, {relative: "# nothing yet\n"})
    lines, code = lint_problems(pack)
    assert code == 2
    assert f"{pack}/{relative}:1:1: error: [schema] file: empty file" in lines[0]


@pytest.mark.parametrize(
    ("relative", "text", "field"),
    [
        ("findings.yaml", "finding: []\n", "finding: unknown key (did you mean 'findings'?)"),
        ("red_flags.yaml", "red_flag: []\n", "red_flag: unknown key"),
        ("findings.yaml", "findings: {a: 1}\n", "findings: expected a list, got a mapping"),
        ("findings.yaml", "choice_lists: abc\nfindings: []\n", "choice_lists: expected a mapping"),
        ("causes/ischemia.yaml", "- a\n", "file: expected a mapping, got a list"),
        ("pack.yaml", "[1, 2]\n", "file: expected a mapping of pack keys"),
        ("pack.yaml", OVERLAY + "disable: [[a]]\n", "disable.0: expected a rule id, got a list"),
        ("pack.yaml", OVERLAY + "causes: ['../findings']\n", "causes.0: expected a cause id"),
        ("sources.yaml", "sources: {S1: 3}\n", "sources.S1: expected the citation as text"),
        ("causes/ischemia.yaml", "id: ischemia\ngroups: [{because: x}]\n", "groups.0.id"),
        ("pack.yaml", "name: x\nversion: 1\n", "version: expected text, got 1 (quote it)"),
    ],
)
def test_a_misshapen_file_is_a_located_error_never_a_silent_drop(
    tmp_path: Path, relative: str, text: str, field: str
) -> None:
    files = {} if relative == "pack.yaml" else {relative: text}
    pack = overlay(tmp_path, files, text if relative == "pack.yaml" else OVERLAY)
    lines, code = lint_problems(pack)
    assert code == 2
    assert any(f"{pack}/{relative}:" in line and field in line for line in lines), lines


def test_a_listed_cause_that_no_pack_defines_is_an_error(tmp_path: Path) -> None:
    pack = overlay(tmp_path, {}, OVERLAY + "causes: [visceral]\n")
    lines, code = lint_problems(pack)
    assert code == 2
    assert lines == [
        f"{pack}/pack.yaml:4:10: error: [missing-file] causes: cause 'visceral' is listed, "
        "but no pack has a file causes/visceral.yaml (add the file, or take the cause off "
        "the list)"
    ]


def test_a_pack_folder_that_is_not_a_folder_is_one_error(tmp_path: Path) -> None:
    not_a_pack = write(tmp_path, {"file.yaml": "a: 1\n"}) / "file.yaml"
    result = run("rules", "lint", str(not_a_pack))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"nmt-assess: {not_a_pack}: not a folder (a rule pack is a folder with a pack.yaml)"
    ]
    missing = run("rules", "lint", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and ": no such folder (" in missing.stderr


@pytest.mark.parametrize("relative", ["pack.yaml", "findings.yaml", "red_flags.yaml"])
def test_a_fifo_in_place_of_a_pack_file_is_an_error_not_a_hang(
    tmp_path: Path, relative: str
) -> None:
    pack = overlay(tmp_path, {})
    (pack / relative).unlink(missing_ok=True)
    os.mkfifo(pack / relative)
    lines, code = lint_problems(pack)
    assert code == 2
    assert f"{pack}/{relative}:1:1: error: [unreadable] file: not a regular file" in lines


def test_deeply_nested_conditions_are_an_error_not_a_crash(tmp_path: Path) -> None:
    depth = 3000
    condition = "{not: " * depth + "age" + "}" * depth
    pack = overlay(
        tmp_path,
        {"causes/ischemia.yaml": rule_file(f"{{id: ischemia.x, when: {condition}, lr: 2}}")},
    )
    lines, code = lint_problems(pack)
    assert code == 2 and lines


# --- .yml is read like .yaml ---------------------------------------------------------------


def test_a_yml_cause_file_is_read(tmp_path: Path) -> None:
    pack = overlay(
        tmp_path,
        {
            "causes/ischemia.yml": rule_file(
                "{id: ischemia.eased_by_heat, lr: 4.0, population: a test overlay}",
            )
        },
    )
    lines, code = lint_problems(pack)
    assert (lines, code) == ([], 0)
    rule = next(
        r for c in load_ruleset([pack]).causes for r in c.rules if r.id == "ischemia.eased_by_heat"
    )
    assert rule.lr.lr == 4.0


def test_yml_findings_red_flags_and_pack_files_are_read(tmp_path: Path) -> None:
    pack = write(
        tmp_path / "pack",
        {
            "pack.yml": OVERLAY,
            "findings.yml": "findings:\n  - {id: bruise, type: yes_no, label: Bruise, question: "
            "Bruises?, asked_of: client, section: screening, meaning: m}\n",
            "red_flags.yml": "red_flags:\n  - {id: bruise, title: Bruising, when: bruise, action: "
            "caution, advice: Light pressure only.}\n",
        },
    )
    ruleset = load_ruleset([pack])
    assert "bruise" in ruleset.findings and any(f.id == "bruise" for f in ruleset.red_flags)
    assert [p.name for p in ruleset.packs] == ["nmt-default", "hostile"]


def test_a_yml_case_is_linted_and_run(tmp_path: Path) -> None:
    case = (default_pack_dir() / "cases" / "cts-keyboard-worker.yaml").read_text()
    pack = overlay(tmp_path, {"cases/cts-keyboard-worker.yml": case})
    result = run("rules", "test", str(pack))
    assert result.exit_code == 0
    assert result.stdout.strip().endswith("1 passed, 0 failed")
    broken = overlay(tmp_path / "b", {"cases/x.yml": "id: y\n"})
    lines, code = lint_problems(broken)
    assert code == 2 and all("cases/x.yml" in line for line in lines)


@pytest.mark.parametrize("relative", ["causes/ischemia", "cases/c", "findings"])
def test_the_same_file_as_yaml_and_yml_is_an_error(tmp_path: Path, relative: str) -> None:
    text = {
        "causes/ischemia": "id: ischemia\n",
        "cases/c": "id: c\n",
        "findings": "findings: []\n",
    }[relative]
    pack = overlay(tmp_path, {f"{relative}.yaml": text, f"{relative}.yml": text})
    lines, code = lint_problems(pack)
    assert code == 2
    assert any("[duplicate-file]" in line and f"{relative}.yml" in line for line in lines), lines


# --- lint reports every problem in one run -------------------------------------------------


def test_lint_reports_a_problem_in_every_file_at_once(tmp_path: Path) -> None:
    count = 40
    causes = {
        f"causes/cause_{i}.yaml": f"id: cause_{i}\nprior: 0.1\nrules:\n"
        f"  - {{id: cause_{i}.r, when: sedentary_work, lr: {'true' if i % 2 else '.inf'}}}\n"
        for i in range(count)
    }
    pack = overlay(
        tmp_path,
        {
            **causes,
            "findings.yaml": "findings:\n  - {id: z, type: yes_no}\n",
            "red_flags.yaml": "red_flags: [\n",
            "cases/c.yaml": "id: other\n",
        },
        OVERLAY + "colour: blue\ncauses: [" + ", ".join(f"cause_{i}" for i in range(count)) + "]\n",
    )
    lines, code = lint_problems(pack)
    assert code == 2
    files = {LOCATED.match(line).group("file") for line in lines}  # type: ignore[union-attr]
    assert files == {
        str(pack / name)
        for name in [*causes, "findings.yaml", "red_flags.yaml", "cases/c.yaml", "pack.yaml"]
    }


def test_an_unusable_pack_yaml_does_not_hide_the_other_files(tmp_path: Path) -> None:
    pack = write(
        tmp_path / "pack",
        {
            "pack.yaml": "name: [\n",
            "causes/ischemia.yaml": rule_file("{id: ischemia.x, when: sedentary_work, lr: true}"),
            "red_flags.yaml": "red_flags: {}\n",
        },
    )
    lines, code = lint_problems(pack)
    assert code == 2
    errors = [line for line in lines if ": error: " in line]
    checks = sorted(LOCATED.match(line).group("check") for line in errors)  # type: ignore[union-attr]
    assert checks == ["schema", "schema", "yaml-syntax"], lines


def test_warnings_and_cases_are_reported_beside_errors(tmp_path: Path) -> None:
    pack = overlay(
        tmp_path,
        {
            "causes/ischemia.yaml": rule_file(
                "{id: ischemia.x, when: agee, lr: 2, because: b, source: [S1]}",
                "{id: ischemia.y, when: sedentary_work, lr: 2}",
            ),
            "cases/c.yaml": "id: d\n",
        },
    )
    lines, _ = lint_problems(pack)
    checks = {LOCATED.match(line).group("check") for line in lines}  # type: ignore[union-attr]
    assert {"unknown-finding", "missing-because", "missing-source", "case-schema"} <= checks


# --- lint_ignore ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ignored", "message"),
    [
        ("lr-extrem", "unknown check 'lr-extrem' (did you mean 'lr-extreme'?)"),
        ("because", "unknown check 'because' (did you mean 'missing-because'?)"),
        ("schema", "'schema' is an error; errors cannot be ignored"),
        ("unused-finding", "'unused-finding' is not about one rule"),
    ],
)
def test_lint_ignore_takes_only_known_rule_checks(
    tmp_path: Path, ignored: str, message: str
) -> None:
    pack = overlay(
        tmp_path,
        {
            "causes/ischemia.yaml": rule_file(
                f"{{id: ischemia.x, when: taut_band, lr: 30, because: b, source: [], "
                f"lint_ignore: [missing-source, {ignored}]}}"
            )
        },
    )
    lines, code = lint_problems(pack)
    assert code == 2
    [error] = [line for line in lines if ": error: " in line]
    assert "[unknown-check] lint_ignore.1: " + message in error
    assert error.startswith(f"{pack}/causes/ischemia.yaml:3:")


def test_lint_ignore_silences_exactly_the_checks_it_names(tmp_path: Path) -> None:
    pack = overlay(
        tmp_path,
        {
            "causes/ischemia.yaml": rule_file(
                "{id: ischemia.x, when: taut_band, lr: 30, "
                "lint_ignore: [lr-extreme, missing-because, missing-population, missing-lr-absent]}"
            )
        },
    )
    lines, code = lint_problems(pack)
    assert code == 0
    assert [LOCATED.match(line).group("check") for line in lines] == ["missing-source"]  # type: ignore[union-attr]


def test_every_check_is_documented() -> None:
    guide = (Path(__file__).parent.parent / "docs" / "rules.md").read_text()
    for check in CHECKS:
        assert re.search(rf"\b{re.escape(check)}\b", guide), check
    assert set(RULE_IGNORABLE) <= {c for c, s in CHECKS.items() if s == "warning"}


# --- standalone or layered -----------------------------------------------------------------


def test_a_copy_of_the_default_pack_lints_clean_and_stands_alone(tmp_path: Path) -> None:
    fork = tmp_path / "my-pack"
    shutil.copytree(default_pack_dir(), fork)
    lines, code = lint_problems(fork)
    assert (lines, code) == ([], 0)
    assert pack_chain([fork]) == [fork]
    ruleset = load_ruleset([fork])
    default = load_ruleset()
    assert [p.path for p in ruleset.packs] == [str(fork)]
    assert ruleset.findings == default.findings and ruleset.causes == default.causes
    tested = run("rules", "test", str(fork))
    assert tested.exit_code == 0 and ", 0 failed" in tested.stdout


def test_a_fork_that_says_extends_default_is_layered(tmp_path: Path) -> None:
    fork = tmp_path / "my-pack"
    shutil.copytree(default_pack_dir(), fork)
    pack_yaml = fork / "pack.yaml"
    pack_yaml.write_text(pack_yaml.read_text() + "extends: default\n")
    assert pack_chain([fork]) == [default_pack_dir(), fork]
    _, code = lint_problems(fork)
    assert code == 2


def test_an_overlay_without_extends_is_still_layered(tmp_path: Path) -> None:
    pack = write(
        tmp_path / "clinic",
        {"pack.yaml": "name: clinic\nversion: '1'\ncauses: [ischemia]\ndisclaimer: Ours.\n"},
    )
    assert pack_chain([pack]) == [default_pack_dir(), pack]
    assert [p.name for p in load_ruleset([pack]).packs] == ["nmt-default", "clinic"]


def test_a_standalone_pack_must_come_first(tmp_path: Path) -> None:
    first = overlay(tmp_path, {})
    alone = write(tmp_path / "alone", {"pack.yaml": "name: alone\nversion: '1'\nextends: none\n"})
    _, problems = lint(pack_chain([first, alone]), [alone])
    assert [p.message for p in problems if p.severity == "error"] == [
        "a pack that stands alone (extends: none) must be the first pack"
    ]


def test_a_pack_that_sets_everything_but_lacks_files_says_how_to_layer(tmp_path: Path) -> None:
    pack = write(
        tmp_path / "p",
        {"pack.yaml": "name: p\nversion: '1'\ncauses: []\ndisclaimer: d\nbands: [{label: a}]\n"},
    )
    lines, code = lint_problems(pack)
    assert code == 2
    assert any("findings.yaml" in line and "say extends: default" in line for line in lines)


# --- rules new -----------------------------------------------------------------------------


def test_rules_new_scaffolds_a_pack_that_lints_clean_and_passes(tmp_path: Path) -> None:
    folder = tmp_path / "new-pack"
    result = run("rules", "new", str(folder))
    assert result.exit_code == 0
    lines, code = lint_problems(folder)
    assert (lines, code) == ([], 0)
    strict = run("rules", "lint", "--strict", str(folder))
    assert strict.exit_code == 0 and "0 error(s), 0 warning(s)" in strict.stderr
    tested = run("rules", "test", str(folder))
    assert tested.exit_code == 0 and "1 passed, 0 failed" in tested.stdout


def test_rules_new_names_schemas_inside_the_pack(tmp_path: Path) -> None:
    folder = tmp_path / "new-pack"
    run("rules", "new", str(folder))
    for path in [*folder.glob("*.yaml"), *folder.glob("*/*.yaml")]:
        first = path.read_text().splitlines()[0]
        target = first.removeprefix("# yaml-language-server: $schema=")
        assert target != first and "://" not in target and not target.startswith("/")
        assert (path.parent / target).is_file(), path
        assert "site-packages" not in target
        json.loads((path.parent / target).read_text())


def test_rules_new_into_an_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    assert run("rules", "new", str(folder)).exit_code == 0
    assert (folder / "pack.yaml").is_file()


def test_rules_new_quotes_an_odd_folder_name(tmp_path: Path) -> None:
    folder = tmp_path / "a: b #c [d"
    assert run("rules", "new", str(folder)).exit_code == 0
    lines, code = lint_problems(folder)
    assert (lines, code) == ([], 0)
    assert load_ruleset([folder]).name == "a: b #c [d"


def hostile_targets(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    file = write(tmp_path, {"file.txt": "keep me\n"}) / "file.txt"
    yield "a file", file
    full = write(tmp_path / "full", {"notes.txt": "keep\n"})
    yield "a folder that is not empty", full
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    yield "a dangling symlink", link
    yield "a path under a file", file / "pack"


def test_rules_new_never_writes_over_anything(tmp_path: Path) -> None:
    for what, target in list(hostile_targets(tmp_path)):
        before = tree(tmp_path)
        result = run("rules", "new", str(target))
        assert result.exit_code == 2, what
        assert len(result.stderr.splitlines()) == 1, (what, result.stderr)
        assert "nothing was written" in result.stderr, what
        assert result.stdout == ""
        assert tree(tmp_path) == before, what


# --- rules schema -o -----------------------------------------------------------------------


def test_rules_schema_to_a_json_file_writes_one_document(tmp_path: Path) -> None:
    target = tmp_path / "schemas.json"
    result = run("rules", "schema", "-o", str(target))
    assert result.exit_code == 0
    assert set(json.loads(target.read_text())) >= {"pack.schema.json", "cause.schema.json"}
    assert sorted(os.listdir(tmp_path)) == ["schemas.json"]


def test_rules_schema_to_a_folder_writes_one_file_per_kind(tmp_path: Path) -> None:
    target = tmp_path / "out" / "schema"
    assert run("rules", "schema", "-o", str(target)).exit_code == 0
    assert len(list(target.glob("*.schema.json"))) == 9


@pytest.mark.parametrize("name", ["notes.txt", "notes"])
def test_rules_schema_to_an_existing_file_is_refused(tmp_path: Path, name: str) -> None:
    target = write(tmp_path, {name: "keep me\n"}) / name
    before = tree(tmp_path)
    result = run("rules", "schema", "-o", str(target))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"nmt-assess: {target}: not a folder (--output takes a folder, or a .json file for "
        "all the schemas in one)"
    ]
    assert tree(tmp_path) == before


def test_rules_schema_under_a_file_is_a_one_line_error(tmp_path: Path) -> None:
    file = write(tmp_path, {"f": "x\n"}) / "f"
    before = tree(tmp_path)
    result = run("rules", "schema", "-o", str(file / "schema"))
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and "cannot write" in result.stderr
    assert tree(tmp_path) == before


# --- NMT_ASSESS_RULES ----------------------------------------------------------------------


def test_rules_show_and_list_honour_nmt_assess_rules(tmp_path: Path) -> None:
    pack = overlay(
        tmp_path,
        {"causes/ischemia.yaml": rule_file("{id: ischemia.eased_by_heat, lr: 4.0}")},
    )
    env = {"NMT_ASSESS_RULES": str(pack)}
    shown = run("rules", "show", "ischemia.eased_by_heat", env=env)
    assert shown.exit_code == 0
    assert "from pack hostile" in shown.stdout and "Overrides the rule of pack" in shown.stdout
    listed = run("rules", "list", env=env)
    assert "hostile" in listed.stdout
    plain = run("rules", "show", "ischemia.eased_by_heat", env={"NMT_ASSESS_RULES": ""})
    assert "from pack nmt-default" in plain.stdout


# --- any bytes as a pack file --------------------------------------------------------------


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(max_size=200),
        st.text(alphabet="{}[]:,-'\" \n\tabclr0123.e+infa&*!|>#", max_size=200).map(str.encode),
    ),
    relative=st.sampled_from(
        ["pack.yaml", "findings.yaml", "red_flags.yaml", "causes/ischemia.yaml", "cases/c.yaml"]
    ),
)
def test_any_bytes_in_a_pack_file_give_located_problems_not_an_exception(
    tmp_path: Path, data: bytes, relative: str
) -> None:
    root = tmp_path / hashlib.sha256(data + relative.encode()).hexdigest()[:16]
    if root.exists():
        shutil.rmtree(root)
    (root / "causes").mkdir(parents=True)
    (root / "cases").mkdir()
    (root / "pack.yaml").write_text(OVERLAY)
    (root / relative).write_bytes(data)
    ruleset, problems = lint(pack_chain([root]), [root])
    for problem in problems:
        assert problem.file.startswith(str(root))
        assert problem.check in CHECKS
    assert ruleset is not None or problems


@pytest.mark.parametrize(
    "content",
    ["(:", "0:", "id: ischemia\nbogus: 1\n", "id: ischemia\n7: x\n", "id: ischemia\nprior: 2\n"],
)
def test_a_broken_overlay_cause_file_reports_only_its_own_problems(
    tmp_path: Path, content: str
) -> None:
    """The cause keeps what the packs below define, so nothing that names it breaks."""
    pack = overlay(tmp_path, {"causes/ischemia.yaml": content})
    lines, code = lint_problems(pack)
    assert code == 2
    assert lines, "the broken file is reported"
    assert all(line.startswith(f"{pack}/causes/ischemia.yaml:") for line in lines), lines
