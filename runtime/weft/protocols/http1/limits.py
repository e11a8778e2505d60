"""Every HTTP/1.1 limit and deadline in one frozen value.

The defaults follow what uvicorn, hypercorn and nginx ship: generous enough
for browsers and API clients, tight enough that one connection cannot hold a
worker's memory or a socket forever. `docs/runtime/http1.md` lists each one
with the status code a client gets when it crosses it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Http1Limits:
    """Size limits (bytes/counts) and deadlines (seconds) for one connection."""

    #: request line (method, target, version) longer than this -> 414
    max_request_line: int = 8 * 1024
    #: request line plus all header lines plus the blank line -> 431 above it
    max_header_bytes: int = 64 * 1024
    #: number of header fields -> 431 above it
    max_header_count: int = 100
    #: request body, declared or chunked, buffered into `Request.body` -> 413
    max_body_bytes: int = 1024 * 1024
    #: one chunk-size line including extensions -> 400 above it
    max_chunk_line: int = 4 * 1024
    #: trailer section of a chunked body -> 431 above it
    max_trailer_bytes: int = 8 * 1024
    #: fully received requests waiting behind the one in flight; reading
    #: pauses while the queue is this deep
    max_pipeline: int = 32
    #: a request head must arrive completely within this (slowloris) -> 408
    header_timeout: float = 10.0
    #: the longest silence while a request body is arriving -> 408
    body_timeout: float = 30.0
    #: an idle keep-alive connection is closed after this
    keepalive_timeout: float = 5.0

    def __post_init__(self) -> None:
        for name in ("max_request_line", "max_header_bytes", "max_header_count",
                     "max_chunk_line", "max_trailer_bytes", "max_pipeline"):
            if getattr(self, name) < 1:
                raise ValueError(f"Http1Limits.{name} must be at least 1")
        if self.max_body_bytes < 0:
            raise ValueError("Http1Limits.max_body_bytes must not be negative")
        for name in ("header_timeout", "body_timeout", "keepalive_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Http1Limits.{name} must be positive")
