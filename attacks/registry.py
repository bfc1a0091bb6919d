"""The attack registry: every attack class by name (a ``harness.core.registry.Registry``).

Builtin attacks are the modules of this package, each registering its classes with
``@register``. Third-party packages add attacks through the ``rm_harness.attacks``
entry-point group, each entry pointing at an ``Attack`` subclass::

    [project.entry-points."rm_harness.attacks"]
    my_attack = "my_package.attacks:MyAttack"
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from attacks.base import Attack
from harness.core.registry import Registry

ENTRY_POINT_GROUP = "rm_harness.attacks"


def _check(cls: type[Attack]) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Attack)):
        raise TypeError(f"{cls!r} is not an Attack subclass")
    for attr in ("name", "family"):
        if not isinstance(getattr(cls, attr, None), str):
            raise TypeError(f"{cls.__name__} must set a string class attribute {attr!r}")
    if cls.access not in ("black-box", "white-box"):
        raise TypeError(f"{cls.__name__}.access must be 'black-box' or 'white-box'")


ATTACKS: Registry[type[Attack]] = Registry(
    "attack", group=ENTRY_POINT_GROUP, discover="attacks", check=_check
)
register = ATTACKS.register


def all_attacks() -> dict[str, type[Attack]]:
    return ATTACKS.load_all()


def get_attack(name: str) -> type[Attack]:
    """The attack class for ``name``; an unknown name lists the valid ones."""
    return ATTACKS.get(name)


def families() -> dict[str, list[str]]:
    """Family name to the names of its attacks."""
    out: dict[str, list[str]] = {}
    for name, cls in all_attacks().items():
        out.setdefault(cls.family, []).append(name)
    return out


def resolve_attack_checkpoints(
    name: str, params: Mapping[str, Any], resolve: Callable[[str], str]
) -> dict[str, Any]:
    """``params`` of attack ``name`` with every checkpoint parameter (``checkpoint_params``:
    a transfer's surrogate) passed through ``resolve``, as a judge's are; one left at its
    default is resolved and written in too, so a log records which checkpoint it was."""
    cls = get_attack(name)
    defaults = {f.name: f.default for f in dataclasses.fields(cls.Params)}
    out = dict(params)
    for key in cls.checkpoint_params:
        value = out.get(key, defaults.get(key))
        if isinstance(value, str):
            out[key] = resolve(value)
    return out
