"""Consent: each tenant's recipients and whether they may be messaged (the opt-out list)."""
