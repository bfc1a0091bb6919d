"""A small JSONPath subset for reading scores out of an in-house service's JSON answer.

Grammar (what a response path needs, nothing more): an optional ``$`` for the root, then
steps ``.name``, ``['name']`` or ``["name"]`` (an object key), ``[3]`` or ``[-1]`` (a
list index), ``[*]`` or ``.*`` (every element). For example::

    $.scores                    {"scores": [0.1, 0.2]}
    $.results[*].reward         {"results": [{"reward": 0.1}, {"reward": 0.2}]}
    $.outputs[0].scores         {"outputs": [{"scores": [0.1, 0.2]}]}
    $[*][0]                     [[0.1, "label"], [0.2, "label"]]

Why not a JSONPath library: filters, slices and recursive descent have no use here, and
a path with fewer features has fewer surprising answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from harness.core.errors import HarnessError

WILDCARD = object()

_STEP = re.compile(
    r"""
    \.(?P<dotted>[A-Za-z_][\w-]*)       # .name
  | \.\*                                # .*
  | \[\s*(?P<index>-?\d+)\s*\]          # [3]
  | \[\s*\*\s*\]                        # [*]
  | \[\s*'(?P<single>[^']*)'\s*\]       # ['name']
  | \[\s*"(?P<double>[^"]*)"\s*\]       # ["name"]
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class JsonPath:
    """A parsed path: its text and its steps (keys, indices, ``WILDCARD``)."""

    text: str
    steps: tuple[Any, ...]

    @property
    def has_wildcard(self) -> bool:
        return any(step is WILDCARD for step in self.steps)

    def find(self, data: Any) -> list[Any]:
        """Every value the path reaches in ``data`` (empty: nothing there)."""
        found = [data]
        for step in self.steps:
            found = [value for item in found for value in _step(item, step)]
        return found

    def __str__(self) -> str:
        return self.text


def parse_path(text: str) -> JsonPath:
    """Parse ``text``; a path outside the grammar is a one-line ``HarnessError``."""
    source = text.strip()
    rest = source[1:] if source.startswith("$") else source
    if rest and not rest.startswith((".", "[")):
        rest = "." + rest  # "scores" means "$.scores"
    steps: list[Any] = []
    position = 0
    while position < len(rest):
        match = _STEP.match(rest, position)
        if match is None:
            raise HarnessError(
                f"response path {text!r} cannot be read at {rest[position:]!r}; write e.g. "
                "$.scores or $.results[*].reward"
            )
        if match.group("dotted") is not None:
            steps.append(match.group("dotted"))
        elif match.group("index") is not None:
            steps.append(int(match.group("index")))
        elif match.group("single") is not None:
            steps.append(match.group("single"))
        elif match.group("double") is not None:
            steps.append(match.group("double"))
        else:
            steps.append(WILDCARD)
        position = match.end()
    return JsonPath(source or "$", tuple(steps))


def _step(value: Any, step: Any) -> list[Any]:
    if step is WILDCARD:
        if isinstance(value, list):
            return list(value)
        if isinstance(value, dict):
            return list(value.values())
        return []
    if isinstance(step, int):
        if isinstance(value, list) and -len(value) <= step < len(value):
            return [value[step]]
        return []
    if isinstance(value, dict) and step in value:
        return [value[step]]
    return []
