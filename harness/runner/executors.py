"""Executors: where units run. ``local`` (default) and ``ray`` (the ``ray`` extra).

Both take the same ``WorkerSpec`` and yield ``UnitResult``s as they finish; the caller
(the one process that writes the store and the run log) never learns which worker did
what, so the findings are the same either way.

Ray: shards of (checkpoint x attack x prompt chunk) go to a pool of actors; each actor
holds a ``Worker`` that loads each model once and keeps it. Results stream back in
completion order. ``address=None`` starts a local cluster with this machine's CPUs;
``address="auto"`` or ``"ray://host:10001"`` joins an existing one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from harness.core.errors import HarnessError
from harness.runner.plan import Unit, shards
from harness.runner.worker import UnitResult, Worker, WorkerSpec


class Executor(Protocol):
    name: str

    def call(self, method: str, *args: Any) -> Any:
        """Run a ``Worker`` method (describe, clean, score, ...) somewhere and return its value."""

    def run(self, units: Sequence[Unit]) -> Iterator[UnitResult]:
        """Run units; yield each result as soon as it is done."""

    def close(self) -> None: ...


class LocalExecutor:
    name = "local"

    def __init__(self, spec: WorkerSpec, worker: Worker | None = None) -> None:
        self.worker = worker or Worker(spec)
        self.worker.reconfigure(spec)

    def call(self, method: str, *args: Any) -> Any:
        return getattr(self.worker, method)(*args)

    def run(self, units: Sequence[Unit]) -> Iterator[UnitResult]:
        for unit in units:
            yield self.worker.run_unit(unit)

    def close(self) -> None:
        pass


class RayExecutor:
    """A pool of Ray actors, each with its own ``Worker``."""

    name = "ray"

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
                raise HarnessError(f"a Ray worker failed: {_first_line(exc)}") from None
            yield from results

    def _get(self, ref: Any) -> Any:
        try:
            return self._ray.get(ref)
        except self._ray.exceptions.RayTaskError as exc:
            cause = exc.cause if hasattr(exc, "cause") else exc
            if isinstance(cause, HarnessError):
                raise HarnessError(str(cause)) from None
            raise HarnessError(f"a Ray worker failed: {_first_line(exc)}") from None

    def close(self) -> None:
        for actor in self._actors:
            self._ray.kill(actor)
        if self._started:
            self._ray.shutdown()


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
    name: str,
    spec: WorkerSpec,
    *,
    address: str | None = None,
    workers: int | None = None,
    gpus_per_worker: float = 0.0,
    local_worker: Worker | None = None,
) -> Executor:
    """The named executor; ``local_worker`` lets the local one reuse already loaded models."""
    if name == "local":
        return LocalExecutor(spec, local_worker)
    if name == "ray":
        return RayExecutor(spec, address=address, workers=workers, gpus_per_worker=gpus_per_worker)
    raise HarnessError(f"unknown executor {name!r}; choose local or ray")
