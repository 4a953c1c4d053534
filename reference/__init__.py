"""Placeholder; the reference implementation lands here."""
