"""What an OTLP/HTTP exporter needs to know, checked once at construction.

The endpoint is the collector's base URL (`http://collector:4318`); the
signal paths `/v1/metrics` and `/v1/traces` are appended, as the OTLP/HTTP
specification prescribes for a base endpoint.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, final
from urllib.parse import urlsplit

__all__ = ["METRICS_PATH", "TRACES_PATH", "Encoding", "OtlpConfig"]

METRICS_PATH: Final = "/v1/metrics"
TRACES_PATH: Final = "/v1/traces"


class Encoding(enum.Enum):
    """The two OTLP/HTTP payload encodings, valued by their content type."""

    PROTOBUF = "application/x-protobuf"
    JSON = "application/json"


@final
@dataclass(frozen=True, slots=True)
class OtlpConfig:
    """Exporter settings; every duration is in seconds."""

    endpoint: str
    encoding: Encoding = Encoding.PROTOBUF
    #: instrumentation scope name on every batch
    scope: str = "weft"
    #: seconds between pushes
    interval: float = 10.0
    #: `service.name` and any other resource attributes
    resource: Mapping[str, str] = field(default_factory=lambda: {"service.name": "weft-app"})
    #: extra request headers, e.g. `authorization`
    headers: Mapping[str, str] = field(default_factory=dict)
    #: finished spans waiting for export at most; newer ones are dropped beyond it
    max_queue: int = 2048
    #: spans per request
    max_batch: int = 512
    #: attempts per batch before it is dropped
    max_attempts: int = 5
    #: the first retry waits about this long; each further one doubles it
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    #: one HTTP request (connect, send, answer) at most this long
    timeout: float = 10.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"OTLP endpoint must be an http(s) URL, got {self.endpoint!r}")
        if parts.query or parts.fragment:
            raise ValueError("OTLP endpoint must not carry a query or fragment")
        for name, value in (("interval", self.interval), ("timeout", self.timeout),
                            ("backoff_initial", self.backoff_initial)):
            if not value > 0:
                raise ValueError(f"{name} must be positive")
        if self.backoff_max < self.backoff_initial:
            raise ValueError("backoff_max must be at least backoff_initial")
        if self.max_queue < 1 or self.max_batch < 1 or self.max_attempts < 1:
            raise ValueError("max_queue, max_batch and max_attempts must be at least 1")

    @classmethod
    def new(cls, endpoint: str, scope: str = "weft") -> OtlpConfig:
        """Verum's `OtlpExporterConfig.new(endpoint, scope)`."""
        return cls(endpoint, scope=scope)

    def url(self, signal_path: str) -> str:
        """The full URL for one signal (`METRICS_PATH` or `TRACES_PATH`)."""
        return self.endpoint.rstrip("/") + signal_path
