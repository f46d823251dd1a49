"""Dispatch: hand queued messages to carriers, record every attempt, apply receipts."""
