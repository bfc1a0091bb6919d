"""Showing attacker-controlled text safely on a terminal or in a report.

Invisible, control and bidi characters are shown as ``⟨U+200B⟩`` so that a reader sees
what the reward model saw, and a bidi override cannot reorder the rest of the line.
Homoglyphs are left as they are but counted by the heuristic judge.
"""

from __future__ import annotations

import unicodedata

_KEEP = {"\n": "⏎", "\t": "⇥"}


def make_visible(text: str, *, keep_newlines: bool = False) -> str:
    out = []
    for char in text:
        if char in _KEEP:
            out.append("\n" if keep_newlines and char == "\n" else _KEEP[char])
        elif unicodedata.category(char) in {"Cf", "Cc", "Co", "Cn", "Zl", "Zp"}:
            out.append(f"⟨U+{ord(char):04X}⟩")
        else:
            out.append(char)
    return "".join(out)


def clip(text: str, width: int = 80) -> str:
    text = make_visible(text)
    return text if len(text) <= width else text[: width - 1] + "…"
