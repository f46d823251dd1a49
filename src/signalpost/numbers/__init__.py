"""Sender numbers: the phone numbers a tenant has registered to send from (and receive on)."""
