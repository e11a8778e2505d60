"""Header-field rules of RFC 9113 §8.2-8.3, in one pass per header block.

Why: h2 applies these rules as a chain of ~10 generators per field (and
checks every byte of every name in a Python loop), which was a fifth of the
server's time per request. `H2Core` turns h2's own header normalisation and
validation off and calls these functions instead; they accept, reject and
rewrite exactly what h2 4.x does (`tests/weft/http2/test_h2_fields.py`
checks that against h2's functions with Hypothesis):

- `request_fields`: a received request head (or, with `trailers=True`,
  request trailers). Cookie fields are joined into one never-indexed field at
  the end first (RFC 9113 §8.2.3), then: names non-empty, no byte outside
  0x21-0x7e, no upper case, no colon after the first byte; values free of
  NUL/CR/LF and of surrounding SP/HTAB; no connection-specific field, `te`
  only as "trailers"; pseudo-fields known, unique, before the regular ones,
  none in trailers; a request has `:method`, and `:scheme` and `:path`
  unless it is a plain CONNECT (which has neither); `:protocol` only with
  CONNECT; no `:status`; `:path` non-empty; `:authority` or `host`, equal
  if both; one `host`.
- `response_fields`: a response head or trailers we send. Names lower-cased,
  names and values stripped, connection-specific fields dropped,
  `authorization`/`proxy-authorization` and short cookies never indexed
  (HPACK, RFC 7541 §7.1); `te` other than "trailers" and misplaced, unknown
  or request-only pseudo-fields and empty names are refused; a response head
  needs `:status`.

A refusal is `FieldError` (a `ValueError`) carrying h2's message.
"""

from __future__ import annotations

import re
from typing import Final

from hpack import NeverIndexedHeaderTuple

Header = tuple[bytes, bytes]

#: bytes a field name must not contain: 0x00-0x20, ':' (after a pseudo-field's
#: leading one), upper case, 0x7f-0xff
_BAD_NAME: Final = re.compile(rb"[^\x21-\x39\x3b-\x40\x5b-\x7e]")
_BAD_VALUE: Final = re.compile(rb"[\x00\n\r]")
_CONNECTION: Final = frozenset({b"connection", b"proxy-connection", b"keep-alive",
                                b"transfer-encoding", b"upgrade"})
_PSEUDO: Final = frozenset({b":method", b":scheme", b":authority", b":path", b":status",
                            b":protocol"})
_REQUEST_ONLY: Final = frozenset({b":scheme", b":path", b":authority", b":method",
                                  b":protocol"})
_SECURE: Final = frozenset({b"authorization", b"proxy-authorization"})
_WS: Final = (0x20, 0x09)


class FieldError(ValueError):
    """The header block breaks a rule of RFC 9113 §8.2-8.3 (h2's wording)."""


def _check_pseudo(name: bytes, seen: set[bytes], after_regular: bool) -> None:
    """RFC 9113 §8.3: each pseudo-field once, all before the regular fields,
    and only the defined ones. Records `name` in `seen`."""
    if name in seen:
        raise FieldError(f"Received duplicate pseudo-header field {name!r}")
    seen.add(name)
    if after_regular:
        raise FieldError(f"Received pseudo-header field out of sequence: {name!r}")
    if name not in _PSEUDO:
        raise FieldError(f"Received custom pseudo-header field {name!r}")


def _check_field(name: bytes, value: bytes) -> None:
    bad = _BAD_NAME.search(name, 1 if name[:1] == b":" else 0)
    if bad is not None:
        c = name[bad.start()]
        if 0x41 <= c <= 0x5A:
            raise FieldError(f"Received uppercase header name {name!r}.")
        raise FieldError(f"Illegal character '{chr(c)}' in header name: {name!r}")
    if value:
        bad = _BAD_VALUE.search(value)
        if bad is not None:
            raise FieldError(f"Illegal character '{chr(value[bad.start()])}' in header value: "
                             f"{value!r}")
        if value[0] in _WS or value[-1] in _WS:
            raise FieldError(f"Received header value surrounded by whitespace {value!r}")
    if not name:
        raise FieldError("Received header name with zero length.")
    if name == b"te" and value.lower() != b"trailers":
        raise FieldError(f"Invalid value for TE header: {value!r}")
    if name in _CONNECTION:
        raise FieldError(f"Connection-specific header field present: {name!r}.")


