"""One typed registry for every kind of plugin: attacks, judges, report renderers, executors.

A ``Registry[T]`` maps names to objects of one kind. Entries come from three places, and
none of them is imported before it is needed:

- **builtins**: the modules of a package (``discover="harness.judges"``), imported the
  first time the registry is read. Each module registers its objects with the decorator,
  so adding a builtin plugin is one new file: no list to edit elsewhere.
- **entry points**: third-party packages declare ``name = "module:object"`` in the
  registry's entry-point group; the object is imported only when it is asked for by name
  or when every entry is listed.
- **lazy names**: ``add_lazy(name, "module:object")`` for a builtin whose module is
  heavy to import.

An unknown name is a ``HarnessError`` that lists the names there are. Tests register
objects for the length of a ``with registry.temporarily(obj):`` block, so no test leaves
a plugin behind for the next.

Example::

    RENDERERS: Registry[Renderer] = Registry("renderer", group="rm_harness.renderers",
                                             discover="reports.renderers")

    @RENDERERS.register
    class MarkdownReport(Renderer):
        name = "markdown"
        ...

    RENDERERS.get("markdown")   # the class
    RENDERERS.names()           # ["csv", "html", "junit", "markdown", "summary"]
"""

from __future__ import annotations

import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from harness.core.errors import HarnessError

T = TypeVar("T")


@dataclass(frozen=True)
class Lazy:
    """An entry known by name whose object is imported on first use."""

    target: str  # "module:object"
    origin: str  # "builtin" or "entry point"

    def load(self) -> Any:
        module, _, attribute = self.target.partition(":")
        obj: Any = import_module(module)
        for part in attribute.split(".") if attribute else ():
            obj = getattr(obj, part)
        return obj


class Registry(Generic[T]):
    """Names to plugins of one kind (see the module docstring).

    Args:
        kind: what the entries are, for messages ("attack", "judge").
        group: the entry-point group third-party packages register in.
        discover: a package whose modules are imported to register the builtins.
        check: called on every object registered; raises ``TypeError`` when the object
            is not a valid plugin of this kind.
        name_of: how an object names itself (default: its ``name`` attribute).
    """

    def __init__(
        self,
        kind: str,
        *,
        group: str | None = None,
        discover: str | None = None,
        check: Callable[[T], None] | None = None,
        name_of: Callable[[T], str] | None = None,
    ) -> None:
        self.kind = kind
        self.group = group
        self.discover = discover
        self._check = check
        self._name_of = name_of or (lambda obj: obj.name)  # type: ignore[attr-defined]
        self._objects: dict[str, T] = {}
        self._origins: dict[str, str] = {}
        self._lazy: dict[str, Lazy] = {}
        self._discovered = False

    # ----------------------------------------------------------------- adding
    def register(self, obj: T) -> T:
        """Add ``obj`` under its own name; usable as a class decorator. Names are unique."""
        if self._check is not None:
            self._check(obj)
        name = self._name_of(obj)
        if not isinstance(name, str) or not name:
            raise TypeError(f"a {self.kind} needs a non-empty string name, got {name!r}")
        existing = self._objects.get(name)
        if existing is not None and existing is not obj:
            raise TypeError(f"{self.kind} name {name!r} is taken by {existing!r}")
        self._objects[name] = obj
        module = getattr(obj, "__module__", "") or ""
        builtin = self.discover is not None and module.startswith(f"{self.discover}.")
        self._origins.setdefault(name, "builtin" if builtin else "registered")
        self._lazy.pop(name, None)
        return obj

    def add_lazy(self, name: str, target: str, *, origin: str = "builtin") -> None:
        """Know ``name`` now, import ``target`` ("module:object") when it is first used."""
        if name not in self._objects:
            self._lazy[name] = Lazy(target, origin)

    @contextmanager
    def temporarily(self, *objects: T) -> Iterator[None]:
        """Register ``objects`` for the block only (tests); the registry is restored after."""
        self._load_builtins()
        saved = dict(self._objects), dict(self._origins), dict(self._lazy)
        try:
            for obj in objects:
                self.register(obj)
            yield
        finally:
            self._objects, self._origins, self._lazy = saved

    # ---------------------------------------------------------------- reading
    def get(self, name: str) -> T:
        """The object named ``name``; an unknown name lists the known ones."""
        self._load_builtins()
        if name in self._objects:
            return self._objects[name]
        if name in self._lazy:
            return self._resolve(name)
        raise HarnessError(
            f"unknown {self.kind} {name!r}; choose one of: {', '.join(self.names())}"
        )

    def names(self) -> list[str]:
        """Every name, sorted, without importing lazy entries."""
        self._load_builtins()
        return sorted({*self._objects, *self._lazy})

    def load_all(self) -> dict[str, T]:
        """Every entry by name, sorted; lazy entries are imported."""
        return {name: self.get(name) for name in self.names()}

    def origin(self, name: str) -> str:
        """Where an entry came from: "builtin", "entry point" or "registered"."""
        self._load_builtins()
        if name in self._lazy:
            return self._lazy[name].origin
        return self._origins.get(name, "unknown")

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def __repr__(self) -> str:
        loaded = len(self._objects)
        return (
            f"Registry({self.kind!r}, group={self.group!r}, discover={self.discover!r}, "
            f"{loaded} loaded, {len(self._lazy)} lazy)"
        )

    # -------------------------------------------------------------- internals
    def _resolve(self, name: str) -> T:
        lazy = self._lazy[name]
        try:
            obj = lazy.load()
        except (ImportError, AttributeError) as exc:
            raise HarnessError(
                f"{self.kind} {name!r} ({lazy.origin} {lazy.target}) cannot be loaded: {exc}"
            ) from None
        if self._check is not None:
            self._check(obj)
        own = self._name_of(obj)
        if own != name:
            raise TypeError(f"{self.kind} {lazy.target} names itself {own!r}, not {name!r}")
        self._objects[name] = obj
        self._origins[name] = lazy.origin
        del self._lazy[name]
        return obj

    def _load_builtins(self) -> None:
        if self._discovered:
            return
        self._discovered = True
        if self.discover is not None:
            package = import_module(self.discover)
            for module in pkgutil.iter_modules(package.__path__, prefix=f"{self.discover}."):
                if not module.name.rsplit(".", 1)[-1].startswith("_"):
                    import_module(module.name)
        if self.group is not None:
            for entry in entry_points(group=self.group):
                if entry.name not in self._objects:
                    self.add_lazy(entry.name, entry.value, origin="entry point")
