"""The HTTP/1.1 benchmark harness produces well-formed results (never speed).

The end-to-end test runs the real harness in quick mode against two servers
(~10 s); the rest check its parsing, statistics and RESULTS.md splicing on
fixed inputs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.http1 import procs, report, wrkrun  # noqa: E402

WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:8000/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   747.01us  269.07us   4.66ms   79.86%
    Req/Sec    78.07k     4.69k   86.40k    90.00%
  Latency Distribution
     50%  729.00us
     75%  840.00us
     90%    0.98ms
     99%    1.58ms
  155262 requests in 2.00s, 17.03MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:  77514.69
Transfer/sec:      8.50MB
"""


def test_wrk_output_is_parsed() -> None:
    rps, total, p50, p99, errors = wrkrun.parse(WRK_OUTPUT)
    assert rps == 77514.69
    assert total == 155262
    assert p50 == pytest.approx(0.729)
    assert p99 == pytest.approx(1.58)
    assert errors == 9


def test_percentiles_wrk_could_not_compute_are_none() -> None:
    text = WRK_OUTPUT.replace("729.00us", "0.00us").replace("1.58ms", "0.00us")
    assert wrkrun.parse(text)[2:4] == (None, None)


def test_unrecognised_wrk_output_raises() -> None:
    with pytest.raises(wrkrun.WrkError):
        wrkrun.parse("unable to connect to 127.0.0.1:1 Connection refused\n")


def _wrk_numbers(rps: float, p50: float, client: float = 0.5) -> dict[str, float]:
    return {"rps": rps, "p50_ms": p50, "p99_ms": p50 * 3, "client_cpu": client,
            "server_cpu": 1.0, "other_cpu": 0.0, "steal_cpu": 0.0, "errors": 0}


def _run(rps: float, p50: float, kib: float, client: float = 0.5) -> dict[str, object]:
    return {"c1": _wrk_numbers(rps / 4, p50, client), "c64": _wrk_numbers(rps, p50 * 10, client),
            "c64p16": _wrk_numbers(rps * 3, p50 * 20, client),
            "idle": {"conns": 2000, "kib_per_conn": kib, "still_open": 2000, "pids": 1}}


def test_medians_ratios_and_targets() -> None:
    weft = report.medians([_run(100_000, 0.05, 3.0), _run(90_000, 0.06, 5.0),
                           _run(95_000, 0.07, 4.0, client=0.99)])
    assert weft["c64"]["rps"] == 95_000
    assert weft["c1"]["p50_ms"] == pytest.approx(0.06)
    assert weft["idle"]["kib_per_conn"] == 4.0
    assert weft["c64"]["client_bound"] is False  # median client CPU is 0.5
    peers = {"weft": weft,
             "uvicorn": report.medians([_run(50_000, 0.07, 8.0)]),
             "granian_rsgi": report.medians([_run(80_000, 0.06, 20.0, client=0.97)]),
             "minimal": report.medians([_run(150_000, 0.055, 1.0)])}
    assert peers["granian_rsgi"]["c64"]["client_bound"] is True
    table = report.ratios(peers, "weft")
    assert set(table) == {"uvicorn", "granian_rsgi", "minimal"}
    assert table["uvicorn"]["c64_rps"] == pytest.approx(1.9)
    verdicts = {t["text"]: t for t in report.evaluate_targets(peers)}
    assert verdicts["64 connections: weft / uvicorn raw ASGI req/s"]["met"] is True
    assert verdicts["64 connections: weft / granian RSGI req/s"]["met"] is False
    assert verdicts["16-deep pipelining: weft req/s"]["measured"] == 285_000
    assert verdicts["idle keep-alive memory: weft KiB per connection"]["met"] is True
    p50 = verdicts["1 connection p50: weft / minimal protocol"]
    assert p50["measured"] == pytest.approx(0.06 / 0.055)


def test_targets_without_weft_are_not_measured() -> None:
    verdicts = report.evaluate_targets({"uvicorn": report.medians([_run(50_000, 0.07, 8.0)])})
    assert all(t["met"] is None and t["measured"] is None for t in verdicts)


