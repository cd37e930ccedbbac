"""What-if: how each cause moved when some answers change, and which rules moved it (pure)."""

from __future__ import annotations

from typing import Any

Document = dict[str, Any]


def compare(original: Document, variant: Document) -> list[Document]:
    """Per cause (in the variant's rank order): probability and rank before and after, and the
    counted rules that appeared, disappeared or changed factor."""
    before = {cause["id"]: cause for cause in original["causes"]}
    deltas = []
    for cause in variant["causes"]:
        old = before[cause["id"]]
        old_rules = _counted(old)
        new_rules = _counted(cause)
        deltas.append(
            {
                "cause": cause["id"],
                "title": cause["title"],
                "probability_before": old["probability"],
                "probability_after": cause["probability"],
                "change": round(cause["probability"] - old["probability"], 4),
                "rank_before": old["rank"],
                "rank_after": cause["rank"],
                "rules_added": sorted(r for r in new_rules if r not in old_rules),
                "rules_removed": sorted(r for r in old_rules if r not in new_rules),
                "rules_changed": sorted(
                    r for r in new_rules if r in old_rules and new_rules[r] != old_rules[r]
                ),
            }
        )
    return deltas


def _counted(cause: Document) -> dict[str, float]:
    return {c["rule"]: c["factor"] for c in cause["contributions"] if c["counted"]}
