"""The L4 middleware layers: each wraps a `Service` and returns a `Service`.

Order them as the seed does (outermost first): tracing, timeout, rate
limit, auth, then the router; `MetricsLayer` usually sits outside them all.
"""

from weft.layers.auth import AuthLayer, mint_dev_token
from weft.layers.metrics import MetricsLayer
from weft.layers.ratelimit import RateConfig, RateLimitLayer
from weft.layers.timeout import TimeoutLayer, remaining
from weft.layers.tracing import Span, TraceContext, TracingLayer

__all__ = [
    "AuthLayer",
    "MetricsLayer",
    "RateConfig",
    "RateLimitLayer",
    "Span",
    "TimeoutLayer",
    "TraceContext",
    "TracingLayer",
    "mint_dev_token",
    "remaining",
]
