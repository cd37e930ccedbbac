"""Exit codes: each means one thing (documented in the README)."""

OK = 0
#: Some records of a batch could not be scored (each has an error record in the output).
SOME_FAILED = 1
#: The command line, an input path, the column map or the rule pack cannot be used, a single
#: intake file is invalid, or the output (a file or standard output) cannot be written:
#: nothing (more) was scored or written.
UNUSABLE_INPUT = 2
#: --fail-on: an intake raised a red flag at least that severe.
RED_FLAG_RAISED = 3
#: Ctrl-C (SIGINT): 128 + 2, as shells report it.
INTERRUPTED = 130
#: Whoever read standard output stopped reading (`| head -1`): the run ends quietly with
#: 128 + SIGPIPE, as shells report a program that a closed pipe stopped.
CLOSED_PIPE = 141
#: SIGTERM (kill): 128 + 15; SIGHUP is 129. Temporary files are removed first.
TERMINATED = 143
