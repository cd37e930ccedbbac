"""Exit codes: each means one thing (documented in the README)."""

OK = 0
#: Some records of a batch could not be scored (each has an error record in the output).
SOME_FAILED = 1
#: The command line, an input path, the column map or the rule pack cannot be used, or a single
#: intake file is invalid: nothing (more) was scored.
UNUSABLE_INPUT = 2
#: --fail-on: an intake raised a red flag at least that severe.
RED_FLAG_RAISED = 3
