"""The default pack, loaded, validated and compiled when the wheel is built.

Reading the bundled pack's YAML and validating it costs more than the rest of a single `score`,
so the wheel's build hook (hatch_build.py at the repository root) loads the default pack the
normal way and writes the result into the wheel as `nmt_assess/_prebuilt/default.pickle`: the
Ruleset, the CompiledPack every evaluator walks, the pack's cases (what `explain`, `practice`
and `rules test` read) and whether the pack and its cases lint without error (what `rules test`
checks before it runs them), behind a header that holds a key.

The key is a hash of what the pickle's meaning depends on: every file of the pack folder (names
and bytes), the source of nmt_assess itself (its models give the pickle its meaning) and its
version, and the versions of Python, pydantic and pydantic-core. At run time `load_ruleset()`
of the default pack alone computes the key from what is on disk (a few milliseconds: the
files are read and hashed) and uses the artifact only when the keys are equal; on any mismatch
or failure (no artifact, another key, a file that cannot be read or unpickled) it loads the
pack normally, silently. Nothing is ever written at run time. A checkout or an editable install
has no artifact and always loads normally; packs given by the user always load normally.

`state()` says what `load_ruleset()` would do with the artifact (CI checks that an installed
wheel uses it).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from nmt_assess.cases import Case
    from nmt_assess.models import Ruleset
    from nmt_assess.ruleset.compile import CompiledPack

#: Where the artifact lies inside the installed package (only the wheel has it).
ARTIFACT = Path("_prebuilt") / "default.pickle"
#: The artifact's first line; a change of the layout below changes it.
MAGIC = b"nmt-assess prebuilt pack 2\n"
#: Stands in for the pack's folder in the pickled Ruleset (PackInfo.path), which is where
#: the pack lies at run time, not where it lay at build time.
_PATH_STAND_IN = "<default pack>"
#: Folders of the package that are not its source.
_NOT_SOURCE = frozenset({"__pycache__", "_rules", "_prebuilt"})

State = Literal["used", "absent", "stale", "unreadable"]


@dataclass(frozen=True)
class Prebuilt:
    pack: CompiledPack
    #: The usable cases of the pack by id, as cases.read_cases gives them, pickled apart so
    #: that only the commands that read cases unpickle them (and import their model). None:
    #: some case file has a problem, whose message would name the build's paths.
    cases: bytes | None
    #: `rules lint` of the pack alone found no error in it or its cases. Its warnings are not
    #: kept: only `rules lint` shows them, and it always reads the files, to locate them.
    lints_clean: bool


def package_dir() -> Path:
    return Path(__file__).resolve().parent.parent


def artifact_path() -> Path:
    return package_dir() / ARTIFACT


def key(pack_dir: Path, source_dir: Path) -> str:
    """The hash an artifact is valid for (see the module's docstring)."""
    import pydantic
    import pydantic_core

    from nmt_assess import __version__

    digest = hashlib.sha256(MAGIC)
    for part in (
        f"python {sys.version} {sys.implementation.cache_tag}",
        f"pydantic {pydantic.VERSION} pydantic-core {pydantic_core.__version__}",
        f"nmt-assess {__version__}",
    ):
        digest.update(part.encode() + b"\0")
    digest.update(b"pack\0")
    _hash_files(digest, pack_dir, lambda name: True)
    digest.update(b"source\0")
    _hash_files(digest, source_dir, lambda name: name.endswith(".py"))
    return digest.hexdigest()


def _hash_files(digest: Any, root: Path, wanted: Callable[[str], bool]) -> None:
    """Every wanted file under `root`: its path relative to root, its size and its bytes, in
    name order (the walk's order is the file system's)."""
    files: list[tuple[str, str]] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in _NOT_SOURCE]
        relative = os.path.relpath(folder, root)
        files.extend(
            (Path(relative, name).as_posix(), os.path.join(folder, name))
            for name in names
            if wanted(name)
        )
    for name, path in sorted(files):
        with open(path, "rb") as file:
            data = file.read()
        digest.update(f"{name}\0{len(data)}\0".encode() + data)


