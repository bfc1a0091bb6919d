"""``rmh rounds``: the whack-a-mole experiment (attack, add the findings, retrain, re-attack).

Everything but the command line lives in ``harness.experiments.rounds``; this verb reads
the inputs (the data files, or the demo's bundled data with ``--demo``), prints the
per-round table as rounds finish and the verdict at the end. The experiments layer must
not use the demo package, so the demo's checkpoint and data are resolved here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from harness.cli.options import (
    GeneratedOptionsCommand,
    dataclass_from_kwargs,
    dataclass_options,
    progress_mode,
)
from harness.core.errors import HarnessError

if TYPE_CHECKING:
    from harness.core.data import PreferencePair
    from harness.experiments.rounds.experiment import ExperimentData

DEMO_OUT = "exp/demo"
DEMO_ROUND_PAIRS = 256
"""With ``--demo`` and no ``--round-pairs``: pairs per retraining (CPU-sized)."""
DEMO_EVAL_SHARE = 0.5
DEMO_SEEDS = 1
DEMO_CALIBRATE = False
"""With ``--demo`` and no ``--seeds`` / ``--calibrate``: one training seed per arm and the
suite's budgets. The powered configuration (3 seeds, calibrated budgets: every run then
costs 3 to 4 times the queries) is ``benchmarks/bench_rounds.py``'s; the demo stays a
demo of minutes, and its verdict says that one seed does not measure training noise."""
DEMO_SYNTHETIC_KINDS = "soup-common,soup-rare,padding"
"""With ``--demo`` and no ``--synthetic-kinds``: the synthetic arm's kinds. The default
kinds include ``repetition``, a held-out family of the ``rounds`` suite, which would train
the synthetic arm on its own test (refused); the demo keeps repetition held out."""
SUITE_DEFAULT = "rounds"


def _experiment_config_class() -> type:
    from harness.experiments.rounds.experiment import ExperimentConfig

    return ExperimentConfig


def _executor_options_class() -> type:
    from harness.runner import ExecutorOptions

    return ExecutorOptions


@click.command(name="rounds", cls=GeneratedOptionsCommand)
@click.argument("checkpoint", required=False)
@click.option(
    "--train",
    "train_file",
    type=click.Path(),
    default=None,
    help="Clean training pairs (JSONL: prompt, chosen, rejected), retrained on every round.",
)
@click.option(
    "--eval",
    "eval_file",
    type=click.Path(),
    default=None,
    help="Evaluation pairs: their prompts are never trained on; fresh ASR and "
    "clean accuracy are measured on them.",
)
@click.option(
    "--attack",
    "attack_file",
    type=click.Path(),
    default=None,
    help="Pairs whose prompts are attacked and whose findings are trained on "
    "(default: the training pairs).",
)
@click.option(
    "--suite",
    default=SUITE_DEFAULT,
    show_default=True,
    help="A builtin suite name (rmh suites list) or a suite TOML file; its data "
    "is replaced by the experiment's prompts.",
)
@click.option(
    "--out",
    type=click.Path(),
    default=None,
    help=f"Experiment folder, e.g. exp/NAME (--demo: {DEMO_OUT}).",
)
@click.option(
    "--trainer",
    default=None,
    help="Retraining hook: module:function(init, pairs, out, config), or a "
    "command with {init} {pairs} {out}. Default: the built-in pairwise trainer.",
)
@click.option(
    "--demo", is_flag=True, help="The demo reward model, its bundled data and the rounds suite."
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the killed experiment in --out at its last finished step. Everything "
    "else is read from its log: only --out (or --demo), the executor options and --quiet "
    "may be given.",
)
@dataclass_options(_experiment_config_class)
@dataclass_options(_executor_options_class)
@click.option("--quiet", is_flag=True, help="No progress output (for CI logs).")
def rounds(
    checkpoint: str | None,
    train_file: str | None,
    eval_file: str | None,
    attack_file: str | None,
    suite: str,
    out: str | None,
    trainer: str | None,
    demo: bool,
    resume: bool,
    quiet: bool,
    **kw: Any,
) -> None:
    """The whack-a-mole experiment: does training on found exploits make CHECKPOINT robust?

    Round 0 attacks CHECKPOINT. Each later round, each arm adds its extra rejected
    pairs (findings: the new exploits; synthetic: as many cheap degenerate ones; clean:
    none), retrains from its previous checkpoint for the same number of steps, and runs
    the suite again with new seeds. A table per round, then the verdict (docs/rounds.md).

    \b
    Examples:
      rmh rounds --demo
      rmh rounds ckpt/ --train train.jsonl --eval eval.jsonl --suite my.toml --rounds 3 \\
          --arms findings,clean,synthetic --out exp/rc1
      rmh rounds --resume --out exp/rc1
    """
    import dataclasses

    from harness.experiments.rounds.augment import parse_arms
    from harness.experiments.rounds.experiment import (
        ExperimentConfig,
        ExperimentData,
        resume_experiment,
        start_experiment,
    )
    from harness.experiments.rounds.inputs import check_settings
    from harness.experiments.rounds.round_table import verdict_lines
    from harness.runner import ExecutorOptions
    from harness.suite import resolve_suite

    # Check the inputs (one-line errors), start or resume, print the table and verdict.
    config = dataclass_from_kwargs(ExperimentConfig, kw)
    executor = dataclass_from_kwargs(ExecutorOptions, kw)
    progress = progress_mode(quiet)
    echo = click.echo

    if demo and not out:
        out = DEMO_OUT
    if not out:
        raise HarnessError("give --out EXPERIMENT_FOLDER (e.g. exp/rc1)")
    if resume:
        given = [
            n
            for n, v in (
                ("CHECKPOINT", checkpoint),
                ("--train", train_file),
                ("--eval", eval_file),
                ("--attack", attack_file),
                ("--suite", suite != SUITE_DEFAULT),
                ("--trainer", trainer),
            )
            if v
        ]
        default = ExperimentConfig()
        given += [
            "--" + f.name.replace("_", "-")
            for f in dataclasses.fields(config)
            if getattr(config, f.name) != getattr(default, f.name)
        ]
        if given:
            raise HarnessError(
                f"--resume reads everything from the experiment log; drop {', '.join(given)}"
            )
        result = resume_experiment(out, executor=executor, progress=progress, echo=echo)
    else:
        parse_arms(config.arms)  # an unknown arm is refused before anything is read
        check_settings(config)
        if demo:
            if checkpoint or train_file or eval_file or attack_file:
                raise HarnessError("--demo brings its own checkpoint and data; drop them")
            if config.round_pairs is None:
                config = dataclasses.replace(config, round_pairs=DEMO_ROUND_PAIRS)
            if config.synthetic_kinds is None:
                config = dataclasses.replace(config, synthetic_kinds=DEMO_SYNTHETIC_KINDS)
            config = _demo_sized(config)
            checkpoint, data = demo_data(config.seed)
        else:
            if not checkpoint:
                raise HarnessError("give a CHECKPOINT (or --demo, or --resume)")
            if not train_file or not eval_file:
                raise HarnessError("give --train TRAIN.jsonl and --eval EVAL.jsonl (or --demo)")
            data = ExperimentData(
                train=_read(train_file, "--train"),
                evaluation=_read(eval_file, "--eval"),
                attack=_read(attack_file, "--attack") if attack_file else None,
            )
        from harness.demo.build import resolve_checkpoint

        result = start_experiment(
            Path(resolve_checkpoint(checkpoint)),
            resolve_suite(suite),
            data,
            out,
            config=config,
            trainer_spec=trainer,
            executor=executor,
            progress=progress,
            echo=echo,
        )
    for line in verdict_lines(result.verdict):
        echo(line)
    echo(f"experiment folder: {result.folder} ({result.seconds:.0f}s)")
    if result.underpowered:
        raise HarnessError(
            "the experiment is underpowered for its --effect-size (round 0's power check, "
            "above): stopped before any retraining with the verdict underpowered "
            "(--require-power)"
        )
    if result.stopped:  # after the other arms and the verdict: the run did not go as asked
        raise HarnessError(
            "; ".join(
                f"arm {e.arm}{f' seed {e.replicate}' if result.seeds > 1 else ''} stopped "
                f"in round {e.round} ({e.stage}): {e.message}"
                for e in result.stopped
            )
        )


def _read(path: str, what: str) -> list[PreferencePair]:
    from harness.core.data import read_pairs

    try:
        return read_pairs(path)
    except HarnessError as exc:
        raise HarnessError(f"{what}: {exc}") from None


def _demo_sized(config: Any) -> Any:
    """``--demo`` without ``--seeds`` or ``--calibrate``: one training seed, the suite's
    budgets (``DEMO_SEEDS``, ``DEMO_CALIBRATE``), so that it runs in minutes on a CPU."""
    import dataclasses

    context = click.get_current_context()
    defaults = {
        name: value
        for name, value in (("seeds", DEMO_SEEDS), ("calibrate", DEMO_CALIBRATE))
        if context.get_parameter_source(name) is click.core.ParameterSource.DEFAULT
    }
    return dataclasses.replace(config, **defaults)


def demo_data(seed: int) -> tuple[str, ExperimentData]:
    """The demo checkpoint and its bundled data, split by ``seed``.

    The demo's held-out prompts, on which neither the demo RM nor its gold RM was
    trained, are split into attack and evaluation prompts; the clean training pairs are
    the demo RM's own (a part of the bundled data that shares no prompt with them). So
    the starting checkpoint has never seen an evaluation prompt, and no arm ever trains
    on one (the experiment refuses data where one would: ``split.check_disjoint``).
    """
    from harness.demo.build import build_demo_checkpoint, heldout_pairs, train_pairs
    from harness.experiments.rounds.experiment import ExperimentData
    from harness.experiments.rounds.split import prompt_key, split_prompts

    heldout = heldout_pairs()
    split = split_prompts(heldout, eval_share=DEMO_EVAL_SHARE, seed=seed)
    evaluation = {prompt_key(p) for p in split.evaluation}
    data = ExperimentData(
        train=train_pairs(),
        evaluation=[p for p in heldout if prompt_key(p.prompt) in evaluation],
        attack=[p for p in heldout if prompt_key(p.prompt) not in evaluation],
    )
    return str(build_demo_checkpoint().path), data
