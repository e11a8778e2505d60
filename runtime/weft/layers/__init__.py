"""The L4 middleware layers: each wraps a `Service` and returns a `Service`.

Order them as the seed does (outermost first): tracing, timeout, rate
limit, auth, then the router; `MetricsLayer` usually sits outside them all.
The backpressure family (`LoadShedLayer` outside one of
`ConcurrencyLimitLayer`, `CoDelLayer`, `FairQueueLayer`,
`AdaptiveConcurrencyLayer`) goes inside the timeout, so queueing time counts
against the request's deadline.
"""

from weft.identity.layer import SpiffeAuthLayer
from weft.layers.adaptive import AdaptiveConcurrencyLayer, VegasConfig, VegasLimit
from weft.layers.auth import AuthLayer, mint_dev_token
from weft.layers.codel import CoDel, CoDelConfig, CoDelLayer
from weft.layers.concurrency import ConcurrencyLimitLayer
from weft.layers.fairqueue import FairQueueConfig, FairQueueLayer
from weft.layers.loadshed import LoadShedLayer
from weft.layers.metrics import MetricsLayer
from weft.layers.ratelimit import RateConfig, RateLimitLayer
from weft.layers.rejection import REJECTED_KEY, rejected_by, tag_rejections
from weft.layers.timeout import TimeoutLayer, remaining
from weft.layers.tracing import Span, TraceContext, TracingLayer

__all__ = [
    "REJECTED_KEY",
    "AdaptiveConcurrencyLayer",
    "AuthLayer",
    "CoDel",
    "CoDelConfig",
    "CoDelLayer",
    "ConcurrencyLimitLayer",
    "FairQueueConfig",
    "FairQueueLayer",
    "LoadShedLayer",
    "MetricsLayer",
    "RateConfig",
    "RateLimitLayer",
    "Span",
    "SpiffeAuthLayer",
    "TimeoutLayer",
    "TraceContext",
    "TracingLayer",
    "VegasConfig",
    "VegasLimit",
    "mint_dev_token",
    "rejected_by",
    "remaining",
    "tag_rejections",
]
