"""The transport on its own: ``Retry-After`` in each form HTTP allows, timeouts, errors
the client makes itself, and a failed batch that stops its other requests at once."""

from __future__ import annotations

import socket
import time
from email.utils import formatdate

import pytest

from harness.core.errors import EndpointError
from harness.models.http.client import (
    CONNECT_TIMEOUT,
    MAX_RETRY_AFTER,
    Request,
    Transport,
    retry_after,
)
from tests.harness.models.http.servers import fault_server

CANARY = "canary-secret-9d2c"


def transport(**settings: object) -> Transport:
    values = dict(headers={}, timeout=5.0, concurrency=4, retries=4, backoff=0.01)
    return Transport(**{**values, **settings})  # type: ignore[arg-type]


@pytest.fixture
def local_time_not_utc(monkeypatch):
    """A local zone hours away from GMT, so a date read as local time is hours off."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# ------------------------------------------------------------------ Retry-After
@pytest.mark.parametrize(("value", "seconds"), [("0", 0.0), ("7", 7.0), (" 120 ", 120.0)])
def test_retry_after_delta_seconds(value, seconds):
    assert retry_after(value) == seconds


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1.5", "-3", "1e3", "+4", "", "soon"])
def test_retry_after_that_is_not_digits_or_a_date_is_ignored(value):
    """RFC 9110 delta-seconds are digits only; ``nan`` once reached ``time.sleep``."""
    assert retry_after(value) is None


def test_retry_after_is_capped_and_a_date_past_is_zero():
    assert retry_after("99999") == MAX_RETRY_AFTER
    assert retry_after("Sun, 06 Nov 1994 08:49:37 GMT") == 0.0
    assert retry_after(None) is None


@pytest.mark.parametrize(
    "form",
    [
        "%a, %d %b %Y %H:%M:%S GMT",  # IMF-fixdate
        "%A, %d-%b-%y %H:%M:%S GMT",  # RFC 850
        "%a %b %d %H:%M:%S %Y",  # asctime: no zone, and GMT all the same
        "%a, %d %b %Y %H:%M:%S -0000",  # RFC 2822's "zone unknown"
        "%a, %d %b %Y %H:%M:%S",  # no zone at all
    ],
    ids=["imf-fixdate", "rfc850", "asctime", "minus-zero", "no-zone"],
)
def test_retry_after_http_dates_are_gmt(local_time_not_utc, form):
    """Every HTTP date is GMT; one without a zone is not local time."""
    when = time.time() + 60
    value = time.strftime(form, time.gmtime(when))
    waited = retry_after(value)
    assert waited is not None and 55 <= waited <= 61, (value, waited)


def test_retry_after_with_an_explicit_zone_is_read_in_it():
    when = time.time() + 90
    assert 85 <= retry_after(formatdate(when, usegmt=True)) <= 91
    assert 85 <= retry_after(formatdate(when, localtime=True)) <= 91


# -------------------------------------------------------------------- timeouts
def test_the_connect_timeout_is_short_and_the_read_timeout_is_the_option():
    slow = transport(timeout=60.0)
    timeout = slow._client_for_process().timeout
    assert timeout.connect == CONNECT_TIMEOUT == slow.connect_timeout == 10.0
    assert timeout.read == 60.0
    assert transport(timeout=2.0)._client_for_process().timeout.connect == 2.0
    slow.close()


def test_a_get_is_retried_at_most_once():
    """``/info`` at build time: an unreachable host fails after 2 attempts, not 5."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = transport(retries=4)
    with pytest.raises(EndpointError, match=r"connection refused .*after 2 attempts"):
        client.get(f"http://127.0.0.1:{port}/info")
    assert client.sent == 2


# ------------------------------------------------------- the client's own errors
def test_a_request_the_client_cannot_write_is_not_retried_and_the_key_is_blanked():
    """h11 quotes a header value with a trailing CR escaped (``b'Bearer KEY\\r'``)."""
    key = CANARY + "\r"
    server, faults = fault_server()
    with server:
        client = transport(headers={"Authorization": f"Bearer {key}"}, secret=key)
        with pytest.raises(EndpointError) as caught:
            client.post(Request(f"{server.url}/score", {"pairs": []}))
    message = str(caught.value)
    assert "the request is malformed" in message and "***" in message
    assert "canary" not in message and "\n" not in message
    assert client.sent == 1 and faults.seen == []  # not retried, never reached the server


# ------------------------------------------------------------ a batch that fails
def test_a_failed_request_stops_the_others_at_once():
    """Three requests wait out a 20 s Retry-After when the fourth gets a 401: the batch
    fails at once, the three make no further attempt, and the pool is free again."""
    server, faults = fault_server(script=["429:20", "429:20", "429:20", "401"])
    with server:
        client = transport(concurrency=4)
        requests = [
            Request(f"{server.url}/score", {"pairs": [{"prompt": f"p{i}", "response": "r"}]})
            for i in range(4)
        ]
        started = time.monotonic()
        with pytest.raises(EndpointError, match="401"):
            client.post_all(requests)
        failed_after = time.monotonic() - started
        time.sleep(0.5)
        assert len(faults.seen) == 4  # no retry after the failure
        again = time.monotonic()
        assert len(client.post_all(requests)) == 4  # the pool's threads are free
        assert time.monotonic() - again < 5
    assert failed_after < 5, failed_after
    assert client.retried == 0
