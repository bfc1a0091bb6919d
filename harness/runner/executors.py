"""Executors: where units run. ``local`` (default) and ``ray`` (the ``ray`` extra).

Every executor takes the same ``WorkerSpec`` and yields ``UnitResult``s as they finish;
the caller (the one process that writes the store and the run log) never learns which
worker did what, so the findings are the same either way.

Ray: shards of (checkpoint x attack x prompt chunk) go to a pool of actors; each actor
holds a ``Worker`` that loads each model once and keeps it. Results stream back in
completion order. ``address=None`` starts a local cluster with this machine's CPUs;
``address="auto"`` or ``"ray://host:10001"`` joins an existing one. Ray is imported only
when a Ray executor is made.

Executors are plugins (``EXECUTORS``, a ``harness.core.registry.Registry``): a class with
a ``name`` and a ``create(spec, options, local_worker)`` classmethod. A third-party
package adds one (a batch scheduler, say) through the ``rm_harness.executors`` entry-point
group, and ``rmh run --executor NAME`` finds it::

    [project.entry-points."rm_harness.executors"]
    slurm = "my_package.slurm:SlurmExecutor"
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from harness.core.errors import HarnessError
from harness.core.registry import Registry
from harness.runner.plan import Unit, shards
from harness.runner.worker import UnitResult, Worker, WorkerSpec

ENTRY_POINT_GROUP = "rm_harness.executors"


class ExecutorSettings(Protocol):
    """What an executor is told (``harness.runner.ExecutorOptions`` is one)."""

    name: str
    address: str | None
    workers: int | None
    gpus_per_worker: float


class Executor(Protocol):
    name: str

    @classmethod
    def create(
        cls, spec: WorkerSpec, options: ExecutorSettings, local_worker: Worker | None
    ) -> Executor:
        """Start the executor; ``local_worker`` has the models loaded already (reuse it if
        the executor runs work in this process)."""

    def call(self, method: str, *args: Any) -> Any:
        """Run a ``Worker`` method (describe, clean, score, ...) somewhere and return its value."""

    def run(self, units: Sequence[Unit]) -> Iterator[UnitResult]:
        """Run units; yield each result as soon as it is done."""

    def close(self) -> None: ...


def _check(cls: Any) -> None:
    if not isinstance(getattr(cls, "name", None), str):
        raise TypeError(f"executor {cls!r} must set a string class attribute 'name'")
    for method in ("create", "call", "run", "close"):
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
        cls, spec: WorkerSpec, options: ExecutorSettings, local_worker: Worker | None
    ) -> LocalExecutor:
        return cls(spec, local_worker)

    def __repr__(self) -> str:
        return f"LocalExecutor(checkpoints={len(self.worker.spec.checkpoints)})"

    def call(self, method: str, *args: Any) -> Any:
        return getattr(self.worker, method)(*args)

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
        cls, spec: WorkerSpec, options: ExecutorSettings, local_worker: Worker | None
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

    def call(self, method: str, *args: Any) -> Any:
        return self._get(self._actors[0].call.remote(method, *args))

    def run(self, units: Sequence[Unit]) -> Iterator[UnitResult]:
        batches = list(shards(units, self._chunk))
        for batch in batches:
            self._pool.submit(lambda actor, b: actor.call.remote("run_units", b), batch)
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


class _RayWorker:
    """The actor body: a Worker whose models stay loaded between calls."""

    def __init__(self, spec: WorkerSpec) -> None:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self.worker = Worker(spec)

    def call(self, method: str, *args: Any) -> Any:
        return getattr(self.worker, method)(*args)


def make_executor(
    options: ExecutorSettings, spec: WorkerSpec, *, local_worker: Worker | None = None
) -> Executor:
    """The executor ``options.name`` names (an unknown name lists the registered ones);
    ``local_worker`` lets an in-process executor reuse already loaded models."""
    return EXECUTORS.get(options.name).create(spec, options, local_worker)
