"""Words for the knowledge base's search: Russian morphology on the SQLite store.

PostgreSQL stems Russian itself (``to_tsvector('russian', ...)``); SQLite's FTS5 does not, so
the article's words are indexed as their dictionary forms (lemmas, by pymorphy3, a dependency
already: «счётчика», «счётчики» → «счетчик») and a query word matches any of its own lemmas or,
as typed, a prefix of one («счетч» while the operator is still typing).  «ё» is written «е»
throughout, in the index and in queries, as people type either."""

from __future__ import annotations

import functools
import re
from typing import Any, Final

_WORD: Final = re.compile(r"\w+")
# Longer words are not words (a pasted token); they are cut, not dropped.
MAX_WORD: Final = 40
# At most this many words of a query are used.
MAX_QUERY_WORDS: Final = 12


def normal(text: str) -> str:
    return text.lower().replace("ё", "е")


def words(text: str) -> list[str]:
    return [w[:MAX_WORD] for w in _WORD.findall(normal(text)) if w != "_"]


@functools.cache
def _analyzer() -> Any:
    import pymorphy3  # loads its dictionaries (a few MB) once, on first use

    return pymorphy3.MorphAnalyzer(lang="ru")


@functools.lru_cache(maxsize=50_000)
def lemmas(word: str) -> tuple[str, ...]:
    """Every dictionary form the word may be (an ambiguous form has several), the word itself
    for digits and Latin words."""
    if not any("а" <= ch <= "я" for ch in word):
        return (word,)
    forms = {normal(parse.normal_form) for parse in _analyzer().parse(word)}
    return tuple(sorted(forms)) or (word,)


def index_terms(text: str) -> str:
    """What the FTS5 table holds for a text: the lemmas of its words, space-separated."""
    return " ".join(lemma for word in words(text) for lemma in lemmas(word))


# Prepositions, conjunctions, particles, interjections: a query's «как», «по», «не» need not be
# in the article (PostgreSQL's Russian configuration drops them as stop words too).
_FUNCTION_WORDS: Final = frozenset({"PREP", "CONJ", "PRCL", "INTJ"})


def _function_word(word: str) -> bool:
    if not any("а" <= ch <= "я" for ch in word):
        return False
    return _analyzer().parse(word)[0].tag.POS in _FUNCTION_WORDS


def query_groups(query: str) -> list[tuple[str, ...]]:
    """One group per word of the query: its lemmas, and the word as a prefix (``word*``)."""
    typed = words(query)[:MAX_QUERY_WORDS]
    meaningful = [w for w in typed if not _function_word(w)] or typed
    groups = []
    for word in meaningful:
        forms = set(lemmas(word))
        forms.add(f"{word}*")
        groups.append(tuple(sorted(forms)))
    return groups


def warm_up() -> None:
    """Load the dictionaries (blocking: call it in a worker thread)."""
    lemmas.cache_clear()
    lemmas("счетчик")
