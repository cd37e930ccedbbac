"""The default pack compiled at build time (nmt_assess/ruleset/prebuilt.py, hatch_build.py):
used only when its key matches the pack and the package on disk, a normal load otherwise, and
nothing written at run time."""

from __future__ import annotations

import dataclasses
import pickle
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import nmt_assess
from nmt_assess.cases import NoSuchCase, case_leaders, check_cases, read_cases
from nmt_assess.ruleset import loader, prebuilt
from nmt_assess.ruleset.compile import compile_pack, compiled
from nmt_assess.ruleset.loader import load_ruleset, read_packs

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "nmt_assess"


@pytest.fixture
def pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the default pack, taken as the default pack, with an artifact built for it."""
    copy = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", copy)
    artifact = tmp_path / "default.pickle"
    artifact.write_bytes(prebuilt.build(copy, SOURCE))
    monkeypatch.setattr(loader, "default_pack_dir", lambda: copy)
    monkeypatch.setattr(prebuilt, "artifact_path", lambda: artifact)
    return copy


def normal_load(pack_dir: Path) -> object:
    ruleset, problems, _ = read_packs([pack_dir])
    assert not [p for p in problems if p.severity == "error"]
    return ruleset


def case_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The case files read from now on (by cases.read_case), in order."""
    import nmt_assess.cases as cases_module

    read: list[Path] = []
    original = cases_module.read_case

    def counted(path: Path, ruleset: object) -> object:
        read.append(path)
        return original(path, ruleset)  # type: ignore[arg-type]

    monkeypatch.setattr(cases_module, "read_case", counted)
    return read


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_the_artifact_loads_equal_to_the_normal_load(pack: Path) -> None:
    state, found = prebuilt.load(pack)
    assert state == "used"
    assert found is not None
    built = found.pack
    expected = normal_load(pack)
    assert built.ruleset == expected
    assert built.ruleset.model_dump() == expected.model_dump()  # type: ignore[attr-defined]
    assert built == compile_pack(expected)  # type: ignore[arg-type]
    assert built.ruleset.packs[0].path == str(pack)


