"""Names in the order people expect: the language's alphabet, not Unicode code points.

PostgreSQL's ICU collations (``tr-x-icu``) do this in the database, but not
every PostgreSQL is built with ICU (the embedded one here is not).  So each
user carries ``name_key``: their name as fixed-width codes that sort, byte by
byte under any collation, as the language's alphabet does — Turkish (``tr``:
a b c ç d … g ğ h ı i … o ö … s ş … u ü …, and I/ı, İ/i as Turkish writes
them) or the root order (anything else: an accented letter right after its
base letter).  Every list, report and export orders by it.
"""

from __future__ import annotations

import functools
import unicodedata

from django.conf import settings

TURKISH = "abcçdefgğhıijklmnoöpqrsştuüvwxyz"
ROOT = "abcdefghijklmnopqrstuvwxyz"
# Letters both orders treat as a base letter with a mark (â, î, û in Turkish names; ı outside Turkish).
SPECIAL_BASE = {"ı": "i", "ß": "s", "ø": "o", "æ": "a", "œ": "o", "đ": "d", "ł": "l"}


def _alphabet(language: str) -> str:
    return TURKISH if language == "tr" else ROOT


def _weights(char: str, alphabet: str) -> tuple[int, int]:
    """(primary, secondary): the letter's place, then what tells it from its base letter."""
    if char in alphabet:
        return 100 + alphabet.index(char), 0
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[0], decomposed[1:]
    base = SPECIAL_BASE.get(base, base)
    if base in alphabet:
        return 100 + alphabet.index(base), 1 + (sum(map(ord, marks)) % 98 if marks else ord(char) % 98)
    if char.isdigit():
        return 10 + int(unicodedata.digit(char, 0)), 0
    if not char.isalnum():
        return 1, 0  # spaces, hyphens, apostrophes: a word boundary
    return 200 + ord(char) % 800, 0  # other scripts: after the Latin letters, by code point


def name_key(name: str, language: str | None = None) -> str:
    """A key whose plain byte order is the language's order of the names."""
    return _name_key(name, language or settings.NAME_COLLATION)


@functools.lru_cache(maxsize=65536)  # the live roster sorts the same names at every poll
def _name_key(name: str, language: str) -> str:
    codes = [_codes(char, language) for char in unicodedata.normalize("NFC", name.strip())]
    return "".join(primary for primary, _ in codes) + " " + "".join(secondary for _, secondary in codes)


# Per character, not per name: a sweep of new students meets a million names but a few dozen letters.
@functools.lru_cache(maxsize=4096)
def _codes(char: str, language: str) -> tuple[str, str]:
    """A character's primary and secondary codes, fixed-width."""
    if language == "tr":
        char = {"I": "ı", "İ": "i"}.get(char, char)
    primary, secondary = _weights(char.lower(), _alphabet(language))
    return f"{primary:03d}", f"{secondary:02d}"


def search_fold(text: str, language: str | None = None) -> str:
    """Text folded for a search that ignores case as the language does: in Turkish "IŞIL", "ışıl" and
    "Işıl" are one name, and "İ" is the capital of "i" (``str.casefold`` would make "I" an "i")."""
    text = unicodedata.normalize("NFC", text.strip())
    if (language or settings.NAME_COLLATION) == "tr":
        text = text.replace("I", "ı").replace("İ", "i")
    return text.casefold()
