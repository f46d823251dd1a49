"""A message's version covers everything that can change about a stored message.

Cached lookups are reused while the version is unchanged, so a column that some
statement updates but the version leaves out would serve stale views: these tests fail
as soon as such a statement appears.
"""

from __future__ import annotations

import re
from pathlib import Path

from signalpost.messages import repository

SRC = Path(repository.__file__).resolve().parents[1]
# update(m), update(messages), update(tables.messages) and hand-written SQL alike
_UPDATES_OF_MESSAGES = re.compile(
    r"update\(\s*(?:tables\.)?(?:m|messages)\s*\)|UPDATE\s+messages\b", re.IGNORECASE
)


def test_the_one_update_of_messages_changes_only_version_columns() -> None:
    sql, _names, _defaults = repository._UPDATE_STATE.compiled("sqlite")
    set_clause = sql.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    changed = set(re.findall(r"(\w+)=", set_clause))
    assert changed == set(repository.VERSION_COLUMNS)


def test_no_other_statement_updates_messages() -> None:
    places = [
        f"{path.relative_to(SRC)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in sorted(SRC.rglob("*.py"))
        for text in [path.read_text()]
        for match in _UPDATES_OF_MESSAGES.finditer(text)
    ]
    assert places == ["messages/repository.py:" + str(_line_of_update_state())]


def _line_of_update_state() -> int:
    text = (SRC / "messages" / "repository.py").read_text()
    return text[: text.index("_UPDATE_STATE = Query(")].count("\n") + 2
