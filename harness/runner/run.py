"""One run: a suite against one or more checkpoints, logged, stored, resumable.

Order of work (each step skipped on resume when the log says it is done):

1. ``init``: the suite text, checkpoints with fingerprints, seeds, versions, the gold
   judge's calibrated margin and the replay horizon (the newest stored finding id).
2. ``clean``: held-out pairwise accuracy and chance rate per checkpoint.
3. ``replay`` (phase "before"): every finding stored before the run, re-scored on each
   checkpoint: still open, or closed?
4. ``instability`` probes, when the suite enables them.
5. ``attempt`` per unit (attack x prompt x replicate x checkpoint), with its ``finding``
   and ``error`` entries. Findings go to the store first, then to the log, then to the
   screen.
6. ``replay`` (phase "transfer"), with several checkpoints: this run's findings from
   each checkpoint re-scored on the others; written as ``transfer.csv``.
7. ``completion``.

A unit is done when its ``attempt`` line is in the log. A killed run redoes only the
unit it was in; the store ignores the re-recorded sightings and the log skips findings
it already holds, so nothing is lost or duplicated and no budget is spent twice in the
record.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from attacks.base import AttackOutcome
from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.judges import JudgeSpec, resolve_checkpoints
from harness.models import LoadOptions
from harness.runlog import LOG_NAME, RunLog, read_log, replay_status
from harness.runner.executors import Executor, make_executor
from harness.runner.plan import Unit, plan_units
from harness.runner.progress import Mode, Progress
from harness.runner.worker import UnitResult, Worker, WorkerSpec
from harness.scoring import outscores
from harness.store import FindingStore, NewFinding, Sighting
from harness.suite import Suite, parse_suite

SUITE_COPY = "suite.toml"
TRANSFER_NAME = "transfer.csv"
REPLAY_CHUNK = 512
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


@dataclass(frozen=True)
class ExecutorOptions:
    name: str = "local"
    address: str | None = None
    workers: int | None = None
    gpus_per_worker: float = 0.0


@dataclass
class RunSummary:
    folder: Path
    run_id: str
    attempts: int
    findings_by_family: dict[str, int]
    replayed: int
    reopened: int
    still_open: int
    errors: int
    seconds: float
    transfer: pd.DataFrame | None = None


def package_versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _checkpoint_spec(spec: str) -> str:
    """Directories are recorded absolute, so a resume from elsewhere finds them.

    ``demo`` names the demo reward model (built once, then cached).
    """
    from harness.demo.build import resolve_checkpoint

    spec = resolve_checkpoint(spec)
    path = Path(spec)
    return str(path.resolve()) if path.exists() else spec


def _available_attacks(suite: Suite) -> tuple[list[Any], list[tuple[str, str]]]:
    """Suite attacks whose extras are installed; optional ones without theirs are skipped."""
    from attacks.registry import get_attack

    kept, skipped = [], []
    for entry in suite.config.attacks:
        try:
            get_attack(entry.name).check_available()
        except HarnessError as exc:
            if not entry.optional:
                raise
            skipped.append((entry.id, str(exc)))
            continue
        kept.append(entry)
    return kept, skipped


# --------------------------------------------------------------------------- folders
def prepare_folder(out: Path, *, overwrite: bool) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        if not overwrite:
            raise HarnessError(
                f"run folder {out} exists; pass --resume to continue it or --overwrite "
                "to start it again"
            )
        if not out.is_dir() or not (out / LOG_NAME).is_file():
            raise HarnessError(f"refusing to overwrite {out}: it is not a run folder")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


# --------------------------------------------------------------------------- entry points
def start_run(
    checkpoints: list[str],
    suite: Suite,
    out: str | Path,
    *,
    store: str | Path | None = None,
    store_timeout: float = 30.0,
    options: LoadOptions | None = None,
    batch_size: int = 64,
    executor: ExecutorOptions = ExecutorOptions(),
    overwrite: bool = False,
    progress: Mode = "lines",
    echo: Callable[[str], None] = print,
) -> RunSummary:
    """Start a run in a new folder ``out``; ``store`` defaults to ``findings.db`` beside it."""
    if not checkpoints:
        raise HarnessError("give at least one checkpoint")
    out = Path(out)
    store_path = Path(store) if store else out.parent / "findings.db"
    with FindingStore.open(store_path, timeout=store_timeout):  # fail before touching the folder
        pass
    prepare_folder(out, overwrite=overwrite)
    (out / SUITE_COPY).write_text(suite.text, encoding="utf-8")
    config = {
        "checkpoints": [_checkpoint_spec(c) for c in checkpoints],
        "options": dataclasses.asdict(options or LoadOptions()),
        "batch_size": batch_size,
        "store": str(store_path.resolve()),
        "store_timeout": store_timeout,
        "suite_origin": suite.origin,
        "suite_dir": str(suite.base_dir.resolve()) if suite.base_dir else None,
        "judges": [
            resolve_checkpoints(j, _checkpoint_spec).to_json() for j in suite.judge_specs()
        ],
    }
    log = RunLog.create(out / LOG_NAME)
    return _Run(out, suite, config, log, executor, progress, echo, fresh=True).execute()


def resume_run(
    out: str | Path,
    *,
    executor: ExecutorOptions = ExecutorOptions(),
    progress: Mode = "lines",
    echo: Callable[[str], None] = print,
) -> RunSummary:
    """Continue a killed or failed run from its log."""
    out = Path(out)
    if not (out / LOG_NAME).is_file():
        raise HarnessError(f"{out} is not a run folder (no {LOG_NAME}); nothing to resume")
    contents = read_log(out / LOG_NAME)
    init = contents.init
    if init is None:
        raise HarnessError(
            f"{out} has no init entry (killed before it started); start it again with --overwrite"
        )
    if contents.complete:
        echo(f"run {out} is already complete; nothing to resume")
        transfer = out / TRANSFER_NAME
        return summary_from(
            contents.of_type("completion")[-1],
            out,
            init["run_id"],
            pd.read_csv(transfer, index_col=0) if transfer.is_file() else None,
        )
    config = init["config"]
    suite = parse_suite(
        init["suite"]["text"],
        origin=init["suite"]["origin"],
        base_dir=Path(config["suite_dir"]) if config.get("suite_dir") else None,
    )
    log = RunLog.append_to(out / LOG_NAME)
    run = _Run(out, suite, config, log, executor, progress, echo, fresh=False)
    run.restore(contents.entries)
    return run.execute()


# --------------------------------------------------------------------------- the run
class _Run:
    def __init__(
        self,
        out: Path,
        suite: Suite,
        config: dict[str, Any],
        log: RunLog,
        executor: ExecutorOptions,
        progress: Mode,
        echo: Callable[[str], None],
        *,
        fresh: bool,
    ) -> None:
        self.out = out
        self.suite = suite
        self.config = config
        self.log = log
        self.executor_options = executor
        self.progress_mode = progress
        self.echo = echo
        self.fresh = fresh
        self.started = time.monotonic()
        self.run_id = f"{out.name}-{uuid.uuid4().hex[:8]}"
        self.init: dict[str, Any] | None = None
        # What the log already holds (filled by ``restore`` on resume).
        self.done_units: set[str] = set()
        self.clean_done: set[int] = set()
        self.logged_findings: set[tuple[int, str]] = set()
        self.replayed: set[tuple[str, int, int, int]] = set()  # (phase, source, ckpt, id)
        self.run_findings: dict[int, dict[str, dict[str, Any]]] = {}
        self.entries: list[dict[str, Any]] = []

    def restore(self, entries: list[dict[str, Any]]) -> None:
        self.entries = list(entries)
        self.init = entries[0] if entries and entries[0]["type"] == "init" else None
        if self.init:
            self.run_id = self.init["run_id"]
        for entry in entries:
            kind = entry["type"]
            if kind == "attempt":
                self.done_units.add(entry["unit"])
            elif kind == "clean":
                self.clean_done.add(entry["checkpoint"])
            elif kind == "finding":
                self.logged_findings.add((entry["checkpoint"], entry["key"]))
                self.run_findings.setdefault(entry["checkpoint"], {})[entry["key"]] = entry
            elif kind == "replay":
                self.replayed.add(
                    (entry["phase"], entry["source"], entry["checkpoint"], entry["finding_id"])
                )

    def _write(self, kind: str, **fields: Any) -> dict[str, Any]:
        entry = self.log.write(kind, **fields)
        self.entries.append(entry)
        return entry

    # ----------------------------------------------------------------- main
    def execute(self) -> RunSummary:
        suite = self.suite
        all_pairs = suite.pairs()
        self.prompts = suite.prompts(all_pairs)
        attacks, skipped = _available_attacks(suite)
        spec = WorkerSpec(
            checkpoints=tuple(self.config["checkpoints"]),
            options=LoadOptions(**self.config["options"]),
            prompts=tuple(self.prompts),
            attacks=tuple((a.id, a.name, dict(a.params), a.budget) for a in attacks),
            margin=suite.config.margin,
            judges=tuple(
                JudgeSpec.from_json(j) for j in (self.init or self.config)["judges"]
            ),
            batch_size=self.config["batch_size"],
        )
        timeout = self.config.get("store_timeout", 30.0)
        with FindingStore.open(self.config["store"], timeout=timeout) as store:
            store.register_run(self.run_id, str(self.out.resolve()), suite.name)
            self.store = store
            probe = None
            if self.init is None:
                probe = Worker(spec)
                spec = self._write_init(probe, spec, all_pairs, skipped, store)
            executor = make_executor(
                self.executor_options.name,
                spec,
                address=self.executor_options.address,
                workers=self.executor_options.workers,
                gpus_per_worker=self.executor_options.gpus_per_worker,
                local_worker=probe,
            )
            try:
                return self._stages(executor, spec, attacks, all_pairs)
            finally:
                executor.close()
                self.log.close()

    def _write_init(
        self,
        probe: Worker,
        spec: WorkerSpec,
        all_pairs: list[PreferencePair],
        skipped: list[tuple[str, str]],
        store: FindingStore,
    ) -> WorkerSpec:
        """Describe checkpoints and calibrate the gold judge in-process, then log ``init``.

        The probe worker keeps its models; the local executor reuses it.
        """
        checkpoints = [probe.describe(c) for c in range(len(spec.checkpoints))]
        for c in range(len(spec.checkpoints)):
            probe.check_judges(c)
            probe.check_access(c)
        if any("calibrate" in j.params.values() for j in spec.judges):
            self.echo("calibrating the judges on the references ...")
        judges = probe.calibrate_judges(all_pairs)
        cfg = self.suite.config
        self.init = self._write(
            "init",
            run_id=self.run_id,
            suite={"name": cfg.name, "origin": self.suite.origin, "text": self.suite.text},
            config=self.config,
            seeds={"seed": cfg.seed, "replicates": cfg.replicates},
            checkpoints=checkpoints,
            prompts=len(self.prompts),
            pairs=len(all_pairs),
            margin=cfg.margin,
            judges=[j.to_json() for j in judges],
            replay_horizon=store.max_finding_id(),
            executor=self.executor_options.name,
            versions=package_versions(),
            started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        for entry_id, message in skipped:
            self._write("error", stage="skip", attack=entry_id, message=message)
            self.echo(f"skipped attack {entry_id}: {message}")
        spec = dataclasses.replace(spec, judges=judges)
        probe.reconfigure(spec)
        return spec

    def _stages(
        self,
        executor: Executor,
        spec: WorkerSpec,
        attacks: list[Any],
        all_pairs: list[PreferencePair],
    ) -> RunSummary:
        init = self.init
        assert init is not None
        fingerprints = [c["fingerprint"] for c in init["checkpoints"]]
        self.fingerprints = fingerprints
        if not self.fresh:
            for c, expected in enumerate(fingerprints):
                now = executor.call("describe", c)["fingerprint"]
                if now != expected:
                    raise HarnessError(
                        f"checkpoint {spec.checkpoints[c]} changed since the run started "
                        "(fingerprint differs); start a new run"
                    )
        for info in init["checkpoints"]:
            self.store.label_checkpoint(info["fingerprint"], info["spec"])
        cfg = self.suite.config
        for c in range(len(fingerprints)):
            if c not in self.clean_done:
                clean = executor.call("clean", c, all_pairs)
                self._write("clean", checkpoint=c, fingerprint=fingerprints[c], **clean)
                self.echo(
                    f"checkpoint {c}: held-out accuracy {clean['accuracy']['accuracy']:.1%} "
                    f"(n={clean['accuracy']['n']}), chance rate {clean['chance']['rate']:.1%}"
                )
        self._replay_before(executor)
        if cfg.instability.enabled:
            self._instabilities(executor, all_pairs)
        units = plan_units(
            checkpoints=len(fingerprints),
            attack_ids=[a.id for a in attacks],
            replicates=cfg.replicates,
            prompts=len(self.prompts),
            seed=cfg.seed,
        )
        pending = [u for u in units if u.id not in self.done_units]
        if len(pending) < len(units):
            self.echo(f"resuming: {len(units) - len(pending)} of {len(units)} attempts done")
        self._attack(executor, pending, {a.id: a for a in attacks})
        transfer = self._transfer(executor) if len(fingerprints) > 1 else None
        return self._complete(units, transfer)

    # --------------------------------------------------------------- replay
    def _replay(
        self,
        executor: Executor,
        items: list[dict[str, Any]],
        *,
        phase: str,
        source: int,
        checkpoint: int,
    ) -> list[dict[str, Any]]:
        items = [
            i for i in items if (phase, source, checkpoint, i["finding_id"]) not in self.replayed
        ]
        entries = []
        previous = (
            self.store.previous_status([i["finding_id"] for i in items], before_run=self.run_id)
            if phase == "before"
            else {}
        )
        margin = self.suite.config.margin
        for start in range(0, len(items), REPLAY_CHUNK):
            chunk = items[start : start + REPLAY_CHUNK]
            prompts = [i["prompt"] for i in chunk] * 2
            responses = [i["text"] for i in chunk] + [i["reference"] for i in chunk]
            scores = executor.call("score", checkpoint, prompts, responses)
            sightings = []
            for k, item in enumerate(chunk):
                score, ref = float(scores[k]), float(scores[len(chunk) + k])
                is_open = outscores(score, ref, margin)
                sightings.append(Sighting(item["finding_id"], score, ref, is_open))
            self.store.record_replay(
                sightings,
                run_id=self.run_id,
                checkpoint=self.fingerprints[checkpoint],
                source="replay" if phase == "before" else "transfer",
            )
            for item, sighting in zip(chunk, sightings, strict=True):
                entries.append(
                    self._write(
                        "replay",
                        phase=phase,
                        source=source,
                        checkpoint=checkpoint,
                        fingerprint=self.fingerprints[checkpoint],
                        finding_id=item["finding_id"],
                        key=item["key"],
                        family=item["family"],
                        attack=item["attack"],
                        prompt=item["prompt"],
                        text=item["text"],
                        score=sighting.score,
                        reference_score=sighting.reference_score,
                        margin=sighting.score - sighting.reference_score,
                        open=sighting.is_open,
                        was_open=previous.get(item["finding_id"]),
                    )
                )
                self.replayed.add((phase, source, checkpoint, item["finding_id"]))
        return entries

    def _replay_before(self, executor: Executor) -> None:
        stored = self.store.findings(kind="finding", up_to_id=self.init["replay_horizon"])
        if not stored:
            return
        items = [
            {
                "finding_id": row["id"],
                "key": row["key"],
                "family": row["family"],
                "attack": row["attack"],
                "prompt": row["prompt"],
                "reference": row["reference"],
                "text": row["text"],
            }
            for row in stored
        ]
        for c in range(len(self.fingerprints)):
            self.echo(f"replaying {len(items)} stored findings on checkpoint {c} ...")
            entries = self._replay(executor, items, phase="before", source=-1, checkpoint=c)
            still = sum(e["open"] for e in entries)
            reopened = sum(replay_status(e) == "reopened" for e in entries)
            if entries:
                self.echo(
                    f"  {still}/{len(entries)} still open, {len(entries) - still} closed, "
                    f"{reopened} reopened"
                )

    # --------------------------------------------------------------- probes
    def _instabilities(self, executor: Executor, all_pairs: list[PreferencePair]) -> None:
        cfg = self.suite.config.instability
        pairs = all_pairs[: cfg.pairs]
        for c in range(len(self.fingerprints)):
            unit = f"{c}/instability"
            if unit in self.done_units:
                continue
            started = time.monotonic()
            found, queries = executor.call(
                "instabilities", c, pairs, list(cfg.perturbations), self.suite.config.seed
            )
            news = [
                NewFinding(
                    kind="instability",
                    prompt=i.prompt,
                    reference=i.chosen if i.side == "chosen" else i.rejected,
                    text=i.perturbed,
                    family="instability",
                    attack=i.perturbation,
                    reasons=(
                        f"{i.side} edited by {i.perturbation}: "
                        f"{i.chosen_score if i.side == 'chosen' else i.rejected_score:.3f} -> "
                        f"{i.perturbed_score:.3f} flips the pair",
                    ),
                    score=i.perturbed_score,
                    reference_score=i.chosen_score if i.side == "chosen" else i.rejected_score,
                    detail=dataclasses.asdict(i),
                )
                for i in found
            ]
            ids = self.store.record(news, run_id=self.run_id, checkpoint=self.fingerprints[c])
            for new, finding_id, inst in zip(news, ids, found, strict=True):
                if (c, new.key) in self.logged_findings:
                    continue
                self._write(
                    "instability",
                    checkpoint=c,
                    finding_id=finding_id,
                    key=new.key,
                    swing=inst.swing,
                    **dataclasses.asdict(inst),
                )
                self.logged_findings.add((c, new.key))
            self._write(
                "attempt",
                unit=unit,
                checkpoint=c,
                attack="instability",
                family="instability",
                pairs=len(pairs),
                queries=queries,
                findings=len(found),
                seconds=time.monotonic() - started,
            )
            self.echo(f"checkpoint {c}: {len(found)} instabilities over {len(pairs)} pairs")

    # --------------------------------------------------------------- attack
    def _attack(self, executor: Executor, pending: list[Unit], attacks: dict[str, Any]) -> None:
        if not pending:
            return
        progress = Progress(len(pending), mode=self.progress_mode, echo=self.echo)
        try:
            for result in executor.run(pending):
                new = self._record_unit(result, attacks[result.unit.attack_id])
                progress.update(
                    attack=result.unit.attack_id,
                    prompt_index=result.unit.prompt_index,
                    queries=result.outcome.queries,
                    findings=new,
                )
        finally:
            progress.close()

    def _record_unit(self, result: UnitResult, entry: Any) -> int:
        """Store, then log: findings, an error if any, and the attempt that marks it done."""
        unit, outcome = result.unit, result.outcome
        c = unit.checkpoint
        news = [
            NewFinding(
                kind="finding",
                prompt=f.prompt,
                reference=outcome.reference,
                text=f.text,
                family=f.family,
                attack=f.attack,
                reasons=f.reasons,
                score=f.score,
                reference_score=f.reference_score,
                detail={
                    "seed": f.seed,
                    "queries_at_find": f.queries_at_find,
                    "seeded": f.seeded,
                    "attack_id": unit.attack_id,
                },
            )
            for f in outcome.findings
        ]
        ids = self.store.record(news, run_id=self.run_id, checkpoint=self.fingerprints[c])
        written = 0
        for finding, new, finding_id in zip(outcome.findings, news, ids, strict=True):
            if (c, new.key) in self.logged_findings:
                continue
            entry_fields = {
                "checkpoint": c,
                "fingerprint": self.fingerprints[c],
                "unit": unit.id,
                "finding_id": finding_id,
                "key": new.key,
                "attack_id": unit.attack_id,
                "reference": outcome.reference,
                **dataclasses.asdict(finding),
            }
            self._write("finding", **entry_fields)
            self.logged_findings.add((c, new.key))
            self.run_findings.setdefault(c, {})[new.key] = entry_fields
            written += 1
        if outcome.error:
            self._write(
                "error",
                stage="attack",
                unit=unit.id,
                checkpoint=c,
                attack=unit.attack_id,
                prompt_index=unit.prompt_index,
                message=outcome.error,
            )
        self._write("attempt", **_attempt_fields(unit, outcome, entry.name))
        return written

    # ------------------------------------------------------------- transfer
    def _transfer(self, executor: Executor) -> pd.DataFrame:
        n = len(self.fingerprints)
        for source in range(n):
            found = list(self.run_findings.get(source, {}).values())
            items = [
                {k: f[k] for k in ("finding_id", "key", "family", "attack", "prompt", "text")}
                | {"reference": f["reference"]}
                for f in found
            ]
            for target in range(n):
                if target != source and items:
                    self._replay(
                        executor, items, phase="transfer", source=source, checkpoint=target
                    )
        matrix = transfer_matrix(self.entries, n)
        matrix.to_csv(self.out / TRANSFER_NAME)
        return matrix

    # ------------------------------------------------------------- complete
    def _complete(self, units: list[Unit], transfer: pd.DataFrame | None) -> RunSummary:
        totals = run_totals(self.entries)
        init_time = datetime.fromisoformat(self.init["time"])
        entry = self._write(
            "completion",
            units=len(units),
            **totals,
            wall_seconds=(datetime.now(timezone.utc) - init_time).total_seconds(),
            session_seconds=time.monotonic() - self.started,
        )
        return summary_from(entry, self.out, self.run_id, transfer)


def run_totals(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The completion totals of a run, from its log entries."""
    logged = {(e["checkpoint"], e["key"]): e for e in entries if e["type"] == "finding"}
    by_family = Counter(e["family"] for e in logged.values())
    attempts = [e for e in entries if e["type"] == "attempt"]
    before = [e for e in entries if e["type"] == "replay" and e["phase"] == "before"]
    return {
        "attempts": len(attempts),
        "findings": len(logged),
        "findings_by_family": dict(sorted(by_family.items())),
        "instabilities": sum(e["type"] == "instability" for e in entries),
        "replayed": len(before),
        "still_open": sum(e["open"] for e in before),
        "reopened": sum(replay_status(e) == "reopened" for e in before),
        "errors": sum(e["type"] == "error" and e.get("stage") == "attack" for e in entries),
        "queries": sum(e.get("queries", 0) for e in attempts),
    }


