"""A message's version changes whenever anything about a stored message changes.

Cached lookups are reused while the version (revision, newest activity id) is unchanged,
so a statement that updated a message without bumping its revision would serve stale
views: these tests fail as soon as such a statement appears.
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


def test_the_updates_of_messages_bump_the_revision() -> None:
    for query in (repository._UPDATE_STATE, repository._REDACT_BODIES):
        for dialect in ("sqlite", "postgresql"):
            sql, _names, _defaults = query.compiled(dialect)
            set_clause = sql.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
            assert re.search(r"revision=\(messages\.revision \+ \S+\)", set_clause), set_clause


def test_no_other_statement_updates_messages() -> None:
    places = [
        f"{path.relative_to(SRC)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in sorted(SRC.rglob("*.py"))
        for text in [path.read_text()]
        for match in _UPDATES_OF_MESSAGES.finditer(text)
    ]
    assert places == [
        "messages/repository.py:" + str(_line_of("_UPDATE_STATE = Query(", 1)),
        "messages/repository.py:" + str(_line_of("_REDACT_BODIES = Query(", 2)),
    ]


def _line_of(start: str, offset: int) -> int:
    text = (SRC / "messages" / "repository.py").read_text()
    return text[: text.index(start)].count("\n") + 1 + offset