def test_load_ruleset_takes_the_default_pack_from_the_artifact(
    pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = normal_load(pack)

    def no_reading(chain: list[Path]) -> None:
        raise AssertionError("the pack was read")

    monkeypatch.setattr(loader, "read_packs", no_reading)
    ruleset = load_ruleset()
    assert ruleset == expected
    # the compiled pack came with it: the engine does not compile it again
    monkeypatch.setattr(loader, "read_packs", read_packs)
    monkeypatch.setattr("nmt_assess.ruleset.compile.compile_pack", no_reading)
    assert compiled(ruleset).ruleset is ruleset
    assert compiled(ruleset) == compile_pack(normal_load(pack))  # type: ignore[arg-type]


def test_the_prebuilt_leaves_are_tested_like_compiled_ones(pack: Path) -> None:
    found = prebuilt.load(pack)[1]
    assert found is not None
    built = found.pack
    fresh = compile_pack(built.ruleset)
    values = [True, False, 0, 3, 7.5, "x", ("a", "b"), frozenset()]
    for old, new in zip(fresh.nodes, built.nodes, strict=True):
        if not old.is_leaf:
            continue
        for value in values:
            try:
                expected = old.holds(value)
            except TypeError:
                with pytest.raises(TypeError):
                    new.holds(value)
                continue
            assert new.holds(value) == expected


def test_the_cases_of_the_default_pack_come_from_the_artifact(
    pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nmt_assess.cases as cases_module

    expected = read_cases([pack], normal_load(pack))  # type: ignore[arg-type]
    ruleset = load_ruleset()

    def no_reading(path: Path, ruleset: object) -> None:
        raise AssertionError(f"{path} was read")

    monkeypatch.setattr(cases_module, "read_case", no_reading)
    assert read_cases([pack], ruleset) == expected
    assert len(expected[0]) > 100
    assert case_leaders(ruleset, None) == {i: c.leading_cause for i, c in expected[0].items()}


def test_cases_are_read_for_any_other_ruleset_or_packs(
    pack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    ruleset = load_ruleset()
    other = normal_load(pack)
    extra = tmp_path / "extra"
    shutil.copytree(pack, extra)
    read = case_reads(monkeypatch)
    read_cases([pack], other)  # type: ignore[arg-type]
    assert len(read) > 100
    read.clear()
    read_cases([pack, extra], ruleset)
    assert len(read) > 200


def test_damaged_prebuilt_cases_are_read_from_their_files(pack: Path) -> None:
    ruleset = load_ruleset()
    expected = read_cases([pack], normal_load(pack))  # type: ignore[arg-type]
    built = prebuilt.load(pack)[1]
    assert built is not None
    damaged = prebuilt.Prebuilt(built.pack, b"not a pickle", built.lints_clean)
    prebuilt.remember(dataclasses.replace(damaged, pack=compiled(ruleset)))
    assert prebuilt.cases_for(ruleset) is None
    assert read_cases([pack], ruleset) == expected


def test_rules_test_of_the_default_pack_lints_and_reads_nothing_again(
    pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The artifact was built from these files and found to lint clean: `rules test` runs its
    cases as it built them, with the same results as linting and reading every file."""
    import nmt_assess.cases as cases_module
    from nmt_assess.ruleset import lint as lint_module

    expected = check_cases([pack])  # the pack given, as a user's: linted and read
    assert len(expected) > 100

    def no_reading(*arguments: object) -> None:
        raise AssertionError("a file was read or linted")

    monkeypatch.setattr(cases_module, "read_case", no_reading)
    monkeypatch.setattr(lint_module, "read_packs", no_reading)
    monkeypatch.setattr(loader, "read_packs", no_reading)
    assert check_cases(None) == expected
    one = expected[3]
    assert check_cases(None, Path(one["file"]).stem) == [one]
    with pytest.raises(NoSuchCase):
        check_cases(None, "no-such-case")


@pytest.mark.parametrize("why", ["lint found an error at build time", "another set of files"])
def test_rules_test_lints_the_files_unless_the_artifact_vouches_for_them(
    pack: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, why: str
) -> None:
    from nmt_assess.ruleset import lint as lint_module

    files = loader.case_files(pack)
    if why == "lint found an error at build time":
        data = prebuilt.artifact_path().read_bytes()
        header_end = data.index(b"\n", len(prebuilt.MAGIC)) + 1
        built = pickle.loads(data[header_end:])
        unvouched = dataclasses.replace(built, lints_clean=False)
        artifact = tmp_path / "unvouched.pickle"
        artifact.write_bytes(data[:header_end] + pickle.dumps(unvouched))
        monkeypatch.setattr(prebuilt, "artifact_path", lambda: artifact)
    else:  # what the artifact's cases are checked against: one case file less
        monkeypatch.setattr(loader, "case_files", lambda folder: files[1:])
    linted: list[list[Path]] = []
    original = lint_module.lint_with_cases

    def counted(chain: list[Path], *rest: object) -> object:
        linted.append(chain)
        return original(chain, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(lint_module, "lint_with_cases", counted)
    results = check_cases(None)
    assert linted == [[pack]]
    assert [r["file"] for r in results] == [str(path) for path in files]


def test_rules_test_of_a_users_pack_reads_each_case_once(
    pack: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:

    user = tmp_path / "user"
    (user / "cases").mkdir(parents=True)
    (user / "pack.yaml").write_text("name: user\nversion: '1'\n")
    for path in loader.case_files(pack)[:5]:
        shutil.copy(path, user / "cases" / path.name)
    read = case_reads(monkeypatch)
    results = check_cases([user])
    assert [r["passed"] for r in results] == [True] * 5
    assert sorted(read) == sorted(loader.case_files(user))


@pytest.mark.parametrize(
    "change",
    ["a pack file", "a new case file", "a file's name", "the version", "the source"],
)
def test_any_change_of_the_key_falls_back_to_the_normal_load(
    pack: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, change: str
) -> None:
    if change == "a pack file":
        findings = pack / "findings.yaml"
        findings.write_text(findings.read_text().replace("Age", "Age in years", 1))
    elif change == "a new case file":
        shutil.copy(pack / "cases" / "cts-keyboard-worker.yaml", pack / "cases" / "zz-copy.yaml")
    elif change == "a file's name":
        (pack / "sources.yaml").rename(pack / "sources.yml")
    elif change == "the version":
        monkeypatch.setattr(nmt_assess, "__version__", "0.0.0+other")
    else:
        source = tmp_path / "source"
        shutil.copytree(SOURCE, source, ignore=shutil.ignore_patterns("__pycache__"))
        (source / "ruleset" / "extra.py").write_text("X = 1\n")
        monkeypatch.setattr(prebuilt, "package_dir", lambda: source)
    assert prebuilt.load(pack)[0] == "stale"
    assert load_ruleset() == normal_load(pack)


@pytest.mark.parametrize(
    "damage", ["empty", "another header", "a cut pickle", "not a pickle", "not a pack"]
)
def test_a_damaged_artifact_falls_back_to_the_normal_load(
    pack: Path, tmp_path: Path, damage: str
) -> None:
    artifact = tmp_path / "default.pickle"
    data = artifact.read_bytes()
    header_end = data.index(b"\n", len(prebuilt.MAGIC)) + 1
    damaged = {
        "empty": b"",
        "another header": b"nmt-assess prebuilt pack 0\n" + data[len(prebuilt.MAGIC) :],
        "a cut pickle": data[: header_end + 1000],
        "not a pickle": data[:header_end] + b"\x00garbage",
        "not a pack": data[:header_end] + __import__("pickle").dumps({"ruleset": 1}),
    }[damage]
    artifact.write_bytes(damaged)
    assert prebuilt.load(pack)[0] == "unreadable"
    assert load_ruleset() == normal_load(pack)


def test_a_missing_artifact_falls_back_to_the_normal_load(pack: Path, tmp_path: Path) -> None:
    (tmp_path / "default.pickle").unlink()
    assert prebuilt.load(pack)[0] == "absent"
    assert prebuilt.state() == "absent"
    assert load_ruleset() == normal_load(pack)


def test_a_checkout_has_no_artifact() -> None:
    assert not (SOURCE / prebuilt.ARTIFACT).exists()


def test_packs_of_the_user_never_come_from_the_artifact(
    pack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "pack.yaml").write_text("name: overlay\nversion: '1'\nextends: default\n")

    def refuse(pack_dir: Path, artifact: Path | None = None) -> None:
        raise AssertionError("the artifact was consulted")

    monkeypatch.setattr(prebuilt, "load", refuse)
    layered = load_ruleset([overlay])
    assert [info.name for info in layered.packs] == ["nmt-default", "overlay"]
    mine = tmp_path / "mine"
    shutil.copytree(pack, mine)  # a copy of the default pack stands alone: read, not prebuilt
    assert load_ruleset([mine]).packs[0].path == str(mine)


def test_nothing_is_written_when_the_artifact_is_used_or_refused(
    pack: Path, tmp_path: Path
) -> None:
    before = snapshot(tmp_path)
    load_ruleset()
    (pack / "pack.yaml").touch()  # same bytes: still used
    load_ruleset()
    after = snapshot(tmp_path)
    del before["rules/pack.yaml"], after["rules/pack.yaml"]
    assert after == before
    (pack / "referral.yaml").write_text((pack / "referral.yaml").read_text() + "\n")
    before = snapshot(tmp_path)
    load_ruleset()
    assert snapshot(tmp_path) == before


def test_the_wheel_carries_an_artifact_that_matches_its_pack(tmp_path: Path) -> None:
    # pip builds the wheel as CI does (the hook runs in an isolated build environment)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        artifact = tmp_path / "default.pickle"
        artifact.write_bytes(archive.read("nmt_assess/_prebuilt/default.pickle"))
    assert "nmt_assess/_rules/pack.yaml" in names
    assert not [name for name in names if name.startswith("hatch_build")]
    state, found = prebuilt.load(ROOT / "rules", artifact)
    assert state == "used"
    assert found is not None
    assert found.pack.ruleset == normal_load(ROOT / "rules")
    assert found.cases is not None
