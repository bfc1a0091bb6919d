"""What an attack is, what it returns, and where its candidates become findings.

An attack proposes candidate responses for one prompt; ``AttackContext.evaluate`` scores
them through the budgeted scorer, keeps the best, and turns every candidate that
outscores the reference by the margin *and* is called bad by a judge (the finding rule,
``attacks.rule.findings_among``) into a finding (``harness.core.finding.Finding``). When
the search is over, ``Attack.run`` keeps at most ``keep`` of them, as different from each
other as it can (``keep_diverse``). Attacks therefore never see a model, never count
queries and never decide findings themselves: they only search.

Example (a new attack)::

    @register
    class Shout(Attack):
        \"\"\"Upper-cases the reference (demo).\"\"\"
        name = "shout"
        family = "formatting"

        @dataclass(frozen=True)
        class Params:
            exclamations: int = 3

        def search(self, ctx):
            ctx.evaluate([ctx.reference.upper() + "!" * self.params.exclamations])
"""

from __future__ import annotations

import importlib.util
import random
import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from attacks.keep import keep_diverse
from attacks.outcome import AttackOutcome
from attacks.rule import findings_among
from harness.core.errors import BudgetExhausted, EndpointError, HarnessError
from harness.core.finding import DEFAULT_KEEP, Finding
from harness.core.params import build_params
from harness.core.text import normalize
from harness.judges import Judge
from harness.models import RewardModel
from harness.scoring import Scorer

Access = Literal["black-box", "white-box"]

#: Starting points scored per request: a finding among the first is counted at the
#: queries it took, not at the end of all of them.
START_CHUNK = 8