def test_splice_replaces_only_its_section() -> None:
    other = "# Results\n\n<!-- parse:begin -->\nparser numbers\n<!-- parse:end -->\n"
    first = report.splice(other, f"{report.BEGIN}\nold\n{report.END}\n")
    assert first.startswith(other) and first.endswith(f"{report.END}\n")
    second = report.splice(first + "\ntrailer\n", f"{report.BEGIN}\nnew\n{report.END}\n")
    assert "old" not in second and "new" in second
    assert second.startswith(other) and second.endswith("\ntrailer\n")
    assert second.count(report.BEGIN) == 1
    assert report.splice("", "S\n") == "S\n"


def test_profile_summary_counts_self_and_inclusive_samples() -> None:
    from bench.http1.profile import summarise

    raw = ("main (a.py:1);loop (b.py:2);parse (c.py:3) 3\n"
           "main (a.py:1);loop (b.py:9);write (libc.so.6) 1\n")
    text = "\n".join(summarise(raw, top=5))
    assert "4 samples" in text
    assert " 75.0%  parse (c.py)" in text and " 25.0%  write (libc.so.6)" in text
    assert "loop (b.py)" not in text.split("inclusive")[1]  # in every sample
    assert summarise("", top=5) == ["no samples"]


def test_kill_tree_reaps_children() -> None:
    code = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', " \
           "'import time; time.sleep(60)']); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while len(procs.tree_pids(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        tree = procs.tree_pids(proc.pid)
        assert len(tree) == 2
        assert procs.rss_kib(tree) > 0
        procs.kill_tree(proc.pid, grace=2.0)
        proc.wait(timeout=5)
        child = tree[1]
        deadline = time.monotonic() + 5
        while procs.tree_pids(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert procs.tree_pids(child) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.skipif(shutil.which("wrk") is None or shutil.which("taskset") is None,
                    reason="needs wrk and taskset (make system-deps)")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2 cores")
def test_quick_run_writes_well_formed_results(tmp_path: Path) -> None:
    md = tmp_path / "RESULTS.md"
    md.write_text("# Benchmarks\n\n<!-- other:begin -->\nkeep me\n<!-- other:end -->\n")
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench/http1/run.py"), "--quick", "--duration", "1",
         "--runs", "1", "--servers", "minimal,uvicorn", "--out-json", str(out),
         "--results-md", str(md)],
        capture_output=True, text=True, timeout=90, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(out.read_text())
    assert results["config"]["quick"] is True
    assert set(results["servers"]) == {"minimal", "uvicorn"}
    for name, server in results["servers"].items():
        assert server["available"] and not server["failures"], name
        assert len(server["runs"]) == 1
        med = server["median"]
        for w in report.WORKLOADS:
            entry = med[w.key]
            assert entry["rps"] > 0, (name, w.key)
            # wrk prints no percentiles from very few samples (slow + pipelined).
            assert entry["p50_ms"] is None or entry["p50_ms"] > 0
            assert 0 < entry["client_cpu"] < 1.5 and 0 < entry["server_cpu"] < 1.5
        assert med["c1"]["p50_ms"] > 0
        assert med["idle"]["conns"] == 200
        assert med["idle"]["min_still_open"] == 200
        assert isinstance(med["idle"]["kib_per_conn"], float)
        assert server["response"]["status_line"] == "HTTP/1.1 200 OK"
        assert server["runs"][0]["affinity"] == "0"
    # weft was not selected: its targets are reported as not measured.
    assert all(t["met"] is None for t in results["targets"])
    text = md.read_text()
    assert text.startswith("# Benchmarks\n\n<!-- other:begin -->\nkeep me\n<!-- other:end -->\n")
    assert text.count(report.BEGIN) == 1 and text.count(report.END) == 1
    assert "| minimal uvloop protocol |" in text and "| uvicorn raw ASGI |" in text
