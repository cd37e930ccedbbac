"""`rules new`: a pack a clinic or teacher can start from, with one example of each kind.

The pack carries its own copy of the JSON Schemas in schema/, named by relative paths, so an
editor checks its files wherever the pack is moved and whichever nmt-assess is installed.
"""

from __future__ import annotations

import contextlib
import errno
import json
from pathlib import Path

FILES = {
    "pack.yaml": """\
# yaml-language-server: $schema=schema/pack.schema.json
# A rule pack layered over the default pack. Use it with: nmt-assess score FILE --rules {folder}
name: {name}
version: "0.1.0"
description: What this pack adds or changes, and for whom.
extends: default        # or none: a complete pack of its own (then it must define everything)
# disable: [trigger_points.jump_sign]   # switch rules of the packs below off, by id
""",
    "findings.yaml": """\
# yaml-language-server: $schema=schema/findings.schema.json
# New findings (the ids of the packs below cannot be redefined).
findings:
  - id: poor_workstation
    type: yes_no
    label: Poor workstation set-up
    question: Is your screen, chair or desk set up so that you hunch, reach or look down?
    asked_of: client
    section: history
    meaning: The client's workstation makes them hold a flexed or reaching posture.
  - id: varicose_veins
    type: yes_no
    label: Varicose veins
    question: Do you have varicose veins in the area to be treated?
    asked_of: client
    section: screening
    meaning: Varicose veins over the area to be treated.
""",
    "causes/postural_distortion.yaml": """\
# yaml-language-server: $schema=../schema/cause.schema.json
# Rules for an existing cause: a new id adds a rule; an existing id overrides the keys given.
id: postural_distortion
# prior: 0.4          # adjust the cause's prior
rules:
  - id: postural_distortion.poor_workstation
    when: poor_workstation
    lr: minimal         # a named strength from the default pack's scale, or a number
    lr_absent: uninformative   # what a "no" does: a number, a strength, or uninformative
    because: A workstation that holds the client hunched loads the posture all day.
    source: []          # tags from sources.yaml, when a published figure backs the weight
    lint_ignore: [missing-source]   # a hand-set weight with no source yet: say so, on purpose
  - id: postural_distortion.desk_work   # overrides the default rule: only its weight changes
    lr: small
""",
    "red_flags.yaml": """\
# yaml-language-server: $schema=schema/red_flags.schema.json
# New red flags. The default pack's flags cannot be disabled or weakened here.
red_flags:
  - id: varicose_veins
    title: Varicose veins
    when: varicose_veins
    action: caution
    advice: No deep pressure over varicose veins; work around them.
    source: []
""",
    "cases/example-workstation.yaml": """\
# yaml-language-server: $schema=../schema/case.schema.json
# A case: an intake plus what the rules should conclude. `nmt-assess rules test {folder}` runs it.
id: example-workstation
title: Office worker hunched at a laptop
level: 1
leading_cause: postural_distortion
story: >-
  A 35-year-old works all day at a laptop on the sofa. Her neck and upper back ache by the
  afternoon and ease when she moves; her head is held forward and her shoulders are rounded.
findings:
  age: 35
  sedentary_work: true
  poor_workstation: true
  pain_intensity: 4
  pain_locations: [neck, upper_back]
  worse_sustained_posture: true
  eased_by_movement: true
  forward_head_posture: true
  rounded_shoulders: true
  varicose_veins: false
expect:
  top: postural_distortion
  top_two: [postural_distortion]
  red_flags: []
note: >-
  Forward head and rounded shoulders with pain that builds in a sustained posture point to
  postural distortion; the workstation keeps it going.
""",
}


def write_scaffold(folder: Path) -> list[Path]:
    """Write the example pack into `folder` (absent or an empty folder) and return its files.

    Files are created, never replaced: if anything appears meanwhile, or writing fails, what
    was written is removed again and the error is raised.
    """
    from nmt_assess.ruleset.files import json_schemas

    name = folder.resolve().name or "my-pack"
    where = "".join(c if c.isprintable() else "?" for c in str(folder))
    contents = {
        relative: template.format(folder=where, name=json.dumps(name, ensure_ascii=False))
        for relative, template in FILES.items()
    }
    contents.update(
        {
            f"schema/{kind}": json.dumps(schema, indent=2) + "\n"
            for kind, schema in json_schemas().items()
        }
    )
    folders = [*reversed(folder.parents), folder]
    folders += sorted({(folder / relative).parent for relative in contents} - {folder})
    made: list[Path] = []
    written: list[Path] = []
    try:
        for directory in folders:
            if directory.exists() and not directory.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(directory))
            if not directory.is_dir():
                directory.mkdir()
                made.append(directory)
        for relative, text in contents.items():
            path = folder / relative
            with path.open("x", encoding="utf-8") as out:
                written.append(path)
                out.write(text)
    except BaseException:
        for path in reversed(written):
            path.unlink(missing_ok=True)
        for directory in reversed(made):
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise
    return written


def new_pack(folder: Path) -> list[Path]:
    """Scaffold a pack in a new or empty folder; anything else is refused, nothing written."""
    import os

    from nmt_assess.ruleset.files import RefusedWrite

    if os.path.lexists(folder):
        if folder.is_symlink() or not folder.is_dir():
            raise RefusedWrite(f"{folder}: exists and is not a folder; nothing was written")
        try:
            empty = not any(folder.iterdir())
        except OSError as error:
            reason = error.strerror or error
            raise RefusedWrite(f"{folder}: cannot read: {reason}; nothing was written") from None
        if not empty:
            raise RefusedWrite(f"{folder}: exists and is not empty; nothing was written")
    try:
        return write_scaffold(folder)
    except OSError as error:
        where = error.filename or folder
        reason = error.strerror or error
        raise RefusedWrite(f"{where}: cannot write: {reason}; nothing was written") from None