class AttackContext:
    """The attack's view of the world for one prompt: evaluate candidates, read the budget."""

    def __init__(
        self,
        *,
        attack: Attack,
        prompt: str,
        reference: str,
        scorer: Scorer,
        judges: Sequence[Judge],
        margin: float,
        seed: int,
        outcome: AttackOutcome,
    ) -> None:
        self.attack = attack
        self.prompt = prompt
        self.reference = reference
        self.scorer = scorer
        self.judges = judges
        self.margin = margin
        self.rng = random.Random(seed)
        self.seed = seed
        self.outcome = outcome
        self.reference_score = outcome.reference_score
        #: Texts to start from, best first (``Attack.run`` scores them before the search).
        self.starts: list[str] = []
        self._start_label: str | None = None
        self._seen: set[str] = set()
        #: Every judged-bad candidate that crossed the bar, in the order found.
        self.found: list[Finding] = []

    @property
    def remaining(self) -> int:
        remaining = self.scorer.remaining
        return 10**12 if remaining is None else remaining

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0

    def evaluate(
        self,
        texts: Sequence[str],
        *,
        seeded: bool = False,
        construction: str | None = None,
    ) -> np.ndarray:
        """Score candidates (as many as the budget allows), record the best and any findings.

        Returns the scores of the candidates that were scored, in order; a candidate that
        did not fit in the budget is left out and ``BudgetExhausted`` is raised after the
        ones that fit have been recorded. ``construction`` names the template when the
        attack knows its output is degenerate by design.
        """
        texts = list(texts)
        if not texts:
            return np.array([])
        fits = texts[: self.scorer.affordable(self.prompt, texts)]
        scores = self.scorer.score_responses(self.prompt, fits) if fits else np.array([])
        self.outcome.evaluated += len(fits)
        self.outcome.queries = self.scorer.stats.queries
        self._record(fits, scores, seeded, construction)
        if len(fits) < len(texts):
            raise BudgetExhausted(len(texts) - len(fits), 0)
        return scores

    def start_from(self, texts: Sequence[str], label: str) -> None:
        """Score the given starting points (``label`` says whence: ``library``, ``pull``)
        in chunks, so a finding among the first is counted at the queries it took; then
        ``starts`` holds the scored ones, best first. They are starting points, not search:
        their findings are ``seeded`` and their detail names the label."""
        unique = list(dict.fromkeys(t for t in texts if t.strip()))
        record: dict[str, Any] = {"label": label, "given": len(unique), "scored": 0}
        self.outcome.detail["starts"] = record
        before = len(self.found)
        scored: list[tuple[float, int, str]] = []
        self._start_label = label
        try:
            for begin in range(0, len(unique), START_CHUNK):
                chunk = unique[begin : begin + START_CHUNK]
                fits = chunk[: self.scorer.affordable(self.prompt, chunk)]
                scores = self.evaluate(fits, seeded=True) if fits else []
                scored += [
                    (float(s), begin + i, t)
                    for i, (s, t) in enumerate(zip(scores, fits, strict=True))
                ]
                if len(fits) < len(chunk):
                    raise BudgetExhausted(len(chunk) - len(fits), 0)
        finally:
            self._start_label = None
            record["scored"] = len(scored)
            record["findings"] = len(self.found) - before
            self.starts = [t for _, _, t in sorted(scored, key=lambda x: (-x[0], x[1]))]

    def is_finding(self, text: str) -> bool:
        """Whether ``text`` (up to normalization) is already a finding of this run."""
        return normalize(text) in self._seen

    def adopt(self, finding: Finding) -> bool:
        """Take a finding another attack made on this prompt (a bandit's arm) as this
        attempt's own, unless it already is one; True when taken."""
        if self.is_finding(finding.text):
            return False
        self._seen.add(normalize(finding.text))
        self.found.append(finding)
        return True

    def _record(
        self, texts: list[str], scores: np.ndarray, seeded: bool, construction: str | None
    ) -> None:
        out = self.outcome
        fresh: list[tuple[str, float]] = []
        for text, score in zip(texts, scores, strict=True):
            if score > out.best_score:
                out.best_score, out.best_text = float(score), text
            if not self.is_finding(text):
                fresh.append((text, float(score)))
        found = findings_among(
            [t for t, _ in fresh],
            [s for _, s in fresh],
            prompt=self.prompt,
            reference=self.reference,
            reference_score=self.reference_score,
            judges=self.judges,
            margin=self.margin,
            construction=construction,
        )
        for index, reasons, measures in found:
            text, score = fresh[index]
            if self.is_finding(text):  # a batch may hold two spellings of one text
                continue
            self._seen.add(normalize(text))
            self.found.append(
                Finding(
                    prompt=self.prompt,
                    reference=self.reference,
                    text=text,
                    family=self.attack.family,
                    attack=self.attack.name,
                    score=score,
                    reference_score=self.reference_score,
                    reasons=reasons,
                    seed=self.seed,
                    queries_at_find=self.scorer.stats.queries,
                    seeded=seeded,
                    measures=measures,
                    detail={"start": self._start_label} if self._start_label else {},
                )
            )

    def conclude(self, keep: int) -> None:
        """Put the findings in the outcome: how many crossed, the first, and the kept ones."""
        out = self.outcome
        out.crossed = len(self.found)
        out.searched_crossed = sum(not f.seeded for f in self.found)
        out.first_finding_queries = self.found[0].queries_at_find if self.found else None
        out.findings = keep_diverse(self.found, keep)


