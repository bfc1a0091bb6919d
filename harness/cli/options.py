"""Inputs shared by several verbs: options generated from config dataclasses, and small ones.

Why generate: ``LoadOptions`` (how to read a checkpoint), ``RunOptions`` (a run's store,
batch size and replay mode) and ``ExecutorOptions`` (where attacks run) are the real
configuration; the command line is one way to fill them in.
Re-typing each field as a click option let the two drift apart (a field added to the
dataclass silently had no option). So each field carries its CLI text in its metadata
and :func:`options_for` builds the options from it; :func:`dataclass_from_kwargs` builds
the dataclass back from what click parsed.

Field metadata understood here (all optional):

- ``help``: the option's help text.
- ``choices``: allowed string values (``click.Choice``); a ``Literal`` of strings is a
  choice of its values without it, so the values are written once, in the type.
- ``min``, ``max``: bounds of an int or float (``click.IntRange``/``click.FloatRange``).
- ``path``: True for a file or folder (``click.Path``, shown as PATH).
- ``option``: the option name when it is not the field name with ``-`` for ``_``.
- ``cli``: False for a field that is not an option (it must be derived by the caller).

A ``tuple[str, ...]`` field is a repeatable option (``--header A:1 --header B:2``).

Why deferred: the dataclasses live beside the code that uses them (``harness.models``
imports torch, ``harness.runner`` most of the harness), and importing them when the
commands are declared made ``rmh --help`` take seconds instead of a tenth of one.
:func:`dataclass_options` leaves a placeholder in the command's parameter list that
:class:`GeneratedOptionsCommand` turns into options the first time the command parses
its arguments or prints its help.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union

import click

from harness.core.batching import DEFAULT_BATCH_SIZE

if TYPE_CHECKING:
    from harness.models import LoadOptions, RewardModel
    from harness.runner.progress import Mode

F = TypeVar("F", bound=Callable[..., Any])


# ------------------------------------------------------------ dataclass -> options
def cli_fields(cls: type) -> list[dataclasses.Field[Any]]:
    """The fields of ``cls`` that are command-line options (all but ``cli: False``)."""
    return [f for f in dataclasses.fields(cls) if f.metadata.get("cli", True)]


def _strip_optional(hint: Any) -> Any:
    """``X | None`` -> ``X``; anything else unchanged."""
    if typing.get_origin(hint) in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def _click_type(cls: type, field: dataclasses.Field[Any], hint: Any) -> Any:
    meta = field.metadata
    bounds = {k: meta[k] for k in ("min", "max") if k in meta}
    literal = typing.get_args(hint) if typing.get_origin(hint) is Literal else ()
    if literal and all(isinstance(value, str) for value in literal):
        return click.Choice(list(literal))
    if hint is int:
        return click.IntRange(**bounds) if bounds else int
    if hint is float:
        return click.FloatRange(**bounds) if bounds else float
    if hint is str:
        if "choices" in meta:
            return click.Choice(list(meta["choices"]))
        return click.Path() if meta.get("path") else str
    raise TypeError(
        f"{cls.__name__}.{field.name}: no command-line type for {hint!r}; use bool, int, "
        "float, str or a Literal of strings (or X | None), or mark it metadata={'cli': False}"
    )


def options_for(cls: type) -> list[click.Option]:
    """One click option per field of the dataclass ``cls``, in field order.

    The type comes from the annotation (bool is a flag; int, float, str and ``X | None``
    take a value), the default from the field, the rest from the field's metadata. The
    keyword click passes to the command is the field name.
    """
    hints = typing.get_type_hints(cls)
    options = []
    for field in cli_fields(cls):
        if field.default is dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{field.name}: an option needs a default")
        name = field.metadata.get("option", field.name.replace("_", "-"))
        hint = _strip_optional(hints[field.name])
        help_text = field.metadata.get("help")
        if typing.get_origin(hint) is tuple and typing.get_args(hint) == (str, ...):
            options.append(
                click.Option(
                    [f"--{name}", field.name],
                    multiple=True,
                    default=field.default,
                    help=help_text,
                )
            )
            continue
        if hint is bool:
            decl = f"--{name}" if not field.default else f"--{name}/--no-{name}"
            options.append(
                click.Option(
                    [decl, field.name], is_flag=True, default=field.default, help=help_text
                )
            )
            continue
        options.append(
            click.Option(
                [f"--{name}", field.name],
                type=_click_type(cls, field, hint),
                default=field.default,
                show_default=True,
                help=help_text,
            )
        )
    return options


def dataclass_from_kwargs(cls: type, kwargs: dict[str, Any], **derived: Any) -> Any:
    """Pop the options of ``cls`` out of a command's keyword arguments and build it.

    ``derived`` gives the fields that are not options (``cli: False``).
    """
    values = {f.name: kwargs.pop(f.name) for f in cli_fields(cls)}
    return cls(**values, **derived)


@dataclasses.dataclass(frozen=True)
class _Deferred:
    """Stands in a command's parameter list for the options of a dataclass not yet imported."""

    source: Callable[[], type]


