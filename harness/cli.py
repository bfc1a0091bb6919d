"""The ``rmh`` command line. Subcommands mirror the user's verbs.

Bad input never shows a traceback: a ``HarnessError`` prints as one line on stderr
(``rmh: error: ...``) and exits 2.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any

import click

from harness import __version__
from harness.core.errors import HarnessError
from harness.core.visible import clip

EXIT_BAD_INPUT = 2


def _quiet_libraries() -> None:
    """Hide library chatter (weights-init notices, tokenizer hints) from the terminal."""
    import os

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - transformers is a core dependency
        pass


def model_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by every command that loads a reward model."""
    options = [
        click.option(
            "--allow-pickle",
            is_flag=True,
            help="Load pickle (.bin) weights when no safetensors exist. Pickle can run code.",
        ),
        click.option(
            "--trust-remote-code",
            is_flag=True,
            help="Run the checkpoint's own modelling code (off by default).",
        ),
        click.option(
            "--device",
            default="auto",
            show_default=True,
            help="auto (CUDA when available), cpu, cuda:0, ...",
        ),
        click.option(
            "--dtype",
            default="auto",
            show_default=True,
            help="auto (fp32 on CPU; bf16/fp16 on GPU), float32, bfloat16, float16.",
        ),
        click.option(
            "--format",
            "fmt",
            default=None,
            help="chat, pair, or a template with {prompt} and {response}. "
            "Default: chat when the tokenizer has a template, else pair.",
        ),
        click.option(
            "--head-index",
            type=int,
            default=None,
            help="Read this logit as the reward (needed for heads with >2 labels).",
        ),
        click.option(
            "--good-label",
            type=click.IntRange(0, 1),
            default=1,
            show_default=True,
            help="Two-label heads: reward = logit[good] - logit[bad].",
        ),
        click.option(
            "--tokenizer",
            type=click.Path(),
            default=None,
            help="Tokenizer directory, when the checkpoint has none.",
        ),
        click.option(
            "--max-length",
            type=click.IntRange(min=1),
            default=None,
            help="Truncate inputs to this many tokens (default: the model's limit).",
        ),
        click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def load_options_from(kw: dict[str, Any]):
    """Pop the shared model options out of a command's keyword arguments."""
    from harness.models import LoadOptions

    good = kw.pop("good_label")
    return LoadOptions(
        allow_pickle=kw.pop("allow_pickle"),
        trust_remote_code=kw.pop("trust_remote_code"),
        device=kw.pop("device"),
        dtype=kw.pop("dtype"),
        format=kw.pop("fmt"),
        head_index=kw.pop("head_index"),
        good_label=good,
        bad_label=1 - good,
        tokenizer=kw.pop("tokenizer"),
        max_length=kw.pop("max_length"),
    )


def load_from_options(checkpoint: str, kw: dict[str, Any]):
    from harness.models import load_reward_model

    model = load_reward_model(checkpoint, load_options_from(kw))
    note = getattr(model, "pad_note", None)
    if note:
        click.echo(f"note: {note}", err=True)
    return model


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="rmh")
def cli() -> None:
    """rm-harness: find high-scoring nonsense in reward models before RL does.

    \b
    Examples:
      rmh demo                                  # build the demo RM, evaluate it
      rmh info path/to/checkpoint               # what the harness sees in a checkpoint
      rmh score path/to/checkpoint --data pairs.jsonl --out scores.csv
    """
    _quiet_libraries()


@cli.command()
@click.argument("checkpoint")
@model_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of aligned text.")
def info(checkpoint: str, as_json: bool, **kw: Any) -> None:
    """Show how CHECKPOINT will be read: architecture, head, format, padding, fingerprint.

    \b
    Examples:
      rmh info checkpoints/rm-step-2000
      rmh info checkpoints/rm --format 'Human: {prompt}\\n\\nAssistant: {response}'
      rmh info mypkg.rewards:length_reward
    """
    kw.pop("batch_size")
    model = load_from_options(checkpoint, kw)
    facts = model.describe()
    if as_json:
        click.echo(json.dumps(facts, indent=2, default=str))
        return
    facts.pop("options", None)
    width = max(len(k) for k in facts)
    for key, value in facts.items():
        if value is not None:
            click.echo(f"{key.replace('_', ' '):<{width}}  {value}")


