"""The L5 router: radix-tree matching of method and path to handlers."""

from __future__ import annotations

from weft.router.pattern import RouteConflict, parse_pattern
from weft.router.router import ROUTE_KEY, RouteMatch, Router, run_plan

__all__ = ["ROUTE_KEY", "RouteConflict", "RouteMatch", "Router", "parse_pattern", "run_plan"]
