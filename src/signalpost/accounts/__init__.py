"""Tenancy: organizations, their child profiles, and API keys scoped to either."""
