"""A strict, linear-time, sans-IO HTTP/1.1 request parser (RFC 9112).

How it works: `feed(bytes)` appends to one buffer; `next_event()` returns the
next event or `NEED_DATA`. A request head is framed by finding the blank line
(`\\r\\n\\r\\n`), searching only bytes not searched before, so a head trickled
in one-byte writes costs O(size), not O(size^2); once framed, the whole head
is validated by precompiled regular expressions (C code, no backtracking
blow-ups: possessive quantifiers) and split into fields in one pass. Bytes
are copied into the buffer at most once, and only when a message spans
`feed` calls; a request that arrives whole is parsed in place.

Why not llhttp (httptools): its callbacks deliver headers in pieces that its
Python glue re-joins with `bytes +=` (quadratic when trickled), it is lenient
where RFC 9112 says reject (see docs/runtime/http1.md), and the strict checks
on top cost more than this parser does alone; measured in the report.

Strictness (each is a `ParseError` with its status, then the parser stops):
bare CR or LF, obs-fold, whitespace before a colon, bytes outside
token/field-value grammar, Content-Length that is not plain digits or appears
twice or as a list, Content-Length with Transfer-Encoding, any
Transfer-Encoding but a lone final `chunked` (501 for codings we do not
implement), Transfer-Encoding on HTTP/1.0, malformed chunk lines, a missing or
repeated Host on HTTP/1.1, request-target forms the method does not allow,
limits (414, 431, 413), unsupported versions (505), unmet expectations (417).

`work` counts bytes scanned or copied, the evidence for linear cost.

`next_request`, the hot path, has a C twin (`_native.c`) that the class uses
when it is built (see `weft.accel`). The Python method stays the specification: tests run
both on the same input and compare (`py_next_request`, `NATIVE`).
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import Final, final

from weft.accel import native_module
from weft.http_types import Headers, Request, parsed_request
from weft.protocols.http1.events import (
    END_OF_MESSAGE,
    NEED_DATA,
    PAUSED,
    Data,
    Event,
    ParseError,
    RequestReceived,
    _Marker,
)
from weft.protocols.http1.limits import Http1Limits
from weft.protocols.http1.states import State

_TCHAR: Final = r"!#$%&'*+\-.^_`|~0-9A-Za-z"
_TOKEN: Final = r"[" + _TCHAR + r"]++"
_VCHAR_OBS: Final = r"\x21-\x7e\x80-\xff"
_VALUE: Final = (r"(?:[" + _VCHAR_OBS + r"](?:[\t\x20-\x7e\x80-\xff]*[" + _VCHAR_OBS
                 + r"])?)?")
# The head is decoded once (latin-1, byte-for-byte) and matched as str, so
# every group comes out as the str the Request wants, with no per-field decode.
_REQUEST_LINE: Final = re.compile(r"(" + _TOKEN + r") ([\x21-\x7e]++) HTTP/([0-9])\.([0-9])\r\n")
_FIELD_LINE: Final = re.compile(r"(" + _TOKEN + r"):[ \t]*+(" + _VALUE + r")[ \t]*+\r\n")
# Anchored after a CRLF: a match is always a whole, valid line (values hold no
# CR/LF), so "as many matches as CRLFs" proves every line valid in one pass.
_FIELD_AT_LINE_START: Final = re.compile(
    r"(?<=\r\n)(" + _TOKEN + r"):[ \t]*+(" + _VALUE + r")[ \t]*+\r\n")
_QUOTED: Final = rb'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*+"'
_BTOKEN: Final = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]++"
_CHUNK_LINE: Final = re.compile(
    rb"([0-9A-Fa-f]{1,16})(?:[ \t]*+;[ \t]*+" + _BTOKEN + rb"(?:[ \t]*+=[ \t]*+(?:" + _BTOKEN
    + rb"|" + _QUOTED + rb"))?)*+")
_BAD_EOL: Final = re.compile(rb"\r(?=[^\n])|(?<!\r)\n")
_AUTHORITY: Final = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=%]+(?::[0-9]*)?|\[[0-9A-Fa-f:.]+\](?::[0-9]*)?")

# The fast path: one C-level match proves a whole common head valid — an
# origin-form HTTP/1.1 request line, exactly one Host, and otherwise field
# lines of plain token names and field-value bytes (OWS value OWS is exactly
# "any SP/HTAB/VCHAR/obs-text run", so no value needs capturing) whose names
# need no semantic check (the lookahead refuses Content-Length,
# Transfer-Encoding, Connection, Expect and a second Host). A head it does not
# match takes the detailed path below, which decides alone. re.ASCII keeps
# the case-insensitive names to ASCII letters.
_PLAIN_FIELD: Final = (r"(?!(?i:host|content-length|transfer-encoding|connection|expect):)"
                       + _TOKEN + r":[\t\x20-\x7e\x80-\xff]*+\r\n")
_FAST_HEAD: Final = re.compile(
    r"(" + _TOKEN + r") (/[\x21-\x3e\x40-\x7e]*+)(?:\?([\x21-\x7e]*+))? HTTP/1\.1\r\n"
    r"((?:" + _PLAIN_FIELD + r")*+(?i:host):[\t\x20-\x7e\x80-\xff]*+\r\n(?:" + _PLAIN_FIELD
    + r")*+)", re.ASCII)
_FIELD_PAIR: Final = re.compile(r"(" + _TOKEN + r"):[ \t]*+(" + _VALUE + r")[ \t]*+\r\n")
# The same head plus its blank line: matched at the start of a head that was
# never searched before, it frames and validates in one C call (no separate
# search for the blank line); it can only end at the first blank line, as no
# field line is empty.
_FAST_FRAMED: Final = re.compile(_FAST_HEAD.pattern + r"\r\n", re.ASCII)
# Bytes decoded at once for `_FAST_FRAMED`: pipelined heads in one read are
# decoded together; never less than the longest head the fast path takes.
_TEXT_WINDOW: Final = 4096

_MAX_LEADING_BLANK_LINES: Final = 4


def _split_fields(block: str) -> list[tuple[str, str]]:
    """(lower-case name, value) pairs of a field block `_FAST_HEAD` accepted."""
    return [(k.lower(), v) for k, v in _FIELD_PAIR.findall(block)]

_HEAD = State.HEAD
_BODY_LENGTH = State.BODY_LENGTH
_CHUNK_SIZE = State.CHUNK_SIZE
_CHUNK_DATA = State.CHUNK_DATA
_CHUNK_CRLF = State.CHUNK_CRLF
_TRAILERS = State.TRAILERS
_BODY_DONE = State.BODY_DONE
_CLOSED = State.CLOSED
_ERROR = State.ERROR


@final
class Http1Parser:
    """Turns the request side of one connection into events."""

    __slots__ = ("_blank", "_body_seen", "_buf", "_fast_max", "_keep_alive", "_limits",
                 "_line_seen", "_pos", "_remaining", "_scan", "_text", "_text_at", "_trailer_bytes",
                 "drained", "state", "work")

    def __init__(self, limits: Http1Limits | None = None) -> None:
        self._limits = limits = limits if limits is not None else Http1Limits()
        # A head no longer than this is within every size limit: its request
        # line, its byte count, and (each field line >= 4 bytes) its count.
        self._fast_max = min(limits.max_request_line, limits.max_header_bytes - 2,
                             4 * limits.max_header_count)
        self._buf: bytes | bytearray = b""
        self._pos = 0            # first unconsumed byte
        self._scan = 0           # first byte not yet searched for a terminator
        self._line_seen = False  # the request line's CRLF has arrived
        self._blank = 0          # empty lines skipped before this request line
        self._remaining = 0      # bytes left in the current body or chunk
        self._body_seen = 0      # body bytes declared so far (chunked)
        self._trailer_bytes = 0
        self._keep_alive = True
        #: `_buf[_text_at:]` decoded (a prefix of it), for the fast path;
        #: None after every `feed`
        self._text: str | None = None
        self._text_at = 0
        #: True only when the fast path consumed every buffered byte (until
        #: the next `feed`): lets the connection skip asking for more
        self.drained = False
        self.state = _HEAD
        self.work = 0

    # ------------------------------------------------------------------ input

    def feed(self, data: bytes) -> None:
        """Append received bytes. Copies only when a message spans feeds."""
        if not data or self.state is _CLOSED or self.state is _ERROR:
            return
        self._text = None
        self.drained = False
        buf = self._buf
        pos = self._pos
        if pos >= len(buf):
            self._buf = data
            self._scan = 0
        elif type(buf) is bytearray:
            if pos:
                del buf[:pos]
            buf += data
            self._scan -= pos
            self.work += len(data)
        else:
            grown = bytearray(memoryview(buf)[pos:])
            grown += data
            self.work += len(grown)
            self._buf = grown
            self._scan -= pos
        self._pos = 0
        if self._scan < 0:
            self._scan = 0

    @property
    def buffered(self) -> int:
        """Bytes received but not yet consumed."""
        return len(self._buf) - self._pos

    @property
    def mid_message(self) -> bool:
        """True while part of a request has arrived but not all of it."""
        st = self.state
        if st is _HEAD:
            return self._pos < len(self._buf)
        return st is not _CLOSED and st is not _ERROR

    def detach(self) -> bytes:
        """Stop interpreting input and return the bytes received but not yet
        consumed, for a protocol that takes the connection over (WebSocket)."""
        buf, pos = self._buf, self._pos
        rest = bytes(memoryview(buf)[pos:]) if pos < len(buf) else b""
        self.state = _CLOSED
        self._buf = b""
        self._pos = self._scan = 0
        return rest

    def _fail(self, status: int, reason: str) -> ParseError:
        self.state = _ERROR
        self._buf = b""
        self._pos = self._scan = 0
        return ParseError(status, reason)

    def _take(self, start: int, stop: int) -> bytes:
        buf = self._buf
        if type(buf) is bytes:
            return buf if start == 0 and stop == len(buf) else buf[start:stop]
        self.work += stop - start
        return bytes(memoryview(buf)[start:stop])

    # ----------------------------------------------------------------- events

    def next_event(self) -> Event:
        """The next event, `NEED_DATA`, or `PAUSED` once no request may follow."""
        while True:
            st = self.state
            if st is _HEAD:
                return self._head()
            buf = self._buf
            pos = self._pos
            n = len(buf)
            if st is _BODY_LENGTH or st is _CHUNK_DATA:
                avail = n - pos
                if avail <= 0:
                    return NEED_DATA
                rem = self._remaining
                if avail >= rem:
                    self._pos = pos + rem
                    self._scan = self._pos
                    self.state = _BODY_DONE if st is _BODY_LENGTH else _CHUNK_CRLF
                    return Data(self._take(pos, pos + rem))
                self._remaining = rem - avail
                self._pos = self._scan = n
                return Data(self._take(pos, n))
            if st is _BODY_DONE:
                self.state = _HEAD if self._keep_alive else _CLOSED
                return END_OF_MESSAGE
            if st is _CHUNK_SIZE:
                ev = self._chunk_size(buf, pos, n)
                if ev is not None:
                    return ev
            elif st is _CHUNK_CRLF:
                if n - pos < 2:
                    if n == pos or buf[pos] == 13:
                        return NEED_DATA
                    return self._fail(400, "chunk data not followed by CRLF")
                if not buf.startswith(b"\r\n", pos):
                    return self._fail(400, "chunk data not followed by CRLF")
                self._pos = self._scan = pos + 2
                self.state = _CHUNK_SIZE
            elif st is _TRAILERS:
                ev = self._trailer_line(buf, pos, n)
                if ev is not None:
                    return ev
            else:
                return PAUSED

    def next_request(self) -> Request | _Marker | None:
        """The connection's fast path: the next request if it is a complete,
        bodiless, keep-alive HTTP/1.1 request whose head `_FAST_HEAD`
        accepts; `NEED_DATA` if nothing is buffered; None when `next_event`
        must decide (anything else, including every error)."""
        if self.state is not _HEAD:
            return None
        buf = self._buf
        n = len(buf)
        pos = self._pos
        if pos >= n:
            if n:
                self._buf = b""  # keep no buffer while idle
                self._pos = self._scan = 0
            return NEED_DATA
        # A head no longer than `_fast_max` (+ its blank line) is within
        # every limit; a longer one cannot match below.
        stop = pos + self._fast_max + 2
        if stop > n:
            stop = n
        if self._scan == pos:
            # Never searched: frame and validate it with one match over the
            # decoded window (decoded once per `feed` for pipelined heads).
            # Each head gets here once with bytes beyond a few, so the scan
            # stays linear: after a miss `_head` moves `_scan` on.
            text = self._text
            at = self._text_at
            if text is None or pos < at or stop > at + len(text):
                hi = pos + _TEXT_WINDOW
                if hi < stop:
                    hi = stop
                text = self._text = (buf.decode("latin-1") if pos == 0 and n <= hi
                                     else buf[pos:hi].decode("latin-1"))
                at = self._text_at = pos
                # counts the copy and, as heads do not overlap, the matches
                # that succeed in it; a failing one is followed by `_head`
                self.work += 2 * len(text)
            m = _FAST_FRAMED.match(text, pos - at, stop - at)
            if m is None:
                return None
            end = m.end() + at
        else:
            # Part of this head was searched in an earlier read: find its
            # blank line from where the search stopped.
            end = buf.find(b"\r\n\r\n", self._scan, stop)
            if end < 0:
                return None
            end += 4
            self.work += 2 * (end - pos)
            m = _FAST_FRAMED.fullmatch(buf[pos:end].decode("latin-1"))
            if m is None:
                return None
        method, path, query, fields = m.groups()
        if method == "CONNECT":
            return None
        if end >= n:
            self._buf = b""
            self._pos = self._scan = 0
            self.drained = True
        else:
            self._pos = self._scan = end
        self._line_seen = False
        self._blank = 0
        self._keep_alive = True
        return parsed_request(method, path, query, fields, _split_fields)

    # ------------------------------------------------------------------- head

    def _head(self) -> Event:
        buf = self._buf
        pos = self._pos
        n = len(buf)
        if pos >= n:
            if n:
                self._buf = b""  # keep no buffer while idle
                self._pos = self._scan = 0
            return NEED_DATA
        simple = self.next_request()
        if type(simple) is Request:
            return RequestReceived(simple, True, True, False)
        while buf.startswith(b"\r\n", pos):
            self._blank += 1
            if self._blank > _MAX_LEADING_BLANK_LINES:
                return self._fail(400, "too many empty lines before the request line")
            pos += 2
            self._pos = pos
            if self._scan < pos:
                self._scan = pos
            if pos >= n:
                self._buf = b""
                self._pos = self._scan = 0
                return NEED_DATA
        scan = self._scan
        end = buf.find(b"\r\n\r\n", scan, n)
        if end < 0:
            return self._head_incomplete(buf, pos, n, scan)
        self.work += end + 4 - scan
        limits = self._limits
        if end + 4 - pos > limits.max_header_bytes:
            if self._line_too_long(buf, pos, end + 2):
                return self._fail(414, "request line too long")
            return self._fail(431, "request header section too large")
        head = buf[pos:end + 2].decode("latin-1")
        m = _REQUEST_LINE.match(head)
        if m is None:
            return self._bad_request_line(buf, pos, end + 2)
        p = m.end()
        if p - 2 > limits.max_request_line:
            return self._fail(414, "request line too long")
        method, target, major, minor = m.groups()
        if major != "1":
            return self._fail(505, "HTTP version not supported")
        http10 = minor == "0"
        pairs = _FIELD_AT_LINE_START.findall(head, p)
        if len(pairs) != head.count("\r\n", p):
            return self._fail(400, _field_error(head, p))
        if len(pairs) > limits.max_header_count:
            return self._fail(431, "too many header fields")
        self._pos = self._scan = end + 4
        self._line_seen = False
        self._blank = 0
        request = Request(method, target, None,
                          Headers.from_lowered([(k.lower(), v) for k, v in pairs]), b"",
                          "1.0" if http10 else "1.1")
        if target[0] == "/" and method != "CONNECT":
            path, q, query = target.partition("?")
            request.path = path
            if q:
                request.raw_query = query
        else:
            err = _other_target_form(request, target)
            if err is not None:
                return self._fail(400, err)
        # Every field line follows a "\n" and no value contains one, so these
        # substring tests on the lowered head are exact name matches.
        low = head.lower()
        hosts = low.count("\nhost:")
        if ("\ncontent-length:" in low or "\ntransfer-encoding:" in low
                or "\nconnection:" in low or "\nexpect:" in low):
            return self._framing(request, hosts, http10)
        if hosts != 1 and not (http10 and hosts == 0):
            return self._fail(400, "missing Host header" if hosts == 0 else "repeated Host header")
        if http10:
            self.state = _CLOSED
            return RequestReceived(request, False, True, False)
        self._keep_alive = True
        return RequestReceived(request, True, True, False)

    def _framing(self, request: Request, hosts: int, http10: bool) -> Event:
        """The slow path: a head with body framing, Connection or Expect."""
        keep_alive = not http10
        lengths: list[str] = []
        codings: list[str] = []
        expect_continue = False
        for name, value in request.headers:
            if name == "content-length":
                lengths.append(value)
            elif name == "transfer-encoding":
                codings.extend(c.strip(" \t").lower() for c in value.split(","))
            elif name == "connection":
                tokens = {t.strip(" \t").lower() for t in value.split(",")}
                if "close" in tokens:
                    keep_alive = False
                elif http10 and "keep-alive" in tokens:
                    keep_alive = True
            elif name == "expect" and not http10:
                # HTTP/1.0 expectations are ignored (RFC 9110 10.1.1).
                if value.lower() != "100-continue":
                    return self._fail(417, "unsupported expectation")
                expect_continue = True
        if hosts > 1 or (hosts == 0 and not http10):
            return self._fail(400, "missing Host header" if hosts == 0 else "repeated Host header")
        self._keep_alive = keep_alive
        if codings:
            if http10:
                return self._fail(400, "Transfer-Encoding in an HTTP/1.0 request")
            if lengths:
                return self._fail(400, "both Content-Length and Transfer-Encoding")
            if "" in codings or codings[-1] != "chunked" or codings.count("chunked") > 1:
                return self._fail(400, "Transfer-Encoding must end in a single chunked")
            if len(codings) > 1:
                return self._fail(501, "unsupported transfer coding")
            self.state = _CHUNK_SIZE
            self._body_seen = 0
            return RequestReceived(request, keep_alive, False, expect_continue)
        if lengths:
            if len(lengths) > 1:
                return self._fail(400, "repeated Content-Length")
            cl = lengths[0]
            if not (cl.isascii() and cl.isdigit()):
                return self._fail(400, "malformed Content-Length")
            size = int(cl) if len(cl) <= 19 else self._limits.max_body_bytes + 1
            if size > self._limits.max_body_bytes:
                return self._fail(413, "request body too large")
            if size:
                self.state = _BODY_LENGTH
                self._remaining = size
                return RequestReceived(request, keep_alive, False, expect_continue)
        if not keep_alive:
            self.state = _CLOSED
        return RequestReceived(request, keep_alive, True, False)

    def _head_incomplete(self, buf: bytes | bytearray, pos: int, n: int, scan: int) -> Event:
        lo = scan - 1 if scan > pos else pos
        self.work += n - lo
        if _BAD_EOL.search(buf, lo, n) is not None:
            return self._fail(400, "bare CR or LF in request head")
        limits = self._limits
        if not self._line_seen:
            if buf.find(b"\r\n", lo, n) >= 0:
                self._line_seen = True
                if self._line_too_long(buf, pos, n):
                    return self._fail(414, "request line too long")
            elif n - pos > limits.max_request_line:
                return self._fail(414, "request line too long")
        if n - pos > limits.max_header_bytes:
            return self._fail(431, "request header section too large")
        self._scan = n - 3 if n - 3 > pos else pos
        return NEED_DATA

    def _line_too_long(self, buf: bytes | bytearray, pos: int, stop: int) -> bool:
        eol = buf.find(b"\r\n", pos, stop)
        return (eol if eol >= 0 else stop) - pos > self._limits.max_request_line

    def _bad_request_line(self, buf: bytes | bytearray, pos: int, stop: int) -> ParseError:
        if self._line_too_long(buf, pos, stop):
            return self._fail(414, "request line too long")
        eol = buf.find(b"\r\n", pos, stop)
        parts = bytes(buf[pos:eol]).split(b" ")
        if (len(parts) == 3 and re.fullmatch(rb"HTTP/[0-9]\.[0-9]", parts[2])
                and parts[2] != b"HTTP/1.1" and parts[2] != b"HTTP/1.0"
                and not parts[2].startswith(b"HTTP/1.")):
            return self._fail(505, "HTTP version not supported")
        return self._fail(400, "malformed request line")

    # ---------------------------------------------------------------- chunked

    def _chunk_size(self, buf: bytes | bytearray, pos: int, n: int) -> Event | None:
        scan = self._scan
        eol = buf.find(b"\r\n", scan, n)
        limits = self._limits
        if eol < 0:
            lo = scan - 1 if scan > pos else pos
            self.work += n - lo
            if _BAD_EOL.search(buf, lo, n) is not None:
                return self._fail(400, "bare CR or LF in chunk line")
            if n - pos > limits.max_chunk_line:
                return self._fail(400, "chunk line too long")
            self._scan = n - 1 if n - 1 > pos else pos
            return NEED_DATA
        self.work += eol + 2 - scan
        if eol - pos > limits.max_chunk_line:
            return self._fail(400, "chunk line too long")
        cm = _CHUNK_LINE.fullmatch(buf, pos, eol)
        if cm is None:
            return self._fail(400, "malformed chunk size line")
        size = int(cm.group(1), 16)
        self._body_seen += size
        if self._body_seen > limits.max_body_bytes:
            return self._fail(413, "request body too large")
        self._pos = self._scan = eol + 2
        if size:
            self._remaining = size
            self.state = _CHUNK_DATA
        else:
            self._trailer_bytes = 0
            self.state = _TRAILERS
        return None

    def _trailer_line(self, buf: bytes | bytearray, pos: int, n: int) -> Event | None:
        scan = self._scan
        eol = buf.find(b"\r\n", scan, n)
        limit = self._limits.max_trailer_bytes
        if eol < 0:
            lo = scan - 1 if scan > pos else pos
            self.work += n - lo
            if _BAD_EOL.search(buf, lo, n) is not None:
                return self._fail(400, "bare CR or LF in trailer section")
            if self._trailer_bytes + n - pos > limit:
                return self._fail(431, "trailer section too large")
            self._scan = n - 1 if n - 1 > pos else pos
            return NEED_DATA
        self.work += eol + 2 - scan
        if eol == pos:
            self._pos = self._scan = pos + 2
            self.state = _BODY_DONE
            return None
        self._trailer_bytes += eol + 2 - pos
        if self._trailer_bytes > limit:
            return self._fail(431, "trailer section too large")
        line = buf[pos:eol + 2].decode("latin-1")
        if _FIELD_LINE.fullmatch(line) is None:
            return self._fail(400, _field_error(line, 0))
        self._pos = self._scan = eol + 2
        return None


def _field_error(head: str, pos: int) -> str:
    """Name what is wrong with the first bad field line at or after `pos`
    (error path only)."""
    while True:
        eol = head.find("\r\n", pos)
        line = head[pos:eol if eol >= 0 else len(head)]
        if _FIELD_LINE.fullmatch(head, pos, eol + 2 if eol >= 0 else len(head)) is None:
            break
        pos = eol + 2
    if line[:1] in (" ", "\t"):
        return "obsolete line folding in header"
    name, colon, _ = line.partition(":")
    if not colon:
        return "header line without a colon"
    if name[-1:] in (" ", "\t"):
        return "whitespace between header name and colon"
    if not name:
        return "empty header name"
    if "\r" in line or "\n" in line:
        return "bare CR or LF in header"
    return "invalid character in header"


def _other_target_form(request: Request, target: str) -> str | None:
    """Absolute-, authority- and asterisk-form (RFC 9112 3.2); None if valid."""
    method = request.method
    if method == "CONNECT":
        if _AUTHORITY.fullmatch(target) is None or ":" not in target.rsplit("]", 1)[-1]:
            return "CONNECT needs an authority-form target (host:port)"
        request.path = target
        return None
    if target == "*":
        if method != "OPTIONS":
            return "asterisk-form target is only allowed with OPTIONS"
        request.path = "*"
        return None
    scheme, sep, rest = target.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return "request target must be origin-form (/path) or an http(s) absolute URI"
    cut = len(rest)
    for ch in "/?":
        i = rest.find(ch)
        if 0 <= i < cut:
            cut = i
    authority, tail = rest[:cut], rest[cut:]
    if _AUTHORITY.fullmatch(authority) is None or "@" in authority:
        return "invalid authority in absolute-form target"
    path, q, query = tail.partition("?")
    request.path = path or "/"
    request.raw_query = query if q else None
    request.headers.set("host", authority)
    return None


#: the pure-Python `next_request`: the specification the C twin is tested against
py_next_request: Final = Http1Parser.next_request


def _load_native() -> ModuleType | None:
    """Install the C `next_request` on the class, if it is built and not switched off."""
    _native = native_module("weft.protocols.http1._native")
    if _native is None:
        return None
    _native.bind(Http1Parser, Request, Headers, _split_fields, NEED_DATA, _HEAD)
    # setattr: replacing a method on a final class is this module's own choice
    setattr(Http1Parser, "next_request", _native.next_request_method)  # noqa: B010
    return _native


#: the C accelerator in use, or None when the pure-Python code serves
NATIVE: Final = _load_native()
