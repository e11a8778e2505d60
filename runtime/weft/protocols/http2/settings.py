"""SETTINGS: the values the server advertises, and the checks on the
client's (RFC 9113 §6.5, RFC 8441 §3).

A SETTINGS frame is applied whole or not at all: `parse_settings` checks
every value before the caller changes any state, so a frame with one bad
value ends the connection with nothing of it applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from weft.protocols.http2.limits import Http2Limits
from weft.protocols.http2.wire import (
    MAX_MAX_FRAME,
    MAX_WINDOW,
    MIN_MAX_FRAME,
    ErrorCode,
    setting_pairs,
)


class SettingCode(IntEnum):
    HEADER_TABLE_SIZE = 0x1
    ENABLE_PUSH = 0x2
    MAX_CONCURRENT_STREAMS = 0x3
    INITIAL_WINDOW_SIZE = 0x4
    MAX_FRAME_SIZE = 0x5
    MAX_HEADER_LIST_SIZE = 0x6
    ENABLE_CONNECT_PROTOCOL = 0x8


@dataclass(frozen=True, slots=True)
class SettingsError:
    """Why a SETTINGS frame is a connection error."""

    code: ErrorCode
    reason: str


def advertised(limits: Http2Limits) -> list[tuple[int, int]]:
    """The server's SETTINGS: push off, extended CONNECT on (RFC 8441)."""
    return [(SettingCode.HEADER_TABLE_SIZE, limits.hpack_table_size),
            (SettingCode.ENABLE_PUSH, 0),
            (SettingCode.MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams),
            (SettingCode.INITIAL_WINDOW_SIZE, limits.initial_window_size),
            (SettingCode.MAX_FRAME_SIZE, limits.max_frame_size),
            (SettingCode.MAX_HEADER_LIST_SIZE, limits.max_header_list_size),
            (SettingCode.ENABLE_CONNECT_PROTOCOL, 1)]


def parse_settings(payload: bytes) -> list[tuple[int, int]] | SettingsError:
    """The client's settings in order (unknown identifiers dropped, as §6.5.2
    requires), or the first value that breaks the RFC."""
    if len(payload) % 6:
        return SettingsError(ErrorCode.FRAME_SIZE_ERROR,
                             "SETTINGS payload is not a multiple of 6 bytes")
    out: list[tuple[int, int]] = []
    for code, value in setting_pairs(payload):
        if code == SettingCode.INITIAL_WINDOW_SIZE:
            if value > MAX_WINDOW:
                return SettingsError(ErrorCode.FLOW_CONTROL_ERROR,
                                     f"SETTINGS_INITIAL_WINDOW_SIZE {value} above 2**31-1")
        elif code == SettingCode.MAX_FRAME_SIZE:
            if not MIN_MAX_FRAME <= value <= MAX_MAX_FRAME:
                return SettingsError(ErrorCode.PROTOCOL_ERROR,
                                     f"SETTINGS_MAX_FRAME_SIZE {value} out of range")
        elif code in (SettingCode.ENABLE_PUSH, SettingCode.ENABLE_CONNECT_PROTOCOL):
            if value > 1:
                return SettingsError(ErrorCode.PROTOCOL_ERROR,
                                     f"SETTINGS {SettingCode(code).name} must be 0 or 1")
        elif code not in _KNOWN:
            continue
        out.append((code, value))
    return out


_KNOWN = frozenset(int(c) for c in SettingCode)
