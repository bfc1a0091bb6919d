"""The API key: read from the environment, refused when HTTP cannot carry it (without
showing it), and blanked out of text in every spelling a message may hold."""

from __future__ import annotations

import json

import pytest

from harness.core.errors import HarnessError
from harness.core.secrets import api_key_from_env, check_header, redact, redaction_forms

CANARY = "canary-secret-5e1f"


def test_a_key_is_read_from_its_variable(monkeypatch):
    monkeypatch.setenv("RM_KEY", CANARY)
    assert api_key_from_env("RM_KEY") == CANARY
    assert api_key_from_env(None) is None


@pytest.mark.parametrize(
    "key",
    [CANARY + "\r", CANARY + "\n", "\n" + CANARY, CANARY + "\x07", CANARY + "é", CANARY + " x"],
    ids=["cr", "lf", "leading-lf", "control", "non-ascii", "space"],
)
def test_a_key_http_cannot_carry_is_one_line_without_the_key(monkeypatch, key):
    monkeypatch.setenv("RM_KEY", key)
    with pytest.raises(HarnessError) as caught:
        api_key_from_env("RM_KEY")
    message = str(caught.value)
    assert "--api-key-env RM_KEY" in message and "HTTP header cannot carry" in message
    assert "canary" not in message and "\n" not in message


def test_an_empty_or_missing_variable_is_named(monkeypatch):
    monkeypatch.delenv("RM_NO_KEY", raising=False)
    with pytest.raises(HarnessError, match="RM_NO_KEY is not set or empty"):
        api_key_from_env("RM_NO_KEY", option="rmh serve --api-key-env")


def test_a_header_http_cannot_carry_is_one_line_without_the_value():
    check_header("X-Api-Key", "value with spaces and {api_key}")
    with pytest.raises(HarnessError, match="--header X-Team: the value holds") as caught:
        check_header("X-Team", CANARY + "\r\nX-Injected: 1")
    assert "canary" not in str(caught.value)
    with pytest.raises(HarnessError, match="not a header name"):
        check_header("X Team", "rm")


def test_every_spelling_of_a_key_is_blanked_out():
    key = CANARY + "\r\u00e9"
    forms = redaction_forms(key)
    texts = [
        f"plain {key} end",
        f"h11: Illegal header value {('Bearer ' + key).encode()!r}",
        f"repr {key!r}",
        f"json {json.dumps({'auth': key})}",
    ]
    for text in texts:
        blanked = redact(text, forms)
        assert "canary" not in blanked and "***" in blanked, blanked
    assert redaction_forms(None) == () and redact("text", ()) == "text"
