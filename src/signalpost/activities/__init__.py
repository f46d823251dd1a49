"""Activities: one row per lifecycle step of a message (status, time, reason, price)."""
