"""The API key: read from the environment, checked before it is sent, blanked out of text.

Why checked at build time: a key that ends in a newline (``echo KEY > file`` and
``export RM_KEY=$(cat file)`` keep one) or holds non-ASCII text cannot go in an HTTP
header. ``httpx`` then fails deep inside (``Illegal header value b'Bearer KEY\\r'``, or
a ``UnicodeEncodeError``) with the key in the message, escaped, where a plain search for
the key does not find it. So a key or header value that is not printable ASCII is a
one-line error that names the variable or header, never the value.

``redaction_forms`` lists the spellings of a key that a message may hold: as it is, and
escaped as ``repr`` and JSON write it. Both ``rmh serve --api-key-env`` (the server's key)
and the HTTP reward model (``--api-key-env``) read the key through ``api_key_from_env``;
it lives in ``core`` so that both layers reach it without importing a model.
"""

from __future__ import annotations

import json
import os
import re

from harness.core.errors import HarnessError

#: An HTTP header name (RFC 9110 ``token``).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: What a key may hold: printable ASCII without spaces (a key never has one).
_KEY = re.compile(r"[\x21-\x7e]+")
#: What a header value may hold: printable ASCII, spaces inside included.
_VALUE = re.compile(r"[\x20-\x7e]*")

_UNSENDABLE = (
    "a line break, a control character or non-ASCII text (a trailing newline from "
    "a file or `echo`?)"
)


def api_key_from_env(env_name: str | None, option: str = "--api-key-env") -> str | None:
    """The key in the environment variable ``env_name`` (None: no key asked for).

    Unset, empty or not sendable in a header: a one-line ``HarnessError`` that names the
    variable and never shows its value.
    """
    if env_name is None:
        return None
    key = os.environ.get(env_name)
    if not key:
        raise HarnessError(
            f"{option} {env_name}: the environment variable {env_name} is not set or empty"
        )
    if not _KEY.fullmatch(key):
        raise HarnessError(
            f"{option} {env_name}: the key in {env_name} holds a space, {_UNSENDABLE}, "
            "which an HTTP header cannot carry; fix the variable"
        )
    return key


def check_header(name: str, value: str) -> None:
    """A ``--header`` that HTTP can carry; otherwise a one-line error without the value."""
    if not _TOKEN.fullmatch(name):
        raise HarnessError(
            f"--header {name!r}: not a header name (letters, digits and !#$%&'*+-.^_`|~ only)"
        )
    if not _VALUE.fullmatch(value):
        raise HarnessError(
            f"--header {name}: the value holds {_UNSENDABLE}, which an HTTP header cannot carry"
        )


def redaction_forms(secret: str | None) -> tuple[str, ...]:
    """The spellings of ``secret`` a message may hold, longest first (none for no secret)."""
    if not secret:
        return ()
    forms = {
        secret,
        repr(secret)[1:-1],  # str repr: \r, \n, \x07 escaped
        repr(secret.encode("utf-8", "surrogatepass"))[2:-1],  # bytes repr, as h11 shows it
        json.dumps(secret)[1:-1],  # JSON, as a server may echo it
    }
    return tuple(sorted((f for f in forms if f), key=len, reverse=True))


def redact(text: str, forms: tuple[str, ...], blank: str = "***") -> str:
    """``text`` with every form of the secret replaced by ``blank``."""
    for form in forms:
        text = text.replace(form, blank)
    return text