def build(pack_dir: Path, source_dir: Path) -> bytes:
    """The artifact for the pack in `pack_dir` (build time: the pack must load without
    error), keyed for the source in `source_dir`."""
    from nmt_assess.cases import read_cases
    from nmt_assess.ruleset.compile import compile_pack
    from nmt_assess.ruleset.lint import lint
    from nmt_assess.ruleset.loader import load_ruleset

    ruleset = load_ruleset([pack_dir])
    cases, problems = read_cases([pack_dir], ruleset)
    lints_clean = not any(p.severity == "error" for p in lint([pack_dir], [pack_dir])[1])
    packs = tuple(info.model_copy(update={"path": _PATH_STAND_IN}) for info in ruleset.packs)
    ruleset = ruleset.model_copy(update={"packs": packs})
    cases_pickle = pickle.dumps(cases, protocol=pickle.HIGHEST_PROTOCOL)
    built = Prebuilt(compile_pack(ruleset), None if problems else cases_pickle, lints_clean)
    payload = pickle.dumps(built, protocol=pickle.HIGHEST_PROTOCOL)
    return MAGIC + key(pack_dir, source_dir).encode() + b"\n" + payload


def load(pack_dir: Path, artifact: Path | None = None) -> tuple[State, Prebuilt | None]:
    """The compiled default pack and its cases from the artifact (default: the package's), when
    there is one whose key matches the pack in `pack_dir` and this package as they are now;
    else why not, and None."""
    try:
        with open(artifact or artifact_path(), "rb") as file:
            header = file.readline()
            stored = file.readline().rstrip(b"\n").decode("ascii")
            if header != MAGIC:
                return "unreadable", None
            if stored != key(pack_dir, package_dir()):
                return "stale", None
            built = pickle.load(file)
    except FileNotFoundError:
        return "absent", None
    except Exception:  # anything at all: the normal load is always there
        return "unreadable", None
    from nmt_assess.ruleset.compile import CompiledPack

    if not isinstance(built, Prebuilt) or not isinstance(built.pack, CompiledPack):
        return "unreadable", None
    return "used", Prebuilt(_placed(built.pack, pack_dir), built.cases, built.lints_clean)


def _placed(pack: CompiledPack, pack_dir: Path) -> CompiledPack:
    """The pack as the normal load gives it: PackInfo.path is the folder read at run time."""
    import dataclasses

    ruleset: Ruleset = pack.ruleset
    packs = tuple(
        info.model_copy(update={"path": str(pack_dir)}) if info.path == _PATH_STAND_IN else info
        for info in ruleset.packs
    )
    return dataclasses.replace(pack, ruleset=ruleset.model_copy(update={"packs": packs}))


@dataclass(frozen=True)
class _WithPack:
    """What the artifact says of its pack besides the pack itself."""

    cases: bytes | None
    lints_clean: bool


_remembered: dict[int, tuple[weakref.ref[Ruleset], _WithPack]] = {}


def remember(built: Prebuilt) -> None:
    """Keep what was built with the default pack (its cases, its lint verdict) while its
    ruleset lives."""
    ruleset = built.pack.ruleset
    key = id(ruleset)

    def forget(ref: weakref.ref[Ruleset]) -> None:
        found = _remembered.get(key)
        if found is not None and found[0] is ref:
            del _remembered[key]

    _remembered[key] = (weakref.ref(ruleset, forget), _WithPack(built.cases, built.lints_clean))


def _built_with(ruleset: Ruleset) -> _WithPack | None:
    found = _remembered.get(id(ruleset))
    if found is None or found[0]() is not ruleset:
        return None
    return found[1]


def cases_for(ruleset: Ruleset) -> Mapping[str, Case] | None:
    """The default pack's cases, read at build time, when `ruleset` came from the artifact."""
    from nmt_assess.cases import Case

    built = _built_with(ruleset)
    if built is None or built.cases is None:
        return None
    try:
        cases = pickle.loads(built.cases)
    except Exception:  # anything at all: the cases are read from their files instead
        return None
    if not isinstance(cases, dict) or not all(isinstance(c, Case) for c in cases.values()):
        return None
    return cases


def lints_clean(ruleset: Ruleset) -> bool:
    """Whether `ruleset` came from the artifact, built from a pack and cases with no lint
    error (False when it did not come from the artifact: lint it)."""
    built = _built_with(ruleset)
    return built is not None and built.lints_clean


def state() -> State:
    """What `load_ruleset()` does with the artifact: uses it, or loads normally because it is
    absent, stale (another pack, source or version) or unreadable."""
    from nmt_assess.ruleset.loader import default_pack_dir

    return load(default_pack_dir())[0]
