"""Loading, layering and checking rule packs."""

from nmt_assess.ruleset.loader import (
    case_files,
    default_pack_dir,
    is_standalone,
    load_ruleset,
    pack_chain,
)

__all__ = ["case_files", "default_pack_dir", "is_standalone", "load_ruleset", "pack_chain"]
