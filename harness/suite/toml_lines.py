"""Where in a TOML file a key lives, so that a validation error can name the line.

``tomllib`` parses values but keeps no positions. This scans the text for table headers
(``[data]``, ``[[attacks]]``, ``[attacks.params]``) and ``key = value`` lines, and maps a
validation location such as ``("attacks", 2, "budget")`` to its line number. Inline
tables and multi-line values are located by their first line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"']+)\s*=")


def _split(dotted: str) -> list[str]:
    return [part.strip().strip("\"'") for part in dotted.split(".")]


def key_lines(text: str) -> dict[tuple[object, ...], int]:
    """Every table and key path in ``text`` with the line where it starts (1-based)."""
    found: dict[tuple[object, ...], int] = {}
    array_counts: dict[tuple[str, ...], int] = {}
    current: tuple[object, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("#"):
            parts = _split(header.group(2))
            path: list[object] = []
            for depth, part in enumerate(parts):
                path.append(part)
                names = tuple(p for p in parts[: depth + 1])
                is_last = depth == len(parts) - 1
                if header.group(1) == "[[" and is_last:
                    array_counts[names] = array_counts.get(names, 0) + 1
                    path.append(array_counts[names] - 1)
                elif names in array_counts:
                    path.append(array_counts[names] - 1)
            current = tuple(path)
            found.setdefault(current, number)
            found.setdefault(current[:-1] if header.group(1) == "[[" else current, number)
            continue
        key = _KEY.match(line)
        if key:
            found.setdefault((*current, key.group(1).strip("\"'")), number)
    return found


def locate(text: str, loc: Sequence[object]) -> int | None:
    """The line of the longest prefix of ``loc`` that appears in ``text``."""
    lines = key_lines(text)
    for end in range(len(loc), 0, -1):
        line = lines.get(tuple(loc[:end]))
        if line is not None:
            return line
    return None
