"""The package's public surface is a choice: pin `weft.__all__` so an export
cannot appear or vanish by accident (STYLE point 4)."""

from __future__ import annotations

import weft

EXPECTED = {
    # L5 handler
    "Body", "Err", "ExtractRejection", "Header", "HeaderParam", "Headers", "IntoResponse",
    "Json", "JsonBody", "JsonExtractorConfig", "Ok", "Path", "PathParam", "Query",
    "QueryParam", "Refine", "Request", "Response", "Result", "RouteConflict", "Router",
    "Text", "WeftError", "WeftErrorCategory", "into_response", "problem",
    # L4 service
    "Identity", "ServiceBuilder", "layer_fn", "middleware_fn", "service_fn",
    # L0-L3 and S
    "Server", "ServerConfig", "serve", "serve_tls", "TlsConfig",
    "ChildSpec", "Strategy", "Supervisor", "SupervisorConfig", "WeftApp",
}


def test_exports_are_pinned() -> None:
    assert set(weft.__all__) == EXPECTED


def test_every_export_resolves() -> None:
    for name in weft.__all__:
        assert getattr(weft, name) is not None, name
