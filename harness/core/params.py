"""Checking user parameters against a plugin's typed ``Params`` dataclass.

Attacks and judges declare their parameters as a frozen dataclass with defaults; a suite
or the command line gives a dict. ``build_params`` checks names and types against the
dataclass's annotations and returns an instance, or raises a one-line ``HarnessError``
naming the plugin, the parameter and what it should be. TOML has no tuples and writes
``1`` for ``1.0``, so a list is accepted for a tuple and an int for a float.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

from harness.core.errors import HarnessError

_MISSING = object()


def build_params(params_cls: type, given: dict[str, Any], owner: str) -> Any:
    """An instance of ``params_cls`` from ``given``; ``owner`` names the plugin in errors."""
    fields = {f.name: f for f in dataclasses.fields(params_cls)}
    unknown = sorted(set(given) - set(fields))
    if unknown:
        raise HarnessError(
            f"{owner} has no parameter {unknown[0]!r}; parameters: {', '.join(fields) or 'none'}"
        )
    required = [
        name
        for name, f in fields.items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    absent = [name for name in required if name not in given]
    if absent:
        raise HarnessError(f"{owner} needs parameter {absent[0]!r}")
    hints = typing.get_type_hints(params_cls)
    checked = {}
    for key, value in given.items():
        converted = _convert(hints.get(key, Any), value)
        if converted is _MISSING:
            raise HarnessError(
                f"{owner} parameter {key!r} must be {_describe(hints.get(key, Any))}, "
                f"got {type(value).__name__} {value!r}"
            )
        checked[key] = converted
    return params_cls(**checked)


def _convert(hint: Any, value: Any) -> Any:
    """``value`` as the annotation ``hint`` wants it, or ``_MISSING`` when it does not fit."""
    origin = get_origin(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        for option in get_args(hint):
            converted = _convert(option, value)
            if converted is not _MISSING:
                return converted
        return _MISSING
    if origin is Literal:
        return value if value in get_args(hint) else _MISSING
    if hint is type(None):
        return value if value is None else _MISSING
    if origin is tuple or hint is tuple:
        return tuple(value) if isinstance(value, (list, tuple)) else _MISSING
    if origin is not None:  # list[str], dict[...]: check the container only
        return value if isinstance(value, origin) else _MISSING
    if isinstance(value, bool) and hint is not bool:
        return _MISSING
    if hint is float and isinstance(value, int):
        return float(value)
    return value if isinstance(value, hint) else _MISSING


def _describe(hint: Any) -> str:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(option) for option in get_args(hint))
    if origin is Literal:
        return " or ".join(repr(v) for v in get_args(hint))
    if hint is type(None):
        return "None"
    return getattr(hint, "__name__", str(hint))
