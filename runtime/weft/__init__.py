"""weft: the server runtime that weftc's output runs on, usable from Python directly."""

from weft.http_types import Headers, Request, Response

__all__ = ["Headers", "Request", "Response"]
