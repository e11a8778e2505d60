"""Liveness and readiness: `/_health/live`, `/_health/ready`, and what
readiness is made of (dependency checks, supervisors, graceful drain)."""

from weft.health.checks import CheckResult, CheckStatus, HealthCheck, ReadinessFlag, run_check
from weft.health.drain import is_draining, mark_draining
from weft.health.endpoints import LIVE_PATH, READY_PATH, HealthLayer, health_handlers
from weft.health.readiness import HealthReport, Readiness

__all__ = [
    "LIVE_PATH",
    "READY_PATH",
    "CheckResult",
    "CheckStatus",
    "HealthCheck",
    "HealthLayer",
    "HealthReport",
    "Readiness",
    "ReadinessFlag",
    "health_handlers",
    "is_draining",
    "mark_draining",
    "run_check",
]
