"""Names told apart and matched: associates by name and age, platforms by their plain name.

The index keeps one sound key per associate's name (Metaphone of its first and last words, jellyfish),
so spelling variants ("Jayden Smith", "Jaiden Smyth") land on the same key and the check reads only
those rows; whether two names really match is then decided word by word (the same sound, or
Jaro-Winkler similarity from rapidfuzz) and by the ages.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from functools import lru_cache

import jellyfish
from rapidfuzz.distance import JaroWinkler

WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=65536)
def plain(name: str | None) -> str:
    """Lower case letters and single spaces, accents removed ("  Zoë  O'Neil" -> "zoe o neil")."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(WORD.findall(text))


# Spellings Metaphone hears differently though people say them alike: a silent h after an initial r
# ("Rhys"), and y as a vowel between consonants ("Wyck", "Smyth").
SAID_ALIKE = ((re.compile(r"^rh"), "r"), (re.compile(r"(?<=[^aeiouy])y(?=[^aeiouy]|$)"), "i"))


@lru_cache(maxsize=65536)
def _sound(word: str) -> str:
    """A word's sound (Metaphone: "Leighton" and "Layton" are both LTN; "Rhys" and "Reece" both RS)."""
    for pattern, instead in SAID_ALIKE:
        word = pattern.sub(instead, word)
    return jellyfish.metaphone(word)[:6] or word[:6]


def name_keys(name: str | None) -> list[str]:
    """The index key of a name: the sounds of its first and last words (in either order), one word's sound,
    or the initials when the name is only initials."""
    words = plain(name).split()
    if not words:
        return []
    if all(len(w) == 1 for w in words) or (len(words) == 1 and len(words[0]) <= 3 and words[0].isalpha()
                                           and name and name.strip().isupper()):
        return ["=" + "".join(words)]  # initials ("J.S.", "JS") match only the same initials
    ends = [w for w in (words[0], words[-1]) if len(w) > 1] if len(words) > 1 else words
    return ["_".join(sorted({_sound(w) for w in ends}))]


def similarity(a: str, b: str) -> float:
    """How alike two names are, 0 to 1: each word of the shorter name against its best match in the other
    (Jaro-Winkler), taking the weakest, so "Sam Lee" and "Tom Lee" differ however alike their surnames."""
    x, y = plain(a).split(), plain(b).split()
    if not x or not y:
        return 0.0
    short, long_ = (x, y) if len(x) <= len(y) else (y, x)
    return min(max(_alike(w, v) for v in long_) for w in short)


def _alike(a: str, b: str) -> float:
    """Two words: 1 when they sound the same (Metaphone), else their Jaro-Winkler similarity."""
    return 1.0 if len(a) > 1 and len(b) > 1 and _sound(a) == _sound(b) else JaroWinkler.similarity(a, b)


def age_then(age: int | None, at: datetime, when: datetime) -> float | None:
    """An approximate age given at ``at``, as it would be at ``when``."""
    return None if age is None else age + (when - at).days / 365.25


def same_person(name_a: str, age_a: int | None, at_a: datetime, name_b: str, age_b: int | None, at_b: datetime,
                threshold: float, tolerance: int) -> bool:
    """True when two named associates are likely the same person: alike names and ages that agree.

    Without an age on either side only a full name (two words or more) almost exactly alike counts.
    """
    then = age_then(age_a, at_a, at_b)
    if then is not None and age_b is not None and abs(then - age_b) > tolerance + 0.5:
        return False  # the cheap test first
    alike = similarity(name_a, name_b)
    if alike < threshold:
        return False
    if then is None or age_b is None:
        return alike >= 0.97 and len(plain(name_a).split()) > 1 and len(plain(name_b).split()) > 1
    return True


def platform_key(text: str | None, aliases: dict[str, str]) -> str | None:
    """A platform's plain name, known spellings folded ("Snap" -> snapchat, "www.tiktok.com" -> tiktok)."""
    raw = re.split(r"[(:@/]", (text or "").lower(), maxsplit=1)[0]
    name = " ".join(WORD.findall(raw))
    known = aliases.get(name) or aliases.get(name.replace(" ", ""))
    if known:
        return known
    name = " ".join(w for w in name.split() if w not in ("www", "com", "co", "uk", "app", "the"))
    return (aliases.get(name) or name.replace(" ", "")) if name else None


def handle_key(text: str | None) -> str | None:
    """A handle, group or address in one spelling ("@Northgate_Deals " -> northgate_deals)."""
    raw = re.sub(r"^(https?://)?(www\.)?", "", (text or "").strip().lower()).strip("@ /")
    plain_handle = re.sub(r"[^a-z0-9_.\-/]", "", raw)
    return plain_handle[:80] or None


def online_space(platform: str | None, handle: str | None, aliases: dict[str, str]) -> str | None:
    """The key of one online space: a platform and a handle, group or address on it.

    A platform alone ("Snapchat") is not a space: most children use the same few apps, so it would make
    a pattern of every few referrals. A handle or group on it is the shared thing.
    """
    name, where = platform_key(platform, aliases), handle_key(handle)
    return f"{name} {where}" if name and where else None


def platforms_in(text: str | None, aliases: dict[str, str]) -> list[str]:
    """The online spaces a free-text answer names ("Snapchat (@dj_x), TikTok" -> "snapchat dj_x").

    A handle is what follows the platform after "@", ":", "(" or a space; a platform named alone is skipped.
    """
    found = []
    for part in re.split(r",|;|\band\b|\n", text or ""):
        match = re.match(r"\s*([^(:@]+?)\s*[(:@\s]\s*@?([^)]+)\)?\s*$", part)
        if match:
            found.append(online_space(match.group(1), match.group(2), aliases))
    return list(dict.fromkeys(p for p in found if p))
