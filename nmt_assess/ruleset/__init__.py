"""Loading and checking rule packs."""

from nmt_assess.ruleset.loader import default_pack_dir, load_ruleset

__all__ = ["default_pack_dir", "load_ruleset"]
