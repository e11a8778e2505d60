"""The stdlib `WebSocket`'s closing handshake as a protocol state machine
(verum-subset §12): programs that respect Open -> Closing -> Closed check,
programs that do not are E2004 at the offending call, with the known state
as the counterexample."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from weftc import cli

HEAD = """\
mount core.net.weft.{Router, WeftApp, WebSocket, WsState, WsMessage};

"""
MAIN = """
fn main() {
    let app = Router.new().ws("/s", session);
    WeftApp.new(app).bind("127.0.0.1:8080").serve().await
}
"""


@pytest.fixture(autouse=True)
def _private_proof_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEFTC_CACHE_DIR", str(tmp_path / "weft-cache"))


def check(tmp_path: Path, body: str) -> tuple[int, list[dict[str, Any]]]:
    src = tmp_path / "prog.vr"
    src.write_text(HEAD + body + MAIN, encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = cli.main(["check", str(src), "--format", "json"])
    doc = json.loads(out.getvalue())
    return status, [d for d in doc["diagnostics"] if d["severity"] == "error"]


def line_of(body: str, needle: str) -> int:
    """1-based line of `needle` in the whole program."""
    return (HEAD + body).splitlines().index(needle) + 1


PROVED = {
    "echo_loop": """
async fn session(ws: &mut WebSocket) requires ws.state == WsState.Open {
    loop {
        match ws.recv().await {
            Some(WsMessage.TextMsg(t)) => ws.send_text(t).await,
            Some(WsMessage.BinaryMsg(b)) => ws.send_binary(b).await,
            Some(_) => {}
            None => break,
        }
    }
}
""",
    "full_handshake": """
async fn session(ws: &mut WebSocket) requires ws.state == WsState.Open {
    ws.send_text("a").await;
    ws.send_text("b").await;
    ws.close(1001);
    ws.wait_closed().await;
}
""",
    "match_on_unknown_state": """
async fn session(ws: &mut WebSocket) {
    match ws.state {
        WsState.Open => {
            ws.send_text("bye").await;
            ws.close(1000);
            ws.wait_closed().await;
        }
        WsState.Closing => ws.wait_closed().await,
        WsState.Closed => {}
    }
}
""",
    "guarded_by_if": """
async fn session(ws: &mut WebSocket) {
    if ws.state == WsState.Open {
        ws.send_text("hi").await;
    }
}
""",
}

REFUTED = {
    # name: (body, the offending line, the state the counterexample names)
    "send_after_close": ("""
async fn session(ws: &mut WebSocket) requires ws.state == WsState.Open {
    ws.close(1000);
    ws.send_text("x").await;
}
""", '    ws.send_text("x").await;', "WsState.Closing"),
    "binary_after_close": ("""
async fn session(ws: &mut WebSocket) requires ws.state == WsState.Open {
    ws.close(1000);
    ws.wait_closed().await;
    ws.send_binary([1, 2]).await;
}
""", "    ws.send_binary([1, 2]).await;", "WsState.Closed"),
    "close_twice": ("""
async fn session(ws: &mut WebSocket) requires ws.state == WsState.Open {
    ws.close(1000);
    ws.close(1000);
}
""", "    ws.close(1000);", "WsState.Closing"),
    "wait_without_close": ("""
async fn session(ws: &mut WebSocket) requires ws.state == WsState.Open {
    ws.wait_closed().await;
}
""", "    ws.wait_closed().await;", "WsState.Open"),
    "send_in_unknown_state": ("""
async fn session(ws: &mut WebSocket) {
    ws.send_text("who knows").await;
}
""", '    ws.send_text("who knows").await;', None),
}


@pytest.mark.parametrize("name", sorted(PROVED))
def test_respecting_the_state_machine_checks(name: str, tmp_path: Path) -> None:
    status, errors = check(tmp_path, PROVED[name])
    assert (status, errors) == (0, [])


@pytest.mark.parametrize("name", sorted(REFUTED))
def test_violating_the_state_machine_is_e2004(name: str, tmp_path: Path) -> None:
    body, offending, state = REFUTED[name]
    status, errors = check(tmp_path, body)
    assert status == 1
    codes = [(e["code"], e["line"]) for e in errors]
    # close_twice: the first close is fine; the second one is the error
    line = len((HEAD + body).splitlines()) - 1 if name == "close_twice" \
        else line_of(body, offending)
    assert codes == [("E2004", line)], errors
    if state is not None:
        assert errors[0]["counterexample"] == {"ws.state": state}


def test_close_code_is_a_refinement(tmp_path: Path) -> None:
    status, errors = check(tmp_path, """
async fn session(ws: &mut WebSocket) requires ws.state == WsState.Open {
    ws.close(999);
}
""")
    assert status == 1
    assert [e["code"] for e in errors] == ["E2001"]


def test_a_websocket_route_takes_only_a_session_handler(tmp_path: Path) -> None:
    src = tmp_path / "wrong.vr"
    src.write_text("""\
mount core.net.weft.{Router, Response, WeftApp};

async fn hello() -> Response {
    Response.ok("not a WebSocket handler")
}

fn main() {
    let app = Router.new().ws("/x", hello);
    WeftApp.new(app).bind("127.0.0.1:8080").serve().await
}
""", encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = cli.main(["check", str(src), "--format", "json"])
    errors = [d for d in json.loads(out.getvalue())["diagnostics"] if d["severity"] == "error"]
    assert status == 1
    assert [(e["code"], e["line"]) for e in errors] == [("E1201", 8)]
    assert "async fn(&mut WebSocket)" in errors[0]["message"]
