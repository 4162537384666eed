"""Bodies over the limit get their 413 reply, on a real connection too.

Flask's ``MAX_CONTENT_LENGTH`` refuses a large body before reading it. The server then closes a
socket whose receive buffer still holds the unread body, the kernel answers with a reset, and the
client often loses the 413 that was already sent (it reports ``RemoteDisconnected``). So a hook that
runs before any other reads the body first — discarding it, never keeping more than one chunk — up to
``DRAIN_CAP``, then answers 413 in the error shape and closes the connection. A body past the cap
is not worth reading: that client gets the 413 and the close without the drain.
"""
from __future__ import annotations

import io
from typing import IO, Any, NoReturn

from flask import Flask, request

from web.common.errors import ApiError

MAX_BODY = 64 * 1024
DRAIN_CAP = 16 * 1024 * 1024
_CHUNK = 64 * 1024

def install(app: Flask, limit: int = MAX_BODY, drain_cap: int = DRAIN_CAP) -> None:
    """Check the body's size before any other hook or view reads it (registered first)."""
    app.config["MAX_CONTENT_LENGTH"] = limit  # Werkzeug's own check stays, behind this one

    @app.before_request
    def _refuse_oversized_body() -> None:
        environ = request.environ
        stream = environ.get("wsgi.input")
        length = _content_length(environ)
        if length is not None:
            if length > limit:
                if length <= drain_cap:
                    _discard(stream, length)
                _too_large()
        elif stream is not None and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            # No length announced: read up to one byte past the limit to know which case this is.
            head = stream.read(limit + 1)
            if len(head) > limit:
                _discard(stream, drain_cap - len(head))
                _too_large()
            environ["wsgi.input"] = io.BytesIO(head)
            environ["CONTENT_LENGTH"] = str(len(head))


def _too_large() -> NoReturn:
    raise ApiError(413, "payload_too_large", "request body over 64 KiB", {"Connection": "close"})


def _content_length(environ: dict[str, Any]) -> int | None:
    try:
        return int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def _discard(stream: IO[bytes] | None, up_to: int) -> None:
    """Read and drop at most ``up_to`` bytes, a chunk at a time, until the body ends."""
    if stream is None:
        return
    left = up_to
    while left > 0:
        chunk = stream.read(min(_CHUNK, left))
        if not chunk:
            return
        left -= len(chunk)
