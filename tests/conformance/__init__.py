"""Conformance: the official provider SDKs against a running Signalpost."""
