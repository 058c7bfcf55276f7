"""Spelling-tolerant names: phonetic keys (Metaphone, from jellyfish) to find, edit distance (rapidfuzz) to rank.

Search and matching read the same stored keys on SQLite and PostgreSQL (one ``search_keys`` row per
word of a name), so both databases find exactly the same cases; the ranking runs here, in Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import jellyfish
from rapidfuzz.distance import JaroWinkler, Levenshtein

WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
STOP_WORDS = frozenset({"the", "and", "of", "at", "a"})
# Jaro-Winkler 0.84 lets "Jamy"/"Jamie" and "Tylor"/"Tyler" agree but not "Sam"/"Tom" (docs/decisions.md).
SIMILAR = 0.84


def words(text: str | None) -> list[str]:
    """The words of a name, lower case, without stop words ("The Riverside Park" -> riverside, park)."""
    return [w.lower() for w in WORD.findall(text or "") if w.lower() not in STOP_WORDS]


def key(word: str) -> str:
    """The phonetic key of one word (Metaphone: "Tylor" and "Tyler" are both TLR)."""
    return jellyfish.metaphone(word.replace("'", "").replace("-", ""))[:40] or word[:40].upper()


def name_keys(*names: str | None) -> set[str]:
    """Every word's phonetic key, for the ``search_keys`` rows of a case."""
    return {key(w) for name in names for w in words(name)}


def similar(a: str | None, b: str | None) -> bool:
    """True when two single names are spelling variants: the same, the same sound, or a small edit apart."""
    x, y = (a or "").strip().lower(), (b or "").strip().lower()
    if not x or not y:
        return False
    if _digits(x) != _digits(y):  # "Child 1" and "Child 2" are two children, not one name spelt twice
        return False
    if x == y or key(x) == key(y):
        return True
    return JaroWinkler.similarity(x, y) >= SIMILAR or (min(len(x), len(y)) > 4 and Levenshtein.distance(x, y) <= 1)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def closeness(query: Iterable[str], name: Iterable[str]) -> float:
    """How well the query's words match a name's words, 0 to 1 (each query word to its best name word)."""
    asked, have = list(query), list(name)
    if not asked or not have:
        return 0.0
    best = [max(JaroWinkler.similarity(q, n) if key(q) != key(n) else max(0.95, JaroWinkler.similarity(q, n))
                for n in have) for q in asked]
    return sum(best) / len(best)


def matches(query: Iterable[str], name: Iterable[str]) -> bool:
    """True when every query word is a spelling variant of some word of the name."""
    have = list(name)
    return all(any(similar(q, n) for n in have) for q in query)
