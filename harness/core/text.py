"""The normal form of a candidate text, shared by in-run dedup and the findings store."""

from __future__ import annotations

import unicodedata


def normalize(text: str) -> str:
    """NFKC, case-folded, whitespace folded: two spellings of one text compare equal."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())
