"""`Readiness.bind_to_shutdown` (`weft.verum_health`): a cancelled token drains readiness."""

from __future__ import annotations

import asyncio
import json

from weft.health import Readiness, ReadinessFlag, health_handlers
from weft.http_types import Request
from weft.verum_health import bind_to_shutdown
from weft.verum_listener import ListenerConfig, VerumServer


async def _status(readiness: Readiness) -> tuple[bool, str, list[str]]:
    report = await readiness.report()
    return report.ready, report.status, [c.name for c in report.checks if not c.ok]


def test_the_token_firing_drains_readiness_for_good() -> None:
    async def scenario() -> list[object]:
        flag = ReadinessFlag.new("db")
        flag.set_ready(True)
        readiness = Readiness.new().add(flag)
        token = asyncio.Event()
        bind_to_shutdown(readiness, token)
        seen: list[object] = [await _status(readiness), readiness.draining]
        token.set()
        seen.append(await _status(readiness))
        seen.append(readiness.draining)
        readiness.undrain()                      # the token still says shut down
        seen.append(await _status(readiness))
        seen.append(json.loads(await readiness.diagnostic_body())["status"])
        return seen

    assert asyncio.run(scenario()) == [
        (True, "ready", []), False,
        (False, "draining", ["shutdown"]), True,
        (False, "draining", ["shutdown"]),
        "draining",
    ]


def test_a_token_cancelled_before_binding_drains_at_once() -> None:
    readiness = Readiness.new()
    token = asyncio.Event()
    token.set()
    bind_to_shutdown(readiness, token)
    assert readiness.draining


def test_each_token_gets_its_own_check() -> None:
    async def scenario() -> tuple[list[str], tuple[bool, str, list[str]]]:
        readiness = Readiness.new()
        first, second = asyncio.Event(), asyncio.Event()
        bind_to_shutdown(readiness, first)
        bind_to_shutdown(readiness, second)
        names = [c.name for c in readiness.checks]
        second.set()
        return names, await _status(readiness)

    assert asyncio.run(scenario()) == (["shutdown", "shutdown-2"], (False, "draining",
                                                                   ["shutdown-2"]))


def test_the_listeners_shutdown_token_turns_the_ready_endpoint_503() -> None:
    async def scenario() -> tuple[int, int, bytes]:
        readiness = Readiness.new()
        _, ready = health_handlers(readiness)
        server = VerumServer.bind("127.0.0.1:0", ready, ListenerConfig.default()).unwrap()
        bind_to_shutdown(readiness, server.shutdown_token())
        before = await ready(Request("GET", "/_health/ready"))
        server.shutdown()                        # never served: closes the socket
        after = await ready(Request("GET", "/_health/ready"))
        return before.status, after.status, after.body

    before, after, body = asyncio.run(scenario())
    assert (before, after) == (200, 503)
    assert json.loads(body)["status"] == "draining"
