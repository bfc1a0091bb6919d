"""The suite each round runs: the experiment's suite, on its prompts, with the round's seed.

Every run of the experiment attacks the same prompts (the attack and evaluation prompts,
written once to the experiment folder) with the same attacks and the same judges; only
the seed changes from round to round (new attacks each round, issue 12). So a round's
suite is the given suite with these things replaced:

- ``[data]``: the experiment's prompt file, every prompt (no ``sample``);
- ``seed``: the round's seed;
- ``[judges]``: for rounds after the first, the judges as round 0 calibrated them, so a
  finding is judged by the same numbers in every round whatever a later calibration
  would say;
- the budgets of the trained families' attacks, when the experiment calibrated them
  before round 0 (``calibrate.py``): the same budgets in every round and arm. Without
  them the suite's budgets stand, and the text is exactly the uncalibrated one.

The runner records a suite as its TOML text (a resumed run parses the text again), so
the round's suite is written out as TOML here: the suite's validated config, rendered.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.judges import JudgeSpec
from harness.suite import Suite, parse_suite

__all__ = ["round_suite", "toml_value"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    # JSON string escapes are TOML basic-string escapes; DEL must be escaped in TOML too.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: Any) -> str:
    """One TOML value: strings, booleans, numbers, arrays and inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def _table(lines: list[str], header: str, values: Mapping[str, Any]) -> None:
    lines += ["", header]
    lines += [f"{_key(k)} = {toml_value(v)}" for k, v in values.items() if v is not None]


def round_suite(
    suite: Suite,
    *,
    source: Path,
    seed: int,
    judges: Sequence[JudgeSpec] | None = None,
    budgets: Mapping[str, int] | None = None,
    label: str,
) -> Suite:
    """``suite`` on the prompt file ``source`` (absolute) with ``seed`` (and ``judges``,
    and ``budgets``: attack id -> budget, for the attacks it names).

    ``label`` names the round in the suite's origin ("round 2, findings").
    """
    cfg = suite.config
    specs = list(judges) if judges is not None else suite.judge_specs()
    budgets = dict(budgets or {})
    lines = [f"# {cfg.name}, as the whack-a-mole experiment runs it ({label})"]
    if budgets:
        lines.append(f"# budgets calibrated before round 0: {toml_value(budgets)}")
    lines += [
        f"{key} = {toml_value(value)}"
        for key, value in (
            ("name", cfg.name),
            ("description", cfg.description),
            ("seed", seed),
            ("replicates", cfg.replicates),
            ("margin", cfg.margin),
            ("keep", cfg.keep),
        )
    ]
    _table(lines, "[data]", {"source": str(Path(source).resolve())})
    if all(spec.name != "heuristic" for spec in specs):
        lines += ["", "[judges]", "heuristic = false"]
    for spec in specs:
        _table(lines, f"[judges.{_key(spec.name)}]", dict(spec.params))
    _table(lines, "[instability]", cfg.instability.model_dump())
    for attack in cfg.attacks:
        values = attack.model_dump()
        values["budget"] = budgets.get(attack.id, attack.budget)
        if not values["params"]:
            del values["params"]
        _table(lines, "[[attacks]]", values)
    text = "\n".join(lines) + "\n"
    return parse_suite(text, origin=f"{suite.origin} ({label})", base_dir=None)
