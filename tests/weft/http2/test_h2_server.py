"""HTTP/2 over loopback against independent peers (curl, httpx, h2load,
nghttp) and raw h2 clients for the abuse limits."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import h2.events
import httpx
from h2.errors import ErrorCodes
from h2.settings import SettingCodes
from h2_support import RawClient, body_of, ended, goaway, headers, serve, status_of
from hyperframe.frame import ContinuationFrame, HeadersFrame
from tls_support import make_pki
from weft.http_types import Request, Response
from weft.protocols.http2 import Http2Limits, WithTrailers
from weft.router import Router
from weft.transport import TlsConfig, build_ssl_context


def run(coro: object, limit: float = 30.0) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(coro, limit)  # type: ignore[arg-type]
    asyncio.run(bounded())


def hello(req: Request) -> str:
    return "Hello, World!"


async def echo(req: Request) -> Response:
    await asyncio.sleep(0)   # suspends: exercises the task path
    trailers = req.extensions.get("trailers")
    extra = [("x-got-trailer", trailers.get("x-sum") or "")] if trailers is not None else []
    return Response(200, [("content-type", "application/octet-stream"), *extra], req.body)


async def big(req: Request) -> Response:
    return Response(200, [], b"z" * 300_000)


async def with_trailers(req: Request) -> Response:
    async def body() -> AsyncIterator[bytes]:
        for part in (b"one,", b"two"):
            yield part
    return Response(200, [("trailer", "x-checksum")],
                    stream=WithTrailers(body(), lambda: [("x-checksum", "c0ffee")]))


async def slow(req: Request) -> Response:
    await asyncio.sleep(0.5)
    return Response(200, [], b"slow done")


def app() -> Router:
    return (Router().get("/", hello).post("/echo", echo).get("/big", big)
            .get("/trailers", with_trailers).get("/slow", slow))


async def tool(*args: str, limit: float = 20.0) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), limit)
    return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


def test_curl_prior_knowledge_and_http1_on_one_port() -> None:
    async def main() -> None:
        async with serve(app(), mixed=True) as s:
            url = f"http://127.0.0.1:{s.port}"
            rc, out, err = await tool("curl", "-sS", "-v", "--http2-prior-knowledge", url + "/")
            assert rc == 0 and out == "Hello, World!" and "< HTTP/2 200" in err
            rc, out, err = await tool("curl", "-sS", "-v", "--http2-prior-knowledge",
                                      "--data-binary", "payload", url + "/echo")
            assert rc == 0 and out == "payload"
            rc, out, err = await tool("curl", "-sS", "-v", "--http1.1", url + "/")
            assert rc == 0 and out == "Hello, World!" and "< HTTP/1.1 200" in err
    run(main())


def test_tls_alpn_h2_with_curl_and_httpx(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    ctx = build_ssl_context(TlsConfig(str(pki.server_cert), str(pki.server_key)))

    async def main() -> None:
        async with serve(app(), ssl_ctx=ctx, mixed=True) as s:
            url = f"https://127.0.0.1:{s.port}"
            rc, out, err = await tool("curl", "-sS", "-v", "--http2", "--cacert",
                                      str(pki.ca_cert), url + "/")
            assert rc == 0 and out == "Hello, World!" and "< HTTP/2 200" in err, err
            rc, out, err = await tool("curl", "-sS", "-v", "--http1.1", "--cacert",
                                      str(pki.ca_cert), url + "/")
            assert rc == 0 and out == "Hello, World!" and "< HTTP/1.1 200" in err
            verify = ssl.create_default_context(cafile=str(pki.ca_cert))
            async with httpx.AsyncClient(http2=True, verify=verify, timeout=5.0) as client:
                resp = await client.get(url + "/big")
                assert resp.http_version == "HTTP/2" and resp.content == b"z" * 300_000
                resp = await client.post(url + "/echo", content=b"q" * 200_000)
                assert resp.content == b"q" * 200_000
                missing = await client.get(url + "/nope")
                assert missing.status_code == 404
    run(main())


def test_h2load_many_streams() -> None:
    async def main() -> None:
        async with serve(app()) as s:
            rc, out, _ = await tool("h2load", "-n", "400", "-c", "4", "-m", "20",
                                    f"http://127.0.0.1:{s.port}/", limit=60)
            assert rc == 0, out
            assert "400 succeeded, 0 failed, 0 errored" in out, out
            assert "status codes: 400 2xx" in out, out
    run(main(), 90)


def test_trailers_both_ways() -> None:
    async def main() -> None:
        async with serve(app()) as s:
            c = await RawClient.connect(s.port)
            sid = c.get("/trailers")
            evs = await c.pump(ended(sid))
            assert body_of(evs, sid) == b"one,two"
            trailers = [e for e in evs if isinstance(e, h2.events.TrailersReceived)]
            assert trailers and ("x-checksum", "c0ffee") in headers(trailers[0])
            sid = c.get("/echo", method="POST", end=False)
            c.conn.send_data(sid, b"abc")
            c.conn.send_headers(sid, [("x-sum", "42")], end_stream=True)
            c.flush()
            evs = await c.pump(ended(sid))
            resp = next(e for e in evs if isinstance(e, h2.events.ResponseReceived)
                    and e.stream_id == sid)
            assert ("x-got-trailer", "42") in headers(resp) and body_of(evs, sid) == b"abc"
            await c.close()
    run(main())


def test_flow_control_large_response_waits_for_window() -> None:
    async def main() -> None:
        async with serve(app()) as s:
            c = await RawClient.connect(s.port, settings={
                SettingCodes.INITIAL_WINDOW_SIZE: 1000,
                SettingCodes.ENABLE_PUSH: 0})
            sid = c.get("/big")
            # h2 auto-acks nothing: without WINDOW_UPDATE the body stops at 1000 bytes.
            await c.pump(lambda evs: len(body_of(evs, sid)) >= 1000)
            await asyncio.sleep(0.2)
            await c.pump(lambda evs: True, timeout=0.5)
            assert len(body_of(c.events, sid)) == 1000
            assert not ended(sid)(c.events)
            total = 1000
            while not ended(sid)(c.events):
                c.conn.increment_flow_control_window(50_000, stream_id=sid)
                c.conn.increment_flow_control_window(50_000)
                c.flush()
                total += 50_000
                target = min(total, 300_000)

                def arrived(evs: list[h2.events.Event], target: int = target) -> bool:
                    return len(body_of(evs, sid)) >= target or ended(sid)(evs)
                await c.pump(arrived)
                assert len(body_of(c.events, sid)) <= total
            assert body_of(c.events, sid) == b"z" * 300_000
            await c.close()
    run(main())


def test_rapid_reset_gets_goaway_and_others_are_served() -> None:
    limits = Http2Limits(rapid_reset_rate=50.0, rapid_reset_burst=100)

    async def main() -> None:
        async with serve(app(), limits) as s:
            good = await RawClient.connect(s.port)
            bad = await RawClient.connect(s.port)
            for _ in range(400):
                sid = bad.conn.get_next_available_stream_id()
                bad.get("/slow", stream_id=sid, end=True)
                bad.conn.reset_stream(sid, ErrorCodes.CANCEL)
            bad.flush()
            evs = await bad.pump(goaway)
            term = [e for e in evs if isinstance(e, h2.events.ConnectionTerminated)]
            assert term[0].error_code == ErrorCodes.ENHANCE_YOUR_CALM
            sid = good.get("/")
            evs = await good.pump(ended(sid))
            assert status_of(evs, sid) == 200 and body_of(evs, sid) == b"Hello, World!"
            await good.close()
            await bad.close()
    run(main())


def test_continuation_flood_over_socket() -> None:
    async def main() -> None:
        async with serve(app()) as s:
            c = await RawClient.connect(s.port)
            c.write_raw(HeadersFrame(1, data=b"\x82", flags=[]).serialize())
            for _ in range(100):
                c.write_raw(ContinuationFrame(1, data=b"\x00" * 10).serialize())
            evs = await c.pump(goaway)
            term = [e for e in evs if isinstance(e, h2.events.ConnectionTerminated)]
            assert term and term[0].error_code == ErrorCodes.ENHANCE_YOUR_CALM
            if not c.closed:
                await c.pump(lambda evs: False, timeout=5.0)   # until EOF
            assert c.closed   # the server closed the socket after GOAWAY
            await c.close()
    run(main())


def test_too_many_streams_are_refused() -> None:
    async def main() -> None:
        async with serve(app(), Http2Limits(max_concurrent_streams=3)) as s:
            c = await RawClient.connect(s.port)   # sends before reading SETTINGS
            sids = [c.get("/slow") for _ in range(5)]
            evs = await c.pump(lambda evs: all(ended(i)(evs) for i in sids))
            refused = [e.stream_id for e in evs if isinstance(e, h2.events.StreamReset)
                       and e.error_code == ErrorCodes.REFUSED_STREAM]
            assert refused == sids[3:]
            assert [status_of(evs, i) for i in sids[:3]] == [200, 200, 200]
            await c.close()
    run(main())


def test_body_over_limit_gets_413() -> None:
    async def main() -> None:
        async with serve(app(), Http2Limits(max_body_bytes=1000)) as s:
            c = await RawClient.connect(s.port)
            sid = c.get("/echo", method="POST", end=False)
            c.conn.send_data(sid, b"x" * 5000, end_stream=False)
            c.flush()
            evs = await c.pump(ended(sid))
            assert status_of(evs, sid) == 413
            await c.close()
    run(main())


def test_graceful_shutdown_finishes_open_streams() -> None:
    async def main() -> None:
        async with serve(app()) as s:
            proc = asyncio.create_task(tool("nghttp", "-v", f"http://127.0.0.1:{s.port}/slow"))
            for _ in range(100):
                if s.h2 and not s.h2[0].idle:
                    break
                await asyncio.sleep(0.02)
            s.h2[0].begin_shutdown()
            _rc, out, _ = await proc
            assert "GOAWAY" in out and "error_code=NO_ERROR" in out
            assert "slow done" in out and ":status: 200" in out
    run(main())


def test_idle_connection_gets_goaway() -> None:
    async def main() -> None:
        async with serve(app(), Http2Limits(idle_timeout=0.3)) as s:
            c = await RawClient.connect(s.port)
            evs = await c.pump(goaway, timeout=5.0)
            term = [e for e in evs if isinstance(e, h2.events.ConnectionTerminated)]
            assert term[0].error_code == ErrorCodes.NO_ERROR
            await c.close()
    run(main())
