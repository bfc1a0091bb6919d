"""The attack registry: one typed map from name to attack class.

Attacks register with the ``@register`` decorator. Third-party packages add attacks
through the ``rm_harness.attacks`` entry-point group, each entry pointing at an
``Attack`` subclass::

    [project.entry-points."rm_harness.attacks"]
    my_attack = "my_package.attacks:MyAttack"
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points

from attacks.base import Attack
from harness.core.errors import HarnessError

ENTRY_POINT_GROUP = "rm_harness.attacks"
BUILTIN_MODULES = (
    "attacks.templates",
    "attacks.search",
    "attacks.gradient",
    "attacks.fuzz",
    "attacks.textattack_adapter",  # registers names only; textattack is imported on use
)

_REGISTRY: dict[str, type[Attack]] = {}
_loaded = False


def register(cls: type[Attack]) -> type[Attack]:
    """Class decorator: add an attack under its ``name``; names are unique."""
    for attr in ("name", "family"):
        if not isinstance(getattr(cls, attr, None), str):
            raise TypeError(f"{cls.__name__} must set a string class attribute {attr!r}")
    if cls.access not in ("black-box", "white-box"):
        raise TypeError(f"{cls.__name__}.access must be 'black-box' or 'white-box'")
    existing = _REGISTRY.get(cls.name)
    if existing is not None and existing is not cls:
        raise TypeError(f"attack name {cls.name!r} is taken by {existing.__name__}")
    _REGISTRY[cls.name] = cls
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN_MODULES:
        import_module(module)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        cls = entry.load()
        if not (isinstance(cls, type) and issubclass(cls, Attack)):
            raise TypeError(f"entry point {entry.name!r} is not an Attack subclass")
        register(cls)


def all_attacks() -> dict[str, type[Attack]]:
    _load()
    return dict(sorted(_REGISTRY.items()))


def get_attack(name: str) -> type[Attack]:
    """The attack class for ``name``; an unknown name lists the valid ones."""
    attacks = all_attacks()
    try:
        return attacks[name]
    except KeyError:
        raise HarnessError(
            f"unknown attack {name!r}; choose one of: {', '.join(attacks)}"
        ) from None


def families() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, cls in all_attacks().items():
        out.setdefault(cls.family, []).append(name)
    return out
