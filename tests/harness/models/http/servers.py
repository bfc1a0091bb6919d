"""Real HTTP servers for the HTTP tests: uvicorn in a thread on a free port, and a
fault-injecting ASGI wrapper that replays a given failure sequence.

Nothing here mocks the HTTP layer: the client under test talks over a real socket to a
real uvicorn, and the faults are what a real server or network does (a 429 with
``Retry-After``, a 503, a TCP reset, an answer slower than the client's timeout, a short
or malformed score list, a 401).
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from harness.models import CallableRewardModel
from harness.serving.app import build_app
from harness.serving.server import bind, url_of

Scope = dict[str, Any]


def toy_reward(prompts: list[str], responses: list[str]) -> list[float]:
    """A deterministic reward for tests: longer, word-richer responses score higher."""
    return [
        len(set(r.split())) - 0.01 * len(r) + 0.001 * len(p)
        for p, r in zip(prompts, responses, strict=True)
    ]


def toy_model(fn: Callable[..., Any] = toy_reward, name: str = "toy") -> CallableRewardModel:
    return CallableRewardModel(fn, name=name)


class ServerThread:
    """``with ServerThread(app) as server:`` uvicorn serving ``app`` on ``server.url``."""

    def __init__(self, app: Any, host: str = "127.0.0.1") -> None:
        self.app = app
        self.sock = bind(host, 0)
        self.url = url_of(self.sock, host)
        config = uvicorn.Config(
            app,
            log_level="critical",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,  # a "slow" fault may still be sleeping
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.sock.close()


@dataclass
class Seen:
    """One request the fault injector saw: when, which fault it answered with, headers."""

    time: float
    fault: str
    authorization: str | None


@dataclass
class FaultInjector:
    """ASGI wrapper: each ``POST .../score`` takes the next fault of ``script`` (then "ok").

    Faults: ``ok`` (the wrapped app answers), ``429:S`` (Retry-After S), ``503``, ``401``
    (the body echoes the Authorization header, as a careless server might), ``reset``
    (TCP reset, no answer), ``slow:S`` (answer after S seconds), ``short`` (one score
    fewer), ``text`` (a score that is a string), ``echo`` (a score that is a string
    ending in the Authorization header), ``redirect`` (a 307 to another URL).
    ``schedule(k)`` instead of a script
    gives the fault of the k-th request (None: ok). ``server`` must be set to the
    ``ServerThread`` for ``reset``.
    """

    app: Any
    script: Iterable[str] = ()
    schedule: Callable[[int], str | None] | None = None
    server: ServerThread | None = None
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._queue = deque(self.script)

    def load(self, *faults: str) -> None:
        self._queue.extend(faults)

    def faults(self) -> list[str]:
        return [s.fault for s in self.seen]

    def _next(self) -> str:
        if self.schedule is not None:
            return self.schedule(len(self.seen)) or "ok"
        return self._queue.popleft() if self._queue else "ok"

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/score"):
            await self.app(scope, receive, send)
            return
        fault = self._next()
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization")
        self.seen.append(Seen(time.monotonic(), fault, auth.decode() if auth else None))
        kind, _, arg = fault.partition(":")
        if kind == "ok":
            await self.app(scope, receive, send)
        elif kind == "429":
            await _answer(send, 429, {"detail": "slow down"}, [(b"retry-after", arg.encode())])
        elif kind == "503":
            await _answer(send, 503, {"detail": "warming up"})
        elif kind == "401":
            echo = f"bad credentials: {auth.decode() if auth else 'none'}; " + "x" * 300
            await _answer(send, 401, {"detail": echo})
        elif kind == "redirect":
            moved = [(b"location", b"http://rm.elsewhere.example/v2/score")]
            await _answer(send, 307, {"detail": "moved"}, moved)
        elif kind == "reset":
            self._reset(scope)
        elif kind == "slow":
            await asyncio.sleep(float(arg))
            await self.app(scope, receive, send)
        elif kind in ("short", "text"):
            await _rewrite(self.app, scope, receive, send, kind)
        elif kind == "echo":
            echoed = "x" * 20 + (auth.decode() if auth else "none")
            await _rewrite(self.app, scope, receive, send, kind, echoed)
        else:
            raise ValueError(f"unknown fault {fault!r}")

    def _reset(self, scope: Scope) -> None:
        """Abort the request's TCP connection with a reset (SO_LINGER 0, then abort)."""
        assert self.server is not None, "set FaultInjector.server for resets"
        client = tuple(scope["client"])
        for connection in list(self.server.server.server_state.connections):
            transport = connection.transport
            if tuple(transport.get_extra_info("peername") or ())[:2] != client:
                continue
            sock = transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()


async def _answer(send: Any, status: int, body: Any, headers: list | None = None) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


async def _rewrite(
    app: Any, scope: Scope, receive: Any, send: Any, kind: str, spoiled: str = "high"
) -> None:
    """Let ``app`` answer, then drop the last score (``short``) or make the first one the
    string ``spoiled`` (``text``, ``echo``)."""
    status = 200
    chunks: list[bytes] = []

    async def capture(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    body = json.loads(b"".join(chunks))
    if kind == "short":
        body["scores"] = body["scores"][:-1]
    else:
        body["scores"][0] = spoiled
    await _answer(send, status, body)


def fault_server(model: Any = None, **injector: Any) -> tuple[ServerThread, FaultInjector]:
    """An ``rmh serve`` app over ``model`` (default: the toy reward) behind a fault
    injector, served on a free port. Use as ``with server:``."""
    app = build_app(model or toy_model(), name="toy", max_batch=256)
    faults = FaultInjector(app, **injector)
    server = ServerThread(faults)
    faults.server = server
    return server, faults
