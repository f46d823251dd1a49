"""Tests for ``{{variable}}`` templates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalpost.domain.placeholders import MissingVariables, render, variables_of

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,10}", fullmatch=True)
literals = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=20)


def test_variables_in_order_of_first_use() -> None:
    body = "Hi {{name}}, code {{ code }} for {{name}} at {{org.name}} / {{a-b_c}}"
    assert variables_of(body) == ["name", "code", "org.name", "a-b_c"]


def test_no_variables() -> None:
    assert variables_of("plain text { } {x} {{ }} {{1abc}}") == []


def test_whitespace_inside_braces() -> None:
    assert variables_of("{{\tname\n}}") == ["name"]
    assert render("{{  name  }}!", {"name": "Ada"}) == "Ada!"


def test_render_replaces_every_occurrence() -> None:
    assert render("{{a}}-{{ a }}-{{b}}", {"a": 1, "b": None}) == "1-1-None"


def test_render_ignores_extra_parameters() -> None:
    assert render("Hello {{name}}", {"name": "Ada", "unused": 3}) == "Hello Ada"


def test_render_lists_all_missing() -> None:
    with pytest.raises(MissingVariables) as info:
        render("{{a}} {{b}} {{c}} {{b}}", {"b": "x"})
    assert info.value.missing == ["a", "c"]
    assert "a, c" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_values_are_not_rescanned() -> None:
    assert render("{{a}}", {"a": "{{b}}"}) == "{{b}}"


def test_invalid_placeholders_are_literal() -> None:
    body = "{{1x}} {{ }} {{a b}}"
    assert render(body, {}) == body


@given(st.lists(st.tuples(literals, names), max_size=6), literals)
def test_render_round_trip(pieces: list[tuple[str, str]], tail: str) -> None:
    body = "".join(f"{text}{{{{{name}}}}}" for text, name in pieces) + tail
    params = {name: f"<{name}>" for _, name in pieces}
    expected = "".join(f"{text}<{name}>" for text, name in pieces) + tail
    assert render(body, params) == expected
    assert variables_of(body) == list(dict.fromkeys(name for _, name in pieces))
