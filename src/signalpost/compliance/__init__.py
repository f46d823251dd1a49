"""Compliance: what the networks' rules ask of a sender (keywords, auto-replies)."""
