"""`examples/rest_api.vr` end to end: SQLite-backed `Database`, JWT, rate limit,
tracing, timeout and the supervisor, against the generated server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from weft.layers import mint_dev_token

from tests.e2e.conftest import EXAMPLES, Served, serve
from tests.e2e.test_hello import mypy_strict

SECRET = "e2e-secret-that-is-long-enough-for-hs256!"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    return {"WEFT_JWT_SECRET": SECRET, "WEFT_DB_PATH": str(tmp / "db" / "users.sqlite3"),
            "WEFT_DB_CHECK_SECONDS": "0.1", **extra}


@pytest.fixture(scope="module")
def rest(rest_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve(rest_build, "rest_api", _env(tmp_path_factory.mktemp("data")))


def auth() -> dict[str, str]:
    return {"authorization": f"Bearer {mint_dev_token(SECRET)}"}


def test_generated_rest_api_passes_mypy_strict(rest_build: Path) -> None:
    r = mypy_strict(rest_build, "rest_api", "rest_api_sqlite.py")
    assert r.returncode == 0, r.stdout + r.stderr


def test_supervisor_starts_db_then_http(rest: Served) -> None:
    assert rest.wait_for_log(r"listening on")
    text = "".join(rest.log)
    assert "Traceback" not in text


def test_create_then_read_back_as_json(rest: Served) -> None:
    user = {"id": 7, "name": "Ada", "email": "ada@example.org"}
    r = httpx.post(rest.base + "/users", json=user, headers=auth(), timeout=5)
    assert r.status_code == 200, r.text
    assert r.json() == user
    got = httpx.get(rest.base + "/users/7", headers=auth(), timeout=5)
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/json")
    assert got.json() == user
    again = httpx.post(rest.base + "/users", json=user, headers=auth(), timeout=5)
    assert again.status_code == 400
    assert "already exists" in again.text


def test_unknown_id_is_api_errors_404(rest: Served) -> None:
    r = httpx.get(rest.base + "/users/424242", headers=auth(), timeout=5)
    assert r.status_code == 404
    assert r.text == "user not found"


@pytest.mark.parametrize("bad", ["abc", "0", "-3", "1.5"])
def test_bad_ids_are_4xx_problem_json(rest: Served, bad: str) -> None:
    r = httpx.get(rest.base + f"/users/{bad}", headers=auth(), timeout=5)
    assert 400 <= r.status_code < 500
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == r.status_code


def test_json_field_refinement_is_a_422(rest: Served) -> None:
    r = httpx.post(rest.base + "/users", json={"id": 9, "name": "", "email": "x"},
                   headers=auth(), timeout=5)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


def test_jwt_layer_refuses_missing_and_bad_tokens(rest: Served) -> None:
    r = httpx.get(rest.base + "/users/7", timeout=5)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    forged = mint_dev_token("another-secret-that-is-long-enough-for-hs256")
    r = httpx.get(rest.base + "/users/7", headers={"authorization": f"Bearer {forged}"},
                  timeout=5)
    assert r.status_code == 401


def test_curl_with_a_dev_token(rest: Served) -> None:
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                          "-H", f"authorization: Bearer {mint_dev_token(SECRET)}",
                          rest.base + "/users/424242"], capture_output=True, text=True,
                         timeout=10)
    assert out.stdout == "404"


def test_tracing_layer_continues_the_callers_trace(rest: Served) -> None:
    r = httpx.get(rest.base + "/users/7", headers={**auth(), "traceparent": TRACEPARENT},
                  timeout=5)
    echoed = r.headers["traceparent"]
    assert echoed.startswith(f"00-{TRACE_ID}-")
    assert echoed != TRACEPARENT


def test_rate_limit_answers_429(tmp_path: Path) -> None:
    # The seed's 1000 rps outpaces a Python client; the same program with a
    # small bucket shows the generated layer refusing with 429.
    src = tmp_path / "src"
    src.mkdir()
    text = (EXAMPLES / "rest_api.vr").read_text()
    assert "RateConfig { rps: 1000, burst: 100 }" in text
    (src / "rest_api.vr").write_text(text.replace("rps: 1000, burst: 100", "rps: 1, burst: 3"))
    shutil.copy(EXAMPLES / "rest_api_sqlite.py", src / "rest_api_sqlite.py")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "weftc", "build", str(src / "rest_api.vr"), "-o",
                        str(out)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    for served in serve(out, "rest_api", _env(tmp_path)):
        codes = [httpx.get(served.base + "/users/1", headers=auth(), timeout=5)
                 for _ in range(6)]
        assert [c.status_code for c in codes[:3]] == [404, 404, 404]
        limited = [c for c in codes[3:] if c.status_code == 429]
        assert limited
        assert int(limited[0].headers["retry-after"]) >= 1
        assert limited[0].headers["content-type"] == "application/problem+json"


def test_supervisor_restarts_the_crashed_db_child(rest: Served, tmp_path: Path) -> None:
    path = _fixture_db_path(rest)
    assert path.exists()
    os.remove(path)
    assert rest.wait_for_log(r"child 'db' exited abnormally", 10), "".join(rest.log)
    assert rest.wait_for_log(r"restart", 10)
    deadline = time.monotonic() + 10
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.exists()
    user = {"id": 8, "name": "Grace", "email": "grace@example.org"}
    r = httpx.post(rest.base + "/users", json=user, headers=auth(), timeout=5)
    assert r.status_code == 200
    assert httpx.get(rest.base + "/users/8", headers=auth(), timeout=5).json() == user


def _fixture_db_path(rest: Served) -> Path:
    with open(f"/proc/{rest.proc.pid}/environ", "rb") as f:
        pairs = dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)
    return Path(pairs[b"WEFT_DB_PATH"].decode())


def test_timeout_layer_answers_504(rest_build: Path, tmp_path: Path) -> None:
    slow = _env(tmp_path, WEFT_DB_LATENCY_MS="6000")
    for served in serve(rest_build, "rest_api", slow):
        t0 = time.monotonic()
        r = httpx.get(served.base + "/users/1", headers=auth(), timeout=15)
        assert r.status_code == 504
        assert r.headers["content-type"] == "application/problem+json"
        assert 4.5 < time.monotonic() - t0 < 6
