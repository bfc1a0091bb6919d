"""The watcher: score an RL run's samples with gold and judges as it trains, and say when
to stop (``docs/watch.md``).

It knows no training framework. Whatever drives the run calls

    decision = watcher.observe(step, prompts, completions, proxy_scores, logprobs=None)

with the step's completions (one row each, its prompt beside it) and the rewards the
policy was trained on; the TRL integration (``harness.experiments.watch.trl``) does that
from a reward function, and stops the trainer on ``decision.stop``. Every ``every`` steps
the watcher takes a seeded sample of the step's prompts (all completions of each), scores
them with the gold RM(s), judges them, estimates the KL from the logprobs when given,
writes the rows and one typed log entry, and applies the stop rule (``rule.py``).

A gold or judge failure never stops training: the evaluation is logged as failed, said
once, and decides nothing.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from harness.core.errors import HarnessError
from harness.core.jsonl import write_jsonl_atomic
from harness.experiments.watch.config import WatchConfig, watch_judge
from harness.experiments.watch.gold import GoldSource, WatchGold
from harness.experiments.watch.log import (
    LOG_NAME,
    SAMPLES_DIR,
    EvaluationEntry,
    FailureEntry,
    GoldMember,
    InitEntry,
    StopEntry,
    read_watch,
)
from harness.experiments.watch.rule import Decision, Evaluation, decide
from harness.experiments.watch.scored import ScoredRows, check_rows, score_rows
from harness.judges import Judge
from harness.runlog.log import RunLog


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {text}"


class Watcher:
    """Evaluates an RL run's samples every ``config.every`` steps and decides (module doc).

    gold: one or more gold RMs (checkpoint specs are loaded now: a gold that cannot be
        loaded is an error here, not during training). Several are standardized by their
        mean and spread over the first evaluation's rows and averaged (``gold_combine =
        "mean"``) or their minimum taken (``"min"``).
    judges: judge names (built with their defaults) or judges; ``heuristic`` is the
        sampling judge of the sweep (absolute thresholds, no length rule).
    references: prompt -> a good response, for judges that compare with one (fluency);
        a prompt without one is undecided by such judges.
    folder: the watch folder; an existing watch log is an error unless ``resume``.
    on_best: called with the step of each evaluation that sets a new best gold (before
        the policy moves on); returns the checkpoint it saved, named in the log.
    on_best_clean: the same for a new best among the evaluations whose judged-bad share
        stayed within the rule's margin (``Decision.best_clean_step``).
    echo: where the one-line progress and the first failure go (None: silent).
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        gold: GoldSource | Sequence[GoldSource],
        *,
        judges: Sequence[str | Judge] = ("heuristic",),
        references: Mapping[str, str] | None = None,
        config: WatchConfig | None = None,
        gold_combine: str = "mean",
        trainer: Mapping[str, Any] | None = None,
        resume: bool = False,
        on_best: Callable[[int], str | None] | None = None,
        on_best_clean: Callable[[int], str | None] | None = None,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config or WatchConfig()
        self.gold = WatchGold(gold, gold_combine)
        self.folder = Path(folder)
        self.references = dict(references or {})
        self.on_best = on_best
        self.on_best_clean = on_best_clean
        self.best_checkpoint: str | None = None
        self.best_clean_checkpoint: str | None = None
        self.trainer = dict(trainer or {})
        self.echo = echo if echo is not None else _stderr
        self.judges = [watch_judge(j) for j in judges]
        self.evaluations: list[Evaluation] = []
        self.evaluated_steps: set[int] = set()
        self.failures = 0
        self.last: Decision | None = None
        self.stopped: Decision | None = None
        self.log: RunLog | None = None
        log_path = self.folder / LOG_NAME
        if log_path.exists():
            if not resume:
                raise HarnessError(
                    f"{self.folder} already holds a watch log; give another folder, or resume"
                )
            self._resume()
            self.log = RunLog.append_to(log_path)
            return
        if self.folder.exists() and (not self.folder.is_dir() or any(self.folder.iterdir())):
            raise HarnessError(
                f"{self.folder} exists and is not a watch folder; give another folder"
            )
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HarnessError(f"cannot create {self.folder}: {exc.strerror or exc}") from None

    def set_trainer(self, trainer: Mapping[str, Any]) -> None:
        """What drives the run (written in the log's first entry, if not yet written)."""
        self.trainer = dict(trainer)

    def due(self, step: int) -> bool:
        """Whether ``observe`` would evaluate at ``step``."""
        return (
            step % self.config.every == 0
            and step not in self.evaluated_steps
            and self.stopped is None
        )

    def _log(self) -> RunLog:
        """The log, its first entry written when first needed (the trainer is known then)."""
        if self.log is None:
            from harness.runner.init import package_versions

            self.log = RunLog.create(self.folder / LOG_NAME)
            self.log.write(
                InitEntry(
                    watch_id=f"{self.folder.name}-{uuid.uuid4().hex[:8]}",
                    config=asdict(self.config),
                    gold=tuple(
                        GoldMember(spec=spec, fingerprint=s.model.fingerprint)
                        for spec, s in self.gold.members
                    ),
                    gold_combine=self.gold.combine,
                    judges=tuple(j.name for j in self.judges),
                    references=len(self.references),
                    trainer=self.trainer,
                    versions=package_versions(),
                )
            )
        return self.log

    # ------------------------------------------------------------------ the one call
    def observe(
        self,
        step: int,
        prompts: Sequence[str],
        completions: Sequence[str],
        proxy_scores: Sequence[float],
        logprobs: Sequence[tuple[float, float]] | None = None,
    ) -> Decision:
        """Take in one step's completions; evaluate when the step is due, and decide.

        ``logprobs``: per completion, (policy log-probability, reference log-probability),
        each summed over the completion's tokens. Not due, or already evaluated: the last
        decision's numbers, with ``evaluated`` and ``stop`` false.
        """
        check_rows(step, prompts, completions, proxy_scores, logprobs)
        if not self.due(step):
            return self._not_evaluated(step)
        self.evaluated_steps.add(step)
        started = time.perf_counter()
        rows = self._sample_rows(step, prompts)
        try:
            scored = score_rows(
                rows,
                prompts,
                completions,
                proxy_scores,
                logprobs,
                gold=self.gold,
                judges=self.judges,
                references=self.references,
            )
            return self._record(step, scored, started)
        except Exception as exc:  # a gold, judge or writing failure must not stop training
            return self._failed(step, exc)

    # ------------------------------------------------------------------ internals
    def sampled_rows(self, step: int, prompts: Sequence[str]) -> list[int]:
        """The rows ``observe`` would score at ``step``: a caller that computes something
        per row for the watcher (log-probabilities) need compute it for these only."""
        return [i for group in self._sample_rows(step, prompts) for i in group]

    def _sample_rows(self, step: int, prompts: Sequence[str]) -> list[list[int]]:
        """Rows of each sampled prompt (a seeded sample of the distinct prompts)."""
        groups: dict[str, list[int]] = {}
        for i, p in enumerate(prompts):
            groups.setdefault(p, []).append(i)
        keys = list(groups)
        if len(keys) > self.config.sample_prompts:
            rng = np.random.default_rng([self.config.seed, int(step)])
            chosen = sorted(rng.choice(len(keys), self.config.sample_prompts, replace=False))
            keys = [keys[i] for i in chosen]
        return [groups[k] for k in keys]

    def _record(self, step: int, scored: ScoredRows, started: float) -> Decision:
        """Decide, write the rows and then the entry, and only then count the evaluation:
        an error on the way (a disk, a value JSON cannot hold) leaves the watcher's state
        as it was, and ``observe`` turns it into a failure."""
        gold = scored.per_prompt(scored.gold)
        bad = scored.per_prompt(scored.bad.astype(np.float64))
        evaluation = Evaluation(step=int(step), gold=np.array(gold), bad=np.array(bad))
        decision = decide([*self.evaluations, evaluation], self.config.rule, seed=self.config.seed)
        name = f"step-{int(step):06d}.jsonl"
        rows = scored.sample_rows(int(step))
        write_jsonl_atomic(self.folder / SAMPLES_DIR / name, rows)
        # saved now, before the trainer's next update moves the policy on; a save that
        # fails names no checkpoint (the one before holds another step)
        best, best_clean = self.best_checkpoint, self.best_clean_checkpoint
        if decision.best_step == int(step):
            best = self._save(self.on_best, step)
        if decision.best_clean_step == int(step):
            best_clean = self._save(self.on_best_clean, step)
        self._log().write(
            EvaluationEntry(
                step=int(step),
                samples_file=f"{SAMPLES_DIR}/{name}",
                rows=len(rows),
                prompts=scored.prompt_names,
                proxy=scored.per_prompt(scored.proxy),
                gold=gold,
                bad=bad,
                kl=None if scored.kl is None else scored.per_prompt(scored.kl),
                first_bad=scored.first_bad(),
                seconds=round(time.perf_counter() - started, 3),
                decision=decision,
                best_checkpoint=best,
                best_clean_checkpoint=best_clean,
                gold_scale=self.gold.scale,
            )
        )
        self.evaluations.append(evaluation)
        self.best_checkpoint, self.best_clean_checkpoint = best, best_clean
        self.last = decision
        if scored.dropped_logprobs:
            self.echo(f"watch step {int(step)}: no KL, a log-probability given is not finite")
        self.echo(
            f"watch step {int(step)}: gold {np.mean(gold):.4g}, judged bad "
            f"{100 * np.mean(bad):.1f}% ({len(gold)} prompts, {len(rows)} rows); "
            f"{decision.message}"
        )
        if decision.stop:
            self.stopped = decision
            self._log().write(
                StopEntry(
                    step=int(step),
                    decision=decision,
                    best_checkpoint=self.best_checkpoint,
                    best_clean_checkpoint=self.best_clean_checkpoint,
                )
            )
        return decision

    def _save(self, hook: Callable[[int], str | None] | None, step: int) -> str | None:
        """Run a save hook; a failure is said and training goes on."""
        if hook is None:
            return None
        try:
            return hook(int(step))
        except Exception as exc:  # saving a checkpoint must not stop training either
            self.echo(f"watch step {int(step)}: saving the policy failed ({_one_line(exc)})")
            return None

    def _failed(self, step: int, exc: BaseException) -> Decision:
        error = _one_line(exc)
        self._log().write(FailureEntry(step=int(step), error=error))
        self.failures += 1
        if self.failures == 1:
            self.echo(
                f"watch step {int(step)}: the evaluation failed ({error}); training goes on, "
                f"no decision is taken on a failed evaluation, and later failures are only "
                f"logged in {self.folder / LOG_NAME}"
            )
        return Decision(
            step=int(step),
            evaluated=True,
            failed=True,
            message=f"evaluation failed: {error}",
            **self._best_so_far(),
        )

    def _best_so_far(self) -> dict[str, Any]:
        """The last decision's best steps, repeated by decisions that evaluate nothing."""
        last = self.last
        names = ("best_step", "best_gold", "best_clean_step", "best_clean_gold")
        return {name: getattr(last, name) if last else None for name in names}

    def _not_evaluated(self, step: int) -> Decision:
        return Decision(
            step=int(step),
            evaluated=False,
            **self._best_so_far(),
            message="not evaluated at this step"
            + (" (the watcher has stopped the run)" if self.stopped else ""),
        )

    def _resume(self) -> None:
        """Rebuild the evaluations from the log of a run that is resumed; a watcher built
        unlike the one that wrote the log (another gold, config or judges) is refused:
        its numbers would not be comparable with the log's."""
        contents = read_watch(self.folder)
        inits = contents.of_type(InitEntry)
        if inits:
            self._check_same(inits[0])
        for entry in contents.entries:
            if isinstance(entry, EvaluationEntry):
                self.evaluations.append(
                    Evaluation(step=entry.step, gold=np.array(entry.gold), bad=np.array(entry.bad))
                )
                self.evaluated_steps.add(entry.step)
                self.last = entry.decision
                self.best_checkpoint = entry.best_checkpoint or self.best_checkpoint
                self.best_clean_checkpoint = (
                    entry.best_clean_checkpoint or self.best_clean_checkpoint
                )
                if self.gold.scale is None and entry.gold_scale is not None:
                    self.gold.scale = entry.gold_scale
            elif isinstance(entry, FailureEntry):
                self.evaluated_steps.add(entry.step)
                self.failures += 1
            elif isinstance(entry, StopEntry):
                self.stopped = entry.decision
                self.best_checkpoint = entry.best_checkpoint
                self.best_clean_checkpoint = entry.best_clean_checkpoint

    def _check_same(self, init: InitEntry) -> None:
        ours = {
            "gold": [s.model.fingerprint for _, s in self.gold.members],
            "gold_combine": self.gold.combine,
            "config": asdict(self.config),
            "judges": [j.name for j in self.judges],
        }
        logged = {
            "gold": [m.fingerprint for m in init.gold],
            "gold_combine": init.gold_combine,
            "config": dict(init.config),
            "judges": list(init.judges),
        }
        differ = [name for name in ours if ours[name] != logged[name]]
        if differ:
            raise HarnessError(
                f"{self.folder} was watched with another {' and '.join(differ)}; resume with "
                "the watcher it was started with, or watch into a new folder"
            )

    def resume_at(self, step: int) -> None:
        """Training resumes at ``step``: a log holding evaluations after it (from a run that
        went on past the checkpoint now resumed) would mix two trajectories; refused."""
        later = sorted(s for s in self.evaluated_steps if s > step)
        if later:
            raise HarnessError(
                f"the watch log in {self.folder} holds evaluations after step {step}, where "
                f"training resumes ({', '.join(map(str, later[:5]))}); watch into a new folder"
            )

    def close(self) -> None:
        if self.log is not None:
            self.log.close()

    def __repr__(self) -> str:
        state = (
            f"stopped at step {self.stopped.step} ({self.stopped.reason})"
            if self.stopped
            else f"{len(self.evaluations)} evaluations, {self.failures} failed"
        )
        return f"Watcher({self.folder}, every {self.config.every} steps, {self.gold!r}; {state})"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
