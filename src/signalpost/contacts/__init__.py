"""Contacts: the people a tenant messages, their default channel and their opt-out."""
