"""Send definitions: named, keyed message blueprints (content and sender) that sends go
through, and that can be paused: while a definition is inactive, messages sent through it
are stored and queued but held (see :mod:`signalpost.dispatch.holds`) until it is active
again."""
