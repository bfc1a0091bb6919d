"""``rmh serve``: one reward model behind HTTP, speaking the ``rmh`` protocol.

- ``app``: the ASGI application (FastAPI): ``POST /score``, ``GET /info``, ``GET /health``,
  every request scored through the same ``Scorer`` as a local run (length buckets,
  dynamic padding), one model call at a time;
- ``server``: binding the port (a port in use is a one-line error, before any model
  loads) and running uvicorn on it.

FastAPI and uvicorn come with the ``serve`` extra (``pip install 'rm-harness[serve]'``);
``require_serve_extra`` says so in one line when they are missing. The client side is
``harness.models.http``; the protocol is documented in ``docs/http.md``.
"""

from __future__ import annotations

from harness.core.errors import HarnessError


def require_serve_extra() -> None:
    """Import-check FastAPI and uvicorn; missing, a one-line error naming the extra."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise HarnessError(
            f"rmh serve needs the serve extra ({exc.name} is missing): "
            "pip install 'rm-harness[serve]'"
        ) from None
