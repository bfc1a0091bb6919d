"""The transport: a pooled ``httpx`` client, concurrency, retries, and errors a user can read.

Why here and not in each protocol: every protocol needs the same fault handling, and the
fault handling is what makes a served RM usable for a long run.

- **Retries**: a connection error, a timeout, a 429 or a 5xx is retried up to
  ``retries`` times, after a jittered exponential delay (``backoff`` x 2^k, drawn in its
  upper half) or, when the server sends one, after its ``Retry-After``. Scoring is
  idempotent, so a retried POST is safe; and since the scorer counts a batch's queries
  only once ``score_batch`` returns, a retried request is never counted twice.
- **Other 4xx**: not retried; a one-line ``EndpointError`` naming the status and the
  first 200 characters of the body. A 3xx too (``httpx`` follows no redirect, and a
  redirect's body is not scores): the status and its ``Location``. An error the client
  makes itself (``httpx.LocalProtocolError``: a request it cannot write) is not retried.
- **Timeouts**: ``timeout`` is httpx's, per phase: the wait for a connection (at most
  ``CONNECT_TIMEOUT``, so an unreachable host fails in seconds, not minutes), and
  between bytes of the answer (a slow trickle is not cut off as long as bytes come).
- **Concurrency**: the requests of one scorer batch run on up to ``concurrency``
  threads over one ``httpx.Client`` (which may be shared between threads), with that
  many pooled connections. The first failure stops the others: they make no further
  attempt and leave their backoff at once (so a failed batch, or Ctrl-C, does not wait
  for other requests' retries).
- **Secrets**: the API key is blanked out of every message, in every spelling a message
  may hold it (``secrets.redaction_forms``: a server may echo the ``Authorization``
  header in an error body), and nothing here logs a header.

The client is made lazily in the process that uses it and made again after a fork, so a
model built in one process never drags a live connection pool into another.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from harness.core.errors import EndpointError, EndpointOutputError
from harness.core.secrets import redact, redaction_forms

BODY_SHOWN = 200  # characters of a response body quoted in an error
MAX_RETRY_AFTER = 300.0  # seconds: a longer Retry-After is capped here
MAX_BACKOFF = 30.0  # seconds: the longest computed delay between retries
CONNECT_TIMEOUT = 10.0  # seconds: the longest wait for a connection, whatever ``timeout`` is
INFO_RETRIES = 1  # retries of a GET (``/info`` when the model is built): fail fast
REDACTED = "***"
_DELTA_SECONDS = re.compile(r"[0-9]+")


class Cancelled(Exception):
    """A request of a batch that another request's failure stopped (never shown)."""


def host_of(url: str) -> str:
    """``host:port`` of ``url``, without any user name or password."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def display_url(url: str) -> str:
    """``url`` without user information (a password there must not reach a log)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


@dataclass(frozen=True)
class Request:
    """One POST: where, and the JSON body."""

    url: str
    body: Any


