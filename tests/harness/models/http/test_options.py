"""``HttpOptions`` travel with a run: through the run log's JSON and back, unchanged."""

from __future__ import annotations

import dataclasses
import json

import pytest

from harness.core.errors import HarnessError
from harness.models import HttpOptions, LoadOptions


def test_load_options_survive_the_run_logs_json():
    options = LoadOptions(
        format="pair",
        http=HttpOptions(
            protocol="template",
            header=("X-Team:rm", "X-Api-Key:{api_key}"),
            api_key_env="RM_KEY",
            max_batch=4,
            request_template='{"q": "$prompts"}',
        ),
    )
    logged = json.loads(json.dumps(options.to_json()))
    assert logged["http"]["api_key_env"] == "RM_KEY"
    assert LoadOptions(**logged) == options


def test_default_http_options_are_not_logged_and_read_back_as_the_defaults():
    logged = LoadOptions(format="pair").to_json()
    assert "http" not in logged  # a run without an HTTP checkpoint logs what it did before
    assert logged == {
        k: v for k, v in dataclasses.asdict(LoadOptions(format="pair")).items() if k != "http"
    }
    assert LoadOptions(**logged) == LoadOptions(format="pair")


def test_a_timeout_of_zero_is_refused():
    with pytest.raises(HarnessError, match="--timeout must be > 0"):
        HttpOptions(timeout=0)