def request_fields(headers: list[Header], trailers: bool = False) -> list[Header]:
    """Check a received request head (or trailers); returns the fields with
    cookies joined, or raises `FieldError`."""
    out: list[Header] = []
    cookies: list[bytes] | None = None
    for field in headers:
        if field[0] == b"cookie":
            if cookies is None:
                cookies = []
            cookies.append(field[1])
        else:
            out.append(field)
    if cookies is not None:
        out.append(NeverIndexedHeaderTuple(b"cookie", b"; ".join(cookies)))
    pseudo: set[bytes] = set()
    regular = False
    method = authority = host = None
    for name, value in out:
        _check_field(name, value)
        if name[:1] == b":":
            _check_pseudo(name, pseudo, regular)
            if name == b":method":
                method = value
            elif name == b":authority" and not trailers:
                authority = value
            elif name == b":path" and not value and not trailers:
                raise FieldError("An empty :path header is forbidden")
        else:
            regular = True
            if name == b"host" and not trailers:
                if host is not None:
                    raise FieldError("Request header block has multiple Host headers.")
                host = value
    if trailers:
        if pseudo:
            raise FieldError(f"Received pseudo-header in trailer {pseudo}")
        return out
    _check_request_pseudo(pseudo, method)
    if authority is None and host is None:
        raise FieldError("Request header block does not have an :authority or Host header.")
    if authority is not None and host is not None and authority != host:
        raise FieldError("Request header block has mismatched :authority and "
                         f"Host headers: {authority!r} / {host!r}")
    return out


def _check_request_pseudo(pseudo: set[bytes], method: bytes | None) -> None:
    if b":method" not in pseudo:
        raise FieldError("Header block missing mandatory b':method' header")
    connect = method == b"CONNECT"
    if connect and b":protocol" not in pseudo:
        if b":scheme" in pseudo or b":path" in pseudo:
            raise FieldError("Ordinary CONNECT MUST NOT include :scheme or :path")
    else:
        for required in (b":scheme", b":path"):
            if required not in pseudo:
                raise FieldError(f"Header block missing mandatory {required!r} header")
    if b":status" in pseudo:
        raise FieldError(f"Encountered response-only headers {pseudo & {b':status'}}")
    if not connect and b":protocol" in pseudo:
        raise FieldError(f"Encountered connect-request-only headers {pseudo & {b':protocol'}!r}")


def response_fields(headers: list[Header], trailers: bool = False) -> list[Header]:
    """Normalise and check a response head (or trailers) we are about to
    send; raises `FieldError`."""
    out: list[Header] = []
    pseudo: set[bytes] = set()
    regular = False
    for name, value in headers:
        name = name.lower().strip()
        value = value.strip()
        if name in _CONNECTION:
            continue
        if not name:  # h2 fails on this with an IndexError
            raise FieldError("Header name with zero length.")
        if name == b"te" and value.lower() != b"trailers":
            raise FieldError(f"Invalid value for TE header: {value!r}")
        if name[:1] == b":":
            _check_pseudo(name, pseudo, regular)
        else:
            regular = True
        if name in _SECURE or (name == b"cookie" and len(value) < 20):
            out.append(NeverIndexedHeaderTuple(name, value))
        else:
            out.append((name, value))
    if trailers:
        if pseudo:
            raise FieldError(f"Received pseudo-header in trailer {pseudo}")
    else:
        if b":status" not in pseudo:
            raise FieldError("Header block missing mandatory b':status' header")
        if pseudo & _REQUEST_ONLY:
            raise FieldError(f"Encountered request-only headers {pseudo & _REQUEST_ONLY}")
    return out