@cli.command()
@click.argument("checkpoint")
@click.option(
    "--data",
    "data_file",
    required=True,
    type=click.Path(),
    help="JSONL of prompt/response rows, or prompt/chosen/rejected rows.",
)
@click.option(
    "--out",
    type=click.Path(),
    default=None,
    help="Write all rows to .jsonl, .csv or .parquet instead of a terminal table.",
)
@model_options
def score(checkpoint: str, data_file: str, out: str | None, **kw: Any) -> None:
    """Score every row of a JSONL file with CHECKPOINT; for pairs, report pairwise accuracy.

    \b
    Examples:
      rmh score ckpt/ --data responses.jsonl            # {"prompt": ..., "response": ...}
      rmh score ckpt/ --data prefs.jsonl --out s.csv    # {"prompt", "chosen", "rejected"}
    """
    import pandas as pd

    from harness.core.data import read_rows
    from harness.core.tabular import write_table
    from harness.scoring import Scorer
    from harness.scoring.accuracy import accuracy_from_scores

    kind, rows = read_rows(data_file)
    batch_size = kw.pop("batch_size")
    model = load_from_options(checkpoint, kw)
    scorer = Scorer(model, batch_size=batch_size, progress=sys.stderr.isatty())
    if kind == "pairs":
        prompts = [r.prompt for r in rows]
        chosen = scorer.score(prompts, [r.chosen for r in rows])
        rejected = scorer.score(prompts, [r.rejected for r in rows])
        frame = pd.DataFrame(
            {
                "line": [r.line for r in rows],
                "prompt": prompts,
                "chosen": [r.chosen for r in rows],
                "rejected": [r.rejected for r in rows],
                "chosen_score": chosen,
                "rejected_score": rejected,
                "margin": chosen - rejected,
                "correct": chosen > rejected,
            }
        )
        summary = f"pairwise accuracy: {accuracy_from_scores(chosen, rejected)}"
    else:
        scores = scorer.score([r.prompt for r in rows], [r.response for r in rows])
        frame = pd.DataFrame(
            {
                "line": [r.line for r in rows],
                "prompt": [r.prompt for r in rows],
                "response": [r.response for r in rows],
                "score": scores,
            }
        )
        summary = f"scored {len(rows)} responses (mean {scores.mean():.4f})"
    stats = scorer.stats
    summary += f"; {stats.queries} model queries, {stats.truncated} truncated"
    if out:
        path = write_table(frame, out)
        click.echo(f"wrote {len(frame)} rows to {path}")
    else:
        click.echo(_terminal_table(frame))
    click.echo(summary)


def _terminal_table(frame: Any, width: int = 40) -> str:
    """A compact view: text clipped, control characters made visible."""
    view = frame.copy()
    for column in view.columns:
        if view[column].dtype == object:
            view[column] = view[column].map(lambda s: clip(str(s), width))
    return view.to_string(index=False, float_format=lambda x: f"{x:.4f}")


@cli.group(name="attacks")
def attacks_group() -> None:
    """The attack registry."""


@attacks_group.command(name="list")
def attacks_list() -> None:
    """List every registered attack: name, family, access, parameters, description."""
    import dataclasses

    from attacks.registry import all_attacks

    for name, cls in all_attacks().items():
        params = ", ".join(f"{f.name}={f.default!r}" for f in dataclasses.fields(cls.Params))
        click.echo(f"{name:<20} {cls.family:<18} {cls.access:<10} {cls.description()}")
        if params:
            click.echo(f"{'':<20} params: {params}")


