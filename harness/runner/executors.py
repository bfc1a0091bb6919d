"""Executors: where units run. ``local`` (default) and ``ray`` (the ``ray`` extra).

Every executor takes the same ``WorkerSpec`` and yields ``UnitResult``s as they finish;
the caller (the one process that writes the store and the run log) never learns which
worker did what, so the findings are the same either way.

Ray: shards of (checkpoint x attack x prompt chunk) go to a pool of actors; each actor
holds a ``Worker`` that loads each model once and keeps it. Results stream back in
completion order. ``address=None`` starts a local cluster with this machine's CPUs;
``address="auto"`` or ``"ray://host:10001"`` joins an existing one. Ray is imported only
when a Ray executor is made.

The stages ask an executor for work through typed methods, one per ``Worker`` method
they need (``describe``, ``clean``, ``score``, ``instabilities``, and ``run`` for units),
never through method names as strings: a renamed worker method is then an error where it
is called, not a Ray task failing at run time.

Executors are plugins (``EXECUTORS``, a ``harness.core.registry.Registry``): a class with
a ``name``, a ``create(spec, options, local_worker)`` classmethod and the methods of
``Executor``. A third-party package adds one (a batch scheduler, say) through the
``rm_harness.executors`` entry-point group, and ``rmh run --executor NAME`` finds it::

    [project.entry-points."rm_harness.executors"]
    slurm = "my_package.slurm:SlurmExecutor"
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.core.registry import Registry
from harness.runner.plan import Unit, shards
from harness.runner.worker import CleanMeasurement, UnitResult, Worker, WorkerSpec

if TYPE_CHECKING:
    from attacks.instability import Instability

ENTRY_POINT_GROUP = "rm_harness.executors"


@dataclass(frozen=True)
class ExecutorOptions:
    """Where a run's work goes: which executor, and how it reaches its workers. Each field
    is an option of ``rmh run`` and ``rmh rounds`` (``harness.cli.options``)."""

    name: str = field(
        default="local",
        metadata={
            "option": "executor",
            "help": "Where attacks run: local (this process), ray (Ray actors, the ray "
            "extra), or an executor a plugin registers.",
        },
    )
    address: str | None = field(
        default=None,
        metadata={
            "option": "ray-address",
            "help": "Join this Ray cluster ('auto', 'ray://head:10001'); "
            "default: start a local one.",
        },
    )
    workers: int | None = field(default=None, metadata={"min": 1, "help": "Ray actors."})
    gpus_per_worker: float = field(
        default=0.0,
        metadata={
            "min": 0,
            "help": "GPUs each Ray actor reserves (e.g. 1 on a multi-GPU cluster).",
        },
    )


class Executor(Protocol):
    """Runs a ``Worker``'s work somewhere: one method per thing the stages ask of it."""

    name: str

    @classmethod
    def create(
        cls, spec: WorkerSpec, options: ExecutorOptions, local_worker: Worker | None
    ) -> Executor:
        """Start the executor; ``local_worker`` has the models loaded already (reuse it if
        the executor runs work in this process)."""

    def describe(self, checkpoint: int) -> dict[str, Any]:
        """What ``rmh info`` shows of a checkpoint, with its ``fingerprint`` and ``spec``."""

    def clean(self, checkpoint: int, pairs: list[PreferencePair]) -> CleanMeasurement:
        """Held-out pairwise accuracy and chance rate of a checkpoint on ``pairs``."""

    def score(self, checkpoint: int, prompts: list[str], responses: list[str]) -> np.ndarray:
        """Scores of (prompt, response) pairs on a checkpoint (replay, transfer)."""

    def instabilities(
        self, checkpoint: int, pairs: list[PreferencePair], perturbations: list[str], seed: int
    ) -> tuple[list[Instability], int]:
        """The instability probe of a checkpoint: what it found, and the queries spent."""

    def run(self, units: Sequence[Unit]) -> Iterator[UnitResult]:
        """Run units; yield each result as soon as it is done."""

    def close(self) -> None: ...


#: What an executor class must have (``_check``), besides its ``name``.
EXECUTOR_METHODS = ("create", "describe", "clean", "score", "instabilities", "run", "close")


def _check(cls: Any) -> None:
    if not isinstance(getattr(cls, "name", None), str):
        raise TypeError(f"executor {cls!r} must set a string class attribute 'name'")
    for method in EXECUTOR_METHODS:
        if not callable(getattr(cls, method, None)):
            raise TypeError(f"executor {cls!r} has no {method}()")


EXECUTORS: Registry[type[Executor]] = Registry("executor", group=ENTRY_POINT_GROUP, check=_check)
register = EXECUTORS.register


