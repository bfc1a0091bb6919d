"""The probe fingerprint: a hash for display and the store, and a resume check that
compares probe scores within serving noise, so a rounding flip is not a new model and a
swapped model still is."""

from __future__ import annotations

from harness.models.http.identity import (
    PROBE_ATOL,
    PROBE_RTOL,
    probe_fingerprint,
    probes_agree,
    rounded,
    same_model,
)

URL = "http://rm.example:8000/score"
SCORES = [1.2349999, -0.5, 3.0]
NOISY = [1.2350001, -0.5004, 3.002]  # serving noise, across a rounding boundary


def info(scores: list[float], url: str = URL, protocol: str = "template") -> dict:
    """What ``describe()`` says of a probed server (and the run log keeps)."""
    return {
        "url": url,
        "protocol": protocol,
        "probe_scores": scores,
        "fingerprint": probe_fingerprint(url, protocol, scores),
    }


def test_noise_across_a_rounding_boundary_changes_the_hash_but_not_the_model():
    assert rounded(SCORES) != rounded(NOISY)
    assert info(SCORES)["fingerprint"] != info(NOISY)["fingerprint"]
    assert probes_agree(SCORES, NOISY)
    assert same_model(info(SCORES), info(NOISY))


def test_a_swapped_model_is_another_model():
    swapped = [0.9, -0.2, 2.5]
    assert not same_model(info(SCORES), info(swapped))
    just_beyond = [s + 2 * (PROBE_ATOL + PROBE_RTOL * abs(s)) for s in SCORES]
    assert not same_model(info(SCORES), info(just_beyond))


def test_the_same_probe_at_another_url_or_protocol_is_another_model():
    assert not same_model(info(SCORES), info(NOISY, url="http://other:8000/score"))
    assert not same_model(info(SCORES), info(NOISY, protocol="vllm-score"))
    assert same_model(info(SCORES), info(NOISY, url="HTTP://RM.example:8000/score/"))


def test_a_model_without_a_probe_is_compared_by_fingerprint_alone():
    assert same_model({"fingerprint": "abc"}, {"fingerprint": "abc"})
    assert not same_model({"fingerprint": "abc"}, {"fingerprint": "abd"})
    assert not same_model({"fingerprint": "abc", "probe_scores": None}, info(SCORES))
