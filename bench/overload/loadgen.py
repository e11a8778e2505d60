"""An open-loop HTTP/1.1 load generator: requests arrive at a constant rate
whatever the server does, as independent users' requests would.

    python -m bench.overload.loadgen --port 8000 --rate 1500 --duration 30

How this works:

* Request i is *scheduled* at `start + i / rate`. Each wake-up of the loop
  sends every request whose time has come, so a late wake-up sends a small
  burst instead of shifting the schedule (wrk, by contrast, is closed-loop:
  it sends the next request only after a response, so a slow server slows
  the offered load down and hides its own queue).
* One request at a time per keep-alive connection. A request takes an idle
  connection, else opens a new one (up to `--max-conns`), else waits in the
  client's FIFO queue. Latency is measured from the schedule, so that wait
  counts (no coordinated omission).
* A request without a complete response `--deadline` seconds after its
  schedule is a timeout, as a user's client would give up: a queued one is
  never sent, a sent one has its connection aborted.
* The summary (`stats.summarize`) is printed as JSON on stdout; `--raw`
  also writes one `[scheduled, latency, status, lag]` line per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import deque
from pathlib import Path
from typing import cast, final

from bench.overload.stats import ERROR, TIMEOUT, Record, summarize

_SWEEP_S = 0.01


@final
class _Job:
    __slots__ = ("done", "index", "scheduled", "sent")

    def __init__(self, index: int, scheduled: float) -> None:
        self.index = index
        self.scheduled = scheduled
        self.sent = -1.0
        self.done = False


@final
class _Conn(asyncio.Protocol):
    """One keep-alive client connection; parses responses by content-length."""

    __slots__ = ("buf", "gen", "job", "need", "status", "transport")

    def __init__(self, gen: OpenLoop) -> None:
        self.gen = gen
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.job: _Job | None = None
        self.need = -1
        self.status = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def send(self, job: _Job) -> None:
        assert self.transport is not None
        self.job = job
        job.sent = time.perf_counter()
        self.transport.write(self.gen.request)

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        if self.need < 0:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).lower()
            self.status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip() == b"content-length":
                    length = int(value)
            self.need = end + 4 + length
        if len(buf) < self.need:
            return
        del buf[:self.need]
        self.need = -1
        job, self.job = self.job, None
        if job is not None:
            self.gen.complete(self, job, self.status)

    def connection_lost(self, exc: Exception | None) -> None:
        self.gen.lost(self)


@final
class OpenLoop:
    """Offer `rate` requests/s for `duration` s; collect one `Record` each."""

    def __init__(self, host: str, port: int, rate: float, duration: float, *,
                 path: str = "/", deadline: float = 2.0, max_conns: int = 1000) -> None:
        if rate <= 0 or duration <= 0 or deadline <= 0 or max_conns < 1:
            raise ValueError("rate, duration, deadline and max_conns must be positive")
        self.host, self.port = host, port
        self.rate, self.duration, self.deadline = rate, duration, deadline
        self.max_conns = max_conns
        self.request = f"GET {path} HTTP/1.1\r\nhost: {host}:{port}\r\n\r\n".encode("ascii")
        self.loop = asyncio.get_running_loop()
        self.idle: list[_Conn] = []
        self.busy: set[_Conn] = set()
        self.waiting: deque[_Job] = deque()
        self.open = 0
        self.max_open = 0
        self.start = 0.0
        self.started_unix = 0.0
        self.records: list[Record] = []
        self.tasks: asyncio.TaskGroup | None = None

    # -- outcomes -----------------------------------------------------------

    def _record(self, job: _Job, status: int) -> None:
        if job.done:
            return
        job.done = True
        now = time.perf_counter()
        lag = job.sent - job.scheduled if job.sent >= 0 else -1.0
        self.records.append(Record(job.scheduled - self.start, now - job.scheduled, status, lag))

    def complete(self, conn: _Conn, job: _Job, status: int) -> None:
        self._record(job, status)
        self.busy.discard(conn)
        nxt = self._next_waiting()
        if nxt is not None:
            self.busy.add(conn)
            conn.send(nxt)
        else:
            self.idle.append(conn)

    def lost(self, conn: _Conn) -> None:
        self.open -= 1
        self.busy.discard(conn)
        if conn in self.idle:
            self.idle.remove(conn)
        if conn.job is not None:
            self._record(conn.job, ERROR)
            conn.job = None
        nxt = self._next_waiting()
        if nxt is not None:
            self._connect(nxt)

    # -- dispatch -----------------------------------------------------------

    def _next_waiting(self) -> _Job | None:
        limit = time.perf_counter() - self.deadline
        while self.waiting:
            job = self.waiting.popleft()
            if job.scheduled > limit:
                return job
            self._record(job, TIMEOUT)
        return None

    def _submit(self, job: _Job) -> None:
        if self.idle:
            conn = self.idle.pop()
            self.busy.add(conn)
            conn.send(job)
        elif self.open < self.max_conns:
            self._connect(job)
        else:
            self.waiting.append(job)

    def _connect(self, job: _Job) -> None:
        self.open += 1
        self.max_open = max(self.max_open, self.open)
        assert self.tasks is not None
        self.tasks.create_task(self._open_with(job))

    async def _open_with(self, job: _Job) -> None:
        conn = _Conn(self)
        try:
            await self.loop.create_connection(lambda: conn, self.host, self.port)
        except OSError:
            self.open -= 1
            self._record(job, ERROR)
            return
        if job.done:  # timed out while connecting
            job = self._next_waiting() or job
        if job.done:
            self.idle.append(conn)
            return
        self.busy.add(conn)
        conn.send(job)

    def _sweep(self) -> None:
        limit = time.perf_counter() - self.deadline
        for conn in [c for c in self.busy if c.job is not None and c.job.scheduled <= limit]:
            assert conn.job is not None
            self._record(conn.job, TIMEOUT)
            conn.job = None
            self.busy.discard(conn)
            if conn.transport is not None:
                conn.transport.abort()
        while self.waiting and self.waiting[0].scheduled <= limit:
            self._record(self.waiting.popleft(), TIMEOUT)

    # -- the run ------------------------------------------------------------

    async def run(self) -> list[Record]:
        total = round(self.rate * self.duration)
        jobs: list[_Job] = []
        async with asyncio.TaskGroup() as tasks:
            self.tasks = tasks
            self.start = time.perf_counter() + 0.02
            self.started_unix = time.time() + 0.02
            next_sweep = self.start
            i = 0
            while i < total:
                now = time.perf_counter()
                while i < total and self.start + i / self.rate <= now:
                    job = _Job(i, self.start + i / self.rate)
                    jobs.append(job)
                    self._submit(job)
                    i += 1
                if now >= next_sweep:
                    self._sweep()
                    next_sweep = now + _SWEEP_S
                if i < total:
                    await asyncio.sleep(max(0.0, self.start + i / self.rate - time.perf_counter()))
            end = self.start + self.duration + self.deadline + 0.05
            while any(not j.done for j in jobs) and time.perf_counter() < end:
                self._sweep()
                await asyncio.sleep(_SWEEP_S)
            for job in jobs:
                self._record(job, TIMEOUT)
            for conn in [*self.idle, *self.busy]:
                if conn.transport is not None:
                    conn.transport.abort()
        return sorted(self.records, key=lambda r: r.scheduled)


async def open_loop(host: str, port: int, rate: float, duration: float, *, path: str = "/",
                    deadline: float = 2.0, max_conns: int = 1000,
                    ) -> tuple[dict[str, object], list[Record]]:
    """Run one open-loop load and return (summary, records)."""
    gen = OpenLoop(host, port, rate, duration, path=path, deadline=deadline,
                   max_conns=max_conns)
    records = await gen.run()
    summary = summarize(records, rate, duration, deadline, gen.max_open)
    # Wall-clock start of the schedule, so a caller can time the server's CPU
    # over the load alone (not the generator's own start-up).
    summary["started_unix"] = round(gen.started_unix, 3)
    return summary, records


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="open-loop HTTP/1.1 load at a constant rate")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", default="/")
    p.add_argument("--rate", type=float, required=True, help="requests per second")
    p.add_argument("--duration", type=float, required=True, help="seconds of schedule")
    p.add_argument("--deadline", type=float, default=2.0, help="client timeout, seconds")
    p.add_argument("--max-conns", type=int, default=1000)
    p.add_argument("--raw", type=Path, help="write every request as a JSON line here")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    from weft import reactor

    summary, records = reactor.run(open_loop(
        args.host, args.port, args.rate, args.duration, path=args.path,
        deadline=args.deadline, max_conns=args.max_conns))
    if args.raw is not None:
        with args.raw.open("w") as f:
            for r in records:
                f.write(json.dumps([round(r.scheduled, 6), round(r.latency, 6), r.status,
                                    round(r.lag, 6)]) + "\n")
    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
