"""`check_upgrade` on RFC 8441 requests, sans-IO: what the HTTP/2 adapter's
marked GET must carry, and what each refusal says."""

from __future__ import annotations

from weft.http_types import Headers, Request, Response
from weft.protocols.websocket import Handshake, WsConfig, check_upgrade
from weft.protocols.websocket.extensions import BoundedDeflate, FrameLimits
from weft.protocols.websocket.handshake import TUNNEL_PROTOCOL_KEY


def h2_request(protocol: str | None = "websocket",
               headers: list[tuple[str, str]] | None = None) -> Request:
    fields = [("sec-websocket-version", "13")] if headers is None else headers
    req = Request("GET", "/chat", None, Headers.from_lowered(fields), http_version="2")
    if protocol is not None:
        req.extensions[TUNNEL_PROTOCOL_KEY] = protocol
    return req


def test_extended_connect_needs_no_key_and_has_no_accept() -> None:
    hs = check_upgrade(h2_request(), WsConfig(compression=False))
    assert isinstance(hs, Handshake)
    assert (hs.accept, hs.response, hs.subprotocol, hs.fields) == ("", b"", None, ())
    assert [type(e) for e in hs.extensions] == [FrameLimits]


def test_protocol_token_is_case_insensitive() -> None:
    assert isinstance(check_upgrade(h2_request("WebSocket"), WsConfig()), Handshake)


def test_other_protocols_are_not_implemented() -> None:
    answer = check_upgrade(h2_request("connect-udp"), WsConfig())
    assert isinstance(answer, Response) and answer.status == 501
    assert b"connect-udp" in answer.body


def test_version_must_be_13() -> None:
    for fields in ([], [("sec-websocket-version", "8")]):
        answer = check_upgrade(h2_request(headers=fields), WsConfig())
        assert isinstance(answer, Response) and answer.status == 426
        assert answer.header("sec-websocket-version") == "13"


def test_subprotocol_and_deflate_are_negotiated_as_on_http1() -> None:
    hs = check_upgrade(h2_request(headers=[
        ("sec-websocket-version", "13"),
        ("sec-websocket-protocol", "chat.v1, chat.v2"),
        ("sec-websocket-extensions", "permessage-deflate; client_max_window_bits")]),
        WsConfig(subprotocols=("chat.v2", "chat.v1")))
    assert isinstance(hs, Handshake)
    assert hs.subprotocol == "chat.v2"
    names = [name for name, _ in hs.fields]
    assert names == ["sec-websocket-protocol", "sec-websocket-extensions"]
    assert dict(hs.fields)["sec-websocket-extensions"].startswith("permessage-deflate")
    assert [type(e) for e in hs.extensions] == [BoundedDeflate, FrameLimits]


def test_http2_get_without_the_marker_is_still_refused() -> None:
    answer = check_upgrade(h2_request(protocol=None), WsConfig())
    assert isinstance(answer, Response) and answer.status in (400, 426)


def test_http1_handshake_lists_the_same_fields_in_its_101() -> None:
    req = Request("GET", "/chat", None, Headers.from_lowered([
        ("upgrade", "websocket"), ("connection", "Upgrade"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="), ("sec-websocket-version", "13"),
        ("sec-websocket-protocol", "chat.v2")]))
    hs = check_upgrade(req, WsConfig(subprotocols=("chat.v2",), compression=False))
    assert isinstance(hs, Handshake)
    assert hs.accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert hs.fields == (("sec-websocket-protocol", "chat.v2"),)
    assert b"\r\nsec-websocket-protocol: chat.v2\r\n" in hs.response
