"""Shared test helpers: database targets, a server subprocess, factories."""
