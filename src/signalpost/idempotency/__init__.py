"""Idempotency keys: a replayed request gets the first response, never a second effect."""
