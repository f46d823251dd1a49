"""OAuth 2.0 client credentials: clients of a tenant and the short-lived access tokens they get.

Secrets and tokens are random and stored only as SHA-256 hashes.
"""
