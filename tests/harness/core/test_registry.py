"""The plugin registry: builtins discovered from a package, lazy entries imported only on use,
unique names, checked plugins, and temporary registration that always restores."""

from __future__ import annotations

import importlib
import sys
import textwrap
from importlib.metadata import EntryPoint

import pytest

import harness.core.registry as registry_module
from harness.core.errors import HarnessError
from harness.core.registry import Registry


class Widget:
    is_widget = True

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Widget({self.name!r})"


def must_be_widget(obj) -> None:
    if not getattr(obj, "is_widget", False):
        raise TypeError(f"{obj!r} is not a Widget")


# Imported by every plugin module the tests write: records imports, defines their widgets.
PLUGIN_KIT = """
imported = []
registry = None


class Widget:
    is_widget = True

    def __init__(self, name):
        self.name = name
"""


@pytest.fixture()
def plugins(tmp_path, monkeypatch):
    """Writes plugin modules to a folder on sys.path; ``.kit.imported`` lists those imported."""
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "plugin_kit.py").write_text(PLUGIN_KIT)
    written: list[str] = ["plugin_kit"]

    def write(module: str, body: str) -> None:
        path = tmp_path.joinpath(*module.split("."))
        if "." in module:
            for parent in path.parents:
                if parent == tmp_path:
                    break
                parent.mkdir(exist_ok=True)
                (parent / "__init__.py").touch()
        source = (
            f"import plugin_kit\nfrom plugin_kit import Widget\n"
            f"plugin_kit.imported.append({module!r})\n"
        )
        path.with_suffix(".py").write_text(source + textwrap.dedent(body))
        written.append(module.split(".")[0])

    write.kit = importlib.import_module("plugin_kit")  # type: ignore[attr-defined]
    yield write
    for name in list(sys.modules):
        if name.split(".")[0] in written:
            del sys.modules[name]


def test_unknown_name_lists_the_names_there_are():
    widgets = Registry("widget", check=must_be_widget)
    widgets.register(Widget("b"))
    widgets.register(Widget("a"))
    widgets.add_lazy("c", "nowhere:Nothing")
    with pytest.raises(HarnessError, match=r"^unknown widget 'd'; choose one of: a, b, c$"):
        widgets.get("d")
    assert widgets.origin("d") == "unknown"


def test_names_are_unique():
    widgets = Registry("widget")
    first = widgets.register(Widget("a"))
    assert widgets.register(first) is first  # the same object again is fine
    with pytest.raises(TypeError, match=r"widget name 'a' is taken by Widget\('a'\)"):
        widgets.register(Widget("a"))
    assert widgets.get("a") is first and len(widgets) == 1


def test_a_plugin_needs_a_non_empty_string_name():
    widgets = Registry("widget")
    for bad in ("", None, 3):
        with pytest.raises(TypeError, match="a widget needs a non-empty string name"):
            widgets.register(Widget(bad))  # type: ignore[arg-type]
    assert widgets.names() == []


def test_the_check_function_rejects_a_bad_plugin():
    widgets = Registry("widget", check=must_be_widget)
    with pytest.raises(TypeError, match="is not a Widget"):
        widgets.register("a string named nothing")  # type: ignore[arg-type]
    assert widgets.names() == []


def test_temporarily_registers_for_the_block_and_restores_after(plugins):
    widgets = Registry("widget")
    kept = widgets.register(Widget("kept"))
    plugins("lazy_kept", "OBJ = Widget('lazy')\n")
    widgets.add_lazy("lazy", "lazy_kept:OBJ")
    with widgets.temporarily(Widget("extra"), Widget("more")):
        assert widgets.names() == ["extra", "kept", "lazy", "more"]
        widgets.get("lazy")  # resolving a lazy entry inside the block
        widgets.register(Widget("late"))
    assert widgets.names() == ["kept", "lazy"]
    assert widgets.origin("lazy") == "builtin" and widgets.origin("late") == "unknown"
    assert repr(widgets).endswith("1 loaded, 1 lazy)")  # lazy again, as before the block
    with pytest.raises(RuntimeError), widgets.temporarily(Widget("boom")):
        raise RuntimeError("a failing test")
    assert widgets.names() == ["kept", "lazy"] and widgets.get("kept") is kept


def test_temporarily_refuses_a_taken_name_and_still_restores():
    widgets = Registry("widget")
    widgets.register(Widget("a"))
    with pytest.raises(TypeError, match="taken"), widgets.temporarily(Widget("b"), Widget("a")):
        pass
    assert widgets.names() == ["a"]


def test_lazy_entries_are_imported_only_on_use(plugins):
    plugins(
        "lazy_widget",
        "THING = Widget('thing')\n",
    )
    widgets = Registry("widget", check=must_be_widget)
    widgets.add_lazy("thing", "lazy_widget:THING")
    assert widgets.names() == ["thing"] and "thing" in widgets and len(widgets) == 1
    assert list(widgets) == ["thing"] and widgets.origin("thing") == "builtin"
    assert "1 lazy" in repr(widgets)
    assert plugins.kit.imported == []  # listing, membership and origin import nothing
    thing = widgets.get("thing")
    assert plugins.kit.imported == ["lazy_widget"] and thing.name == "thing"
    assert widgets.get("thing") is thing and widgets.origin("thing") == "builtin"  # still
    assert plugins.kit.imported == ["lazy_widget"]  # imported once