def _parse_params(items: tuple[str, ...]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise HarnessError(f"--param {item!r} is not KEY=VALUE")
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


@cli.command()
@click.argument("checkpoint")
@click.option("--attack", "attack_name", required=True, help="Attack name (rmh attacks list).")
@click.option(
    "--prompts",
    "prompts_file",
    type=click.Path(),
    default=None,
    help="Preference JSONL; each row's chosen response is the reference. "
    "Default: the demo's held-out prompts.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Attack at most this many distinct prompts.",
)
@click.option(
    "--budget",
    type=int,
    default=1000,
    show_default=True,
    help="Model queries per prompt (gradient steps count as one).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--margin",
    type=float,
    default=0.0,
    show_default=True,
    help="A finding must outscore the reference by more than this.",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Attack parameter (JSON value), repeatable: --param length=12.",
)
@click.option(
    "--gold",
    type=click.Path(),
    default=None,
    help="A second checkpoint used as a gold-RM judge (besides the heuristic one); "
    "'demo' builds the demo's gold RM (trained to know nonsense is bad).",
)
@click.option(
    "--baseline/--no-baseline",
    default=True,
    show_default=True,
    help="Also score random word soups at the same budget (chance baselines).",
)
@model_options
def attack(
    checkpoint: str,
    attack_name: str,
    prompts_file: str | None,
    limit: int,
    budget: int,
    seed: int,
    margin: float,
    params: tuple[str, ...],
    gold: str | None,
    baseline: bool,
    **kw: Any,
) -> None:
    """Run one attack against CHECKPOINT on each prompt and print its findings.

    \b
    Examples:
      rmh attack ckpt/ --attack repetition --budget 200
      rmh attack ckpt/ --attack gcg --param length=16 --budget 2000 --seed 1
      rmh attack ckpt/ --attack genetic --prompts prefs.jsonl --gold gold-ckpt/
    """
    from attacks.registry import get_attack
    from harness.attack_cli import run_attack_command

    if budget <= 0:
        raise HarnessError(f"--budget must be > 0, got {budget}")
    attack_cls = get_attack(attack_name)
    attack_obj = attack_cls(**_parse_params(params))
    if attack_cls.family == "textattack":
        from attacks.textattack_adapter import import_textattack

        import_textattack()  # fails fast, one line, when the extra is missing
    batch_size = kw.pop("batch_size")
    load_kw = dict(kw)
    model = load_from_options(checkpoint, kw)
    if attack_cls.access == "white-box" and not model.supports_gradients:
        raise HarnessError(f"attack {attack_name!r} needs gradients; {checkpoint} gives none")
    if gold == "demo":
        from harness.demo.build import GOLD, build_demo_checkpoint

        gold = str(build_demo_checkpoint(GOLD, progress=sys.stderr.isatty()).path)
    gold_model = load_from_options(gold, load_kw) if gold else None
    run_attack_command(
        model,
        attack_obj,
        prompts_file=prompts_file,
        limit=limit,
        budget=budget,
        seed=seed,
        margin=margin,
        gold_model=gold_model,
        baseline=baseline,
        batch_size=batch_size,
        echo=click.echo,
    )


def _progress_mode(quiet: bool) -> str:
    if quiet:
        return "quiet"
    return "bar" if sys.stderr.isatty() else "lines"


@cli.command(name="run")
@click.argument("checkpoints", nargs=-1)
@click.option(
    "--suite",
    default="standard",
    show_default=True,
    help="A builtin suite name (rmh suites list) or a suite TOML file.",
)
@click.option("--out", type=click.Path(), default=None, help="New run folder, e.g. runs/rc1.")
@click.option(
    "--store",
    type=click.Path(),
    default=None,
    help="Findings store (SQLite). Default: findings.db beside the run folder.",
)
@click.option(
    "--store-timeout",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds to wait for a store that another run holds locked.",
)
@click.option(
    "--resume",
    "resume",
    type=click.Path(),
    default=None,
    help="Continue the killed or failed run in this folder (no checkpoints needed).",
)
@click.option("--overwrite", is_flag=True, help="Delete an existing run folder and start again.")
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Where attacks run: this process, or Ray actors (the ray extra).",
)
@click.option(
    "--ray-address",
    default=None,
    help="Join this Ray cluster ('auto', 'ray://head:10001'); default: start a local one.",
)
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Ray actors.")
@click.option(
    "--gpus-per-worker",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="GPUs each Ray actor reserves (e.g. 1 on a multi-GPU cluster).",
)
@click.option("--quiet", is_flag=True, help="No progress output (for CI logs).")
@model_options
def run_command(
    checkpoints: tuple[str, ...],
    suite: str,
    out: str | None,
    store: str | None,
    store_timeout: float,
    resume: str | None,
    overwrite: bool,
    executor: str,
    ray_address: str | None,
    workers: int | None,
    gpus_per_worker: float,
    quiet: bool,
    **kw: Any,
) -> None:
    """Run an attack suite against CHECKPOINTS: replay stored findings, attack, log.

    Findings go to the store (deduplicated) before they are logged or shown; the run
    log in the run folder records everything. A killed run continues with --resume.

    \b
    Examples:
      rmh run ckpt/ --suite quick --out runs/smoke
      rmh run ckpt-a/ ckpt-b/ --suite standard --out runs/ab     # + transfer matrix
      rmh run --resume runs/ab
      rmh run ckpt/ --suite standard --out runs/big --executor ray --ray-address auto
    """
    from harness.run_cli import run_suite_command

    batch_size = kw.pop("batch_size")
    run_suite_command(
        checkpoints=list(checkpoints),
        suite=suite,
        out=out,
        store=store,
        store_timeout=store_timeout,
        resume=resume,
        overwrite=overwrite,
        executor=executor,
        ray_address=ray_address,
        workers=workers,
        gpus_per_worker=gpus_per_worker,
        progress=_progress_mode(quiet),
        options=load_options_from(kw),
        batch_size=batch_size,
        echo=click.echo,
    )


