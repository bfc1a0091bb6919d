"""TOML configuration files (suites, gate policies): validation errors that name the line.

``tomllib`` parses values but keeps no positions. This scans the text for table headers
(``[data]``, ``[[attacks]]``, ``[attacks.params]``) and ``key = value`` lines, and maps a
validation location such as ``("attacks", 2, "budget")`` to its line number. Inline
tables and multi-line values are located by their first line.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from harness.core.errors import HarnessError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

Model = TypeVar("Model", bound=BaseModel)

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


def where(text: str, what: str, loc: tuple[object, ...]) -> str:
    """``suite quick.toml line 14: attacks[2].budget``: the prefix of every config error."""
    line = locate(text, loc)
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    return f"{what}{f' line {line}' if line else ''}: {dotted}"


def parse_toml_model(text: str, model: type[Model], what: str) -> tuple[Model, dict]:
    """Parse ``text`` and validate it as ``model``; every error is one line naming the key.

    ``what`` names the file in messages ("suite standard.toml", "policy gate.toml").
    Returns the model and the raw parsed table.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HarnessError(f"{what} is not valid TOML: {exc}") from None
    try:
        return model.model_validate(raw), raw
    except ValidationError as exc:
        raise HarnessError(_describe(exc, text, what, model)) from None


def _describe(exc: ValidationError, text: str, what: str, root: type[BaseModel]) -> str:
    error = exc.errors()[0]
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p in ("int", "float")))
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        model = _model_at(root, loc[:-1])
        allowed = ", ".join(model.model_fields) if model else ""
        message = f"unknown key; allowed keys: {allowed}"
    elif error["type"] == "missing":
        message = "missing required key"
    else:
        message += f" (got {error.get('input')!r})"
    return f"{where(text, what, loc)}: {message}"


def _model_at(root: type[BaseModel], loc: tuple[object, ...]) -> type[BaseModel] | None:
    """The nested model at a validation location, to list its allowed keys."""
    model = root
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        for arg in args:  # dict[str, Model]: the value model
            candidates.extend(getattr(arg, "__args__", ()))
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return None
        model = nested[0]
    return model