def test_add_lazy_does_not_shadow_a_registered_object():
    widgets = Registry("widget")
    real = widgets.register(Widget("a"))
    widgets.add_lazy("a", "nowhere:Nothing")
    assert widgets.get("a") is real


def test_items_imports_every_lazy_entry(plugins):
    plugins(
        "two_widgets",
        """
        class Holder:
            FIRST = Widget('first')
        SECOND = Widget('second')
    """,
    )
    widgets = Registry("widget")
    widgets.add_lazy("first", "two_widgets:Holder.FIRST")  # a dotted attribute
    widgets.add_lazy("second", "two_widgets:SECOND")
    loaded = widgets.load_all()
    assert {name: w.name for name, w in loaded.items()} == {"first": "first", "second": "second"}
    assert list(loaded) == ["first", "second"]


def test_a_lazy_entry_that_cannot_load_is_one_line(plugins):
    plugins("half_widget", "X = 1\n")
    widgets = Registry("widget")
    widgets.add_lazy("gone", "no_such_module_anywhere:W", origin="entry point")
    widgets.add_lazy("missing", "half_widget:W")
    with pytest.raises(HarnessError, match=r"widget 'gone' \(entry point no_such_module_any"):
        widgets.get("gone")
    with pytest.raises(HarnessError, match=r"widget 'missing' .* cannot be loaded"):
        widgets.get("missing")


def test_a_lazy_entry_is_checked_and_must_carry_its_name(plugins):
    plugins(
        "odd_widgets",
        """
        RENAMED = Widget('other')
        NOT_A_WIDGET = object()
    """,
    )
    widgets = Registry("widget", check=must_be_widget)
    widgets.add_lazy("renamed", "odd_widgets:RENAMED")
    widgets.add_lazy("plain", "odd_widgets:NOT_A_WIDGET")
    with pytest.raises(TypeError, match="odd_widgets:RENAMED names itself 'other', not 'renamed'"):
        widgets.get("renamed")
    with pytest.raises(TypeError, match="is not a Widget"):
        widgets.get("plain")


def test_builtins_are_discovered_from_a_package_on_first_read(plugins):
    plugins(
        "shop.one",
        """
        class OwnWidget(Widget):
            pass
        plugin_kit.registry.register(OwnWidget('one'))
    """,
    )
    plugins(
        "shop.two",
        """
        plugin_kit.registry.register(Widget('two'))
    """,
    )
    plugins("shop._private", "raise RuntimeError('a private module is never imported')\n")
    registry = plugins.kit.registry = Registry("widget", discover="shop")
    assert plugins.kit.imported == []  # nothing imported at construction
    assert registry.names() == ["one", "two"]
    assert registry.origin("one") == "builtin"  # an object of a module of the package
    assert registry.origin("two") == "registered"  # a plain Widget, registered from there
    assert sorted(plugins.kit.imported) == ["shop.one", "shop.two"]
    registry.names()
    assert len(plugins.kit.imported) == 2  # discovered once


def test_entry_points_are_lazy_and_named_in_the_group(plugins, monkeypatch):
    plugins("third_party", "W = Widget('ext')\n")
    asked = []

    def entry_points(group):
        asked.append(group)
        return [EntryPoint("ext", "third_party:W", group)]

    monkeypatch.setattr(registry_module, "entry_points", entry_points)
    widgets = Registry("widget", group="acme.widgets")
    local = widgets.register(Widget("local"))
    assert widgets.names() == ["ext", "local"] and asked == ["acme.widgets"]
    assert widgets.origin("ext") == "entry point" and plugins.kit.imported == []
    assert widgets.get("ext").name == "ext" and plugins.kit.imported == ["third_party"]
    assert widgets.origin("ext") == "entry point"  # loaded, and still known by its origin
    assert widgets.get("local") is local and widgets.origin("local") == "registered"


def test_an_entry_point_does_not_replace_a_registered_name(monkeypatch):
    monkeypatch.setattr(
        registry_module,
        "entry_points",
        lambda group: [EntryPoint("a", "nowhere:Nothing", group)],
    )
    widgets = Registry("widget", group="acme.widgets")
    real = widgets.register(Widget("a"))
    assert widgets.get("a") is real and widgets.origin("a") == "registered"


def test_membership_is_for_names_only():
    widgets = Registry("widget")
    widget = widgets.register(Widget("a"))
    assert "a" in widgets and "b" not in widgets and widget not in widgets
    assert repr(widgets) == "Registry('widget', group=None, discover=None, 1 loaded, 0 lazy)"


def test_a_custom_name_function():
    widgets = Registry("tool", name_of=lambda tool: tool.__name__)
    widgets.register(len)
    assert widgets.get("len") is len
