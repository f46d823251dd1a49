"""The sent.dm v3 dialect: ``/v3/...`` as sent.dm's API and official SDK speak it.

A translator only: it maps the v3 wire format to the core services and back, and owns no
storage.  Clients that use sent.dm change only the base URL and the API key.
"""

from signalpost.api.sentdm.routes import DIALECT

__all__ = ["DIALECT"]
