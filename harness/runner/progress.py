"""Run progress: a live bar on a terminal, plain periodic lines otherwise, nothing with --quiet."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from tqdm.auto import tqdm

Mode = Literal["bar", "lines", "quiet"]


class Progress:
    """Counts finished attempts; shows attack, prompt, queries/s, findings so far and ETA."""

    def __init__(
        self,
        total: int,
        *,
        mode: Mode,
        echo: Callable[[str], None],
        interval: float = 15.0,
    ) -> None:
        self.total = total
        self.mode = mode
        self.echo = echo
        self.interval = interval
        self.done = 0
        self.queries = 0
        self.findings = 0
        self._started = time.monotonic()
        self._last_line = self._started
        self._bar = tqdm(total=total, unit="attempt", dynamic_ncols=True) if mode == "bar" else None

    def update(self, *, attack: str, prompt_index: int, queries: int, findings: int) -> None:
        self.done += 1
        self.queries += queries
        self.findings += findings
        rate = self.queries / max(time.monotonic() - self._started, 1e-9)
        if self._bar is not None:
            self._bar.set_postfix_str(
                f"{attack} p{prompt_index} | {rate:,.0f} q/s | {self.findings} findings",
                refresh=False,
            )
            self._bar.update(1)
        elif self.mode == "lines":
            now = time.monotonic()
            if now - self._last_line >= self.interval or self.done == self.total:
                self._last_line = now
                elapsed = now - self._started
                eta = elapsed / self.done * (self.total - self.done)
                self.echo(
                    f"[{self.done}/{self.total}] {attack} prompt {prompt_index} | "
                    f"{rate:,.0f} queries/s | {self.findings} findings | "
                    f"elapsed {elapsed:,.0f}s, ETA {eta:,.0f}s"
                )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