@cli.group(name="suites")
def suites_group() -> None:
    """Attack suites shipped with rm-harness."""


@suites_group.command(name="list")
def suites_list() -> None:
    """List the builtin suites with their attacks and prompt counts."""
    from harness.suite import builtin_suites, resolve_suite

    for name in builtin_suites():
        suite = resolve_suite(name).config
        sample = suite.data.sample or "all"
        click.echo(
            f"{name:<10} {len(suite.attacks):>2} attacks, {sample} prompts  {suite.description}"
        )


@suites_group.command(name="show")
@click.argument("name")
def suites_show(name: str) -> None:
    """Print a suite's TOML (a builtin name or a file), after validating it."""
    from harness.suite import resolve_suite

    click.echo(resolve_suite(name).text, nl=False)


@cli.group(name="findings")
def findings_group() -> None:
    """The findings store: list, show and export findings."""


def _store_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--store",
        type=click.Path(),
        default="runs/findings.db",
        show_default=True,
        help="Findings store (SQLite).",
    )(func)


@findings_group.command(name="list")
@_store_option
@click.option("--family", default=None, help="Only this family.")
@click.option("--kind", type=click.Choice(["finding", "instability", "all"]), default="finding")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def findings_list(store: str, family: str | None, kind: str, limit: int) -> None:
    """One line per stored finding: id, family, attack, sightings, best margin, text."""
    from harness.run_cli import findings_frame

    frame = findings_frame(store, family=family, kind=None if kind == "all" else kind)
    if frame.empty:
        click.echo("no findings")
        return
    columns = ["id", "kind", "family", "attack", "sightings", "checkpoints", "best_margin", "text"]
    click.echo(_terminal_table(frame[columns].head(limit), width=60))
    if len(frame) > limit:
        click.echo(f"... {len(frame) - limit} more (--limit)")


@findings_group.command(name="show")
@click.argument("finding_id", type=int)
@_store_option
def findings_show(finding_id: int, store: str) -> None:
    """A finding in full, with every sighting (run, checkpoint, score, open)."""
    from harness.run_cli import show_finding

    show_finding(store, finding_id, echo=click.echo)


@findings_group.command(name="export")
@_store_option
@click.option("--out", type=click.Path(), required=True, help=".csv, .jsonl or .parquet")
@click.option("--family", default=None, help="Only this family.")
@click.option("--kind", type=click.Choice(["finding", "instability", "all"]), default="all")
def findings_export(store: str, out: str, family: str | None, kind: str) -> None:
    """Export findings (CSV cells that could run as formulas are neutralized)."""
    from harness.core.tabular import write_table
    from harness.run_cli import findings_frame

    frame = findings_frame(store, family=family, kind=None if kind == "all" else kind)
    path = write_table(frame, out)
    click.echo(f"wrote {len(frame)} findings to {path}")


