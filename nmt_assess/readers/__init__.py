"""Readers turn files into validated intakes or located problems."""
