"""Watching a running deployment: request ids, structured logs, metrics, health."""
