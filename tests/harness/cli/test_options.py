"""Options generated from config dataclasses: every field is an option, with its default.

These fail when a field is added to ``LoadOptions``, ``ExecutorOptions`` or ``RunOptions`` without
becoming an option of the verbs that take it, or with a default the CLI does not share.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import click
import pytest

from harness.cli import cli
from harness.cli.options import (
    GeneratedOptionsCommand,
    cli_fields,
    dataclass_from_kwargs,
    dataclass_options,
    load_options_from,
    options_for,
)
from harness.models import HttpOptions, LoadOptions
from harness.runlog import REPLAY_MODES
from harness.runner import ExecutorOptions, RunOptions

LOADING_VERBS = ("info", "score", "attack", "run")
# Not an option on purpose: a two-label head's other label follows --good-label; ``http``
# is a dataclass of its own (HttpOptions), whose fields are the options (checked below).
DERIVED_LOAD_FIELDS = {"bad_label", "http"}


def _params(verb: str) -> dict[str, click.Parameter]:
    command = cli.commands[verb]
    with click.Context(command, info_name=verb) as ctx:
        return {p.name: p for p in command.get_params(ctx)}


def _parse(verb: str, *argv: str) -> dict[str, Any]:
    return cli.commands[verb].make_context(verb, list(argv)).params


def test_only_the_derived_load_field_is_not_an_option():
    not_options = {f.name for f in dataclasses.fields(LoadOptions)} - {
        f.name for f in cli_fields(LoadOptions)
    }
    assert not_options == DERIVED_LOAD_FIELDS


@pytest.mark.parametrize("verb", LOADING_VERBS)
def test_every_load_option_field_is_an_option_with_its_default(rmh, verb):
    params = _params(verb)
    _, help_text, _ = rmh(verb, "--help")
    for field in dataclasses.fields(LoadOptions):
        if field.name in DERIVED_LOAD_FIELDS:
            assert field.name not in params
            continue
        option = params.get(field.name)
        assert option is not None, f"LoadOptions.{field.name} is no option of rmh {verb}"
        assert option.default == field.default, (verb, field.name)
        assert option.help == field.metadata["help"], (verb, field.name)
        name = field.metadata.get("option", field.name.replace("_", "-"))
        assert f"--{name}" in option.opts and f"--{name}" in help_text


@pytest.mark.parametrize("verb", LOADING_VERBS)
def test_every_http_option_field_is_an_option_with_its_default(rmh, verb):
    params = _params(verb)
    _, help_text, _ = rmh(verb, "--help")
    for field in dataclasses.fields(HttpOptions):
        option = params.get(field.name)
        assert option is not None, f"HttpOptions.{field.name} is no option of rmh {verb}"
        assert option.default == field.default, (verb, field.name)
        assert option.help == field.metadata["help"], (verb, field.name)
        assert f"--{field.name.replace('_', '-')}" in help_text


def test_http_options_given_reach_the_dataclass_and_header_repeats():
    kwargs = dict(
        _parse(
            "info",
            "http://rm:8000",
            "--protocol",
            "template",
            "--header",
            "X-A:1",
            "--header",
            "X-B: two",
            "--api-key-env",
            "RM_KEY",
            "--max-batch",
            "8",
            "--timeout",
            "2.5",
        )
    )
    http = load_options_from(kwargs).http
    assert http == HttpOptions(
        protocol="template",
        header=("X-A:1", "X-B: two"),
        api_key_env="RM_KEY",
        max_batch=8,
        timeout=2.5,
    )
    assert http.header_pairs() == [("X-A", "1"), ("X-B", "two")]


def test_run_has_every_executor_option_with_its_default():
    params = _params("run")
    for field in dataclasses.fields(ExecutorOptions):
        option = params.get(field.name)
        assert option is not None, f"ExecutorOptions.{field.name} is no option of rmh run"
        assert option.default == field.default
        assert option.opts == [f"--{field.metadata.get('option', field.name.replace('_', '-'))}"]


def test_run_has_every_run_option_with_its_default():
    params = _params("run")
    for field in dataclasses.fields(RunOptions):
        option = params.get(field.name)
        assert option is not None, f"RunOptions.{field.name} is no option of rmh run"
        assert option.default == field.default
        assert option.opts == [f"--{field.name.replace('_', '-')}"]
    assert list(params["replay"].type.choices) == list(REPLAY_MODES)


def test_run_options_given_reach_run_options():
    argv = ["--store", "s.db", "--store-timeout", "5", "--batch-size", "8", "--replay", "all"]
    kwargs = dict(_parse("run", "ckpt", *argv))
    assert dataclass_from_kwargs(RunOptions, kwargs) == RunOptions(
        store="s.db", store_timeout=5.0, batch_size=8, replay="all"
    )


REQUIRED_ARGS = {
    "info": ["ckpt"],
    "score": ["ckpt", "--data", "d.jsonl"],
    "attack": ["ckpt", "--attack", "beam"],
    "run": ["ckpt"],
}


@pytest.mark.parametrize("verb", LOADING_VERBS)
def test_no_load_options_given_builds_the_default_load_options(verb):
    kwargs = dict(_parse(verb, *REQUIRED_ARGS[verb]))
    assert load_options_from(kwargs) == LoadOptions()
    assert not set(kwargs) & {f.name for f in dataclasses.fields(LoadOptions)}


def test_options_given_reach_the_dataclasses():
    kwargs = dict(
        _parse(
            "run",
            "ckpt",
            "--good-label",
            "0",
            "--format",
            "pair",
            "--allow-pickle",
            "--executor",
            "ray",
            "--ray-address",
            "auto",
            "--workers",
            "2",
        )
    )
    assert load_options_from(kwargs) == LoadOptions(
        allow_pickle=True, format="pair", good_label=0, bad_label=1
    )
    assert dataclass_from_kwargs(ExecutorOptions, kwargs) == ExecutorOptions(
        name="ray", address="auto", workers=2
    )


# ------------------------------------------------------------ the generator itself
@dataclasses.dataclass(frozen=True)
class Example:
    flag: bool = dataclasses.field(default=False, metadata={"help": "a flag"})
    on: bool = True
    count: int = dataclasses.field(default=3, metadata={"min": 1})
    ratio: float | None = None
    where: str | None = dataclasses.field(default=None, metadata={"path": True})
    mode: str = dataclasses.field(
        default="a", metadata={"choices": ("a", "b"), "option": "the-mode"}
    )
    shape: Literal["round", "square"] = "round"
    hidden: int = dataclasses.field(default=0, metadata={"cli": False})


def test_types_come_from_annotations_and_metadata():
    options = {o.name: o for o in options_for(Example)}
    assert set(options) == {"flag", "on", "count", "ratio", "where", "mode", "shape"}
    assert options["flag"].is_flag and options["flag"].opts == ["--flag"]
    assert options["flag"].help == "a flag"
    assert options["on"].is_flag and options["on"].secondary_opts == ["--no-on"]
    assert isinstance(options["count"].type, click.IntRange) and options["count"].type.min == 1
    assert options["ratio"].type is click.FLOAT and options["ratio"].default is None
    assert isinstance(options["where"].type, click.Path)
    assert options["mode"].opts == ["--the-mode"]
    assert list(options["mode"].type.choices) == ["a", "b"]
    assert list(options["shape"].type.choices) == ["round", "square"]  # from the Literal


def test_a_command_round_trips_a_dataclass():
    @click.command(cls=GeneratedOptionsCommand)
    @dataclass_options(lambda: Example)
    def command(**kw: Any) -> None:
        seen.append(dataclass_from_kwargs(Example, kw, hidden=7))
        assert not kw

    seen: list[Example] = []
    command.main(["--flag", "--no-on", "--count", "2", "--the-mode", "b"], standalone_mode=False)
    assert seen == [Example(flag=True, on=False, count=2, mode="b", hidden=7)]
    with pytest.raises(click.BadParameter):
        command.main(["--count", "0"], standalone_mode=False)


def test_unsupported_types_and_missing_defaults_fail_loudly():
    @dataclasses.dataclass
    class Listy:
        items: list[str] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass
    class Dicty:
        mapping: dict[str, int] | None = None

    with pytest.raises(TypeError, match="needs a default"):
        options_for(Listy)
    with pytest.raises(TypeError, match="no command-line type"):
        options_for(Dicty)


def test_two_dataclasses_filling_one_name_are_refused():
    @click.command(name="clash", cls=GeneratedOptionsCommand)
    @dataclass_options(lambda: Example)
    @click.option("--count", type=int, default=1)
    def command(**kw: Any) -> None:
        pass

    with pytest.raises(RuntimeError, match="two options fill count"):
        command.main(["--help"], standalone_mode=False)
