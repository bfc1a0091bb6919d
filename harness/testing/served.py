"""A real ``rmh serve`` process, for tests and benchmarks of served reward models.

Example::

    with rmh_serve("demo") as url:
        rm = load_reward_model(url)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def rmh_serve(
    *args: str,
    cwd: str | Path | None = None,
    env: dict[str, str] | None = None,
    startup: float = 300.0,
) -> Iterator[str]:
    """``rmh serve ARGS --port 0`` in a child process; yields its URL once it listens.

    The server is a real process (tests of ``rmh serve`` itself, benchmarks), stopped with
    SIGTERM on exit. Its stderr goes to a temporary file (a pipe nobody reads could fill
    and stall it) and is shown when it does not start or exits with an error.
    """
    import os
    import queue
    import re
    import signal
    import subprocess
    import sys
    import tempfile
    import threading

    with tempfile.TemporaryFile(mode="w+") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "harness.cli", "serve", *args, "--port", "0"],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()

        def said() -> str:
            stderr.seek(0)
            return stderr.read()

        try:
            try:
                line = lines.get(timeout=startup)
            except queue.Empty:
                raise RuntimeError(f"rmh serve printed nothing in {startup:g} s") from None
            found = re.search(r" at (http://\S+)", line)
            if not found:
                process.kill()
                process.wait()
                raise RuntimeError(f"rmh serve did not start: {line!r} {said()}")
            yield found.group(1)
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            process.stdout.close()
        if process.returncode not in (0, -signal.SIGTERM):
            raise RuntimeError(f"rmh serve exited with {process.returncode}: {said()}")
