"""Keywords in inbound messages: opt-out (STOP), opt-in (START) and help (HELP).

Matching follows carrier practice: the keyword must be the whole message, compared without
regard to case, accents, whitespace or punctuation ("Stop!", " s.t.o.p ", "Opt-Out" and
"ARRÊT" all match), and never as part of a longer message ("please stop" does not opt out,
as handsets and carriers do not treat it so either).  The default lists hold the
industry-standard English words and common ones in a few other languages; an organization
can add its own words to each list.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "DEFAULT_KEYWORDS",
    "MAX_KEYWORD",
    "KeywordAction",
    "KeywordConflict",
    "Keywords",
    "classify",
    "normalise",
]

MAX_KEYWORD = 64
"""No inbound text longer than this is a keyword (words are at most 64 characters)."""


class KeywordAction(StrEnum):
    """What an inbound keyword asks for."""

    OPT_OUT = "opt_out"  # stop messaging this number from this sender's organization
    OPT_IN = "opt_in"  # resume messaging after an opt-out
    HELP = "help"  # answer with the organization's help text


class KeywordConflict(ValueError):
    """A word cannot be in more than one keyword list."""


def normalise(text: str) -> str:
    """The comparable form of a message: letters and digits only, accents dropped, casefolded.

    >>> normalise("  Opt-Out! ")
    'optout'
    >>> normalise("ARRÊT")
    'arret'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(
        ch for ch in decomposed.casefold() if ch.isalnum() and not unicodedata.combining(ch)
    )


@dataclass(frozen=True, slots=True)
class Keywords:
    """Three disjoint sets of normalised words."""

    opt_out: frozenset[str]
    opt_in: frozenset[str]
    help: frozenset[str]

    @classmethod
    def of(cls, *, opt_out: Iterable[str], opt_in: Iterable[str], help: Iterable[str]) -> Keywords:
        """Lists of words as people write them; raises :class:`KeywordConflict` on overlap."""
        sets = tuple(
            frozenset(w for w in map(normalise, words) if w) for words in (opt_out, opt_in, help)
        )
        out, in_, hlp = sets
        shared = (out & in_) | (out & hlp) | (in_ & hlp)
        if shared:
            raise KeywordConflict(
                f"words in more than one keyword list: {', '.join(sorted(shared))}"
            )
        return cls(out, in_, hlp)

    def extended(
        self,
        *,
        opt_out: Iterable[str] = (),
        opt_in: Iterable[str] = (),
        help: Iterable[str] = (),
    ) -> Keywords:
        """These lists with an organization's own words added."""
        return Keywords.of(
            opt_out=[*self.opt_out, *opt_out],
            opt_in=[*self.opt_in, *opt_in],
            help=[*self.help, *help],
        )

    def action_of(self, word: str) -> KeywordAction | None:
        if word in self.opt_out:
            return KeywordAction.OPT_OUT
        if word in self.opt_in:
            return KeywordAction.OPT_IN
        if word in self.help:
            return KeywordAction.HELP
        return None


# English: the CTIA / carrier standard words.  Others: words carriers and providers honour in
# Spanish, French, German, Portuguese and Italian.
DEFAULT_KEYWORDS = Keywords.of(
    opt_out=[
        "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE",
        "ALTO", "PARAR", "PARE", "BAJA", "CANCELAR",  # es, pt
        "ARRET", "ARRETER", "DESABONNER",  # fr
        "STOPP", "ABMELDEN", "ENDE",  # de
        "SAIR",  # pt
        "BASTA", "ANNULLA", "DISISCRIVI",  # it
    ],
    opt_in=["START", "UNSTOP", "YES", "OPTIN", "SUBSCRIBE", "ALTA", "INICIAR", "ANMELDEN"],
    help=["HELP", "INFO", "AYUDA", "AIDE", "HILFE", "AJUDA", "AIUTO"],
)  # fmt: skip


def classify(text: str, keywords: Keywords = DEFAULT_KEYWORDS) -> KeywordAction | None:
    """The action a whole inbound message asks for, or None if it is not a keyword."""
    if len(text) > MAX_KEYWORD:  # no keyword is that long; spare normalising long messages
        return None
    return keywords.action_of(normalise(text))