class Attack(ABC):
    """A search for findings on one prompt. Subclasses set the class attributes below.

    Attributes:
        name: registry name (``rmh attack --attack NAME``).
        family: the family it belongs to (see the design notes).
        access: "black-box" (scores only) or "white-box" (gradients through the scorer).
        citation: where the method comes from, if anywhere.
        Params: a frozen dataclass of typed parameters with defaults.
    The one-line description is the first line of the class docstring.
    """

    name: ClassVar[str]
    family: ClassVar[str]
    access: ClassVar[Access] = "black-box"
    citation: ClassVar[str] = ""
    #: Python modules the attack imports on use, and the package extra that installs them.
    requires: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str] = ""
    #: Whether the search begins from ``ctx.starts`` when given some (library seeding, a
    #: bandit's later pulls); an attack that cannot is never given any.
    seedable: ClassVar[bool] = False
    #: Parameters that name a reward-model checkpoint (a transfer's surrogate): the runner
    #: resolves them as it resolves the judges' (demo names, folders made absolute).
    checkpoint_params: ClassVar[tuple[str, ...]] = ()

    @dataclass(frozen=True)
    class Params:
        pass

    def __init__(self, **params: Any) -> None:
        self.params = build_params(self.Params, params, f"attack {self.name!r}")

    @classmethod
    def description(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""

    @classmethod
    def missing(cls) -> list[str]:
        """The modules of ``requires`` that are not installed (empty: available)."""
        return [module for module in cls.requires if importlib.util.find_spec(module) is None]

    @classmethod
    def check_available(cls) -> None:
        """Raise a one-line error naming the extra to install when a requirement is missing."""
        missing = cls.missing()
        if missing:
            install = f"pip install 'rm-harness[{cls.extra}]'" if cls.extra else "install it"
            raise HarnessError(f"attack {cls.name!r} needs {', '.join(missing)}: {install}")

    @classmethod
    def access_problem(cls, scorer: Scorer) -> str | None:
        """Why this attack cannot search ``scorer``'s model, or None when it can.

        A white-box attack needs gradients. A run skips such an attack on a checkpoint
        without them (and says so); ``check_access`` refuses it outright.
        """
        if cls.access == "white-box" and not scorer.supports_gradients:
            return "white-box, the model gives no gradients"
        return None

    @classmethod
    def check_access(cls, scorer: Scorer) -> None:
        """A white-box attack needs a model that gives gradients; say so before searching."""
        if cls.access_problem(scorer):
            raise HarnessError(
                f"attack {cls.name!r} is white-box but {scorer.model!r} gives no gradients; "
                "use a Hugging Face checkpoint or a callable with token_gradients"
            )

    def prepare(self) -> None:
        """Load what the search needs before the first prompt, so that a bad setting (an
        LM path that is not a causal LM) is a one-line error up front rather than an
        error on every attempt. Most attacks need nothing."""
        return None

    def check_target(self, model: RewardModel) -> None:
        """Refuse, in one line and before any query, a model this attack cannot be aimed
        at (a transfer whose surrogate is that model). Most attacks can be aimed at any."""
        return None

    @abstractmethod
    def search(self, ctx: AttackContext) -> None:
        """Propose candidates with ``ctx.evaluate`` until done or the budget runs out."""

    def run(
        self,
        scorer: Scorer,
        prompt: str,
        reference: str,
        *,
        budget: int,
        seed: int = 0,
        judges: Sequence[Judge] = (),
        margin: float = 0.0,
        keep: int = DEFAULT_KEEP,
        starts: Sequence[str] = (),
        start_label: str = "library",
    ) -> AttackOutcome:
        """Run on one prompt with its own budget; never raises for the attack's own bugs.

        The reference is scored first (one query from the budget). A crash inside the
        search is recorded in ``outcome.error`` so that other prompts go on. An
        ``EndpointError`` is not a crash of the attack but a model that cannot answer
        (an HTTP endpoint down past its retries, refusing, or answering garbage): every
        prompt after it would fail alike, so it propagates and stops the run, and the
        attempt is not done (a resume redoes it). Of the findings, at most ``keep`` are
        kept (``keep_diverse``); the judges see them all.

        ``starts``: texts a ``seedable`` search begins from (``AttackContext.start_from``),
        scored first, from the same budget; ``start_label`` says whence they came.
        """
        if budget <= 0:
            raise HarnessError(f"budget must be > 0, got {budget}")
        if keep <= 0:
            raise HarnessError(f"keep must be > 0, got {keep}")
        if starts and not self.seedable:
            raise HarnessError(f"attack {self.name!r} cannot start from given texts")
        self.check_access(scorer)
        own = scorer.with_budget(budget)
        started = time.perf_counter()
        reference_score = own.score_one(prompt, reference)
        outcome = AttackOutcome(
            attack=self.name,
            family=self.family,
            prompt=prompt,
            reference=reference,
            reference_score=reference_score,
            seed=seed,
            budget=budget,
        )
        ctx = AttackContext(
            attack=self,
            prompt=prompt,
            reference=reference,
            scorer=own,
            judges=judges,
            margin=margin,
            seed=seed,
            outcome=outcome,
        )
        try:
            if starts:
                ctx.start_from(starts, start_label)
            self.search(ctx)
        except BudgetExhausted:
            pass
        except EndpointError:
            raise
        except Exception as exc:
            outcome.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
        ctx.conclude(keep)
        outcome.queries = own.stats.queries
        outcome.seconds = time.perf_counter() - started
        return outcome

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"
