"""The overoptimization sweep: score the samples, analyse best-of-n, run the trajectories,
write the sweep folder.

``run_sweep`` is the entry point (``rmh sweep`` calls it). The sweep folder::

    SWEEP/sweep.json         everything measured (``record.py``, docs/sweep.md)
    SWEEP/bon.png            proxy and gold of best-of-n against sqrt(KL_bon), the peak
    SWEEP/trajectory.png     the attack paths (with trajectories)
    SWEEP/steps.png          an RL run's steps (several steps, or logprobs)
    SWEEP/report.html, report.md   written by ``rmh report SWEEP``

A new folder is written beside its target and renamed into place whole (``_write_folder``).

Best-of-n reads the samples of the earliest step (the policy before RL, for an RL run's
files); every step's samples are scored and judged for the steps' trajectory. All model
calls go through the proxy's and the gold's scorers, which cache by (fingerprint,
prompt, response): a text sampled twice, or met again along an attack path, is scored
once.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from harness.core.atomic import write_atomic
from harness.core.errors import HarnessError
from harness.core.staging import StagedFolder
from harness.experiments.sweep.analysis import analyse_bon
from harness.experiments.sweep.bon import KL_NOTE, best_index
from harness.experiments.sweep.gold_scores import Gold
from harness.experiments.sweep.nonsense import JUDGE, NOTE, judge_samples
from harness.experiments.sweep.plots import bon_figure, save_png, steps_figure, trajectory_figure
from harness.experiments.sweep.references import (
    REFERENCE_RULES,
    check_rule,
    choose_references,
    file_references,
    given_references,
)
from harness.experiments.sweep.result import (
    SWEEP_FILE,
    Example,
    ModelRecord,
    SampleFile,
    SamplesRecord,
    SweepRecord,
    is_sweep,
    sweep_json,
)
from harness.experiments.sweep.samples import (
    PromptSelection,
    RecordedRows,
    SampleSet,
    select_prompts,
    skip_tied_proxy,
)
from harness.experiments.sweep.steps import step_trajectory
from harness.experiments.sweep.trajectory import (
    TrajectoryConfig,
    parse_attacks,
    run_trajectories,
)
from harness.experiments.sweep.watched import WatchSummary
from harness.scoring import Scorer

EXAMPLES = 5  # prompts whose best-of-N pick sweep.json keeps (the first ones, not chosen)


@dataclass(frozen=True)
class SweepConfig:
    """How the sweep runs; recorded in sweep.json. Every field is also an ``rmh sweep``
    option (the help is the metadata).

    ``trajectory_reference`` defaults to ``random`` because neither RM's score chooses
    that reference: a reference the gold chose would make "gold peaks at the reference"
    likely by selection alone (``references.py``)."""

    seed: int = field(default=0, metadata={"help": "Seed of the bootstrap and the attacks."})
    n_max: int | None = field(
        default=None,
        metadata={
            "min": 2,
            "help": "Largest n of best-of-n; prompts with fewer samples are skipped. "
            "Default: the smallest sample count of a prompt.",
        },
    )
    resamples: int = field(
        default=2000, metadata={"min": 100, "help": "Prompt-bootstrap resamples."}
    )
    confidence: float = field(
        default=0.95, metadata={"min": 0.5, "max": 0.999, "help": "Level of every interval."}
    )
    trajectory_attacks: str = field(
        default="random-search,greedy-coordinate,beam,genetic",
        metadata={"help": "Search attacks for the trajectories, comma-separated."},
    )
    trajectory_prompts: int = field(
        default=8, metadata={"min": 1, "help": "References the attacks start from."}
    )
    trajectory_budget: int = field(
        default=320, metadata={"min": 2, "help": "Proxy queries per attack and reference."}
    )
    trajectory_batch: int = field(
        default=16, metadata={"min": 1, "help": "Candidates per search step."}
    )
    trajectory_length: int = field(
        default=8,
        metadata={
            "min": 1,
            "help": "Words the search writes (the appended suffix, or the response).",
        },
    )
    trajectory_mode: str = field(
        default="suffix",
        metadata={
            "choices": ("suffix", "response"),
            "help": "suffix: the search edits words appended to the reference; "
            "response: it replaces the whole response.",
        },
    )
    trajectory_reference: str = field(
        default=REFERENCE_RULES[0],
        metadata={
            "choices": REFERENCE_RULES,
            "help": "The reference each search starts from, per prompt, among the samples the "
            "heuristic judge does not call nonsense: random (seeded; no RM score chooses "
            "it, so gold is not made to peak at the start) or proxy-best (the proxy's "
            "favourite). --references overrides it.",
        },
    )

    def trajectory(self) -> TrajectoryConfig:
        return TrajectoryConfig(
            attacks=parse_attacks(self.trajectory_attacks),
            prompts=self.trajectory_prompts,
            budget=self.trajectory_budget,
            batch=self.trajectory_batch,
            length=self.trajectory_length,
            mode=self.trajectory_mode,
            seed=self.seed,
        )


@dataclass(frozen=True)
class SweepInputs:
    """What the sweep reads: the samples, the proxy's scorer, the gold, and optionally
    the references the trajectories start from; a watch's samples bring their recorded
    scores and verdicts (``recorded``: nothing is scored or judged again) and the watch's
    decisions (``watch``, kept in sweep.json)."""

    samples: SampleSet
    proxy: Scorer
    proxy_spec: str
    gold: Gold
    references_file: str | None = None
    source: str | None = None  # where the samples came from, when known
    recorded: RecordedRows | None = None
    watch: WatchSummary | None = None


def check_distinct(proxy: Scorer, gold: Gold) -> None:
    """The gold must not be the proxy: a sweep of an RM against itself measures nothing."""
    same = next((m for m in gold.record.members if m.fingerprint == proxy.model.fingerprint), None)
    if same is not None:
        raise HarnessError(
            f"the gold RM {same.spec} is the proxy (same fingerprint); the gold must be "
            "another RM, an ensemble or human scores"
        )


#: What a sweep killed before sweep folders were staged could leave: plots, no record.
KILLED_SWEEP_FILES = frozenset({"bon.png", "trajectory.png", "steps.png", f".{SWEEP_FILE}.tmp"})


def check_folder(out: Path) -> None:
    """Refuse an ``--out`` that is a file, or a folder with other things than a sweep in
    it (an existing sweep folder, or what a killed one left, is replaced): checked before
    any scoring, written only after it (``_write_folder``), so bad input found while
    scoring writes nothing."""
    if out.exists() and not out.is_dir():
        raise HarnessError(f"--out {out} is a file; give a folder")
    if (
        out.is_dir()
        and not is_sweep(out)
        and any(p.name not in KILLED_SWEEP_FILES for p in out.iterdir())
    ):
        raise HarnessError(
            f"--out {out} exists and is not a sweep folder (no {SWEEP_FILE}); choose another"
        )


def bon_selection(
    samples: SampleSet, n_max: int | None
) -> tuple[int | None, PromptSelection, list[tuple[int, ...]]]:
    """Best-of-n's step (the earliest), its prompts, and their samples' indices in
    ``samples.samples``; bad input (no prompt with 2 samples) is refused here."""
    bon_step = samples.steps[0]
    bon_rows = [i for i, s in enumerate(samples.samples) if s.step == bon_step]
    selection = select_prompts([samples.samples[i] for i in bon_rows], n_max)
    return bon_step, selection, [tuple(bon_rows[j] for j in group) for group in selection.rows]


def samples_line(samples: SampleSet, bon_step: int | None, selection: PromptSelection) -> str:
    """The sweep's first line: what was read, what best-of-n uses, what it skipped."""
    tied = selection.tied_proxy
    return (
        f"samples: {len(samples.samples)} rows in {len(samples.files)} file(s); best-of-n on "
        f"{len(selection.prompts)} of {selection.total} prompts"
        + (f" (step {bon_step})" if bon_step is not None else "")
        + f", n up to {selection.n_max}"
        + (f"; {selection.skipped} prompts skipped" if selection.skipped else "")
        + (f" ({tied} where the proxy scores every sample the same)" if tied else "")
    )


