"""Inbound keywords: whole-message, case-, accent-, space- and punctuation-insensitive."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalpost.domain.keywords import (
    DEFAULT_KEYWORDS,
    KeywordAction,
    KeywordConflict,
    Keywords,
    classify,
    normalise,
)


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("STOP", KeywordAction.OPT_OUT),
        ("Stop", KeywordAction.OPT_OUT),
        ("  stop!\n", KeywordAction.OPT_OUT),
        ("S.T.O.P.", KeywordAction.OPT_OUT),
        ("Stop all", KeywordAction.OPT_OUT),
        ("unsubscribe", KeywordAction.OPT_OUT),
        ("Opt-Out", KeywordAction.OPT_OUT),
        ("QUIT.", KeywordAction.OPT_OUT),
        ("Arrêt", KeywordAction.OPT_OUT),
        ("\uff33\uff34\uff2f\uff30", KeywordAction.OPT_OUT),  # full-width, as some handsets send
        ("START", KeywordAction.OPT_IN),
        ("unstop", KeywordAction.OPT_IN),
        ("Yes!", KeywordAction.OPT_IN),
        ("help", KeywordAction.HELP),
        ("INFO?", KeywordAction.HELP),
        ("please stop", None),
        ("stop texting me", None),
        ("stopped", None),
        ("", None),
        ("🛑", None),
    ],
)
def test_classify_follows_carrier_practice(text: str, action: KeywordAction | None) -> None:
    assert classify(text) is action


def test_an_organization_extends_the_lists() -> None:
    mine = DEFAULT_KEYWORDS.extended(opt_out=["Basta ya", "Leave me alone"], help=["Hilfe bitte"])
    assert classify("leave me alone!", mine) is KeywordAction.OPT_OUT
    assert classify("BASTA YA", mine) is KeywordAction.OPT_OUT
    assert classify("hilfe bitte", mine) is KeywordAction.HELP
    assert classify("leave me alone!") is None  # the defaults are unchanged


def test_a_word_in_two_lists_is_refused() -> None:
    with pytest.raises(KeywordConflict, match="stop"):
        DEFAULT_KEYWORDS.extended(opt_in=["Stop"])
    with pytest.raises(KeywordConflict):
        Keywords.of(opt_out=["x"], opt_in=[], help=["X!"])


@given(st.sampled_from(sorted(DEFAULT_KEYWORDS.opt_out)), st.text(" \t.!,-'\"", max_size=4))
def test_every_opt_out_word_matches_with_noise_around_it(word: str, noise: str) -> None:
    text = noise + "".join(c.upper() if i % 2 else c for i, c in enumerate(word)) + noise
    assert classify(text) is KeywordAction.OPT_OUT


@given(st.text(max_size=80))
def test_normalise_is_idempotent_and_classify_total(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert classify(text) in (None, *KeywordAction)


@given(st.text(alphabet=st.characters(categories=["Lu", "Ll"]), min_size=1, max_size=12))
def test_a_keyword_followed_by_a_word_is_not_a_keyword(word: str) -> None:
    lists = DEFAULT_KEYWORDS.opt_out | DEFAULT_KEYWORDS.opt_in | DEFAULT_KEYWORDS.help
    if normalise(word) and "stop" + normalise(word) not in lists:  # "stop all" is STOPALL
        assert classify(f"stop {word}") is None
