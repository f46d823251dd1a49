"""Exports: every message or activity matching a listing filter, page by page."""
