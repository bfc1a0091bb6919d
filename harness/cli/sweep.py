"""``rmh sweep``: the overoptimization sweep (best-of-n and attack trajectories, proxy
against gold): where to stop optimizing against a reward model.

Everything but the command line lives in ``harness.experiments.sweep``; this verb reads
the inputs (samples files, the proxy, the gold), loads the models through the CLI's
loader, and prints the curve, the peak and the trajectories. ``--demo`` takes its samples
from the demo's sampling policy (``harness.demo.policy_samples``, or its fallback candidate
pool), the demo RM as proxy and the demo's gold RM as gold: the experiments layer must
not use the demo package, so it is resolved here. ``--watch`` takes everything from a
watch folder (``harness.experiments.sweep.watch_inputs``): no model is loaded.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from harness.cli.options import (
    GeneratedOptionsCommand,
    dataclass_from_kwargs,
    dataclass_options,
    load_model,
    load_options_from,
    model_options,
)
from harness.core.errors import HarnessError

DEMO_OUT = "exp/sweep-demo"
DEMO_PROXY = "demo"
DEMO_GOLD = "gold-demo"


def _sweep_config_class() -> type:
    from harness.experiments.sweep.pipeline import SweepConfig

    return SweepConfig


@click.command(name="sweep", cls=GeneratedOptionsCommand)
@click.option(
    "--samples",
    "samples",
    multiple=True,
    type=click.Path(),
    metavar="F [F...]",
    help="Samples JSONL (prompt, response; optional policy_logprob, ref_logprob, step). "
    "Several files (step-*.jsonl) are an RL run's steps.",
)
@click.argument("more_samples", nargs=-1, type=click.Path(), metavar="")
@click.option("--proxy", default=None, help="The RM optimized against (a checkpoint).")
@click.option(
    "--gold",
    multiple=True,
    help="The gold RM; give it several times for an ensemble (--gold-combine).",
)
@click.option(
    "--gold-combine",
    type=click.Choice(["mean", "min"]),
    default="mean",
    show_default=True,
    help="An ensemble's gold: the mean of the standardized members, or their minimum "
    "(worst case, Coste et al. 2023).",
)
@click.option(
    "--gold-scores",
    type=click.Path(),
    default=None,
    help="Gold scores instead of a gold RM: JSONL of prompt, response, score (e.g. human).",
)
@click.option(
    "--references",
    type=click.Path(),
    default=None,
    help="Preference pairs whose chosen responses the trajectories start from "
    "(overrides --trajectory-reference).",
)
@click.option("--out", type=click.Path(), default=None, help=f"Sweep folder (--demo: {DEMO_OUT}).")
@click.option(
    "--trajectories/--no-trajectories",
    default=None,
    help="Run the search attacks from good responses (default: on with a gold RM, off with "
    "--gold-scores).",
)
@click.option(
    "--watch",
    "watch",
    type=click.Path(),
    default=None,
    help="A watch folder (written by the watcher of an RL run): its samples, with the "
    "proxy, gold and judges' verdicts it recorded, and its stop decision; no model is loaded.",
)
@click.option(
    "--demo",
    is_flag=True,
    help="The demo: its sampling policy's samples (or the fallback pool), demo RM as proxy, "
    "its gold RM as gold.",
)
@dataclass_options(_sweep_config_class)
@model_options
@click.option("--quiet", is_flag=True, help="No progress output (for CI logs).")
def sweep(
    samples: tuple[str, ...],
    more_samples: tuple[str, ...],
    proxy: str | None,
    gold: tuple[str, ...],
    gold_combine: str,
    gold_scores: str | None,
    references: str | None,
    out: str | None,
    trajectories: bool | None,
    watch: str | None,
    demo: bool,
    quiet: bool,
    **kw: Any,
) -> None:
    """Best-of-n against the proxy RM, scored by a gold: where does gold peak?

    For n = 1, 2, 4, ... the expected proxy and gold score of the proxy's best of n
    samples (the unbiased estimator over every subset), the fitted peak
    gold(d) - gold(0) = d (alpha - beta d) over d = sqrt(KL_bon) with its n*, and the
    nonsense rate of the picks; then search attacks climbing the proxy from good
    responses, scored by the gold and judged along their path (docs/sweep.md).

    \b
    Examples:
      rmh sweep --demo
      rmh sweep --samples samples.jsonl --proxy rm/ --gold gold-rm/ --out exp/sweep
      rmh sweep --samples step-*.jsonl --proxy rm/ --gold a/ --gold b/ --gold-combine min \\
          --out exp/rl
      rmh sweep --samples s.jsonl --proxy rm/ --gold-scores human.jsonl --out exp/human
      rmh sweep --watch exp/rl/watch --out exp/rl/sweep
    """
    from harness.experiments.sweep.gold_scores import file_gold, rm_gold
    from harness.experiments.sweep.pipeline import (
        SweepConfig,
        SweepInputs,
        bon_selection,
        run_sweep,
    )
    from harness.experiments.sweep.samples import read_samples
    from harness.experiments.sweep.sweep_lines import sweep_lines
    from harness.scoring import Scorer

    # Check the inputs (one-line errors), load, sweep, print.
    config = dataclass_from_kwargs(SweepConfig, kw)
    batch_size = kw.pop("batch_size")
    options = load_options_from(kw)
    samples = samples + more_samples  # --samples a.jsonl b.jsonl: the rest are arguments
    progress = not quiet
    echo = click.echo
    source = None
    if watch is not None:
        given = {"--samples": samples, "--proxy": proxy, "--gold": gold}
        given |= {"--gold-scores": gold_scores, "--references": references, "--demo": demo}
        _sweep_watch(watch, given, trajectories, out, config)
        return
    if demo:
        given = [
            name
            for name, value in (
                ("--samples", samples),
                ("--proxy", proxy),
                ("--gold", gold),
                ("--gold-scores", gold_scores),
            )
            if value
        ]
        if given:
            raise HarnessError(
                f"--demo brings its own samples, proxy and gold; drop {', '.join(given)}"
            )
        from harness.demo.policy_samples import demo_samples

        drawn = demo_samples(progress=progress, echo=echo)
        echo(drawn.first_line)
        samples, proxy, gold, source = (str(drawn.path),), DEMO_PROXY, (DEMO_GOLD,), drawn.source
        out = out or DEMO_OUT
    if not samples:
        raise HarnessError("give --samples FILE [FILE ...] (or --demo)")
    if not proxy:
        raise HarnessError("give --proxy CHECKPOINT, the RM optimized against")
    if gold and gold_scores:
        raise HarnessError("give either --gold (an RM, or several) or --gold-scores, not both")
    if not gold and not gold_scores:
        raise HarnessError(
            "give --gold CHECKPOINT (repeat it for an ensemble) or --gold-scores FILE"
        )
    if gold_scores and trajectories:
        raise HarnessError(
            "--trajectories needs a gold RM to score the texts along the attack paths; "
            "a --gold-scores file covers only the sampled rows"
        )
    if not out:
        raise HarnessError("give --out SWEEP_FOLDER (e.g. exp/sweep)")
    if trajectories is None:
        trajectories = not gold_scores
    if trajectories:
        config.trajectory()  # an unknown attack is refused before any model loads

    read = read_samples(samples)
    bon_selection(read, config.n_max)  # refused before any model loads
    gold_source = file_gold(gold_scores, read.samples) if gold_scores else None
    bar = progress and sys.stderr.isatty()
    proxy_scorer = Scorer(load_model(proxy, options), batch_size=batch_size, progress=bar)
    if gold_source is None:
        members = [
            (spec, Scorer(load_model(spec, options), batch_size=batch_size, progress=bar))
            for spec in gold
        ]
        for spec, member in members:
            if member.model.fingerprint == proxy_scorer.model.fingerprint:
                raise HarnessError(
                    f"the gold RM {spec} is the proxy {proxy} (same fingerprint); the gold "
                    "must be another RM, an ensemble or human scores"
                )
        gold_source = rm_gold(members, read.samples, gold_combine)
    record = run_sweep(
        SweepInputs(
            samples=read,
            proxy=proxy_scorer,
            proxy_spec=proxy,
            gold=gold_source,
            references_file=references,
            source=source,
        ),
        out,
        config=config,
        trajectories=trajectories,
        progress=bar,
        echo=echo,
    )
    for line in sweep_lines(record):
        echo(line)
    plots = ", ".join(record.plots.values())
    echo(f"sweep folder: {out} (sweep.json, {plots}; rmh report {out}) ({record.seconds:.0f}s)")


def _sweep_watch(
    watch: str, given: dict[str, Any], trajectories: bool | None, out: str | None, config: Any
) -> None:
    """``rmh sweep --watch WATCH --out OUT``: the watch's recorded rows, no model.
    ``given``: the options that bring samples or models, which a watch replaces."""
    from harness.experiments.sweep.pipeline import bon_selection, run_sweep
    from harness.experiments.sweep.sweep_lines import sweep_lines
    from harness.experiments.sweep.watch_inputs import watch_inputs

    named = [name for name, value in given.items() if value]
    if named:
        raise HarnessError(
            f"--watch brings its own samples, proxy, gold and verdicts; drop {', '.join(named)}"
        )
    if trajectories:
        raise HarnessError(
            "--trajectories needs a gold RM to score the texts along the attack paths; a "
            "watch recorded the scores of its samples only"
        )
    if not out:
        raise HarnessError("give --out SWEEP_FOLDER (e.g. exp/rl/sweep)")
    inputs = watch_inputs(watch)
    bon_selection(inputs.samples, config.n_max)  # refused before anything is written
    record = run_sweep(inputs, out, config=config, trajectories=False, echo=click.echo)
    for line in sweep_lines(record):
        click.echo(line)
    plots = ", ".join(record.plots.values())
    click.echo(
        f"sweep folder: {out} (sweep.json, {plots}; rmh report {out}) ({record.seconds:.0f}s)"
    )
