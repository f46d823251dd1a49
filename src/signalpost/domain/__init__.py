"""The pure domain core: no I/O, no storage, no HTTP."""