def dataclass_options(source: Callable[[], type]) -> Callable[[F], F]:
    """Decorator: the options of the dataclass ``source()`` returns, placed here in order.

    The command must be declared with ``cls=GeneratedOptionsCommand``.
    """

    def decorate(func: F) -> F:
        if not hasattr(func, "__click_params__"):
            func.__click_params__ = []  # type: ignore[attr-defined]
        func.__click_params__.append(_Deferred(source))  # type: ignore[attr-defined]
        return func

    return decorate


class GeneratedOptionsCommand(click.Command):
    """A command whose deferred dataclass options are built on first use."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if any(isinstance(p, _Deferred) for p in self.params):
            params: list[Any] = []
            for item in self.params:
                params.extend(options_for(item.source()) if isinstance(item, _Deferred) else [item])
            names = [p.name for p in params]
            clashes = sorted({n for n in names if names.count(n) > 1 and n is not None})
            if clashes:
                raise RuntimeError(f"rmh {self.name}: two options fill {', '.join(clashes)}")
            self.params = params
        return super().get_params(ctx)


# ------------------------------------------------------------ loading a reward model
def _load_options_class() -> type:
    from harness.models import LoadOptions

    return LoadOptions


def _http_options_class() -> type:
    from harness.models import HttpOptions

    return HttpOptions


#: ``--batch-size`` of the verbs that score (``rmh run`` has it among its ``RunOptions``).
batch_size_option = click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Rows per forward pass when scoring.",
)


def checkpoint_options(func: F) -> F:
    """Options of reading a checkpoint: ``LoadOptions``, then batch size (``rmh serve``)."""
    return dataclass_options(_load_options_class)(batch_size_option(func))


def loading_options(func: F) -> F:
    """How to load a reward model: ``LoadOptions``, then the HTTP endpoint's
    ``HttpOptions`` (a checkpoint may be an ``http://`` URL)."""
    with_http = dataclass_options(_http_options_class)(func)
    return dataclass_options(_load_options_class)(with_http)


def model_options(func: F) -> F:
    """Options of every command that loads and scores a reward model: ``loading_options``,
    then batch size."""
    return loading_options(batch_size_option(func))


def load_options_from(kwargs: dict[str, Any]) -> LoadOptions:
    """Pop the ``LoadOptions`` (and, when the command has them, ``HttpOptions``) fields out
    of a command's keyword arguments.

    ``bad_label`` is no option of its own: a two-label head has one other label.
    """
    from harness.models import HttpOptions, LoadOptions

    good_label = kwargs["good_label"]
    http_fields = {f.name for f in cli_fields(HttpOptions)}
    http = (
        dataclass_from_kwargs(HttpOptions, kwargs)
        if http_fields <= kwargs.keys()
        else HttpOptions()
    )
    return dataclass_from_kwargs(LoadOptions, kwargs, bad_label=1 - good_label, http=http)


def load_model(checkpoint: str, options: LoadOptions) -> RewardModel:
    """Load a reward model, telling the user (on stderr) when its tokenizer was patched.

    ``demo`` and ``gold-demo`` name the demo reward models (built once, then cached), for
    every verb that takes a checkpoint; an ``http://`` or ``https://`` URL a served one.
    """
    from harness.demo.build import resolve_checkpoint
    from harness.models import load_reward_model

    model = load_reward_model(resolve_checkpoint(checkpoint), options)
    note = getattr(model, "pad_note", None)
    if note:
        click.echo(f"note: {note}", err=True)
    return model


# ------------------------------------------------------------ small shared inputs
def progress_mode(quiet: bool) -> Mode:
    """Progress bar on a terminal, plain lines in a log file, nothing with --quiet."""
    if quiet:
        return "quiet"
    return "bar" if sys.stderr.isatty() else "lines"


def store_option(func: F) -> F:
    """``--store`` of the findings verbs (``rmh run`` has its own default, beside the run)."""
    return click.option(
        "--store",
        type=click.Path(),
        default="runs/findings.db",
        show_default=True,
        help="Findings store (SQLite).",
    )(func)


baseline_option = click.option(
    "--baseline",
    type=click.Path(),
    default=None,
    help="An earlier run folder to compare with: deltas per family, regressions flagged.",
)
policy_option = click.option(
    "--policy",
    type=click.Path(),
    default=None,
    help="Gate policy TOML (see gate.toml). Default: the built-in policy.",
)
suite_mismatch_option = click.option(
    "--allow-suite-mismatch",
    is_flag=True,
    help="Compare with a baseline that ran a different suite.",
)
