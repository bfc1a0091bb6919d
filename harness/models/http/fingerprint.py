"""Who is behind a URL: the fingerprint of a server that does not vouch for its model.

A local checkpoint is identified by hashing its files. A server is a black box, so when
it gives no fingerprint (``rmh serve`` gives one in ``/info``) the identity is the URL
plus a **probe**: the scores of three fixed pairs, asked when the model is built. A server
that silently swaps its model then has a new fingerprint the next time the probe is
asked, which is at every run start and on every resume: a resume refuses to mix the
two models ("fingerprint differs"), and a new run stores its findings under the new model
rather than the old one.

The scores are rounded to ``PROBE_DIGITS`` significant digits before hashing. Why: a
server that batches requests together (vLLM does) can move a half-precision score in
its last digits depending on what else was in the batch, and such noise must not look
like a new model; a different model moves scores far more than that.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
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
