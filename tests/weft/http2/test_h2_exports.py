"""Pin the public surface of the packages this work adds (STYLE 4)."""

from __future__ import annotations

import weft.connection.http2 as conn_h2
import weft.connection.websocket as conn_ws
import weft.protocols.http2 as h2p
import weft.protocols.websocket as wsp
import weft.transport as transport


def test_exports() -> None:
    assert sorted(h2p.__all__) == sorted([
        "PREFACE", "ConnectionEnded", "Event", "FrameScanner", "H2Core", "Http2Limits",
        "RapidResetGuard", "RequestData", "RequestEnded", "RequestStarted", "RequestTrailers",
        "StreamCancelled", "TokenBucket", "Violation", "WindowOpened", "WithTrailers"])
    assert sorted(wsp.__all__) == sorted([
        "BoundedDeflate", "Closed", "FrameLimits", "Handshake", "MessageReceived",
        "PingReceived", "PongReceived", "WsConfig", "WsCore", "WsEvent", "check_upgrade"])
    assert sorted(transport.__all__) == sorted([
        "ALPN_H2", "ALPN_HTTP11", "PEER_CERT_KEY", "ClientAuth", "PeerCert", "TlsConfig",
        "TlsConfigError", "TlsVersion", "build_ssl_context", "negotiated_alpn",
        "peer_certificate_info"])
    assert sorted(conn_h2.__all__) == ["Http2Connection", "is_h2_preface", "negotiated_h2"]
    assert sorted(conn_ws.__all__) == sorted([
        "Broadcast", "WsClosed", "WsHandler", "WsProtocol", "WsRoute", "WsRoutes", "WsSession",
        "is_websocket_upgrade", "upgrade"])
    for module in (h2p, wsp, transport, conn_h2, conn_ws):
        for name in module.__all__:
            assert hasattr(module, name), (module.__name__, name)


def test_preface_sniffing() -> None:
    preface = h2p.PREFACE
    assert conn_h2.is_h2_preface(preface + b"rest") is True
    assert conn_h2.is_h2_preface(preface[:5]) is None
    assert conn_h2.is_h2_preface(b"GET / HTTP/1.1\r\n") is False
    assert conn_h2.is_h2_preface(b"PRX") is False
