"""Binding the port and running uvicorn on it.

The port is bound here, before the model loads, and the bound socket is handed to
uvicorn. Why: a port in use is then a one-line error at once (uvicorn alone would log it
after a model load that can take minutes, and exit 1), and ``--port 0`` lets the system
pick a free port that the startup line reports, with no window for another process to
take it in between (tests and benchmarks start servers this way).
"""

from __future__ import annotations

import errno
import socket
from typing import Any

from harness.core.errors import HarnessError


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (not yet listening); a port in use is an error."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise HarnessError(
            f"--host {host!r} is not an address to serve on ({exc.strerror})"
        ) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    # As uvicorn does: a restarted server may rebind while old connections linger in
    # TIME_WAIT; a port another server listens on is still refused.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise HarnessError(
                f"port {port} on {host} is in use (another server?); pick another with --port, "
                "or --port 0 for any free one"
            ) from None
        raise HarnessError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    return sock


BACKLOG = 2048  # as uvicorn's default


def listen(sock: socket.socket) -> None:
    """Start accepting connections into the backlog (uvicorn answers them once it runs).

    Called once the model is loaded and before the startup line is printed, so a client
    that reads the line never finds the port refusing.
    """
    try:
        sock.listen(BACKLOG)
    except OSError as exc:  # another server bound it too, and listened first
        port = sock.getsockname()[1]
        raise HarnessError(f"port {port} is in use: {exc.strerror or exc}; pick another") from None


def url_of(sock: socket.socket, host: str) -> str:
    """The ``http://`` URL clients use for a socket bound by ``bind``."""
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def run(app: Any, sock: socket.socket, *, access_log: bool = False) -> None:
    """Serve ``app`` on ``sock`` until interrupted (Ctrl-C or SIGTERM stop it gracefully)."""
    import uvicorn

    config = uvicorn.Config(
        app,
        backlog=BACKLOG,
        log_level="warning",
        access_log=access_log,
        lifespan="off",
        timeout_keep_alive=30,
    )
    uvicorn.Server(config).run(sockets=[sock])
