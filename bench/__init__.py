"""Benchmarks of Signalpost's hot paths, each beside a reference measured in the same run.

Run ``make bench`` (all) or ``python -m bench NAME`` (one); ``--quick`` for short runs,
``--pg URL`` for PostgreSQL.  See ``bench/__main__.py`` for how benchmarks are registered.
"""
