"""What a validity judge is, how judges are built from a suite, and how their words combine.

A *finding* needs two things: the attacked RM scores the candidate above the reference
by the margin, and at least one judge calls it bad. A judge answers with a ``Judgement``
per candidate: bad (True), fine (False) or cannot tell (None), always with reasons. A
judge never asks the attacked RM.

A judge is a plugin (``JUDGES``, a ``harness.core.registry.Registry``). One module in this
package is one judge: it declares its ``name``, its typed ``Params`` (what a suite's
``[judges.NAME]`` table may set), which of those name reward-model checkpoints, and how
to build itself. The runner, ``rmh attack`` and the benchmark all build judges through
``build_judges``, so a new judge touches no other file.

Example (a new judge, in ``harness/judges/shouting.py``)::

    @register
    class ShoutingJudge(Judge):
        \"\"\"Calls all-caps text bad.\"\"\"
        name = "shouting"

        @dataclass(frozen=True)
        class Params:
            min_chars: int = 10

        def __init__(self, min_chars: int = 10) -> None:
            self.min_chars = min_chars

        @classmethod
        def create(cls, params, load):
            return cls(params.min_chars)

        def judge(self, prompt, reference, candidates):
            return [Judgement(self.name, len(c) >= self.min_chars and c.isupper(),
                              ("all caps",)) for c in candidates]
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from harness.core.data import PreferencePair
from harness.core.params import build_params
from harness.core.registry import Registry
from harness.scoring import Scorer

#: Loads a reward model by checkpoint spec and returns a scorer over it (cached by the caller).
ModelLoader = Callable[[str], Scorer]


@dataclass(frozen=True)
class Judgement:
    """One judge's word on one candidate: bad (True), fine (False) or undecided (None).

    ``measure`` is the judge's own number for the candidate, where it has one (the fluency
    judge's relative NLL, a gold RM's margin over the reference), whatever it decided: a
    finding shows every judge's measure, those of the judges that called it fine too.
    """

    judge: str
    bad: bool | None
    reasons: tuple[str, ...] = ()
    measure: float | None = None

    @classmethod
    def construction(cls, template: str) -> Judgement:
        """A template attack's own word that its output is degenerate by design."""
        return cls("construction", True, (f"degenerate by construction ({template})",))


@dataclass(frozen=True)
class JudgeSpec:
    """A judge as a suite names it: registry name and parameters (picklable, loggable)."""

    name: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JudgeSpec:
        return cls(data["name"], dict(data.get("params", {})))


class Judge(ABC):
    """Decides whether candidate responses to one prompt are bad.

    Class attributes:
        name: registry name (``[judges.NAME]`` in a suite).
        Params: frozen dataclass of the parameters a suite may set, with defaults.
        checkpoint_params: the names of ``Params`` fields that hold checkpoint specs (a
            string or a list of strings); the runner resolves them (``demo``, relative
            paths) before building, and checks that none is the attacked model.
    The one-line description is the first line of the class docstring.
    """

    name: ClassVar[str] = "judge"
    checkpoint_params: ClassVar[tuple[str, ...]] = ()

    @dataclass(frozen=True)
    class Params:
        pass

    @classmethod
    def create(cls, params: Any, load: ModelLoader) -> Judge:
        """Build the judge from checked parameters; ``load`` gives scorers over checkpoints."""
        return cls()

    @classmethod
    def description(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""

    @abstractmethod
    def judge(self, prompt: str, reference: str, candidates: Sequence[str]) -> list[Judgement]:
        """One judgement per candidate, in order."""

    def rm_scorers(self) -> Sequence[Scorer]:
        """The reward models this judge asks (none for text rules); must not be the attacked one."""
        return ()

    def calibrate(self, pairs: Sequence[PreferencePair]) -> dict[str, Any]:
        """Parameters to fix for a whole run from the suite's clean pairs (e.g. a margin).

        Called once when a run starts; the returned values replace the judge's
        parameters in the run's record, so a resumed run judges exactly as before.
        """
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def _check(cls: type[Judge]) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Judge)):
        raise TypeError(f"{cls!r} is not a Judge subclass")
    if not (dataclasses.is_dataclass(cls.Params) and isinstance(cls.Params, type)):
        raise TypeError(f"{cls.__name__}.Params must be a dataclass")