def run_sweep(
    inputs: SweepInputs,
    out: str | Path,
    *,
    config: SweepConfig = SweepConfig(),
    trajectories: bool = True,
    progress: bool = False,
    echo: Callable[[str], None] = print,
) -> SweepRecord:
    """Score, analyse and write the sweep folder (module doc); returns what it wrote."""
    from harness.runner.init import package_versions

    started = time.perf_counter()
    out = Path(out)
    check_distinct(inputs.proxy, inputs.gold)
    if trajectories and not inputs.gold.scores_new_text:
        raise HarnessError(
            "trajectories need a gold RM to score the texts along the attack paths, and a "
            "gold scores file covers only the sampled rows: use --no-trajectories"
        )
    trajectory_config = config.trajectory() if trajectories else None
    given = given_references(inputs.references_file) if trajectories else None
    if trajectories and given is None:
        check_rule(config.trajectory_reference)
    samples = inputs.samples.samples
    bon_step, selection, rows = bon_selection(inputs.samples, config.n_max)
    check_folder(out)

    prompts = [s.prompt for s in samples]
    responses = [s.response for s in samples]
    recorded = inputs.recorded
    if recorded is None:
        proxy_scores = inputs.proxy.score(prompts, responses)
        gold_scores = inputs.gold.scorer.score(prompts, responses)
        (bad, reasons), judge, note = judge_samples(responses), JUDGE, NOTE
    else:
        proxy_scores, gold_scores, bad = recorded.proxy, recorded.gold, recorded.bad
        reasons, judge, note = list(recorded.reasons), recorded.judge, recorded.note
    selection, rows = skip_tied_proxy(selection, rows, proxy_scores, config.n_max)
    echo(samples_line(inputs.samples, bon_step, selection))

    analysis = analyse_bon(
        [proxy_scores[list(r)] for r in rows],
        [gold_scores[list(r)] for r in rows],
        [bad[list(r)] for r in rows],
        selection.n_max,
        resamples=config.resamples,
        confidence=config.confidence,
        seed=config.seed,
        judge=judge,
        judge_note=note,
    )
    examples = []
    for prompt, indices in list(zip(selection.prompts, rows, strict=True))[:EXAMPLES]:
        pick = indices[best_index(proxy_scores[list(indices)])]
        examples.append(
            Example(
                prompt=prompt,
                response=responses[pick],
                samples=len(indices),
                proxy=float(proxy_scores[pick]),
                gold=float(gold_scores[pick]),
                nonsense=bool(bad[pick]),
                reasons=reasons[pick],
            )
        )
    steps = step_trajectory(
        samples,
        proxy_scores,
        gold_scores,
        bad,
        resamples=config.resamples,
        confidence=config.confidence,
        seed=config.seed,
    )
    paths = None
    if trajectory_config is not None:
        if given is not None and inputs.references_file is not None:
            references = file_references(inputs.references_file, given)
        else:
            references = choose_references(
                config.trajectory_reference,
                inputs.samples,
                selection.prompts,
                rows,
                proxy_scores,
                bad,
                seed=config.seed,
            )
        paths = run_trajectories(
            references.by_prompt,
            inputs.proxy,
            inputs.gold.scorer,
            analysis.scales,
            trajectory_config,
            reference_source=references.description,
            reference_rule=references.rule,
            progress=progress,
        )

    record = SweepRecord(
        sweep_id=f"{out.name}-{uuid.uuid4().hex[:8]}",
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        seconds=0.0,
        seed=config.seed,
        config={**dataclasses.asdict(config), "trajectories": trajectories},
        versions=package_versions(),
        proxy=ModelRecord(spec=inputs.proxy_spec, fingerprint=inputs.proxy.model.fingerprint),
        gold=inputs.gold.record,
        samples=SamplesRecord(
            files=tuple(
                SampleFile(path=str(f.path), sha256=f.sha256, rows=f.rows, steps=f.steps)
                for f in inputs.samples.files
            ),
            source=inputs.source,
            rows=len(samples),
            steps=tuple(inputs.samples.steps),
            bon_step=bon_step,
            prompts=selection.total,
            used_prompts=len(selection.prompts),
            skipped_fewer_than_2=selection.fewer_than_2,
            skipped_fewer_than_n_max=selection.fewer_than_n_max,
            n_max=selection.n_max,
            skipped_tied_proxy=selection.tied_proxy,
        ),
        kl_note=KL_NOTE,
        scales=analysis.scales,
        curves=analysis.curves,
        fit=analysis.fit,
        fit_note=analysis.fit_note,
        nonsense=analysis.nonsense,
        overoptimization=analysis.overoptimization,
        examples=tuple(examples),
        steps=steps,
        trajectories=paths,
        plots={},
        watch=inputs.watch,
    )
    return _write_folder(out, record, started)


def _write_folder(out: Path, record: SweepRecord, started: float) -> SweepRecord:
    """Draw the plots and write ``sweep.json`` in a staging folder, then rename it to
    ``out``: a new sweep folder appears whole or not at all. A sweep written again into
    its folder gets the new files moved in, ``sweep.json`` last (the folder's other files
    stay), so a kill leaves the old record or the new one."""
    staged = StagedFolder.begin(out)
    try:
        plots = {"bon": "bon.png"}
        save_png(bon_figure(record), staged.path / plots["bon"])
        for name, figure in (
            ("trajectory", trajectory_figure(record.trajectories)),
            ("steps", steps_figure(record.steps, record)),
        ):
            if figure is not None:
                plots[name] = f"{name}.png"
                save_png(figure, staged.path / plots[name])
        record = dataclasses.replace(
            record, plots=plots, seconds=round(time.perf_counter() - started, 1)
        )
        write_atomic(staged.path / SWEEP_FILE, sweep_json(record))
        staged.place(merge_last=SWEEP_FILE)
    except BaseException:
        staged.abandon()
        raise
    return record
