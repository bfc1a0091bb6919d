"""Typed JSON records: frozen dataclasses that write themselves as JSON and read back.

The run log's entries (``entries.py``) are records. ``to_json`` turns a record into
JSON values, nested records included; ``from_json`` builds one back, converting nested
records and tuples by the field annotations, ignoring keys it does not know (a newer
minor log version may add fields) and upgrading lines written by older log versions
through ``upgrade``. Keeping this generic means an entry type is its field list and
nothing else.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar, Union

#: 2.1: ``crossed`` in attempt entries; 2.2: the replay mode in init; 2.3: the attacks
#: skipped per checkpoint in init; 3.0: the init config's store, store timeout, batch size
#: and replay mode moved into its ``run_options`` (``RunConfig.upgrade`` reads older ones);
#: finding entries carry every field of the finding record (``kind``, ``detail``) and the
#: store's ``exploit_id`` and ``merged``; clean entries their tallies per prompt; 3.1: the
#: ``validation`` entry (the judges measured on labelled rows at the start), finding
#: entries carry their judges' ``measures`` (a line without them reads as none), and
#: attempt entries and the completion's totals ``lm_tokens`` (0 when absent); 3.2: attempt
#: entries carry ``surrogate_queries`` (0 when absent) and the attack's ``detail`` (the
#: starts it was given, a batch sized from its budget, a bandit's pulls; empty when absent).
LOG_VERSION = "3.2"
#: The version of logs written before versions were recorded (no ``log_version`` in init).
FIRST_VERSION = "1.0"

R = TypeVar("R", bound="Record")


@dataclass(frozen=True, order=True)
class LogVersion:
    """``major.minor``: a newer minor only adds; a newer major renames or removes."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: object) -> LogVersion:
        """``"2.0"`` -> ``LogVersion(2, 0)``; ``ValueError`` for anything else."""
        major, dot, minor = str(text).partition(".")
        if not (dot and major.isdigit() and minor.isdigit()):
            raise ValueError(f"not a log version: {text!r}")
        return cls(int(major), int(minor))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


CURRENT = LogVersion.parse(LOG_VERSION)


def now() -> str:
    """The ``time`` of an entry: UTC, ISO 8601, milliseconds (sortable as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True, kw_only=True)
class Record:
    """A typed JSON object: fields to JSON values and back (nested records included)."""

    def to_json(self) -> dict[str, Any]:
        return {f.name: _to_json(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_json(cls: type[R], data: Mapping[str, Any], version: LogVersion = CURRENT) -> R:
        """Build from a JSON object. Unknown keys are ignored (a newer minor version may
        add fields); a missing field without a default is a ``TypeError``."""
        data = cls.upgrade(dict(data), version)
        hints = _hints(cls)
        return cls(
            **{
                f.name: _from_json(hints[f.name], data[f.name])
                for f in dataclasses.fields(cls)
                if f.name in data
            }
        )

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: LogVersion) -> dict[str, Any]:
        """Map a line written by an older log version to this one (default: unchanged)."""
        return data


# ------------------------------------------------------------------ JSON values
@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _to_json(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_json()
    if isinstance(value, (tuple, list)):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    return value


def _from_json(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
        origin = typing.get_origin(hint)
    if isinstance(hint, type) and issubclass(hint, Record):
        if not isinstance(value, Mapping):
            raise TypeError(f"{hint.__name__} needs a JSON object, got {value!r}")
        return hint.from_json(value)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected a JSON array, got {value!r}")
        return tuple(_from_json(typing.get_args(hint)[0], v) for v in value)
    if origin is dict:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a JSON object, got {value!r}")
        return dict(value)
    return value
