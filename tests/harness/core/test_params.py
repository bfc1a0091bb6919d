"""Typed plugin parameters: what a suite or the command line may give, and one-line errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from harness.core.errors import HarnessError
from harness.core.params import build_params

OWNER = "attack 'demo'"


@dataclass(frozen=True)
class Params:
    count: int = 3
    rate: float = 0.5
    flag: bool = False
    margin: float | Literal["calibrate"] = "calibrate"
    mode: Literal["fast", "slow"] = "fast"
    limit: int | None = None
    names: tuple[str, ...] = ()
    tags: list[str] = field(default_factory=list)
    extra: Any = None


@dataclass(frozen=True)
class Required:
    checkpoint: str
    others: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Empty:
    pass


def error(given: dict, params_cls: type = Params) -> str:
    with pytest.raises(HarnessError) as info:
        build_params(params_cls, given, OWNER)
    return str(info.value)


def test_defaults_and_given_values():
    assert build_params(Params, {}, OWNER) == Params()
    built = build_params(Params, {"count": 7, "flag": True, "tags": ["a"]}, OWNER)
    assert (built.count, built.flag, built.tags) == (7, True, ["a"])


def test_unions_take_any_of_their_members():
    assert build_params(Params, {"margin": 0.25}, OWNER).margin == 0.25
    assert build_params(Params, {"margin": "calibrate"}, OWNER).margin == "calibrate"
    assert build_params(Params, {"limit": None}, OWNER).limit is None
    assert build_params(Params, {"limit": 4}, OWNER).limit == 4
    assert error({"margin": "wide"}) == (
        "attack 'demo' parameter 'margin' must be float or 'calibrate', got str 'wide'"
    )
    assert error({"limit": "4"}) == (
        "attack 'demo' parameter 'limit' must be int or None, got str '4'"
    )


def test_literal_takes_only_its_values():
    assert build_params(Params, {"mode": "slow"}, OWNER).mode == "slow"
    assert error({"mode": "medium"}) == (
        "attack 'demo' parameter 'mode' must be 'fast' or 'slow', got str 'medium'"
    )


def test_a_list_is_taken_for_a_tuple():
    built = build_params(Params, {"names": ["a", "b"]}, OWNER)
    assert built.names == ("a", "b") and isinstance(built.names, tuple)
    assert build_params(Params, {"names": ("c",)}, OWNER).names == ("c",)
    assert error({"names": "ab"}) == ("attack 'demo' parameter 'names' must be tuple, got str 'ab'")


def test_an_int_is_taken_for_a_float_and_becomes_one():
    built = build_params(Params, {"rate": 1}, OWNER)
    assert built.rate == 1.0 and isinstance(built.rate, float)
    margin = build_params(Params, {"margin": 2}, OWNER).margin
    assert margin == 2.0 and isinstance(margin, float)
    assert error({"count": 1.5}) == "attack 'demo' parameter 'count' must be int, got float 1.5"


def test_a_bool_is_not_an_int_or_a_float():
    assert error({"count": True}) == "attack 'demo' parameter 'count' must be int, got bool True"
    assert error({"rate": False}).endswith("must be float, got bool False")
    assert error({"flag": 1}) == "attack 'demo' parameter 'flag' must be bool, got int 1"


def test_containers_are_checked_as_containers():
    assert error({"tags": "a"}) == "attack 'demo' parameter 'tags' must be list, got str 'a'"
    assert build_params(Params, {"extra": {"any": "thing"}}, OWNER).extra == {"any": "thing"}


def test_an_unknown_parameter_names_the_owner_and_the_parameters():
    assert error({"depth": 3, "zeta": 1}) == (
        "attack 'demo' has no parameter 'depth'; parameters: count, rate, flag, margin, mode, "
        "limit, names, tags, extra"
    )
    assert error({"depth": 3}, Empty) == "attack 'demo' has no parameter 'depth'; parameters: none"


def test_a_required_parameter_must_be_given():
    assert error({}, Required) == "attack 'demo' needs parameter 'checkpoint'"
    assert error({"others": []}, Required) == "attack 'demo' needs parameter 'checkpoint'"
    assert build_params(Required, {"checkpoint": "c/"}, OWNER) == Required("c/")