@register
class LocalExecutor:
    """Units one after another in this process, on one worker."""

    name = "local"

    def __init__(self, spec: WorkerSpec, worker: Worker | None = None) -> None:
        self.worker = worker or Worker(spec)
        self.worker.reconfigure(spec)

    @classmethod
    def create(
        cls, spec: WorkerSpec, options: ExecutorOptions, local_worker: Worker | None
    ) -> LocalExecutor:
        return cls(spec, local_worker)

    def __repr__(self) -> str:
        return f"LocalExecutor(checkpoints={len(self.worker.spec.checkpoints)})"

    def describe(self, checkpoint: int) -> dict[str, Any]:
        return self.worker.describe(checkpoint)

    def clean(self, checkpoint: int, pairs: list[PreferencePair]) -> CleanMeasurement:
        return self.worker.clean(checkpoint, pairs)

    def score(self, checkpoint: int, prompts: list[str], responses: list[str]) -> np.ndarray:
        return self.worker.score(checkpoint, prompts, responses)

    def instabilities(
        self, checkpoint: int, pairs: list[PreferencePair], perturbations: list[str], seed: int
    ) -> tuple[list[Instability], int]:
        return self.worker.instabilities(checkpoint, pairs, perturbations, seed)

    def run(self, units: Sequence[Unit]) -> Iterator[UnitResult]:
        for unit in units:
            yield self.worker.run_unit(unit)

    def close(self) -> None:
        pass


@register
class RayExecutor:
    """A pool of Ray actors, each with its own ``Worker``."""

    name = "ray"

    @classmethod
    def create(
        cls, spec: WorkerSpec, options: ExecutorOptions, local_worker: Worker | None
    ) -> RayExecutor:
        return cls(
            spec,
            address=options.address,
            workers=options.workers,
            gpus_per_worker=options.gpus_per_worker,
        )

    def __init__(
        self,
        spec: WorkerSpec,
        *,
        address: str | None = None,
        workers: int | None = None,
        cpus_per_worker: float = 1.0,
        gpus_per_worker: float = 0.0,
        chunk: int = 4,
    ) -> None:
        try:
            import ray
            from ray.util import ActorPool
        except ImportError:
            raise HarnessError(
                "the ray executor needs the ray extra: pip install 'rm-harness[ray]'"
            ) from None
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            env = {"env_vars": {"TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"}}
            try:
                if address is None:
                    ray.init(
                        num_cpus=os.cpu_count(),
                        include_dashboard=False,
                        log_to_driver=False,
                        runtime_env=env,
                    )
                else:
                    ray.init(address=address, log_to_driver=False, runtime_env=env)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise HarnessError(f"cannot start or join the Ray cluster: {exc}") from None
            self._started = True
        cluster_cpus = int(ray.cluster_resources().get("CPU", 1))
        count = workers or max(1, int(cluster_cpus // max(cpus_per_worker, 1e-9)))
        actor_cls = ray.remote(num_cpus=cpus_per_worker, num_gpus=gpus_per_worker)(_RayWorker)
        self._actors = [actor_cls.remote(spec) for _ in range(count)]
        self._pool = ActorPool(self._actors)
        self._chunk = chunk
        self.workers = count

    def __repr__(self) -> str:
        return f"RayExecutor(workers={self.workers}, chunk={self._chunk})"

    # One actor answers the per-checkpoint questions; units go to the whole pool.
    def describe(self, checkpoint: int) -> dict[str, Any]:
        return self._get(self._actors[0].describe.remote(checkpoint))

    def clean(self, checkpoint: int, pairs: list[PreferencePair]) -> CleanMeasurement:
        return self._get(self._actors[0].clean.remote(checkpoint, pairs))

    def score(self, checkpoint: int, prompts: list[str], responses: list[str]) -> np.ndarray:
        return self._get(self._actors[0].score.remote(checkpoint, prompts, responses))

    def instabilities(
        self, checkpoint: int, pairs: list[PreferencePair], perturbations: list[str], seed: int
    ) -> tuple[list[Instability], int]:
        remote = self._actors[0].instabilities.remote(checkpoint, pairs, perturbations, seed)
        return self._get(remote)

    def run(self, units: Sequence[Unit]) -> Iterator[UnitResult]:
        batches = list(shards(units, self._chunk))
        for batch in batches:
            self._pool.submit(lambda actor, b: actor.run_units.remote(b), batch)
        while self._pool.has_next():
            try:
                results = self._pool.get_next_unordered()
            except self._ray.exceptions.RayError as exc:
                raise _worker_error(exc) from None
            yield from results

    def _get(self, ref: Any) -> Any:
        try:
            return self._ray.get(ref)
        except self._ray.exceptions.RayTaskError as exc:
            raise _worker_error(exc) from None

    def close(self) -> None:
        for actor in self._actors:
            self._ray.kill(actor)
        if self._started:
            self._ray.shutdown()


def _worker_error(exc: BaseException) -> HarnessError:
    """A Ray task's failure as this process raises it: a ``HarnessError`` the worker raised
    keeps its message and its class (an ``EndpointError`` still stops the run as one);
    anything else is one line naming the worker's last error line."""
    cause = getattr(exc, "cause", exc)
    if isinstance(cause, HarnessError):
        try:
            return type(cause)(str(cause))
        except TypeError:  # an error class with its own signature
            return HarnessError(str(cause))
    return HarnessError(f"a Ray worker failed: {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


class _RayWorker(Worker):
    """The actor body: a Worker whose models stay loaded between calls (the executor calls
    its methods by their names, ``actor.clean.remote(...)``)."""

    def __init__(self, spec: WorkerSpec) -> None:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        super().__init__(spec)


def make_executor(
    options: ExecutorOptions, spec: WorkerSpec, *, local_worker: Worker | None = None
) -> Executor:
    """The executor ``options.name`` names (an unknown name lists the registered ones);
    ``local_worker`` lets an in-process executor reuse already loaded models."""
    return EXECUTORS.get(options.name).create(spec, options, local_worker)