JUDGES: Registry[type[Judge]] = Registry(
    "judge", group="rm_harness.judges", discover="harness.judges", check=_check
)
register = JUDGES.register


def check_spec(spec: JudgeSpec) -> Any:
    """The spec's checked ``Params`` instance; unknown judges and parameters are one line."""
    cls = JUDGES.get(spec.name)
    return build_params(cls.Params, dict(spec.params), f"judge {spec.name!r}")


def build_judges(specs: Sequence[JudgeSpec], load: ModelLoader) -> list[Judge]:
    """Every judge of ``specs``, in order, built through the registry."""
    return [JUDGES.get(spec.name).create(check_spec(spec), load) for spec in specs]


def calibrate_judges(
    specs: Sequence[JudgeSpec], judges: Sequence[Judge], pairs: Sequence[PreferencePair]
) -> tuple[JudgeSpec, ...]:
    """The specs with every ``"calibrate"`` parameter fixed from the clean ``pairs``.

    ``judges`` are the judges built from ``specs`` (same order); each one asked to calibrate
    updates itself and returns the values, which replace "calibrate" in its spec, so that
    a run records them and a resumed run judges exactly as before.
    """
    calibrated = []
    for spec, judge in zip(specs, judges, strict=True):
        if needs_calibration(spec):
            spec = JudgeSpec(spec.name, {**spec.params, **judge.calibrate(pairs)})
        calibrated.append(spec)
    return tuple(calibrated)


def needs_calibration(spec: JudgeSpec) -> bool:
    """Whether any parameter, given or defaulted, is ``"calibrate"``."""
    params = check_spec(spec)
    return any(getattr(params, f.name) == "calibrate" for f in dataclasses.fields(params))


def resolve_checkpoints(spec: JudgeSpec, resolve: Callable[[str], str]) -> JudgeSpec:
    """The spec with every checkpoint parameter passed through ``resolve``."""
    cls = JUDGES.get(spec.name)
    params = dict(spec.params)
    for key in cls.checkpoint_params:
        value = params.get(key)
        if isinstance(value, str):
            params[key] = resolve(value)
        elif isinstance(value, (list, tuple)):
            params[key] = [resolve(v) for v in value]
    return JudgeSpec(spec.name, params)


def combine(judgements: Sequence[Judgement]) -> tuple[bool, tuple[str, ...]]:
    """A candidate is bad when any judge says bad; the reasons of those judges are kept."""
    bad = [j for j in judgements if j.bad]
    return bool(bad), tuple(f"{j.judge}: {r}" for j in bad for r in j.reasons)


def measures_of(judgements: Sequence[Judgement]) -> dict[str, float]:
    """Every judge's measure, by judge name, whatever it decided (fine and undecided too)."""
    return {j.judge: float(j.measure) for j in judgements if j.measure is not None}


@dataclass(frozen=True)
class Verdict:
    """Every judge's word on one candidate, combined (``combine``) with their measures."""

    bad: bool
    reasons: tuple[str, ...]
    measures: Mapping[str, float] = dataclasses.field(default_factory=dict)


def judge_verdicts(
    judges: Sequence[Judge],
    prompt: str,
    reference: str,
    candidates: Sequence[str],
    *,
    construction: str | None = None,
) -> list[Verdict]:
    """Every judge on every candidate, combined: one ``Verdict`` per candidate, in order.

    ``construction`` adds the attack's own "degenerate by construction" judgement.
    """
    if not candidates:
        return []
    per_judge = [judge.judge(prompt, reference, candidates) for judge in judges]
    verdicts = []
    for index in range(len(candidates)):
        judgements = [of_judge[index] for of_judge in per_judge]
        if construction:
            judgements.append(Judgement.construction(construction))
        bad, reasons = combine(judgements)
        verdicts.append(Verdict(bad, reasons, measures_of(judgements)))
    return verdicts


def judge_candidates(
    judges: Sequence[Judge],
    prompt: str,
    reference: str,
    candidates: Sequence[str],
    *,
    construction: str | None = None,
) -> list[tuple[bool, tuple[str, ...]]]:
    """``judge_verdicts`` without the measures: (bad, reasons) per candidate, in order."""
    verdicts = judge_verdicts(judges, prompt, reference, candidates, construction=construction)
    return [(v.bad, v.reasons) for v in verdicts]
