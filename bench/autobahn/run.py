"""Run the Autobahn|Testsuite fuzzingclient against weft's WebSocket server.

    python bench/autobahn/run.py --wstest /path/to/py27-venv/bin/wstest
    python bench/autobahn/run.py --wstest ... --cases 1.*,2.*   # a subset

The suite (autobahntestsuite on PyPI) runs only on Python 2.7; give its
`wstest` with `--wstest` or `$AUTOBAHN_WSTEST`. How it was installed here:
`python2.7 -m virtualenv VENV && VENV/bin/pip install autobahntestsuite`
(Python 2.7.18 from pyenv; `virtualenv<20.22` is the last that supports it).

It starts `echo_server.py` on a free loopback port, runs the cases, reads
`reports/servers/index.json`, and writes the tally by Autobahn's verdicts
(OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED, FAILED) between the
`<!-- autobahn:begin -->` and `<!-- autobahn:end -->` markers of
bench/RESULTS.md. A run that cannot start writes why instead (`--why`).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from bench.results_md import replace_section  # noqa: E402

BEGIN, END = "<!-- autobahn:begin -->", "<!-- autobahn:end -->"
VERDICTS = ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, limit: float = 20.0) -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"echo server did not listen on {port} within {limit:.0f} s")


def run_suite(wstest: str, cases: list[str], exclude: list[str], limit: float
              ) -> dict[str, dict[str, str]]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "runtime"))
    server = subprocess.Popen([sys.executable, str(HERE / "echo_server.py"), "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port)
        with tempfile.TemporaryDirectory() as tmp:
            spec = {"outdir": f"{tmp}/reports/servers",
                    "servers": [{"agent": "weft", "url": f"ws://127.0.0.1:{port}/"}],
                    "cases": cases, "exclude-cases": exclude, "exclude-agent-cases": {}}
            Path(tmp, "fuzzingclient.json").write_text(json.dumps(spec))
            subprocess.run([wstest, "-m", "fuzzingclient", "-s", "fuzzingclient.json"],
                           cwd=tmp, check=True, timeout=limit,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            index = json.loads(Path(tmp, "reports/servers/index.json").read_text())
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    results: dict[str, dict[str, str]] = index["weft"]
    return results


def case_key(case: str) -> tuple[int, ...]:
    return tuple(int(p) for p in case.split("."))


def section_for(results: dict[str, dict[str, str]], cases: list[str], exclude: list[str]) -> str:
    tally = collections.Counter(r["behavior"] for r in results.values())
    close_tally = collections.Counter(r["behaviorClose"] for r in results.values())
    by_group: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for case, r in results.items():
        by_group[case.split(".")[0]][r["behavior"]] += 1
    failed = sorted((c for c, r in results.items() if r["behavior"] == "FAILED"), key=case_key)
    lines = [BEGIN, "## Autobahn|Testsuite (WebSocket server conformance)", "",
             f"fuzzingclient {cases} excluding {exclude or 'nothing'} against "
             "bench/autobahn/echo_server.py (weft `Router.ws`, compression on, "
             f"limits raised to 64 MiB); {platform.python_implementation()} "
             f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}.", "",
             f"**{tally['OK'] + tally['NON-STRICT'] + tally['INFORMATIONAL']} of "
             f"{len(results)} cases pass** (OK, NON-STRICT or INFORMATIONAL); "
             f"{tally['FAILED']} failed, {tally['UNIMPLEMENTED']} unimplemented.", "",
             "| group | " + " | ".join(VERDICTS) + " |",
             "|---|" + "---:|" * len(VERDICTS)]
    for group in sorted(by_group, key=int):
        counts = by_group[group]
        lines.append(f"| {group} | " + " | ".join(str(counts[v]) for v in VERDICTS) + " |")
    lines += ["", "Close behaviour: " + ", ".join(f"{k} {v}" for k, v in
                                                  sorted(close_tally.items())) + ".", ""]
    if failed:
        lines += ["Failed cases: " + ", ".join(failed) + ".", ""]
    lines.append(END)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wstest", default=os.environ.get("AUTOBAHN_WSTEST"))
    parser.add_argument("--cases", default="*", help="comma-separated case patterns")
    parser.add_argument("--exclude", default="", help="comma-separated case patterns")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds for the suite")
    parser.add_argument("--why", help="record that the suite could not run, and why")
    args = parser.parse_args(argv)
    if args.why:
        replace_section("\n".join([BEGIN, "## Autobahn|Testsuite (WebSocket server conformance)",
                                   "", f"Not run: {args.why}", END]), BEGIN, END)
        return 0
    if not args.wstest:
        parser.error("give --wstest (or set AUTOBAHN_WSTEST): the suite needs Python 2.7")
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    exclude = [c.strip() for c in args.exclude.split(",") if c.strip()]
    results = run_suite(args.wstest, cases, exclude, args.timeout)
    section = section_for(results, cases, exclude)
    replace_section(section, BEGIN, END)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
