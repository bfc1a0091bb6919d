"""Before the first stage: settle what the run is, check it can run, and write it down.

Everything a resume must not re-decide is fixed here and recorded in the ``init`` entry:
checkpoint specs as absolute paths (a resume from another directory finds them), the
judges' calibrated parameters (a resumed run judges exactly as before), the replay
horizon (which stored findings "before the run" means) and mode (representatives or
all: a resume replays as the run began), package versions. Everything that can fail for
a reason the user can fix fails here, before any budget is spent: a missing optional
extra (a non-optional attack stops the run; an optional one is skipped and logged), a
judge that is the attacked model.

A white-box attack on a checkpoint without gradients (an HTTP endpoint) is not an error
of the run: it is skipped on that checkpoint only, and the ``init`` entry records it
(``skipped_attacks``), so the plan leaves its units out on every resume and the report
and gate show it.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.judges import JudgeSpec, needs_calibration, resolve_checkpoints
from harness.models import LoadOptions
from harness.runlog import REPLAY_MODES, ErrorEntry, InitEntry, ReplayMode, RunOptions
from harness.runlog.entries import RunConfig, Seeds, SkippedAttack, SuiteRecord
from harness.runlog.nested import LibraryRecord
from harness.runner.worker import Worker, WorkerSpec
from harness.suite import AttackConfig, Suite

VERSIONED_PACKAGES = (
    "rm-harness",
    "torch",
    "transformers",
    "tokenizers",
    "numpy",
    "pandas",
    "hypothesis",
    "wordfreq",
    "textattack",
    "ray",
)


def package_versions() -> dict[str, str]:
    """Python's and the installed packages' versions (a result is read beside these)."""
    versions = {"python": sys.version.split()[0]}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def checkpoint_spec(spec: str) -> str:
    """Directories are recorded absolute, so a resume from elsewhere finds them.

    ``demo`` and ``gold-demo`` name the demo reward models (built once, then cached).
    """
    from harness.demo.build import resolve_checkpoint

    spec = resolve_checkpoint(spec)
    path = Path(spec)
    return str(path.resolve()) if path.exists() else spec


def replay_mode(config: RunConfig, log: Path) -> ReplayMode:
    """The replay mode a run began with, from its ``init`` config (in ``log``).

    A run logged before modes existed replayed every stored finding: ``all``.
    """
    mode = config.run_options.replay
    if mode not in REPLAY_MODES:
        raise HarnessError(f"run log {log}: unknown replay mode {mode!r}")
    return mode


def run_config(
    checkpoints: list[str],
    suite: Suite,
    *,
    options: LoadOptions,
    run_options: RunOptions,
) -> RunConfig:
    """How a new run is set up, with every checkpoint spec resolved (``run_options`` with
    its store already made absolute)."""
    replay = run_options.replay
    if replay not in REPLAY_MODES:
        raise HarnessError(f"unknown replay mode {replay!r}; allowed: {', '.join(REPLAY_MODES)}")
    return RunConfig(
        checkpoints=tuple(checkpoint_spec(c) for c in checkpoints),
        options=options.to_json(),
        run_options=run_options,
        suite_origin=suite.origin,
        suite_dir=str(suite.base_dir.resolve()) if suite.base_dir else None,
        judges=tuple(
            resolve_checkpoints(j, checkpoint_spec).to_json() for j in suite.judge_specs()
        ),
        attacks={a.id: resolved_params(a) for a in suite.config.attacks if has_checkpoints(a)},
    )


def has_checkpoints(entry: AttackConfig) -> bool:
    """Whether the attack has parameters naming a checkpoint (a transfer's surrogate)."""
    from attacks.registry import get_attack

    return bool(get_attack(entry.name).checkpoint_params)


def resolved_params(
    entry: AttackConfig, recorded: Mapping[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The attack's parameters with its checkpoints resolved: as the run recorded them
    (``recorded``: its config's ``attacks``), else resolved now as the judges' are."""
    from attacks.registry import resolve_attack_checkpoints

    if recorded and entry.id in recorded:
        return dict(recorded[entry.id])
    return resolve_attack_checkpoints(entry.name, entry.params, checkpoint_spec)


def available_attacks(
    suite: Suite, recorded: Mapping[str, dict[str, Any]] | None = None
) -> tuple[list[AttackConfig], list[tuple[str, str]]]:
    """Suite attacks that can run here, and ``(id, reason)`` of optional ones skipped.

    An attack can run when its extras are installed and what it loads for itself (an
    ``lm-guided`` attack's LM, a transfer's surrogate) loads: ``prepare`` loads it now,
    once, so a bad LM path is one line before any prompt rather than an error on every
    attempt. Either failure of a non-optional attack is an error. ``recorded``: the
    run's resolved checkpoint parameters (``resolved_params``).
    """
    from attacks.registry import get_attack

    kept, skipped = [], []
    for entry in suite.config.attacks:
        try:
            attack = get_attack(entry.name)
            attack.check_available()
            attack(**resolved_params(entry, recorded)).prepare()
        except HarnessError as exc:
            if not entry.optional:
                raise
            skipped.append((entry.id, str(exc)))
            continue
        kept.append(entry)
    return kept, skipped


def worker_spec(
    config: RunConfig,
    suite: Suite,
    prompts: list[PreferencePair],
    attacks: list[AttackConfig],
    init: InitEntry | None,
) -> WorkerSpec:
    """What every worker needs; the judges are the calibrated ones once ``init`` exists."""
    return WorkerSpec(
        checkpoints=config.checkpoints,
        options=LoadOptions(**config.options),
        prompts=tuple(prompts),
        attacks=tuple(
            (a.id, a.name, resolved_params(a, config.attacks), a.budget) for a in attacks
        ),
        margin=suite.config.margin,
        judges=tuple(JudgeSpec.from_json(j) for j in (init or config).judges),
        batch_size=config.run_options.batch_size,
        keep=suite.config.keep,
    )


def initialize(
    probe: Worker,
    spec: WorkerSpec,
    *,
    run_id: str,
    suite: Suite,
    config: RunConfig,
    pairs: list[PreferencePair],
    prompts: int,
    replay_horizon: int,
    executor: str,
    echo: Callable[[str], None],
    library: LibraryRecord | None = None,
) -> tuple[InitEntry, WorkerSpec]:
    """Describe the checkpoints and check and calibrate the judges in-process.

    Returns the ``init`` entry to write and the spec with the calibrated judges. The
    probe worker takes that spec and keeps its loaded models; the local executor reuses it.
    The attacks that cannot search a checkpoint are recorded as skipped there.
    """
    checkpoints = [probe.describe(c) for c in range(len(spec.checkpoints))]
    skipped: list[SkippedAttack] = []
    for c in range(len(spec.checkpoints)):
        probe.check_judges(c)
        probe.check_attacks(c)
        skipped += [
            SkippedAttack(attack_id=attack_id, attack=name, checkpoint=c, reason=why)
            for attack_id, name, why in probe.inaccessible(c)
        ]
    if any(needs_calibration(j) for j in spec.judges):
        echo("calibrating the judges on the references ...")
    judges = probe.calibrate_judges(pairs)
    cfg = suite.config
    init = InitEntry(
        run_id=run_id,
        suite=SuiteRecord(name=cfg.name, origin=suite.origin, text=suite.text),
        config=config,
        seeds=Seeds(seed=cfg.seed, replicates=cfg.replicates),
        checkpoints=tuple(checkpoints),
        prompts=prompts,
        pairs=len(pairs),
        margin=cfg.margin,
        judges=tuple(j.to_json() for j in judges),
        replay_horizon=replay_horizon,
        executor=executor,
        versions=package_versions(),
        started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        skipped_attacks=tuple(skipped),
        library=library,
    )
    spec = dataclasses.replace(spec, judges=judges)
    probe.reconfigure(spec)
    return init, spec


def skip_entries(skipped: list[tuple[str, str]]) -> list[ErrorEntry]:
    """One ``error`` entry (stage ``skip``) per optional attack left out."""
    return [ErrorEntry(stage="skip", attack=attack_id, message=why) for attack_id, why in skipped]
