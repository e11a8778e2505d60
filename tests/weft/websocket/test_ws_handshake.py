"""The opening handshake as a pure check: 426/400 answers, accept token,
subprotocol and permessage-deflate negotiation."""

from __future__ import annotations

from weft.http_types import Headers, Request, Response
from weft.protocols.websocket import Handshake, WsConfig, check_upgrade

GOOD = [("host", "a"), ("upgrade", "websocket"), ("connection", "keep-alive, Upgrade"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="), ("sec-websocket-version", "13")]


def request(headers: list[tuple[str, str]], method: str = "GET", version: str = "1.1") -> Request:
    return Request(method, "/ws", headers=Headers(headers), http_version=version)


def replace(name: str, value: str | None) -> list[tuple[str, str]]:
    out = [(k, v) for k, v in GOOD if k != name]
    return out + ([(name, value)] if value is not None else [])


def test_accepts_rfc_example() -> None:
    hs = check_upgrade(request(GOOD), WsConfig())
    assert isinstance(hs, Handshake)
    assert hs.accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert hs.response.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert b"sec-websocket-extensions" not in hs.response


def test_rejections() -> None:
    cases = [
        (replace("upgrade", None), 426),
        (replace("sec-websocket-version", "8"), 426),
        (replace("connection", "keep-alive"), 400),
        (replace("sec-websocket-key", "short"), 400),
        (replace("sec-websocket-key", None), 400),
    ]
    for headers, status in cases:
        result = check_upgrade(request(headers), WsConfig())
        assert isinstance(result, Response) and result.status == status, headers
    assert check_upgrade(request(replace("sec-websocket-version", "8")),
                         WsConfig()).header("sec-websocket-version") == "13"  # type: ignore[union-attr]
    post = check_upgrade(request(GOOD, method="POST"), WsConfig())
    assert isinstance(post, Response) and post.status == 400
    old = check_upgrade(request(GOOD, version="1.0"), WsConfig())
    assert isinstance(old, Response) and old.status == 400


def test_subprotocol_and_deflate_negotiation() -> None:
    headers = [*GOOD, ("sec-websocket-protocol", "chat.v1, chat.v2"), ("sec-websocket-extensions", "permessage-deflate; client_max_window_bits")]
    hs = check_upgrade(request(headers), WsConfig(subprotocols=("chat.v2", "chat.v1")))
    assert isinstance(hs, Handshake) and hs.subprotocol == "chat.v2"
    assert b"sec-websocket-protocol: chat.v2" in hs.response
    assert b"sec-websocket-extensions: permessage-deflate" in hs.response
    plain = check_upgrade(request(headers), WsConfig(compression=False))
    assert isinstance(plain, Handshake) and plain.subprotocol is None
    assert b"permessage-deflate" not in plain.response
