"""The filter box: which rows a few typed words keep. Pure.

Every word typed must occur (case-insensitive, as a substring) in what the
row says about itself: its shown text and tagged terms such as
``state:missing`` or ``rule:audio.encoder-enabled``. So ``lobby`` finds a
location, ``state:undeclared`` the rogue devices, ``rule:audio`` the
cameras with an audio finding, ``hanwha critical`` both at once.
"""

from __future__ import annotations

from collections.abc import Iterable


def terms(*parts: str | None, **tagged: Iterable[str]) -> str:
    """One lower-case text to search: the ``parts`` and ``tag:value`` for
    every value of every tag."""
    words = [part for part in parts if part]
    for tag, values in tagged.items():
        words.extend(f"{tag}:{value}" for value in values)
    return " ".join(words).lower()


def query_words(query: str) -> tuple[str, ...]:
    return tuple(query.lower().split())


def matches(words: tuple[str, ...], haystack: str) -> bool:
    """True when every word occurs in ``haystack`` (built by ``terms``)."""
    return all(word in haystack for word in words)
