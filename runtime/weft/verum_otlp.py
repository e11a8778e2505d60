"""Verum's OTLP push surface (`core.net.weft.metrics_otlp`) over `weft.otlp`.

Verum configures the exporter with the full metrics URL
(`http://col:4318/v1/metrics`), a `Duration` period, resource attributes and
extra headers; `weft.otlp.OtlpConfig` takes the collector's base URL and
seconds. `OtlpExporterConfig.to_otlp_config()` maps one to the other, and
`OtlpExporter` wraps the runtime's exporter with Verum's accessor names.

`with_h3()` records a preference only: weft has no HTTP/3 client, so pushes
go over HTTP/1.1 (Verum's exporter also falls back when h3 is unavailable).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import final

from weft.metrics import Registry
from weft.otlp import METRICS_PATH, OtlpConfig
from weft.otlp import OtlpExporter as _Exporter
from weft.verum_time import Duration

__all__ = ["OtlpExporter", "OtlpExporterConfig"]

_DEFAULT_PERIOD = Duration.from_secs(10)


@final
@dataclass(frozen=True, slots=True)
class OtlpExporterConfig:
    """Where and how often to push, with Verum's field names."""

    endpoint: str
    scope: str
    period: Duration = _DEFAULT_PERIOD
    resource_attrs: dict[str, str] = field(default_factory=dict)
    extra_headers: dict[str, str] = field(default_factory=dict)
    prefer_h3: bool = False

    @classmethod
    def new(cls, endpoint: str, scope: str) -> OtlpExporterConfig:
        return cls(endpoint, scope)

    def with_period(self, period: Duration) -> OtlpExporterConfig:
        return replace(self, period=period)

    def with_resource_attr(self, key: str, value: str) -> OtlpExporterConfig:
        return replace(self, resource_attrs={**self.resource_attrs, key: value})

    def with_h3(self) -> OtlpExporterConfig:
        return replace(self, prefer_h3=True)

    def with_bearer_token(self, token: str) -> OtlpExporterConfig:
        return replace(self, extra_headers={**self.extra_headers,
                                            "authorization": f"Bearer {token}"})

    def to_otlp_config(self) -> OtlpConfig:
        """The runtime's config: base URL, seconds, a `service.name` (the scope by default)."""
        base = self.endpoint.rstrip("/")
        if base.endswith(METRICS_PATH):
            base = base[:-len(METRICS_PATH)]
        resource = dict(self.resource_attrs)
        resource.setdefault("service.name", self.scope)
        return OtlpConfig(base, scope=self.scope, interval=self.period.seconds(),
                          resource=resource, headers=dict(self.extra_headers))


@final
class OtlpExporter:
    """Verum's exporter handle; `run()` is the push loop to start under a supervisor."""

    __slots__ = ("config", "inner")

    def __init__(self, config: OtlpExporterConfig, registry: Registry) -> None:
        self.config = config
        self.inner = _Exporter(config.to_otlp_config(), registry)

    @classmethod
    def new(cls, config: OtlpExporterConfig, registry: Registry) -> OtlpExporter:
        return cls(config, registry)

    async def run(self) -> None:
        await self.inner.run()

    async def export_once(self) -> bool:
        return await self.inner.export_once()

    def pushes_attempted(self) -> int:
        return self.inner.stats.pushes_attempted

    def pushes_succeeded(self) -> int:
        return self.inner.stats.pushes_succeeded

    def last_success_ms(self) -> int:
        """Wall-clock milliseconds of the last accepted push; 0 before the first."""
        return self.inner.stats.last_success_ns // 1_000_000

    def stop(self) -> None:
        """Ask the push loop to flush once and end; idempotent."""
        self.inner.stop()

    def encode_snapshot(self) -> bytes:
        """The registry now, as the OTLP body a push would send."""
        return self.inner.metrics_body()
