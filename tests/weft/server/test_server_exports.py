"""The public surfaces of the HTTP/1.1 stack are pinned."""

import weft.connection
import weft.protocols.http1
import weft.server


def test_exports() -> None:
    assert sorted(weft.server.__all__) == ["Http1Limits", "Http2Limits", "Server", "ServerConfig",
                                           "ServerStats", "TlsConfig", "serve", "serve_tls"]
    assert sorted(weft.connection.__all__) == ["ConnectionContext", "Http1Connection", "Nursery",
                                               "Resumed", "ServerStats", "problem_response"]
    assert {"Http1Parser", "Http1Limits", "ResponseSerializer", "DateClock", "RequestReceived",
            "Data", "ParseError", "END_OF_MESSAGE", "NEED_DATA", "PAUSED",
            "TRANSITIONS"} <= set(weft.protocols.http1.__all__)
    for module in (weft.server, weft.connection, weft.protocols.http1):
        for name in module.__all__:
            assert hasattr(module, name), name
