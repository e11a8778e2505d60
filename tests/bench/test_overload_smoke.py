"""The overload benchmark's pieces produce well-formed results (never speed).

One test runs the real open-loop generator for 2 s at a low rate against
the real benchmark server; the rest check the statistics, the verdicts and
the RESULTS.md section on fixed inputs, and that a server never outlives
its `serving` block.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.overload import capacity, procs, report, run  # noqa: E402
from bench.overload.stats import ERROR, TIMEOUT, Record, percentile, summarize  # noqa: E402
from bench.results_md import replace_section  # noqa: E402

LAYER_ARGS: dict[str, Any] = {"work_ms": 0.2, "limit": 1, "target_ms": 2.5,
                              "interval_ms": 50.0, "queue": 16}
LATENCY_KEYS = {"p50", "p90", "p99", "p999", "max"}


def _check_summary(s: dict[str, Any], rate: float, duration: float) -> None:
    assert s["scheduled"] == round(rate * duration)
    others = sum(s["other_status"].values())
    assert s["ok"] + s["shed"] + s["timeouts"] + s["errors"] + others == s["scheduled"]
    assert set(s["latency_ok_ms"]) == LATENCY_KEYS
    assert set(s["latency_shed_ms"]) == LATENCY_KEYS
    assert s["goodput_rps"] == round((s["ok"] - s["ok_after_run"]) / duration, 1)
    assert 0.0 <= s["shed_share"] <= 1.0
    assert s["max_open_connections"] >= 1


@pytest.mark.timeout(90)
def test_generator_against_the_benchmark_server(tmp_path: Path) -> None:
    rate, duration = 40.0, 2.0
    with procs.serving("shed", log=tmp_path / "server.log", startup_timeout=30,
                       **LAYER_ARGS) as served:
        assert served.port > 0
        assert served.rounds >= 1
        summary: dict[str, Any] = procs.open_loop(served.port, rate, duration, deadline=10.0, max_conns=50)
    _check_summary(summary, rate, duration)
    assert summary["ok"] >= 1
    assert summary["errors"] == 0
    ok = summary["latency_ok_ms"]
    assert ok["p50"] <= ok["p99"] <= ok["max"]


@pytest.mark.timeout(60)
def test_the_server_dies_with_its_block_on_an_error(tmp_path: Path) -> None:
    pid = 0
    with pytest.raises(RuntimeError, match="boom"):
        with procs.serving("none", log=tmp_path / "server.log", startup_timeout=30,
                           **LAYER_ARGS) as served:
            pid = served.pid
            raise RuntimeError("boom")
    assert pid > 0
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([], 99) is None


def test_summary_counts_every_outcome() -> None:
    records = [Record(0.0, 0.010, 200, 0.001), Record(0.1, 0.020, 200, 0.0),
               Record(0.2, 0.001, 503, 0.0), Record(0.3, 2.0, TIMEOUT, -1.0),
               Record(0.4, 0.5, ERROR, 0.0), Record(0.5, 0.003, 429, 0.0)]
    s: dict[str, Any] = summarize(records, rate=3.0, duration=2.0, deadline=2.0, max_open=3)
    assert (s["ok"], s["shed"], s["timeouts"], s["errors"]) == (2, 1, 1, 1)
    assert s["other_status"] == {"429": 1}
    assert s["goodput_rps"] == 1.0
    assert s["shed_share"] == round(1 / 6, 4)
    assert s["latency_ok_ms"]["max"] == 20.0
    assert s["latency_shed_ms"]["p50"] == 1.0
    late = [Record(0.0, 0.5, 200, 0.0), Record(1.9, 0.2, 200, 0.0)]   # 2nd ends at 2.1 s
    t: dict[str, Any] = summarize(late, rate=1.0, duration=2.0, deadline=2.0, max_open=1)
    assert (t["ok"], t["ok_after_run"], t["goodput_rps"]) == (2, 1, 0.5)


def _results() -> dict[str, Any]:
    def summary(ok: int, p99: float, shed: int) -> dict[str, Any]:
        return {"scheduled": 100, "ok": ok, "shed": shed, "timeouts": 100 - ok - shed,
                "goodput_rps": float(ok), "latency_ok_ms": {"p50": p99 / 2, "p99": p99}}

    service = {"goodput_rps": 100.0}
    configs = {"none": {"service": service, "baseline": summary(25, 2.0, 0),
                        "overload": summary(40, 900.0, 0)},
               "shed": {"service": service, "baseline": summary(25, 2.0, 0),
                        "overload": summary(95, 6.0, 5)}}
    for cfg in configs.values():
        cfg["verdict"] = report.verdict(cfg, 100.0)
    settings = {"work_ms": 1.0, "rounds": 90, "server_cpu": "0", "client_cpu": "1",
                "baseline_share": 0.25, "baseline_s": 8.0, "overload_factor": 2.0,
                "overload_rps": 200.0, "duration_s": 30.0, "deadline_s": 2.0,
                "max_conns": 1000, "limit": 4, "target_ms": 2.0, "interval_ms": 50.0,
                "queue": 16}
    return {"date": "2026-01-01 00:00", "machine": "2 cores", "loadavg": "0.1 0.1 0.1",
            "settings": settings,
            "capacity": {"rps": 100.0, "first_failed_rps": 103.0, "unloaded_rps": 10.0,
                         "unloaded_p99_ms": 2.0, "p99_bound_ms": 10.0, "step_s": 5.0,
                         "resolution": 0.03, "max_goodput_rps": 103.0,
                         "steps": [{"rate": 100.0, "goodput_rps": 100.0, "ok_share": 1.0,
                                    "p99_ms": 4.0, "sustained": True, "server_cpu": 0.9,
                                    "others": 0.0},
                                   {"rate": 103.0, "goodput_rps": 99.0, "ok_share": 0.96,
                                    "p99_ms": 80.0, "sustained": False, "server_cpu": 1.0,
                                    "others": 0.01}],
                         "recheck": {"rate": 100.0, "goodput_rps": 100.0, "ok_share": 1.0,
                                     "p99_ms": 5.0, "sustained": True, "server_cpu": 0.9,
                                     "others": 0.0}},
            "configs": configs}


def test_verdicts_are_same_run_ratios() -> None:
    results = _results()
    assert results["configs"]["shed"]["verdict"] == {
        "p99_ratio": 3.0, "goodput_share": 0.95, "meets_target": True}
    assert results["configs"]["none"]["verdict"]["meets_target"] is False


def test_section_replaces_only_its_markers(tmp_path: Path) -> None:
    md = tmp_path / "RESULTS.md"
    md.write_text("# Results\n\nkept above\n\n<!-- overload:begin -->\nold\n"
                  "<!-- overload:end -->\n\nkept below\n")
    section = report.render(_results())
    replace_section(section, report.BEGIN, report.END, md)
    text = md.read_text()
    assert "old" not in text
    assert text.count(report.BEGIN) == 1 and text.count(report.END) == 1
    assert "kept above" in text and "kept below" in text
    assert "| LoadShed + ConcurrencyLimit | 2.0 ms | 100.0/s | 95.0/s | 95% |" in text
    assert "| no layers |" in text
    assert "**Capacity = 100 req/s**" in text
    assert "100/4.0/y, 103/80.0/n" in text
    assert "sustained (goodput 100/s, p99 5.0 ms)" in text


class Model:
    """A fake server: rates up to `knee` are served within the bound, above it
    p99 explodes; `flaky` rates fail once before passing."""

    def __init__(self, knee: float, flaky: frozenset[float] = frozenset()) -> None:
        self.knee = knee
        self.flaky = set(flaky)
        self.tried: list[float] = []

    def __call__(self, rate: float) -> dict[str, Any]:
        self.tried.append(rate)
        n = round(rate * 5)
        if rate in self.flaky:
            self.flaky.discard(rate)
            return {"scheduled": n, "ok": n, "goodput_rps": rate,
                    "latency_ok_ms": {"p99": 100.0}, "server_cpu": 0.5}
        ok = n if rate <= self.knee else round(n * 0.9)
        p99 = 4.0 if rate <= self.knee else 900.0
        return {"scheduled": n, "ok": ok, "goodput_rps": ok / 5,
                "latency_ok_ms": {"p99": p99}, "server_cpu": 1.0}


def test_judge_needs_every_answer_and_the_p99_bound() -> None:
    ok = {"scheduled": 1000, "ok": 1000, "goodput_rps": 200.0, "latency_ok_ms": {"p99": 9.0}}
    assert capacity.judge(200.0, ok, 10.0).sustained
    assert not capacity.judge(200.0, ok, 8.0).sustained
    lost = {**ok, "ok": 998}
    assert not capacity.judge(200.0, lost, 10.0).sustained
    none = {**ok, "ok": 0, "latency_ok_ms": {"p99": None}}
    assert not capacity.judge(200.0, none, 10.0).sustained


def test_search_finds_the_knee_from_below_within_resolution() -> None:
    model = Model(knee=1000.0)
    found = capacity.search(model, start=500.0, p99_bound_ms=20.0, resolution=0.03)
    assert 970.0 <= found.capacity_rps <= 1000.0
    assert found.first_failed_rps is not None and found.first_failed_rps > 1000.0
    assert (found.first_failed_rps - found.capacity_rps) / found.capacity_rps <= 0.03
    sustained = [s.rate for s in found.steps if s.sustained]
    assert max(sustained) == found.capacity_rps
    # every failure was confirmed by a second try at the same rate
    failed = [s.rate for s in found.steps if not s.sustained]
    assert all(failed.count(r) == 2 for r in failed)


def test_search_retries_a_failure_once_and_comes_down_from_a_high_start() -> None:
    flaky = Model(knee=1000.0, flaky=frozenset({500.0}))
    found = capacity.search(flaky, start=500.0, p99_bound_ms=20.0)
    assert flaky.tried[:2] == [500.0, 500.0] and found.capacity_rps >= 970.0
    high = Model(knee=300.0)
    found = capacity.search(high, start=1000.0, p99_bound_ms=20.0, resolution=0.05)
    assert 285.0 <= found.capacity_rps <= 300.0


def test_search_gives_up_loudly_when_nothing_converges() -> None:
    with pytest.raises(RuntimeError, match="did not converge"):
        capacity.search(Model(knee=1e12), start=1.0, p99_bound_ms=20.0, max_steps=5)


def test_a_run_is_repeated_only_while_others_hold_the_server_core(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "RETRY_PAUSE_S", 0.0)
    shares = iter([0.30, 0.02, 0.0])
    calls: list[float] = []

    def attempt() -> dict[str, Any]:
        share = next(shares)
        calls.append(share)
        return {"server_core_others": share, "goodput_rps": 1.0}

    out, tries = run.uncontended(attempt, 3, lambda s: float(s["server_core_others"]))
    assert (out["server_core_others"], tries, calls) == (0.02, 2, [0.30, 0.02])

    busy = iter([0.40, 0.20, 0.30])
    out, tries = run.uncontended(lambda: {"server_core_others": next(busy)}, 3,
                                 lambda s: float(s["server_core_others"]))
    assert (out["server_core_others"], tries) == (0.20, 3)   # the least disturbed


def test_goodput_reference_is_the_configurations_own_minute() -> None:
    def cfg(service: float, goodput: float) -> dict[str, Any]:
        return {"service": {"goodput_rps": service}, "overload": {"goodput_rps": goodput}}

    assert report.own_reference_rps(cfg(880.0, 750.0)) == 880.0
    assert report.own_reference_rps(cfg(700.0, 760.0)) == 760.0  # never above 100%
