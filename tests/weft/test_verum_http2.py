"""`weft.verum_http2`: Verum's millisecond RapidResetGuard over the runtime's."""

from __future__ import annotations

from weft.protocols.http2 import Http2Limits
from weft.verum_http2 import RstGuard, default_limits


def test_verum_defaults() -> None:
    limits = default_limits()
    assert (limits.max_concurrent_streams, limits.rapid_reset_rate,
            limits.rapid_reset_burst) == (128, 100.0, 100)
    # every other limit keeps weft's hardened default
    assert limits.max_header_list_size == Http2Limits().max_header_list_size


def test_budget_is_shared_by_resets_and_violations_and_poisoning_is_final() -> None:
    guard = RstGuard.new(Http2Limits(rapid_reset_rate=10.0, rapid_reset_burst=4), 0)
    assert guard.on_rst_observed(0) and guard.on_rst_observed(0)
    assert guard.note_protocol_violation(0) and guard.note_protocol_violation(0)
    assert not guard.is_poisoned()
    assert not guard.on_rst_observed(0)
    assert guard.is_poisoned() and guard.should_refuse_new_stream()
    assert guard.total_rst_count() == 5
    assert not guard.on_rst_observed(60_000)  # a minute later: still poisoned
    assert guard.guard.poisoned


def test_time_is_milliseconds() -> None:
    guard = RstGuard.new(Http2Limits(rapid_reset_rate=10.0, rapid_reset_burst=1), 0)
    assert guard.on_rst_observed(0)
    assert guard.on_rst_observed(100)  # 100 ms at 10/s refills one token
    assert not guard.on_rst_observed(150)
