"""Stored message templates with ``{{variable}}`` parameters."""
