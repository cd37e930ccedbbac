"""Exit codes: each means one thing (documented in the README)."""

OK = 0
#: The intake, the rule pack or the command line cannot be used; nothing was scored.
UNUSABLE_INPUT = 2
