"""The lint checks of the clinical v2 pack: what a "no" does, where a figure was measured, sites
and their regions, and the ceiling of a client-only form. Each test lints a small standalone pack
(tests/data/packs/mini, copied and changed) so that only the change under test is reported."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from nmt_assess.cli.app import app

runner = CliRunner()
MINI = Path(__file__).parent / "data" / "packs" / "mini"
CHECK = re.compile(r": (?:error|warning): \[([a-z-]+)\] (.*)")

#: A cause whose every rule says what a "no" does and where its figures were measured.
CLEAN_CAUSE = """\
id: alpha
title: Alpha
description: The first cause.
prior: 0.2
prior_note: Chosen for easy arithmetic.
rules:
{rules}
"""
#: Clean rules: one client rule, one examination rule, so the pack has the minimum it needs.
CLEAN_RULES = """\
  - {id: alpha.a, when: a, lr: small, lr_absent: small_against, because: A., source: [M1]}
  - {id: alpha.c, when: c, lr: 4.0, lr_absent: 0.5, population: a study, because: C., source: [M1]}
  - {id: alpha.pain, when: {finding: pain, gte: 7}, lr: small_against, because: P., source: [M1]}
"""


def mini(tmp_path: Path, rules: str = "", *, sites: str = "", pack_extra: str = "") -> Path:
    root = tmp_path / "pack"
    shutil.copytree(MINI, root)
    cause = CLEAN_CAUSE.format(rules=CLEAN_RULES + rules)
    if sites:
        cause = cause.replace("rules:\n", f"sites:\n{sites}rules:\n", 1)
    (root / "causes" / "alpha.yaml").write_text(cause)
    beta = (root / "causes" / "beta.yaml").read_text()
    beta = beta.replace("lr: small,", "lr: small, lr_absent: small_against,")
    beta = beta.replace("lr: 0.5,", "lr: 0.5, population: a study,")
    beta = beta.replace("lr: 3.0,", "lr: 3.0, lr_absent: 0.5, population: a study,")
    (root / "causes" / "beta.yaml").write_text(beta)
    pack = (root / "pack.yaml").read_text()
    pack = pack.replace("  small_against: 0.4\n", "  small_against: 0.4\n  uninformative: 1.0\n")
    # the mini pack silences these checks for its made-up numbers; here they are under test
    pack = pack.replace(", missing-population, missing-lr-absent]", "]")
    (root / "pack.yaml").write_text(pack + pack_extra)
    return root


def reported(root: Path) -> list[tuple[str, str]]:
    result = runner.invoke(app, ["rules", "lint", str(root)])
    return CHECK.findall(result.stdout)


def test_the_base_of_these_tests_is_clean(tmp_path: Path) -> None:
    assert reported(mini(tmp_path)) == []


def test_a_rule_that_raises_a_cause_must_say_what_a_no_does(tmp_path: Path) -> None:
    rule = "  - {id: alpha.b, when: b, lr: small, because: B., source: [M1]}\n"
    [(check, message)] = reported(mini(tmp_path, rule))
    assert check == "missing-lr-absent"
    assert "lr 2.5 raises the cause" in message


def test_lr_absent_uninformative_says_what_a_no_does(tmp_path: Path) -> None:
    rule = (
        "  - {id: alpha.b, when: b, lr: small, lr_absent: uninformative, because: B., "
        "source: [M1]}\n"
    )
    assert reported(mini(tmp_path, rule)) == []


def test_a_published_figure_needs_its_population(tmp_path: Path) -> None:
    rule = "  - {id: alpha.b, when: b, lr: 2.0, lr_absent: 0.6, because: B., source: [M1]}\n"
    [(check, message)] = reported(mini(tmp_path, rule))
    assert check == "missing-population"
    assert message.startswith("population: lr 2 is a published figure")


def test_a_named_strength_needs_no_population(tmp_path: Path) -> None:
    rule = "  - {id: alpha.b, when: b, lr: small, lr_absent: 0.6, because: B., source: [M1]}\n"
    assert [check for check, _ in reported(mini(tmp_path, rule))] == ["missing-population"]
    rule = rule.replace("lr_absent: 0.6", "lr_absent: small_against")
    assert reported(mini(tmp_path / "2", rule)) == []


SITE_X = "  - {id: sx, title: site x, territory: [x]}\n"


def test_a_rule_site_must_be_one_of_its_causes_sites(tmp_path: Path) -> None:
    rule = (
        "  - {id: alpha.b, site: sy, when: b, lr: small, lr_absent: small_against, "
        "because: B., source: [M1]}\n"
    )
    [(check, message)] = reported(
        mini(tmp_path, rule, sites=SITE_X, pack_extra="site_findings: [where]\n")
    )
    assert check == "unknown-site"
    assert message == "site: cause 'alpha' has no site 'sy' (one of: sx)"
    assert (
        reported(
            mini(
                tmp_path / "2",
                rule.replace("sy", "sx"),
                sites=SITE_X,
                pack_extra="site_findings: [where]\n",
            )
        )
        == []
    )


def test_a_site_territory_must_name_a_region_of_the_site_findings(tmp_path: Path) -> None:
    site = "  - {id: sx, title: site x, territory: [x, moon]}\n"
    [(check, message)] = reported(mini(tmp_path, sites=site, pack_extra="site_findings: [where]\n"))
    assert check == "unknown-region"
    assert message.startswith("sites.sx.territory: 'moon' is not a region of the site findings")


def test_a_finding_site_must_name_a_region_of_the_site_findings(tmp_path: Path) -> None:
    root = mini(tmp_path, pack_extra="site_findings: [where]\n")
    findings = (root / "findings.yaml").read_text()
    findings = findings.replace("hands_on: [x],", "hands_on: [x], sites: [y, elbw],", 1)
    (root / "findings.yaml").write_text(findings)
    [(check, message)] = reported(root)
    assert check == "unknown-region"
    assert message.startswith("sites: 'elbw' is not a region of the site findings")


def test_site_findings_must_be_multi_choice_findings(tmp_path: Path) -> None:
    checks = reported(mini(tmp_path, pack_extra="site_findings: [where, kind, nowhere]\n"))
    assert checks == [
        (
            "site-findings",
            "site_findings.1: 'kind': a choice finding cannot say where the client "
            "has symptoms (name a multi_choice finding whose choices are body regions)",
        ),
        ("site-findings", "site_findings.2: 'nowhere': unknown finding (did you mean 'where'?)"),
    ]


def test_a_client_only_rule_must_not_reach_the_top_band(tmp_path: Path) -> None:
    # prior 0.2 (odds 0.25) x 20 = odds 5: probability 5/6 = 0.83, in "very likely" (from 0.8)
    rule = (
        "  - {id: alpha.b, when: {finding: kind, in: [q]}, lr: 20, lr_absent: 0.6, "
        "population: a study, because: B., source: [M1]}\n"
    )
    [(check, message)] = reported(mini(tmp_path, rule))
    assert check == "client-only-ceiling"
    assert (
        "take the low end of 'alpha' to 0.83: prior 0.2 x 20 ('alpha.b') reaches 'very likely'"
        in (message)
    )


def test_a_client_only_rule_just_below_the_top_band_is_allowed(tmp_path: Path) -> None:
    rule = (
        "  - {id: alpha.b, when: {finding: kind, in: [q]}, lr: 15.9, lr_absent: 0.6, "
        "population: a study, because: B., source: [M1]}\n"
    )
    assert reported(mini(tmp_path, rule)) == []


def test_an_examination_rule_may_reach_the_top_band(tmp_path: Path) -> None:
    rule = (
        "  - {id: alpha.c2, when: {all: [a, c]}, lr: 20, lr_absent: 0.6, population: a study, "
        "because: C., source: [M1]}\n"
    )
    assert reported(mini(tmp_path, rule)) == []


def test_the_ceiling_holds_for_each_site_and_names_it(tmp_path: Path) -> None:
    rule = (
        "  - {id: alpha.b, site: sx, when: {finding: kind, in: [q]}, lr: 20, lr_absent: 0.6, "
        "population: a study, because: B., source: [M1]}\n"
    )
    [(check, message)] = reported(
        mini(tmp_path, rule, sites=SITE_X, pack_extra="site_findings: [where]\n")
    )
    assert check == "client-only-ceiling"
    assert "take the low end of 'alpha' (site x) to 0.93" in message  # 0.25 x 2.5 x 20
