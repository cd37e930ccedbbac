"""Loading, layering and checking rule packs."""

from nmt_assess.ruleset.loader import default_pack_dir, load_ruleset, pack_chain

__all__ = ["default_pack_dir", "load_ruleset", "pack_chain"]