_BASELINE = click.option(
    "--baseline",
    type=click.Path(),
    default=None,
    help="An earlier run folder to compare with: deltas per family, regressions flagged.",
)
_POLICY = click.option(
    "--policy",
    type=click.Path(),
    default=None,
    help="Gate policy TOML (see gate.toml). Default: the built-in policy.",
)
_MISMATCH = click.option(
    "--allow-suite-mismatch",
    is_flag=True,
    help="Compare with a baseline that ran a different suite.",
)


@cli.command()
@click.argument("run", type=click.Path())
@_BASELINE
@_POLICY
@_MISMATCH
@click.option("--out", type=click.Path(), default=None, help="Folder for the files (default: RUN).")
def report(
    run: str, baseline: str | None, policy: str | None, allow_suite_mismatch: bool, out: str | None
) -> None:
    """Write report.html, report.md, summary.json and junit.xml for a run folder.

    Built from the run log alone, so it can be rebuilt at any time. The verdict is the
    gate's (--policy). Example: rmh report runs/rc2 --baseline runs/rc1
    """
    from harness.report_cli import report_command

    report_command(
        run,
        baseline=baseline,
        policy=policy,
        out=out,
        allow_suite_mismatch=allow_suite_mismatch,
        echo=click.echo,
    )


@cli.command()
@click.argument("run", type=click.Path())
@_POLICY
@_BASELINE
@_MISMATCH
@click.pass_context
def gate(
    ctx: click.Context,
    run: str,
    policy: str | None,
    baseline: str | None,
    allow_suite_mismatch: bool,
) -> None:
    """Decide a release: exit 0 (pass), 1 (fail) or 2 (error, unusable input).

    Example: rmh gate runs/rc2 --policy gate.toml --baseline runs/rc1
    """
    from harness.report_cli import gate_command

    code = gate_command(
        run,
        baseline=baseline,
        policy=policy,
        allow_suite_mismatch=allow_suite_mismatch,
        echo=click.echo,
    )
    ctx.exit(code)


@cli.command()
@click.option("--rebuild", is_flag=True, help="Retrain the demo RM even if a cached one exists.")
@click.option("--suite", default="quick", show_default=True, help="Suite to run on the demo RM.")
@click.option(
    "--out",
    type=click.Path(),
    default=None,
    help="Run folder. Default: runs/demo-<date>-<time> (the store is runs/findings.db).",
)
@click.option("--quiet", is_flag=True, help="No progress output.")
def demo(rebuild: bool, suite: str, out: str | None, quiet: bool) -> None:
    """The embedded default job: build the demo reward model, attack it, log the findings.

    The demo RM is MiniLM-L6 with a scalar head, trained with the pairwise loss on the
    bundled joke preferences (built once, then cached). The run prints its held-out
    pairwise accuracy beside the chance rate, replays findings stored by earlier demo
    runs, runs the suite's attacks and writes a run folder under runs/, then writes the
    report and prints the gate's verdict (built-in policy; rmh gate --policy for yours).
    """
    from pathlib import Path

    from harness.demo.run import run_demo
    from harness.run_cli import print_summary

    summary = run_demo(
        rebuild=rebuild,
        suite=suite,
        out=Path(out) if out else None,
        progress=_progress_mode(quiet),
        echo=click.echo,
    )
    print_summary(summary, click.echo)
    from harness.gate import load_policy
    from reports import build_report

    report = build_report(summary.folder, policy=load_policy(None))
    for line in report.verdict.lines():
        click.echo(line)
    click.echo(f"report: {report.paths['html']}")
    click.echo(
        f"(rmh gate {summary.folder} exits {report.verdict.exit_code} on this verdict; "
        "--policy gate.toml sets the thresholds)"
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point: one-line errors with exit 2 for bad input, no tracebacks."""
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s: %(message)s")
    try:
        code = cli.main(args=argv, prog_name="rmh", standalone_mode=False)
    except HarnessError as exc:
        click.echo(f"rmh: error: {exc}", err=True)
        return EXIT_BAD_INPUT
    except click.exceptions.Abort:
        click.echo("rmh: aborted", err=True)
        return 130
    except click.UsageError as exc:
        click.echo(f"rmh: error: {exc.format_message()} (see rmh --help)", err=True)
        return EXIT_BAD_INPUT
    except click.ClickException as exc:
        click.echo(f"rmh: error: {exc.format_message()}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("rmh: interrupted", err=True)
        return 130
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
