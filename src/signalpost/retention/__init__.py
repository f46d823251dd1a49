"""Data retention: how long each tenant's messages, activities and idempotency records are
kept, when message bodies are redacted, and the purge job that enforces it."""
