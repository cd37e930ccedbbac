"""Where an intake session is saved: never over a file the therapist did not ask to update.

The intake file itself is written with `files.atomic_text_file` after every answer.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from nmt_assess.writers.sanitize import printable

#: The keys an intake file holds; a --from file with any other key (a case file) is kept as it
#: is and the answers go to a new file, so nothing in it is lost.
_INTAKE_KEYS = frozenset({"id", "date", "findings"})


class SaveFailed(Exception):
    """The intake file could not be written (the answers are printed instead)."""


def kept_as_is(path: Path) -> str | None:
    """Why the --from file must not be rewritten (saving would lose something), or None.

    Only a YAML file that holds nothing but id, date and findings, and no comment, is rewritten
    in place: a case file's title, story and note, a JSON file's format and a comment
    written by hand are not things the intake can write back."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, where PyYAML has it
    if path.suffix.lower() not in (".yaml", ".yml"):
        return "is not a YAML intake file"
    try:
        text = path.read_bytes().decode("utf-8-sig")
        starts = [
            event
            for event in yaml.parse(text, Loader=loader)
            if isinstance(event, yaml.DocumentStartEvent)
        ]
        document = yaml.load(text, Loader=loader) if len(starts) <= 1 else None  # a safe loader
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError, ValueError):
        return "cannot be read back"
    if len(starts) > 1:
        return "holds more than one YAML document"
    if any(start.version or start.tags for start in starts):
        return "starts with a YAML directive (%YAML or %TAG)"
    if not isinstance(document, dict) or not set(document) <= _INTAKE_KEYS:
        extra = sorted(str(key) for key in document) if isinstance(document, dict) else []
        others = [key for key in extra if key not in _INTAKE_KEYS]
        return f"holds more than an intake ({', '.join(others[:4])})"
    if "#" in text:
        return "holds comments"
    if not path.is_file() or os.path.islink(path):
        return "is not a regular file"
    return None


def folder_problem(path: Path) -> str | None:
    """Why the intake could not be saved to `path` (checked before the first question)."""
    if path.is_dir():
        return f"{printable(str(path))}: cannot write: is a folder"
    folder = path.parent
    reason = None
    if not folder.exists():
        reason = f"the folder {printable(str(folder))} does not exist"
    elif not folder.is_dir():
        reason = f"{printable(str(folder))} is not a folder"
    else:
        try:
            handle, probe = tempfile.mkstemp(prefix=".nmt-assess-", suffix=".probe", dir=folder)
            os.close(handle)
            os.unlink(probe)
        except OSError as error:
            reason = f"the folder {printable(str(folder))}: {error.strerror or error}"
    if reason is not None:
        return f"{printable(str(path))}: cannot write: {reason}"
    return None


def free_name(path: Path) -> Path:
    """`path` with -2, -3 ... before the suffix: the first name not taken."""
    for number in range(2, 10_000):
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        if not os.path.lexists(candidate):
            return candidate
    raise SaveFailed("no free file name")


def same_file(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return one.resolve() == other.resolve()


def reserve(path: Path) -> Path:
    """Create `path` empty, or the first free -N name after it if it appeared meanwhile."""
    candidate = path
    for _ in range(100):
        try:
            os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            candidate = free_name(path)
            continue
        except OSError as error:
            raise SaveFailed(error.strerror or str(error)) from None
        return candidate
    raise SaveFailed("no free file name")
