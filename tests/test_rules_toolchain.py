"""The rule author's toolchain: lint (a corpus of broken packs), rule tests, schemas, layering."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from nmt_assess.cli.app import app
from nmt_assess.problems import ProblemsError
from nmt_assess.ruleset import default_pack_dir, load_ruleset
from nmt_assess.ruleset.files import SCHEMAS, json_schemas
from tests.conftest import CASES_DIR, DATA

runner = CliRunner()
CORPUS = sorted(p for p in (DATA / "lint").iterdir() if p.is_dir())
WARNINGS = {"missing-because", "missing-source", "lr-extreme", "unused-finding", "group-conflict"}


def lint_lines(pack: Path, *options: str) -> tuple[list[str], int]:
    result = runner.invoke(app, ["rules", "lint", str(pack), *options])
    prefix = f"{pack}/"
    lines = [line.replace(prefix, "") for line in result.stdout.splitlines()]
    return lines, result.exit_code


@pytest.mark.parametrize("pack", CORPUS, ids=lambda p: p.name)
def test_each_broken_pack_gives_its_exact_problem(pack: Path) -> None:
    lines, code = lint_lines(pack)
    expected = (pack / "expected.txt").read_text().splitlines()
    assert expected, "the corpus entry must name what it expects"
    assert lines == expected
    assert code == (0 if pack.name in WARNINGS else 2)


def test_warnings_fail_only_with_strict() -> None:
    _, code = lint_lines(DATA / "lint" / "lr-extreme", "--strict")
    assert code == 1


def test_the_default_pack_lints_clean() -> None:
    lines, code = lint_lines(default_pack_dir())
    assert (lines, code) == ([], 0)


def test_lint_json_and_github_formats() -> None:
    pack = DATA / "lint" / "unknown-finding"
    result = runner.invoke(app, ["rules", "lint", str(pack), "--format", "json"])
    [problem] = json.loads(result.stdout)
    assert problem["check"] == "unknown-finding" and problem["line"] == 4 and problem["col"] == 29
    github = runner.invoke(app, ["rules", "lint", str(pack), "--format", "github"]).stdout
    assert github.startswith(
        f"::error file={pack}/causes/trigger_points.yaml,line=4,col=29,title=unknown-finding::"
    )


def test_all_problems_are_reported_in_one_run(tmp_path: Path) -> None:
    pack = tmp_path / "two"
    shutil.copytree(DATA / "lint" / "unknown-group", pack)
    shutil.copy(DATA / "lint" / "red-flag-bad-action" / "red_flags.yaml", pack / "red_flags.yaml")
    lines, _ = lint_lines(pack)
    assert [line.split(": ")[2].split("]")[0] for line in lines] == ["[unknown-group", "[schema"]


# --- rules test ------------------------------------------------------------------------------


def test_rules_test_passes_the_bundled_cases() -> None:
    result = runner.invoke(app, ["rules", "test"])
    assert result.exit_code == 0, result.stdout
    count = len(list(CASES_DIR.glob("*.yaml")))
    assert result.stdout.strip().endswith(f"{count} passed, 0 failed")


def test_rules_test_shows_a_failure_side_by_side(tmp_path: Path) -> None:
    pack = tmp_path / "wrong"
    (pack / "cases").mkdir(parents=True)
    (pack / "pack.yaml").write_text("name: wrong\nversion: '1'\n")
    case = yaml.safe_load((CASES_DIR / "cts-keyboard-worker.yaml").read_text())
    case["id"], case["expect"]["top"] = "wrong-top", "ischemia"
    (pack / "cases" / "wrong-top.yaml").write_text(yaml.safe_dump(case))
    result = runner.invoke(app, ["rules", "test", str(pack)])
    assert result.exit_code == 1
    assert "FAIL wrong-top" in result.stdout
    assert "top cause is nerve_compression, expected ischemia" in result.stdout
    assert "1. nerve_compression" in result.stdout
    assert "x3.1 nerve_compression.sensory_loss_median" in result.stdout
    as_json = json.loads(runner.invoke(app, ["rules", "test", str(pack), "-f", "json"]).stdout)
    assert as_json[0]["passed"] is False


def test_rules_test_runs_one_case_and_refuses_a_pack_that_does_not_lint() -> None:
    result = runner.invoke(app, ["rules", "test", "--case", "cts-keyboard-worker", "-f", "json"])
    assert [r["case"] for r in json.loads(result.stdout)] == ["cts-keyboard-worker"]
    broken = runner.invoke(app, ["rules", "test", str(DATA / "lint" / "unknown-finding")])
    assert broken.exit_code == 2
    assert "no case was run" in broken.stderr


# --- schemas -------------------------------------------------------------------------------


def test_committed_schemas_match_the_models() -> None:
    folder = default_pack_dir() / "schema"
    committed = {p.name: json.loads(p.read_text()) for p in folder.glob("*.schema.json")}
    assert committed == json_schemas()
    assert set(committed) == {f"{kind}.schema.json" for kind in SCHEMAS}


def test_committed_schemas_are_what_rules_schema_writes(tmp_path: Path) -> None:
    result = runner.invoke(app, ["rules", "schema", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    committed = default_pack_dir() / "schema"
    for written in tmp_path.iterdir():
        assert written.read_bytes() == (committed / written.name).read_bytes(), written.name


def schema_kind(path: Path) -> str:
    """The kind a YAML file names in its first line, checked to be one of ours."""
    first = path.read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema="), path
    kind = first.rsplit("/", 1)[-1].removesuffix(".schema.json")
    assert kind in SCHEMAS, path
    return kind


def schema_errors(pack: Path) -> tuple[list[str], int]:
    """Every way the pack's YAML files fail the committed schema each names, and how many
    files were checked."""
    schemas = {
        name: jsonschema.Draft202012Validator(schema) for name, schema in json_schemas().items()
    }
    files = sorted(p for p in pack.rglob("*.yaml") if "schema" not in p.parts)
    errors = []
    for path in files:
        validator = schemas[f"{schema_kind(path)}.schema.json"]
        for error in validator.iter_errors(yaml.safe_load(path.read_text())):
            errors.append(f"{path}: {list(error.absolute_path)}: {error.message}")
    return errors, len(files)


def test_every_file_of_the_default_pack_fits_the_schema_it_names() -> None:
    root = default_pack_dir()
    errors, checked = schema_errors(root)
    assert errors == []
    assert checked == 6 + len(list((root / "causes").glob("*.yaml"))) + len(
        list((root / "cases").glob("*.yaml"))
    )
    expected = {
        "pack.yaml": "pack",
        "findings.yaml": "findings",
        "red_flags.yaml": "red_flags",
        "screens.yaml": "screens",
    }
    for name, kind in expected.items():
        assert schema_kind(root / name) == kind
    assert {schema_kind(p) for p in (root / "causes").glob("*.yaml")} == {"cause"}
    assert {schema_kind(p) for p in (root / "cases").glob("*.yaml")} == {"case"}


def test_every_file_of_a_new_pack_fits_the_schema_it_names(tmp_path: Path) -> None:
    pack = tmp_path / "new"
    assert runner.invoke(app, ["rules", "new", str(pack)]).exit_code == 0
    errors, checked = schema_errors(pack)
    assert (errors, checked) == ([], 5)


@pytest.mark.parametrize(
    ("kind", "document"),
    [
        ("cause", {"id": "x", "rules": [{"id": "x.a", "when": "a", "lr": True}]}),
        ("cause", {"id": "x", "rules": [{"id": "x.a", "lr": 5000}]}),
        ("cause", {"id": "x", "rules": [{"id": "x.a", "lint_ignore": ["schema"]}]}),
        ("cause", {"id": "x", "rules": [{"id": "x.a", "when": {"all": []}}]}),
        ("cause", {"id": "x", "rules": [{"id": "x.a", "cause": "x"}]}),
        ("cause", {"id": "x", "prior": 1.0}),
        ("findings", {"findings": [{"id": "f", "type": "yes_no"}]}),
        ("pack", {"name": "p", "version": "1", "extends": "base"}),
        ("pack", {"name": "p", "version": "1", "lint_ignore": ["yaml-syntax"]}),
        ("red_flags", {"red_flags": [{"id": "r", "title": "t", "when": "a", "action": "soon"}]}),
        ("case", {"expect": {"top": 3}}),
    ],
)
def test_the_schemas_refuse_what_the_loader_refuses(kind: str, document: object) -> None:
    validator = jsonschema.Draft202012Validator(json_schemas()[f"{kind}.schema.json"])
    assert not validator.is_valid(document)


# --- layering ------------------------------------------------------------------------------


def overlay(tmp_path: Path, name: str, pack_yaml: str = "", **files: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "pack.yaml").write_text(f"name: {name}\nversion: '2'\n{pack_yaml}")
    for relative, text in files.items():
        path = root / relative.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_pack_adds_a_rule_and_a_finding(tmp_path: Path) -> None:
    pack = overlay(
        tmp_path,
        "clinic",
        findings_yaml="findings:\n  - {id: desk_bad, type: yes_no, label: Desk, question: Desk?, "
        "asked_of: client, section: history, meaning: desk}\n",
        causes__postural_distortion_yaml="id: postural_distortion\nrules:\n  - {id: "
        "postural_distortion.desk_bad, when: desk_bad, lr: 2, because: desk, source: []}\n",
    )
    (pack / "findings_yaml").rename(pack / "findings.yaml")
    (pack / "causes" / "postural_distortion_yaml").rename(
        pack / "causes" / "postural_distortion.yaml"
    )
    ruleset = load_ruleset([pack])
    assert "desk_bad" in ruleset.findings
    assert ruleset.rule_packs["postural_distortion.desk_bad"] == "clinic"
    assert [p.name for p in ruleset.packs] == ["nmt-default", "clinic"]


def test_a_pack_overrides_a_rule_by_id_and_adjusts_a_prior(tmp_path: Path) -> None:
    pack = overlay(tmp_path, "clinic")
    (pack / "causes").mkdir()
    (pack / "causes" / "ischemia.yaml").write_text(
        "id: ischemia\nprior: 0.4\nrules:\n  - {id: ischemia.eased_by_heat, lr: 3.0}\n"
    )
    ruleset = load_ruleset([pack])
    ischemia = next(c for c in ruleset.causes if c.id == "ischemia")
    rule = next(r for r in ischemia.rules if r.id == "ischemia.eased_by_heat")
    assert ischemia.prior == 0.4
    assert rule.lr.lr == 3.0 and rule.because.startswith("NMT texts explain relief by warmth")
    assert ruleset.overridden["ischemia.eased_by_heat"] == "nmt-default"


def test_a_pack_disables_a_rule(tmp_path: Path) -> None:
    pack = overlay(tmp_path, "clinic", "disable: [trigger_points.jump_sign]\n")
    ruleset = load_ruleset([pack])
    ids = {r.id for c in ruleset.causes for r in c.rules}
    assert "trigger_points.jump_sign" not in ids and "trigger_points.taut_band" in ids


def test_red_flags_of_the_default_pack_are_protected(tmp_path: Path) -> None:
    pack = overlay(tmp_path, "lax", "disable: [deep_vein_thrombosis]\n")
    with pytest.raises(ProblemsError, match="cannot be disabled"):
        load_ruleset([pack])


def test_a_stronger_copy_of_a_protected_flag_is_allowed(tmp_path: Path) -> None:
    pack = overlay(
        tmp_path,
        "strict",
        red_flags_yaml="red_flags:\n  - {id: anticoagulants, title: Blood thinners, when: "
        "anticoagulant_use, action: refer, advice: Ask the prescriber first.}\n",
    )
    (pack / "red_flags_yaml").rename(pack / "red_flags.yaml")
    flag = next(f for f in load_ruleset([pack]).red_flags if f.id == "anticoagulants")
    assert flag.action.value == "refer"


def test_several_packs_layer_in_order(tmp_path: Path) -> None:
    first = overlay(tmp_path, "first")
    (first / "causes").mkdir()
    (first / "causes" / "ischemia.yaml").write_text("id: ischemia\nprior: 0.4\n")
    second = overlay(tmp_path, "second")
    (second / "causes").mkdir()
    (second / "causes" / "ischemia.yaml").write_text("id: ischemia\nprior: 0.6\n")
    forward = load_ruleset([first, second])
    backward = load_ruleset([second, first])
    assert next(c.prior for c in forward.causes if c.id == "ischemia") == 0.6
    assert next(c.prior for c in backward.causes if c.id == "ischemia") == 0.4
    assert [p.name for p in forward.packs] == ["nmt-default", "first", "second"]


def test_assessments_record_the_packs_used(tmp_path: Path) -> None:
    pack = overlay(tmp_path, "clinic", "disable: [trigger_points.jump_sign]\n")
    result = runner.invoke(
        app,
        [
            "score",
            str(CASES_DIR / "cts-keyboard-worker.yaml"),
            "--rules",
            str(pack),
            "--format",
            "json",
        ],
    )
    ruleset = json.loads(result.stdout)["ruleset"]
    assert [p["name"] for p in ruleset["packs"]] == ["nmt-default", "clinic"]
    assert all(len(p["sha256"]) == 64 for p in ruleset["packs"])
    assert ruleset["name"] == "clinic"


def test_rules_list_and_show(tmp_path: Path) -> None:
    pack = overlay(tmp_path, "clinic")
    (pack / "causes").mkdir()
    (pack / "causes" / "ischemia.yaml").write_text(
        "id: ischemia\nrules:\n  - {id: ischemia.eased_by_heat, lr: 4.0}\n"
    )
    listing = runner.invoke(app, ["rules", "list", str(pack)]).stdout
    assert "ischemia.eased_by_heat" in listing and "clinic" in listing
    shown = runner.invoke(app, ["rules", "show", "ischemia.eased_by_heat", "--rules", str(pack)])
    assert "Overrides the rule of pack nmt-default" in shown.stdout
    unknown = runner.invoke(app, ["rules", "show", "ischemia.eased_by_het"])
    assert unknown.exit_code == 2 and "did you mean 'ischemia.eased_by_heat'?" in unknown.stderr


def test_rules_new_scaffolds_a_pack_that_lints_and_tests(tmp_path: Path) -> None:
    folder = tmp_path / "my-pack"
    result = runner.invoke(app, ["rules", "new", str(folder)])
    assert result.exit_code == 0
    assert (folder / "cases" / "example-workstation.yaml").is_file()
    lines, code = lint_lines(folder)
    assert code == 0 and all(": warning: " in line for line in lines)
    tested = runner.invoke(app, ["rules", "test", str(folder)])
    assert tested.exit_code == 0 and "1 passed, 0 failed" in tested.stdout
    again = runner.invoke(app, ["rules", "new", str(folder)])
    assert again.exit_code == 2


def test_the_worked_example_of_docs_rules_md() -> None:
    from nmt_assess.engine import score
    from nmt_assess.models import Intake

    ruleset = load_ruleset()

    def nerve(**findings: object) -> float:
        intake = Intake.model_validate({"findings": findings})
        return next(
            c.probability for c in score(ruleset, intake).causes if c.id == "nerve_compression"
        )

    assert nerve(slump_positive=True, pain_locations=["calf"]) == round(0.625 / 1.625, 4)
    assert nerve(
        slump_positive=True, straight_leg_raise_positive=True, pain_locations=["calf"]
    ) == round(0.625 / 1.625, 4)
    assert nerve(slump_positive=False, pain_locations=["calf"]) == 0.2
    assert nerve(
        slump_positive=False, piriformis_test_positive=True, pain_locations=["calf"]
    ) == round(0.625 / 1.625, 4)
