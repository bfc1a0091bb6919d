"""The user's own trainer, a Python function or a command, and the spec that picks one.

An experiment retrains with whatever the user already trains reward models with: a
decoder through TRL, a cluster job, a script. ``make_trainer(spec)`` reads the
``--trainer`` spec (recorded in the experiment log, so a resume picks the same one):

- no spec: ``BuiltinTrainer`` (``builtin_trainer.py``);
- ``module:function`` (no spaces), a ``CallableTrainer``: calls
  ``function(init_checkpoint, pairs_jsonl, out_dir, config) -> checkpoint_dir`` (paths
  are ``pathlib.Path``; ``config`` is a plain dict of ``TrainConfig`` fields, seed
  included; returning None means ``out_dir``);
- anything else, a ``CommandTrainer("cmd ... {init} {pairs} {out}")``: runs a command,
  without a shell; the template is split like a shell would (``shlex``) and ``{init}``,
  ``{pairs}``, ``{out}``, and optionally ``{config}`` (a JSON file of the config) and
  ``{seed}``, are substituted in each word. The checkpoint is ``{out}``.

A hook's output is staged, loaded and scored before it is used, like the built-in
trainer's (``trainer.Trainer.train``); a hook that cannot be imported, a command that
lacks a placeholder, fails, or times out is a one-line ``TrainerError``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.experiments.rounds.builtin_trainer import BuiltinTrainer
from harness.experiments.rounds.trainer import Job, Trainer, TrainerError, one_line

__all__ = ["CallableTrainer", "CommandTrainer", "make_trainer"]

_PLACEHOLDERS = ("{init}", "{pairs}", "{out}")
_TAIL_LINES = 3


class CallableTrainer(Trainer):
    """``module:function(init_checkpoint, pairs_jsonl, out_dir, config) -> checkpoint_dir``."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.name = f"callable:{spec}"
        self.function = _import(spec)

    def _run(self, job: Job) -> tuple[Path, None]:
        job.staging.mkdir(parents=True)
        made = self.function(
            job.init_checkpoint, job.pairs_jsonl, job.staging, job.config.as_dict()
        )
        if made is not None and not isinstance(made, (str, os.PathLike)):
            raise TrainerError(
                f"trainer {self.name} returned {type(made).__name__}; "
                "it must return the checkpoint folder (or None for out_dir)"
            )
        return Path(made) if made is not None else job.staging, None


def _import(spec: str) -> Callable[..., Any]:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise TrainerError(f"trainer hook {spec!r} must look like module:function")
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise TrainerError(
            f"cannot import trainer hook module {module_name!r}: {type(exc).__name__}: "
            f"{one_line(str(exc))}"
        ) from None
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise TrainerError(f"trainer hook {spec!r}: {module_name} has no {attribute}") from None
    if not callable(target):
        raise TrainerError(f"trainer hook {spec!r} is not callable")
    return target


class CommandTrainer(Trainer):
    """A command template with ``{init}``, ``{pairs}`` and ``{out}`` (``{config}``, ``{seed}``).

    The command's output goes to ``<out_dir>.log`` beside the checkpoint; a failure's
    message carries the last lines of its stderr.
    """

    def __init__(self, template: str, *, timeout: float | None = None) -> None:
        try:
            words = shlex.split(template)
        except ValueError as exc:
            raise TrainerError(f"cannot split trainer command {template!r}: {exc}") from None
        missing = [p for p in _PLACEHOLDERS if not any(p in w for w in words)]
        if missing:
            raise TrainerError(
                f"trainer command {template!r} lacks {', '.join(missing)}; it needs "
                f"{', '.join(_PLACEHOLDERS)} (the checkpoint, the pair file, the output folder)"
            )
        self.template = template
        self.words = words
        self.timeout = timeout
        self.name = f"command:{template}"

    def argv(self, values: dict[str, str]) -> list[str]:
        """The command's words with the placeholders filled (no shell, so no quoting)."""
        out = []
        for word in self.words:
            for key, value in values.items():
                word = word.replace("{" + key + "}", value)
            out.append(word)
        return out

    def _run(self, job: Job) -> tuple[Path, None]:
        config_file = job.staging.with_name(f"{job.staging.name}.config.json")
        log = job.out_dir.with_name(f"{job.out_dir.name}.log")
        config_file.write_text(json.dumps(job.config.as_dict(), indent=2) + "\n")
        values = {
            "init": str(job.init_checkpoint),
            "pairs": str(job.pairs_jsonl),
            "out": str(job.staging),
            "config": str(config_file),
            "seed": str(job.config.seed),
        }
        argv = self.argv(values)
        try:
            with log.open("wb") as out:
                done = subprocess.run(
                    argv, stdout=out, stderr=subprocess.PIPE, timeout=self.timeout, check=False
                )
                out.write(done.stderr)
        except FileNotFoundError:
            raise TrainerError(f"trainer command not found: {argv[0]!r}") from None
        except subprocess.TimeoutExpired:
            raise TrainerError(
                f"trainer command timed out after {self.timeout:g}s: {shlex.join(argv)}"
            ) from None
        finally:
            with contextlib.suppress(OSError):
                config_file.unlink()
        if done.returncode != 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-_TAIL_LINES:]
            raise TrainerError(
                f"trainer command exited with status {done.returncode}: "
                f"{one_line(chr(10).join(tail)) or 'no error output'} (output in {log})"
            )
        return job.staging, None


def make_trainer(spec: str | None) -> Trainer:
    """``None``: built-in; ``module:function`` (no spaces): a callable; else a command template."""
    if spec is None or not spec.strip():
        return BuiltinTrainer()
    spec = spec.strip()
    if ":" in spec and not any(c.isspace() for c in spec):
        return CallableTrainer(spec)
    return CommandTrainer(spec)
