"""Stage 7, routes: the static route table and its checks (docs/verification.md)."""

from weftc.routes.check import check_routes
from weftc.routes.table import Route, Segment, route_table

__all__ = ["Route", "Segment", "check_routes", "route_table"]
