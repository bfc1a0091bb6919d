"""``rmh serve`` and HTTP checkpoints on the command line: bad input is one line, exit 2;
a real ``rmh serve`` process scores and runs as the local checkpoint does."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.runlog import AttemptEntry, CleanEntry, FindingEntry, read_log
from harness.testing import rmh_serve, write_tiny_suite
from tests.harness.models.http.servers import fault_server


@contextmanager
def listening_socket() -> Iterator[int]:
    """A port that accepts connections into its backlog but never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def closed_port() -> int:
    """A port nothing listens on (bound for a moment, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------- bad input
def test_serve_on_a_port_in_use_is_one_line(rmh, one_line_error, checkpoints):
    with listening_socket() as port:
        code, _, err = rmh("serve", str(checkpoints["bert"]), "--port", str(port))
    one_line_error(code, err, f"port {port} on 127.0.0.1 is in use")


def test_serve_with_a_checkpoint_the_loader_refuses_gives_the_loaders_message(
    rmh, one_line_error, tmp_path
):
    code, _, err = rmh("serve", str(tmp_path / "nope"), "--port", "0")
    one_line_error(code, err, f"checkpoint path {tmp_path / 'nope'} does not exist")


def test_serve_with_a_key_variable_that_is_not_set_is_one_line(
    rmh, one_line_error, checkpoints, monkeypatch
):
    monkeypatch.delenv("RM_UNSET_KEY", raising=False)
    code, _, err = rmh(
        "serve", str(checkpoints["bert"]), "--port", "0", "--api-key-env", "RM_UNSET_KEY"
    )
    one_line_error(code, err, "the environment variable RM_UNSET_KEY is not set or empty")


def test_serve_with_a_key_http_cannot_carry_is_one_line_without_it(
    rmh, one_line_error, checkpoints, monkeypatch
):
    monkeypatch.setenv("RM_NL_KEY", "canary-serve-key\n")
    code, _, err = rmh(
        "serve", str(checkpoints["bert"]), "--port", "0", "--api-key-env", "RM_NL_KEY"
    )
    one_line_error(code, err, "--api-key-env RM_NL_KEY: the key in RM_NL_KEY holds")
    assert "canary" not in err


def test_a_url_with_credentials_is_one_line_without_them(rmh, one_line_error):
    code, out, err = rmh("info", "http://admin:canary-pw@127.0.0.1:9/")
    one_line_error(code, err, "'http://127.0.0.1:9/' was given with a user name or password")
    assert "canary" not in out + err


def test_an_unreachable_url_names_the_host_and_connection_refused(rmh, one_line_error):
    port = closed_port()
    code, _, err = rmh("info", f"http://127.0.0.1:{port}", "--retries", "0")
    one_line_error(code, err, f"127.0.0.1:{port}: connection refused")


def test_a_server_that_never_answers_is_a_timeout(rmh, one_line_error):
    with listening_socket() as port:
        code, _, err = rmh(
            "info",
            f"http://127.0.0.1:{port}",
            "--timeout",
            "0.3",
            "--retries",
            "1",
            "--backoff",
            "0",
        )
    one_line_error(code, err, f"127.0.0.1:{port}: timeout")
    assert "after 2 attempts" in err


def test_a_malformed_protocol_name_lists_the_valid_ones(rmh, one_line_error):
    code, _, err = rmh("info", "http://127.0.0.1:9", "--protocol", "vLLM")
    one_line_error(code, err, "unknown protocol 'vLLM'; choose one of: rmh, template, vllm-score")


def test_a_template_path_that_finds_nothing_shows_the_path_and_the_body(rmh, one_line_error):
    server, _ = fault_server()
    with server:
        code, _, err = rmh(
            "info",
            f"{server.url}/score",
            "--protocol",
            "template",
            "--response-path",
            "$.results[*].score",
        )
    one_line_error(code, err, "response path $.results[*].score found nothing")
    assert '{"scores": [' in err


def test_info_shows_a_served_model(rmh):
    server, _ = fault_server()
    with server:
        code, out, err = rmh("info", server.url, "--json")
    assert code == 0, err
    facts = json.loads(out)
    assert facts["kind"] == "http" and facts["protocol"] == "rmh"
    assert facts["served_model"] == "toy" and facts["white_box"] is False


# ------------------------------------------------------------- a real rmh serve
def run_record(folder: Path) -> dict:
    """A run's findings and spending; scores to float32 noise (local and served batches
    differ, and a padded batch moves a score by ~1e-7)."""
    log = read_log(folder / "log.jsonl")
    findings = sorted((e.unit, e.attack_id, e.text, e.score) for e in log.of_type(FindingEntry))
    return {
        "findings": [f[:3] for f in findings],
        "scores": [f[3] for f in findings],
        "attempts": sorted((e.unit, e.queries, e.findings) for e in log.of_type(AttemptEntry)),
        "clean": [(e.queries, e.accuracy.correct, e.fingerprint) for e in log.of_type(CleanEntry)],
    }


@pytest.mark.slow
def test_a_run_against_rmh_serve_finds_what_the_local_checkpoint_finds(
    rmh, checkpoints, tmp_path, monkeypatch
):
    """Through a real ``rmh serve`` process that requires a key (given by variable name)."""
    monkeypatch.setenv("RM_SERVE_KEY", "serve-key-41c7")
    key = ("--api-key-env", "RM_SERVE_KEY")
    checkpoint = str(checkpoints["bert"])
    suite = write_tiny_suite(tmp_path)
    data = tmp_path / "pairs.jsonl"
    local_out, served_out = tmp_path / "local", tmp_path / "served"
    code, _, err = rmh(
        "run", checkpoint, "--suite", str(suite), "--out", str(local_out / "run"), "--quiet"
    )
    assert code == 0, err
    code, local_scores, err = rmh("score", checkpoint, "--data", str(data))
    assert code == 0, err
    with rmh_serve(checkpoint, *key, cwd=tmp_path) as url:
        code, _, err = rmh("info", url)
        assert code == 2 and "401" in err  # without the key
        code, _, err = rmh(
            "run", url, "--suite", str(suite), "--out", str(served_out / "run"), "--quiet", *key
        )
        assert code == 0, err
        code, served_scores, err = rmh("score", url, "--data", str(data), *key)
        assert code == 0, err
    local, served = run_record(local_out / "run"), run_record(served_out / "run")
    assert served["findings"] == local["findings"] and local["findings"]
    assert served["scores"] == pytest.approx(local["scores"], rel=1e-5, abs=1e-6)
    assert served["attempts"] == local["attempts"]
    assert served["clean"] == local["clean"]  # same fingerprint: /info gives the checkpoint's
    assert "pairwise accuracy" in served_scores
    assert served_scores.splitlines()[-1] == local_scores.splitlines()[-1]


def without_white_box(record: dict, folder: Path) -> dict:
    """``record`` (of ``run_record``) without the units and findings of white-box attacks."""
    from attacks.registry import get_attack

    log = read_log(folder / "log.jsonl")
    white = {
        e.attack_id for e in log.attack_attempts() if get_attack(e.attack).access == "white-box"
    }
    keep = [i for i, f in enumerate(record["findings"]) if f[1] not in white]
    return {
        "findings": [record["findings"][i] for i in keep],
        "scores": [record["scores"][i] for i in keep],
        "attempts": [a for a in record["attempts"] if a[0].split("/")[1] not in white],
        "clean": record["clean"],
    }


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("RMH_DEMO_EQUIVALENCE"),
    reason="two quick-suite runs on the demo RM, minutes on 2 cores: RMH_DEMO_EQUIVALENCE=1",
)
def test_the_quick_suite_against_rmh_serve_demo_finds_what_the_local_demo_finds(rmh, tmp_path):
    """The builtin ``quick`` suite as it is: the served run skips its white-box ``gcg`` (and
    says so), and every other attack finds what it finds on the local demo RM."""
    local_out, served_out = tmp_path / "local" / "run", tmp_path / "served" / "run"
    code, _, err = rmh("run", "demo", "--suite", "quick", "--out", str(local_out), "--quiet")
    assert code == 0, err
    with rmh_serve("demo", cwd=tmp_path) as url:
        code, said, err = rmh("run", url, "--suite", "quick", "--out", str(served_out), "--quiet")
        assert code == 0, err
    assert f"skipping gcg on {url}: white-box, the model gives no gradients" in said
    served_log = read_log(served_out / "log.jsonl")
    assert [(s.attack_id, s.checkpoint) for s in served_log.init.skipped_attacks] == [("gcg", 0)]
    assert "gcg" not in {e.attack_id for e in served_log.attack_attempts()}
    local = without_white_box(run_record(local_out), local_out)
    served = run_record(served_out)
    assert local["attempts"] != run_record(local_out)["attempts"]  # gcg ran locally
    assert served["findings"] == local["findings"] and local["findings"]
    assert served["scores"] == pytest.approx(local["scores"], rel=1e-5, abs=1e-6)
    assert served["attempts"] == local["attempts"]
    assert served["clean"] == local["clean"]
