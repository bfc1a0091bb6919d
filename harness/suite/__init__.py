"""Attack suites: a TOML file that says what to attack with, on which prompts, judged how.

A suite names the prompt/reference data, the attacks with their parameters and query
budgets, the judges and the finding margin, and the seed and replicate count. It is
validated on load; an error names the key, the line and the allowed values::

    suite standard.toml line 14: attacks[2].budget: Input should be greater than 0

The project ships ``quick`` (smoke runs and CI) and ``standard`` (every family, CPU-sized
budgets); ``rmh suites list`` and ``rmh suites show NAME`` print them.

Example::

    name = "mine"
    seed = 0
    replicates = 1
    margin = 0.0
    keep = 16                   # findings kept per attempt: the best, then the most different

    [data]
    source = "prefs.jsonl"      # or "demo:heldout"; relative paths are from this file
    sample = 20                 # distinct prompts drawn (seeded); omit for all

    [judges.heuristic]          # on unless "heuristic = false"; thresholds may be set here
    [judges.gold-rm]            # any registered judge (rmh judges list), with its params
    checkpoint = "gold-ckpt/"   # or "demo"
    margin = "calibrate"        # or a number; "calibrate" is fixed once when a run starts

    [validation]                # the judges measured on the bundled labelled set
    enabled = true              # at the start (off unless set; on in the builtins)

    [[attacks]]
    name = "gcg"
    budget = 2000
    params = { length = 16 }

A suite with ``seed_from = "library"`` (top level, beside ``seed``) starts its seedable
searches (random-search, greedy-coordinate, beam, genetic, gcg) from the store's exploits
that were found on prompts other than the ones it attacks, ``library_seeds = 16`` of them
per attempt, ranked by how many prompts each beat (``harness.store.seeds``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.core.data import PreferencePair, read_pairs
from harness.core.errors import HarnessError
from harness.core.finding import DEFAULT_KEEP
from harness.core.toml_config import parse_toml_model, where
from harness.judges import JudgeSpec, check_spec

BUILTIN_DIR = Path(__file__).parent / "builtin"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class DataConfig(_Strict):
    source: str = Field(min_length=1)
    sample: int | None = Field(default=None, gt=0)


#: The flat ``[judges]`` keys of the first suite format, as (judge, parameter).
LEGACY_JUDGE_KEYS = {
    "gold": ("gold-rm", "checkpoint"),
    "gold_margin": ("gold-rm", "margin"),
    "ensemble": ("ensemble", "checkpoints"),
    "ensemble_quorum": ("ensemble", "quorum"),
}


class InstabilityConfig(_Strict):
    enabled: bool = True
    pairs: int = Field(default=50, gt=0)
    perturbations: list[str] = Field(default_factory=list)


class ValidationConfig(_Strict):
    """``[validation]``: measure the run's judges on the bundled labelled set when it starts.

    The rates (recall per bad kind, false positives on real jokes, precision) go into the
    run log and the report's judges section. Judges that read a causal LM per text
    (``fluency``, ~6 texts/s on 2 CPU cores: minutes over the set's 1,239 rows) are left
    out unless named in ``include_slow``. ``pairs`` measures on a seeded sample of the
    set's (prompt, joke) pairs (each with all its rows), for a suite that must stay fast.
    """

    enabled: bool = False
    include_slow: list[str] = Field(default_factory=list)
    # (prompt, joke) pairs of the set to measure on, drawn with the suite's seed, each
    # with all seven of its rows; omit for all 177 (1,239 rows)
    pairs: int | None = Field(default=None, gt=0)


class AttackConfig(_Strict):
    name: str
    budget: int = Field(gt=0)
    params: dict[str, Any] = Field(default_factory=dict)
    label: str | None = None
    optional: bool = False  # skipped (and logged) when its extra is not installed

    @property
    def id(self) -> str:
        """Unique within a suite: the label, else the attack name."""
        return self.label or self.name


class SuiteConfig(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    seed: int = 0
    replicates: int = Field(default=1, gt=0)
    margin: float = Field(default=0.0, ge=0)
    # Findings an attempt keeps (attacks.base.keep_diverse): near-duplicates are one trick.
    keep: int = Field(default=DEFAULT_KEEP, gt=0)
    data: DataConfig
    judges: dict[str, Any] = Field(default_factory=dict)
    instability: InstabilityConfig = InstabilityConfig(enabled=False)
    validation: ValidationConfig = ValidationConfig()
    # "library": seedable searches start from the store's exploits found on other prompts
    # (harness.store.seeds), ``library_seeds`` of them per attempt; unset: from scratch.
    seed_from: Literal["library"] | None = None
    library_seeds: int = Field(default=16, gt=0)
    attacks: list[AttackConfig] = Field(min_length=1)


@dataclass(frozen=True)
class Suite:
    """A validated suite: the config, where it came from and its exact text."""

    config: SuiteConfig
    text: str
    origin: str  # builtin name or file path
    base_dir: Path | None  # relative data paths resolve here (None: builtin)

    @property
    def name(self) -> str:
        return self.config.name

    def judge_specs(self) -> list[JudgeSpec]:
        """The suite's judges in order (checked when the suite was parsed)."""
        return judge_specs(self.config.judges, self.text, self.origin)

    def pairs(self) -> list[PreferencePair]:
        """Every preference pair of the suite's data (clean accuracy uses them all)."""
        source = self.config.data.source
        if source.startswith("demo:"):
            from harness.demo import build

            loaders = {"demo:heldout": build.heldout_pairs, "demo:train": build.train_pairs}
            if source not in loaders:
                raise HarnessError(
                    f"suite {self.origin}: data.source {source!r} is unknown; "
                    f"use one of {', '.join(loaders)} or a JSONL path"
                )
            return loaders[source]()
        path = Path(source)
        if not path.is_absolute() and self.base_dir is not None:
            path = self.base_dir / path
        return read_pairs(path)

    def prompts(self, pairs: list[PreferencePair] | None = None) -> list[PreferencePair]:
        """The attacked prompts: one pair per distinct prompt, seeded sample, file order."""
        pairs = self.pairs() if pairs is None else pairs
        distinct: dict[str, PreferencePair] = {}
        for pair in pairs:
            distinct.setdefault(pair.prompt, pair)
        chosen = list(distinct.values())
        sample = self.config.data.sample
        if sample is not None and sample < len(chosen):
            keep = set(random.Random(self.config.seed).sample(range(len(chosen)), sample))
            chosen = [p for i, p in enumerate(chosen) if i in keep]
        return chosen


def builtin_suites() -> dict[str, Path]:
    return {p.stem: p for p in sorted(BUILTIN_DIR.glob("*.toml"))}


def resolve_suite(name_or_path: str) -> Suite:
    """A builtin suite by name, or a suite file by path."""
    builtins = builtin_suites()
    if name_or_path in builtins:
        path = builtins[name_or_path]
        return parse_suite(path.read_text(encoding="utf-8"), origin=name_or_path, base_dir=None)
    path = Path(name_or_path)
    if not path.is_file():
        raise HarnessError(
            f"no suite {name_or_path!r}: not a builtin ({', '.join(builtins)}) and not a file"
        )
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM is harmless
    except (OSError, UnicodeDecodeError) as exc:
        raise HarnessError(f"cannot read suite {path}: {exc}") from None
    return parse_suite(text, origin=str(path), base_dir=path.parent)


def parse_suite(text: str, *, origin: str, base_dir: Path | None) -> Suite:
    """Parse and validate suite TOML; every error is one line naming key and line."""
    config, raw = parse_toml_model(text, SuiteConfig, f"suite {origin}")
    if "library_seeds" in raw and config.seed_from is None:
        raise HarnessError(
            f"{_where(text, origin, ('library_seeds',))}: library_seeds needs "
            'seed_from = "library" (without it nothing is seeded)'
        )
    _check_attacks(config, text, origin)
    judge_specs(config.judges, text, origin)
    return Suite(config, text, origin, base_dir)


def judge_specs(table: dict[str, Any], text: str, origin: str) -> list[JudgeSpec]:
    """``[judges]`` as judge specs: ``[judges.NAME]`` tables, ``NAME = true|false``, and the
    first format's flat keys (``gold``, ``gold_margin``, ``ensemble``, ``ensemble_quorum``).

    The heuristic judge is on unless ``heuristic = false``, as it always was.
    """
    params: dict[str, dict[str, Any]] = {"heuristic": {}}
    legacy: dict[str, dict[str, Any]] = {}
    for key, value in table.items():
        if key in LEGACY_JUDGE_KEYS and not isinstance(value, dict):
            name, param = LEGACY_JUDGE_KEYS[key]
            if key == "gold" and value == "demo":
                value = "gold-demo"  # the first format's "demo" gold was the demo's gold RM
            legacy.setdefault(name, {})[param] = value
        elif value is False:
            params.pop(key, None)
        elif value is True or isinstance(value, dict):
            params.setdefault(key, {}).update(value if isinstance(value, dict) else {})
        else:
            raise HarnessError(
                f"{_where(text, origin, ('judges', key))}: judges.{key} must be a table of "
                "parameters, or true/false"
            )
    # The first format's defaults, a lone "gold_margin" or "ensemble = []", add no judge.
    if legacy.get("gold-rm", {}).get("checkpoint"):
        params.setdefault("gold-rm", {}).update(legacy["gold-rm"])
    if legacy.get("ensemble", {}).get("checkpoints"):
        params.setdefault("ensemble", {}).update(legacy["ensemble"])
    specs = [JudgeSpec(name, values) for name, values in params.items()]
    for spec in specs:
        try:
            check_spec(spec)
        except HarnessError as exc:
            raise HarnessError(f"{_where(text, origin, ('judges', spec.name))}: {exc}") from None
    return specs


def _where(text: str, origin: str, loc: tuple[object, ...]) -> str:
    return where(text, f"suite {origin}", loc)


def _check_attacks(config: SuiteConfig, text: str, origin: str) -> None:
    """Attack names exist, parameters match each attack's typed Params, ids are unique."""
    from attacks.registry import all_attacks, get_attack

    seen: set[str] = set()
    for index, entry in enumerate(config.attacks):
        where = _where(text, origin, ("attacks", index, "name"))
        if entry.name not in all_attacks():
            raise HarnessError(
                f"{where}: unknown attack {entry.name!r}; allowed: {', '.join(all_attacks())}"
            )
        if entry.id in seen:
            raise HarnessError(
                f"{where}: attack {entry.id!r} appears twice; give one a distinct label"
            )
        seen.add(entry.id)
        try:
            get_attack(entry.name)(**entry.params)
        except HarnessError as exc:
            where = _where(text, origin, ("attacks", index, "params"))
            raise HarnessError(f"{where}: {exc}") from None
    if config.instability.perturbations:
        from harness.core.perturb import PERTURBATIONS

        for name in config.instability.perturbations:
            if name not in PERTURBATIONS:
                raise HarnessError(
                    f"{_where(text, origin, ('instability', 'perturbations'))}: unknown "
                    f"perturbation {name!r}; allowed: {', '.join(PERTURBATIONS)}"
                )
