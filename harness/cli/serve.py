"""``rmh serve``: put one reward model behind HTTP with the ``rmh`` protocol.

The port is bound first (a port in use fails at once), then the checkpoint loads through
the same ``load_model`` as every other verb (so ``demo``, a callable or even another URL
work, and a checkpoint the loader refuses fails with the loader's own message), then
uvicorn serves it until Ctrl-C. Clients name it as ``http://HOST:PORT`` wherever a
checkpoint is accepted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from harness.cli.options import (
    GeneratedOptionsCommand,
    checkpoint_options,
    load_model,
    load_options_from,
)
from harness.core.secrets import api_key_from_env


@click.command(name="serve", cls=GeneratedOptionsCommand)
@click.argument("checkpoint")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 for every interface (then consider --api-key-env).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on; 0 picks a free one (the startup line names it).",
)
@click.option(
    "--max-batch",
    type=click.IntRange(min=1),
    default=256,
    show_default=True,
    help="Most pairs one request may carry (clients read it from /info).",
)
@click.option(
    "--api-key-env",
    "server_key_env",
    default=None,
    metavar="NAME",
    help="Require 'Authorization: Bearer KEY' on every request but /health, KEY being the "
    "value of the environment variable NAME.",
)
@click.option("--access-log", is_flag=True, help="Log every request (off: only warnings).")
@checkpoint_options
def serve(
    checkpoint: str,
    host: str,
    port: int,
    max_batch: int,
    server_key_env: str | None,
    access_log: bool,
    **kw: Any,
) -> None:
    """Serve CHECKPOINT over HTTP (the rmh protocol: POST /score, GET /info, GET /health).

    Every request is scored through the same scorer as a local run (length buckets of
    --batch-size rows, dynamic padding), one model call at a time. Needs the serve extra:
    pip install 'rm-harness[serve]'. See docs/http.md.

    \b
    Examples:
      rmh serve demo --port 8000                      # the demo RM
      rmh serve ckpt/ --host 0.0.0.0 --device cuda --api-key-env RM_KEY
      rmh run http://127.0.0.1:8000 --suite quick --out runs/served
    """
    from harness.serving import require_serve_extra
    from harness.serving.server import bind, listen, run, url_of

    key = api_key_from_env(server_key_env)  # before binding: a missing key fails at once
    sock = bind(host, port)
    try:
        require_serve_extra()
        from harness.serving.app import build_app

        batch_size = kw.pop("batch_size")
        model = load_model(checkpoint, load_options_from(kw))
        # A folder is named by its last part: a client has no use for the server's paths.
        name = Path(checkpoint).resolve().name if Path(checkpoint).exists() else checkpoint
        app = build_app(model, name=name, max_batch=max_batch, batch_size=batch_size, api_key=key)
        url = url_of(sock, host)
        listen(sock)
        click.echo(
            f"serving {checkpoint} (fingerprint {model.fingerprint[:16]}) at {url}  "
            "[POST /score, GET /info, GET /health; Ctrl-C stops]"
        )
        run(app, sock, access_log=access_log)
    finally:
        sock.close()
