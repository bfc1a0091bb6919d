"""The ``rmh`` command line: one module per verb, each owning its declaration and its body.

Where things go: a verb's click declaration and the code behind it live in its module
(``info``, ``score``, ``attack``, ``run``, ``suites``, ``findings``, ``exploits``,
``report``, ``gate``, ``rounds``, ``demo``); inputs used by several verbs (options generated from
config dataclasses, the store option, the progress mode) in ``options``; printing used
by several verbs in ``output``. This module holds only the group, the error handling
and the registration.

Bad input never shows a traceback: a ``HarnessError`` prints as one line on stderr
(``rmh: error: ...``) and exits 2. Verb modules import heavy libraries (torch, pandas,
the runner) inside their bodies, so that ``rmh --help`` stays instant.
"""

from __future__ import annotations

import logging

import click

from harness import __version__
from harness.cli import (
    attack,
    demo,
    exploits,
    findings,
    gate,
    info,
    judges,
    report,
    rounds,
    run,
    sample,
    score,
    serve,
    suites,
    sweep,
)
from harness.core.errors import HarnessError
from harness.core.visible import make_visible

__all__ = ["EXIT_BAD_INPUT", "cli", "main"]

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


for _command in (
    info.info,
    score.score,
    attack.attacks_group,
    attack.attack,
    judges.judges_group,
    run.run_command,
    rounds.rounds,
    sample.sample,
    sweep.sweep,
    suites.suites_group,
    findings.findings_group,
    exploits.exploits_group,
    report.report,
    gate.gate,
    serve.serve,
    demo.demo,
):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """Entry point: one-line errors with exit 2 for bad input, no tracebacks."""
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s: %(message)s")
    try:
        code = cli.main(args=argv, prog_name="rmh", standalone_mode=False)
    except HarnessError as exc:
        # One line, whatever the message quotes (a library's error text, a damaged file's
        # bytes): control characters and line breaks are shown, not printed.
        click.echo(f"rmh: error: {make_visible(str(exc))}", err=True)
        return EXIT_BAD_INPUT
    except click.exceptions.Abort:
        click.echo("rmh: aborted", err=True)
        return 130
    except click.UsageError as exc:
        click.echo(f"rmh: error: {make_visible(exc.format_message())} (see rmh --help)", err=True)
        return EXIT_BAD_INPUT
    except click.ClickException as exc:
        click.echo(f"rmh: error: {make_visible(exc.format_message())}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("rmh: interrupted", err=True)
        return 130
    return code if isinstance(code, int) else 0