@dataclass(frozen=True)
class Reply:
    """A successful (2xx) answer: its status and text, parsed on demand."""

    url: str
    status: int
    text: str
    shown: str | None = None  # the start of the body as quoted in messages (key blanked)
    redactor: Callable[[str], str] | None = field(default=None, compare=False, repr=False)

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            raise EndpointOutputError(
                f"the reward model at {self.where} answered with something that is "
                f"not JSON: {self.excerpt()!r}"
            ) from None

    @property
    def where(self) -> str:
        """The URL as shown in messages (no user information)."""
        return display_url(self.url)

    def excerpt(self) -> str:
        """The start of the body, as quoted in messages."""
        return self.shown if self.shown is not None else self.text[:BODY_SHOWN]

    def quote(self, value: Any, limit: int = 40) -> str:
        """``repr(value)`` for a message: the key blanked first, then cut to ``limit``
        characters (cut first, a key split in two would no longer be found)."""
        text = repr(value)
        if self.redactor is not None:
            text = self.redactor(text)
        return text[:limit]


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for, or None when it says nothing usable.

    RFC 9110: delta-seconds (digits only: not ``1.5``, ``-3`` or ``nan``) or an HTTP
    date. A date without a zone (asctime, or ``-0000``) is GMT, as every HTTP date is,
    not the local time. The wait is capped at ``MAX_RETRY_AFTER``; a date past is 0.
    """
    if value is None:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return min(float(int(value)), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    seconds = when.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _failure_words(exc: httpx.TransportError) -> str:
    """What went wrong on the wire, in the words a user searches for."""
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if isinstance(exc, httpx.ConnectError):
        if "refused" in lowered:
            return "connection refused"
        if "name or service not known" in lowered or "nodename" in lowered:
            return "host not found"
        return f"cannot connect ({text.splitlines()[0]})"
    if "reset" in lowered:
        return "connection reset by the server"
    return f"connection failed ({type(exc).__name__}: {text.splitlines()[0]})"


class Transport:
    """POSTs JSON to a reward-model server with retries, in parallel up to ``concurrency``.

    Example::

        transport = Transport(headers={}, timeout=30, concurrency=4, retries=4, backoff=0.5)
        replies = transport.post_all([Request(url, {"pairs": [...]}), ...])
    """

    def __init__(
        self,
        *,
        headers: dict[str, str],
        timeout: float,
        concurrency: int,
        retries: int,
        backoff: float,
        secret: str | None = None,
    ) -> None:
        self.headers = dict(headers)
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        self.retries = max(0, retries)
        self.backoff = max(0.0, backoff)
        self._forms = redaction_forms(secret)
        self._rng = random.Random()  # jitter only: it never changes a score
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._client: httpx.Client | None = None
        self._pool: ThreadPoolExecutor | None = None
        #: Requests sent, retries among them (for ``describe`` and tests).
        self.sent = 0
        self.retried = 0

    def __repr__(self) -> str:
        # Header values may hold the key: only their names are shown.
        return (
            f"Transport(headers={sorted(self.headers)}, timeout={self.timeout}, "
            f"concurrency={self.concurrency}, retries={self.retries})"
        )

    def __getstate__(self) -> Any:
        raise TypeError("a Transport is not picklable; rebuild the model from its spec instead")

    # ------------------------------------------------------------------ client
    def _client_for_process(self) -> httpx.Client:
        with self._lock:
            if self._client is None or self._pid != os.getpid():
                self._client = httpx.Client(
                    headers=self.headers,
                    timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
                    limits=httpx.Limits(
                        max_connections=self.concurrency,
                        max_keepalive_connections=self.concurrency,
                    ),
                )
                self._pool = None
                self._pid = os.getpid()
            return self._client

    def _executor(self) -> ThreadPoolExecutor:
        self._client_for_process()
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.concurrency, thread_name_prefix="rmh-http"
                )
            return self._pool

    def close(self) -> None:
        with self._lock:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.shutdown(wait=False, cancel_futures=True)
            if self._client is not None and self._pid == os.getpid():
                self._client.close()
            self._pool = None
            self._client = None

    @property
    def connect_timeout(self) -> float:
        """Seconds to wait for a connection: ``timeout``, but at most ``CONNECT_TIMEOUT``."""
        return min(self.timeout, CONNECT_TIMEOUT)

    # ----------------------------------------------------------------- sending
    def redact(self, text: str) -> str:
        """``text`` with the API key blanked out (as it is, and escaped)."""
        return redact(text, self._forms, REDACTED)

    def get(self, url: str, *, missing_ok: bool = False) -> Reply | None:
        """GET ``url``; ``missing_ok``: a 404 or 405 is ``None`` (the route does not exist).

        Retried at most ``INFO_RETRIES`` times: a GET asks a server about itself when the
        model is built, and a host that does not answer should fail in seconds there.
        """
        retries = min(self.retries, INFO_RETRIES)
        return self._send("GET", url, None, missing_ok=missing_ok, retries=retries)

    def post(self, request: Request, stop: threading.Event | None = None) -> Reply:
        """POST one request, with retries; ``stop`` set: no further attempt (``Cancelled``)."""
        reply = self._send("POST", request.url, request.body, missing_ok=False, stop=stop)
        assert reply is not None
        return reply

    def post_all(self, requests: Sequence[Request]) -> list[Reply]:
        """POST every request, ``concurrency`` at a time; replies in request order.

        The first failure (after its retries) is raised as soon as it happens, whichever
        request it is: the requests not yet started are cancelled, and the others make no
        further attempt (an attempt in flight ends within the timeout).
        """
        if len(requests) <= 1 or self.concurrency == 1:
            return [self.post(r) for r in requests]
        pool = self._executor()
        stop = threading.Event()
        futures: list[Future[Reply]] = [pool.submit(self.post, r, stop) for r in requests]
        try:
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [f for f in futures if f in done and f.exception() is not None]
            if failed:
                real = [f for f in failed if not isinstance(f.exception(), Cancelled)]
                raise (real or failed)[0].exception()  # type: ignore[misc]
            return [f.result() for f in futures]
        finally:
            stop.set()  # a no-op after success; after a failure or Ctrl-C it stops the rest
            for f in futures:
                f.cancel()

    def _send(
        self,
        method: str,
        url: str,
        body: Any,
        *,
        missing_ok: bool,
        retries: int | None = None,
        stop: threading.Event | None = None,
    ) -> Reply | None:
        client = self._client_for_process()
        retries = self.retries if retries is None else retries
        if stop is None:
            stop = threading.Event()
        # ensure_ascii: adversarial text may hold lone surrogates, which UTF-8 cannot encode
        content = None if body is None else json.dumps(body, ensure_ascii=True).encode()
        headers = {"Content-Type": "application/json"} if content is not None else None
        attempt = 0
        while True:
            if stop.is_set():
                raise Cancelled(f"{method} {display_url(url)} stopped: another request failed")
            with self._lock:
                self.sent += 1
            delay: float | None = None
            try:
                response = client.request(method, url, content=content, headers=headers)
            except httpx.LocalProtocolError as exc:  # our own request is malformed: no retry
                raise EndpointError(self._local_error(method, url, exc)) from None
            except httpx.TransportError as exc:
                failure = _failure_words(exc)
            else:
                status = response.status_code
                if 300 <= status < 400:
                    raise EndpointError(self._redirect_message(method, url, response))
                if status < 400:
                    text = response.text
                    return Reply(
                        url, status, text, self.redact(text)[:BODY_SHOWN], redactor=self.redact
                    )
                if missing_ok and status in (404, 405):
                    return None
                if status != 429 and status < 500:
                    raise EndpointError(self._status_message(method, url, response))
                failure = self._status_message(method, url, response)
                delay = retry_after(response.headers.get("Retry-After"))
            if attempt >= retries:
                raise EndpointError(self._give_up(method, url, failure, attempt + 1))
            # Event.wait, not time.sleep: another request's failure ends the wait at once.
            if stop.wait(delay if delay is not None else self._delay(attempt)):
                raise Cancelled(f"{method} {display_url(url)} stopped: another request failed")
            attempt += 1
            with self._lock:
                self.retried += 1

    def _delay(self, attempt: int) -> float:
        """Exponential backoff with "equal jitter": a draw from the upper half of the step."""
        step = min(self.backoff * (2**attempt), MAX_BACKOFF)
        return step / 2 + self._rng.uniform(0, step / 2)

    def _status_message(self, method: str, url: str, response: httpx.Response) -> str:
        reason = response.reason_phrase or ""
        body = self.redact(response.text)[:BODY_SHOWN]  # blanked first: no key cut in half
        return self.redact(
            f"the reward model at {display_url(url)} answered {method} with "
            f"{response.status_code} {reason}".rstrip()
            + f": {body!r}"
        )

    def _redirect_message(self, method: str, url: str, response: httpx.Response) -> str:
        reason = response.reason_phrase or ""
        location = response.headers.get("Location")
        where = f"to {location!r}" if location else "without a Location"
        return self.redact(
            f"the reward model at {display_url(url)} answered {method} with a redirect "
            f"({response.status_code} {reason}".rstrip()
            + f") {where}; redirects are not followed: use the URL it names"
        )

    def _local_error(self, method: str, url: str, exc: httpx.LocalProtocolError) -> str:
        # h11 quotes the offending header value, escaped: redaction covers that spelling.
        detail = (str(exc) or type(exc).__name__).splitlines()[0]
        return self.redact(
            f"cannot send {method} {display_url(url)}: the request is malformed ({detail}); "
            "check --header and the API key"
        )

    def _give_up(self, method: str, url: str, failure: str, attempts: int) -> str:
        tries = f"after {attempts} attempt{'s' if attempts > 1 else ''}"
        if failure.startswith("the reward model at"):
            return f"{failure} ({tries})"
        return self.redact(
            f"cannot reach the reward model at {host_of(url)}: {failure} "
            f"({method} {display_url(url)}, {tries}, timeout {self.timeout:g}s)"
        )
