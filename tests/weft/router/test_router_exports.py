"""The L5 public surface is a choice: pin it."""

from __future__ import annotations

import weft
import weft.extract
import weft.response
import weft.result
import weft.router
import weft.service

L5_NAMES = {"Body", "Err", "ExtractRejection", "Header", "HeaderParam", "Identity", "IntoResponse",
            "Json", "JsonBody", "JsonExtractorConfig", "Ok", "Path", "PathParam", "Query",
            "QueryParam", "Refine", "Result", "RouteConflict", "Router", "ServiceBuilder", "Text",
            "WeftError", "WeftErrorCategory", "into_response", "layer_fn", "middleware_fn",
            "problem", "service_fn"}


def test_top_level_exports() -> None:
    assert L5_NAMES <= set(weft.__all__)
    for name in weft.__all__:
        assert hasattr(weft, name), name


def test_module_exports() -> None:
    assert weft.router.__all__ == ["ROUTE_KEY", "RouteConflict", "RouteMatch", "Router",
                                   "parse_pattern", "run_plan"]
    assert weft.service.__all__ == ["Identity", "LayerFn", "ServiceBuilder", "layer_fn",
                                    "middleware_fn", "service_fn"]
    assert weft.result.__all__ == ["Err", "Ok", "Result", "UnwrapError"]
    assert weft.response.__all__ == ["IntoResponse", "bytes_", "html", "into_response", "json",
                                     "redirect", "status", "stream", "text", "with_header",
                                     "with_headers"]
    for mod in (weft.extract, weft.router, weft.service, weft.result, weft.response):
        for name in mod.__all__:
            assert hasattr(mod, name), (mod.__name__, name)
