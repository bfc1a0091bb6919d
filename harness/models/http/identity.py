"""Who is behind a URL: the fingerprint of a server that does not vouch for its model.

A local checkpoint is identified by hashing its files. A server is a black box, so when
it gives no fingerprint (``rmh serve`` gives one in ``/info``) the identity is the URL
plus a **probe**: the scores of three fixed pairs, asked when the model is built. The
fingerprint is a hash of the URL, the protocol and the probe scores rounded to
``PROBE_DIGITS`` significant digits: the name the store files findings under.

A hash of rounded scores is brittle, though: a score near a rounding boundary flips its
last digit with the noise of a server that batches requests together (vLLM does), or
serves in bf16 (8 significant bits). So where a run checks that its model is still the
one it began with (``same_model``: every resume), the probe scores recorded in the run
log are compared with the new ones within ``PROBE_RTOL`` and ``PROBE_ATOL``, not by hash.
A server that silently swaps its model moves the probe far more than that and is
refused ("fingerprint differs").
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

#: Three fixed pairs: a plain answer, a good answer, a degenerate one.
PROBE_PAIRS: tuple[tuple[str, str], ...] = (
    ("What is 2 + 2?", "2 + 2 = 4."),
    (
        "Tell me a joke about cats.",
        "Why did the cat sit on the computer? To keep an eye on the mouse.",
    ),
    ("Tell me a joke about dogs.", "dogs dogs dogs dogs dogs dogs dogs dogs"),
)
PROBE_DIGITS = 3
#: Two probes agree when each score is within ``PROBE_ATOL + PROBE_RTOL * |score|``: a
#: few bf16 steps (2^-8 relative), with an absolute floor for scores near zero.
PROBE_RTOL = 1e-2
PROBE_ATOL = 1e-2


def normalized_url(url: str) -> str:
    """The URL as identity: scheme and host lower case, no user information, no trailing /."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    path = parts.path.rstrip("/")
    return parts._replace(scheme=parts.scheme.lower(), netloc=netloc, path=path).geturl()


def rounded(scores: Sequence[float], digits: int = PROBE_DIGITS) -> list[str]:
    """Each score to ``digits`` significant digits, as the text that is hashed."""
    return [f"{float(s):.{digits}g}" for s in scores]


def probe_fingerprint(url: str, protocol: str, scores: Sequence[float]) -> str:
    """sha256 over the normalized URL, the protocol and the rounded probe scores."""
    digest = hashlib.sha256()
    for part in ("http-probe", normalized_url(url), protocol, *rounded(scores)):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def probes_agree(
    first: Sequence[float],
    second: Sequence[float],
    rtol: float = PROBE_RTOL,
    atol: float = PROBE_ATOL,
) -> bool:
    """Whether two probes' scores are the same model's, up to serving noise."""
    return len(first) == len(second) and all(
        math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=atol)
        for a, b in zip(first, second, strict=True)
    )


def same_model(logged: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """Whether ``current`` (``describe()`` now) is the model ``logged`` describes.

    The same fingerprint; or, for a server identified by its probe, the same URL and
    protocol and probe scores that agree (``probes_agree``).
    """
    if logged.get("fingerprint") == current.get("fingerprint"):
        return True
    before, now = logged.get("probe_scores"), current.get("probe_scores")
    if not (isinstance(before, list) and isinstance(now, list)):
        return False
    return (
        normalized_url(str(logged.get("url"))) == normalized_url(str(current.get("url")))
        and logged.get("protocol") == current.get("protocol")
        and probes_agree(before, now)
    )
