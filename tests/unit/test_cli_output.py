"""The CLI's tables for people."""

from __future__ import annotations

from signalpost.cli.output import table


def test_a_mapping_is_a_key_value_table() -> None:
    assert table({"id": "o1", "name": "Acme", "profile": None}).splitlines() == [
        "id       o1",
        "name     Acme",
        "profile  -",
    ]


def test_a_list_is_a_table_with_a_header() -> None:
    rows = [{"id": "k1", "state": "active"}, {"id": "key-2", "state": "revoked", "n": 3}]
    assert table(rows).splitlines() == [
        "ID     STATE    N",
        "k1     active   -",
        "key-2  revoked  3",
    ]
    assert table([]) == "(none)"