def summary_from(
    completion: dict[str, Any], folder: Path, run_id: str, transfer: pd.DataFrame | None
) -> RunSummary:
    return RunSummary(
        folder=folder,
        run_id=run_id,
        attempts=completion["attempts"],
        findings_by_family=completion["findings_by_family"],
        replayed=completion["replayed"],
        reopened=completion["reopened"],
        still_open=completion["still_open"],
        errors=completion["errors"],
        seconds=completion["wall_seconds"],
        transfer=transfer,
    )


def _attempt_fields(unit: Unit, outcome: AttackOutcome, attack_name: str) -> dict[str, Any]:
    firsts = [f.queries_at_find for f in outcome.findings]
    return {
        "unit": unit.id,
        "checkpoint": unit.checkpoint,
        "attack": unit.attack_id,
        "attack_name": attack_name,
        "family": outcome.family,
        "replicate": unit.replicate,
        "prompt_index": unit.prompt_index,
        "prompt": outcome.prompt,
        "seed": unit.seed,
        "budget": outcome.budget,
        "queries": outcome.queries,
        "evaluated": outcome.evaluated,
        "reference_score": outcome.reference_score,
        "best_score": _finite(outcome.best_score),
        "best_margin": _finite(outcome.best_margin),
        "findings": len(outcome.findings),
        "searched_findings": len(outcome.searched_findings),
        "first_finding_queries": min(firsts) if firsts else None,
        "seconds": outcome.seconds,
        "error": outcome.error is not None,
    }


def transfer_matrix(entries: list[dict[str, Any]], checkpoints: int) -> pd.DataFrame:
    """Rows: where findings were first found in this run; columns: share still open there."""
    frame = pd.DataFrame(
        [e for e in entries if e["type"] == "replay" and e["phase"] == "transfer"],
        columns=["source", "checkpoint", "open"],
    )
    labels = [f"ckpt{c}" for c in range(checkpoints)]
    matrix = pd.DataFrame(float("nan"), index=labels, columns=labels)
    matrix.index.name = "found_on"
    for (source, target), group in frame.groupby(["source", "checkpoint"]):
        matrix.iloc[int(source), int(target)] = float(group["open"].mean())
        matrix.iloc[int(source), int(source)] = 1.0  # open where found, by definition
    return matrix
