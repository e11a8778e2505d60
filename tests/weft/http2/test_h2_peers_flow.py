"""Flow control against independent peers over loopback: nghttp with tiny
windows pulls a large body (our send side waits for its WINDOW_UPDATEs),
and nghttp, curl and h2load push request bodies larger than every initial
window (our WINDOW_UPDATEs keep them flowing)."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from h2_support import serve
from weft.http_types import Request, Response
from weft.router import Router

BIG = bytes(range(256)) * 1200   # 307,200 bytes


async def big(req: Request) -> Response:
    return Response(200, [], BIG)


async def digest(req: Request) -> Response:
    await asyncio.sleep(0)
    return Response(200, [], hashlib.sha256(req.body).hexdigest().encode())


def app() -> Router:
    return Router().get("/big", big).post("/digest", digest)


def run(coro: object, limit: float = 60.0) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(coro, limit)  # type: ignore[arg-type]
    asyncio.run(bounded())


async def tool(*args: str, limit: float = 40.0) -> tuple[int, bytes, str]:
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), limit)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return proc.returncode or 0, out, err.decode(errors="replace")


def test_nghttp_small_windows_pull_a_large_body() -> None:
    async def main() -> None:
        async with serve(app()) as s:
            # stream window 2**10-1, connection window 2**14-1 bytes
            rc, out, err = await tool("nghttp", "-w", "10", "-W", "14",
                                      f"http://127.0.0.1:{s.port}/big")
            assert rc == 0, err
            assert out == BIG
    run(main())


def test_uploads_beyond_the_initial_windows(tmp_path: Path) -> None:
    body = bytes(range(251)) * 2000   # 502,000 bytes
    upload = tmp_path / "body.bin"
    upload.write_bytes(body)
    want = hashlib.sha256(body).hexdigest().encode()

    async def main() -> None:
        async with serve(app()) as s:
            url = f"http://127.0.0.1:{s.port}/digest"
            rc, out, err = await tool("nghttp", "-d", str(upload), url)
            assert rc == 0 and out == want, err
            rc, out, err = await tool("curl", "-sS", "--http2-prior-knowledge",
                                      "--data-binary", f"@{upload}", url)
            assert rc == 0 and out == want, err
            rc, out, err = await tool("h2load", "-n", "40", "-c", "2", "-m", "8", "-d",
                                      str(upload), url, limit=50.0)
            text = out.decode(errors="replace")
            assert rc == 0, text + err
            assert "40 succeeded, 0 failed, 0 errored" in text, text
            assert "status codes: 40 2xx" in text, text
    run(main(), 90.0)
