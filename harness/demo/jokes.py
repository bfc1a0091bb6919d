"""Joke text that the ``pyjokes`` package ships (English, neutral and Chuck Norris)."""

from __future__ import annotations


def all_joke_texts() -> list[str]:
    import pyjokes

    return list(pyjokes.get_jokes("en", "neutral")) + list(pyjokes.get_jokes("en", "chuck"))
