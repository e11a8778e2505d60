"""`examples/rest_api.vr`'s operations endpoints against the generated server:
liveness, readiness (database probe plus the supervisor tree) and the
Prometheus `/metrics` scrape, all wired through the `.vr` stdlib."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from weft.layers import mint_dev_token

from tests.e2e.conftest import Served, serve

SECRET = "e2e-ops-secret-that-is-long-enough-for-hs256"
AUTH = {"authorization": f"Bearer {mint_dev_token(SECRET)}"}
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _env(db_path: Path) -> dict[str, str]:
    return {"WEFT_JWT_SECRET": SECRET, "WEFT_DB_PATH": str(db_path),
            "WEFT_DB_CHECK_SECONDS": "0.05"}


@pytest.fixture(scope="module")
def ops(rest_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("ops-data")
    yield from serve(rest_build, "rest_api", _env(data / "users.sqlite3"))


def scrape(base: str) -> Samples:
    r = httpx.get(base + "/metrics", timeout=5)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    out: Samples = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _labels(**kv: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(kv.items()))


def _requests(samples: Samples, method: str, route: str, status: str) -> float:
    key = ("http_requests_total", _labels(method=method, route=route, status=status))
    return samples.get(key, 0.0)


def test_liveness_needs_no_token(ops: Served) -> None:
    r = httpx.get(ops.base + "/_health/live", timeout=5)
    assert r.status_code == 200
    assert r.json() == {"status": "alive"}
    assert r.headers["cache-control"] == "no-store"


def test_readiness_lists_the_db_and_supervisor_checks(ops: Served) -> None:
    r = httpx.get(ops.base + "/_health/ready", timeout=5)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready"
    checks = {c["name"]: c for c in body["checks"]}
    assert checks["db"]["status"] == "pass"
    assert checks["db"]["required"] is True
    supervisors = [c for name, c in checks.items() if name.startswith("supervisor:")]
    assert len(supervisors) == 1
    assert supervisors[0]["status"] == "pass"
    assert len(checks) == 2


def test_metrics_count_requests_by_route_template(ops: Served) -> None:
    before = scrape(ops.base)
    for uid in (901, 902, 903):
        assert httpx.get(f"{ops.base}/users/{uid}", headers=AUTH, timeout=5).status_code == 404
    user = {"id": 904, "name": "Edsger", "email": "ewd@example.org"}
    assert httpx.post(ops.base + "/users", json=user, headers=AUTH, timeout=5).status_code == 200
    assert httpx.get(f"{ops.base}/users/904", headers=AUTH, timeout=5).status_code == 200
    assert httpx.get(f"{ops.base}/users/905", timeout=5).status_code == 401
    assert httpx.get(ops.base + "/no/such/route", headers=AUTH, timeout=5).status_code == 404
    after = scrape(ops.base)

    def delta(method: str, route: str, status: str) -> float:
        return _requests(after, method, route, status) - _requests(before, method, route, status)

    assert delta("GET", "/users/:id", "404") == 3
    assert delta("GET", "/users/:id", "200") == 1
    assert delta("GET", "/users/:id", "401") == 1
    assert delta("POST", "/users", "200") == 1
    assert delta("GET", "unmatched", "404") == 1
    # Raw paths never become label values, and probes and scrapes are not counted.
    routes = {dict(labels).get("route") for (name, labels) in after
              if name == "http_requests_total"}
    assert routes <= {"/users/:id", "/users", "unmatched"}
    count = ("http_request_duration_seconds_count", _labels(method="POST", route="/users"))
    assert after[count] - before.get(count, 0.0) == 1


def test_metrics_report_the_supervisor_tree(ops: Served) -> None:
    samples = scrape(ops.base)
    running = {dict(labels)["supervisor"]: v for (name, labels), v in samples.items()
               if name == "weft_supervisor_children_running"}
    assert list(running.values()) == [2.0]  # the "db" and "http" children
    assert samples[("http_requests_in_flight", ())] == 0


def test_readiness_fails_while_the_database_cannot_open(rest_build: Path,
                                                        tmp_path: Path) -> None:
    # A regular file where the database's folder should be: no process, not
    # even root, can create the database until it is gone.
    blocker = tmp_path / "volume"
    blocker.write_text("not a directory")
    for served in serve(rest_build, "rest_api", _env(blocker / "users.sqlite3")):
        r = httpx.get(served.base + "/_health/ready", timeout=5)
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["status"] == "not_ready"
        checks = {c["name"]: c for c in body["checks"]}
        assert checks["db"]["status"] == "fail"
        # The db child keeps retrying rather than exiting, so the tree is up.
        assert [c["status"] for n, c in checks.items() if n.startswith("supervisor:")] \
            == ["pass"]
        assert httpx.get(served.base + "/_health/live", timeout=5).status_code == 200
        assert served.wait_for_log(r"cannot open database")

        blocker.unlink()
        status = 503
        for _ in range(200):
            status = httpx.get(served.base + "/_health/ready", timeout=5).status_code
            if status == 200:
                break
            time.sleep(0.05)
        assert status == 200
        assert "Traceback" not in "".join(served.log)
