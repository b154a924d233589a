"""The closed loop's load generator (bench/loopclient, Go) against a small HTTP server that answers as intake and cases
do: the requests each loop sends, in order, with whose token and which version, and what the bench reads back."""

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bench import generators, samples
from bench.http_figures import LOOP_STEPS, loop_run

TOKENS = {"operator": "t-operator", "office": "t-office", "unit": "t-unit", "reader": "t-reader"}

pytestmark = pytest.mark.skipif(generators.loop_client_binary() is None, reason="make test builds loopclient (go)")


class Stack:
    """What the handler saw, and how it answers: `refuse` maps a command's path to the status it gets."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.reads: dict[str, int] = {}
        self.refuse: dict[str, int] = {}


def _handler(stack: Stack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _seen(self, body: bytes) -> None:
            with stack.lock:
                stack.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "token": self.headers.get("Authorization", "").removeprefix("Bearer "),
                        "if_match": self.headers.get("If-Match"),
                        "content_type": self.headers.get("Content-Type", ""),
                        "body": body,
                    }
                )

        def do_GET(self) -> None:
            self._seen(b"")
            case_id = self.path.split("/")[3].split("?")[0]
            with stack.lock:
                stack.reads[case_id] = stack.reads.get(case_id, 0) + 1
                first = stack.reads[case_id] == 1
            # not opened yet at the first read: the client asks again
            self._answer(404 if first else 200, {"case_id": case_id})

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self._seen(body)
            if self.path == "/v1/reports":
                self._answer(202, {"issue_id": f"case-{json.loads(body)['external_ref']}-x"})
                return
            step = self.path.rsplit("/", 1)[1]
            status = stack.refuse.get(step, 201 if step == "evidence" else 200)
            self._answer(status, {"step": step})

    return Handler


@pytest.fixture
def stack() -> Iterator[tuple[Stack, str]]:
    state = Stack()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _run(url: str, *, clients: int, seconds: float, reports: int) -> dict[str, Any]:
    run = loop_run(url, url, TOKENS, "lc", clients=clients, seconds=seconds)
    return {**run, "reports": [samples.report("lc", n) for n in range(reports)], "case_timeout_seconds": 5}


async def test_each_loop_sends_the_report_reads_the_case_until_opened_then_each_command_with_its_token_and_version(
    stack: tuple[Stack, str],
) -> None:
    state, url = stack
    done = await generators.loop_client(_run(url, clients=2, seconds=0.5, reports=10_000))

    assert done.failures == 0, done.first_failures
    assert len(done.loops) >= 2 and not done.exhausted
    assert all(len(loop["steps_ms"]) == len(LOOP_STEPS) for loop in done.loops)
    assert all(loop["accepted_wall"] <= loop["visible_wall"] for loop in done.loops)
    assert done.cpu_seconds > 0 and done.seconds >= 0.5
    sent = [json.loads(r["body"])["external_ref"] for r in state.requests if r["path"] == "/v1/reports"]
    assert len(sent) == len(set(sent))  # each report its own
    file_name, content, content_type = samples.EVIDENCE_FILE["file"]
    for loop in done.loops:
        case_id = loop["case_id"]
        ref = case_id.removeprefix("case-").removesuffix("-x")
        mine = [
            r
            for r in state.requests
            if r["path"].startswith(f"/v1/cases/{case_id}/")
            or r["path"].startswith(f"/v1/cases/{case_id}?")
            or (r["path"] == "/v1/reports" and json.loads(r["body"])["external_ref"] == ref)
        ]
        assert [(r["method"], r["path"].split("?")[0].removeprefix(f"/v1/cases/{case_id}")) for r in mine] == [
            ("POST", "/v1/reports"),
            ("GET", ""),
            ("GET", ""),
            ("POST", "/assign"),
            ("POST", "/evidence"),
            ("POST", "/request-closure"),
            ("POST", "/verify"),
        ]
        assert [r["token"] for r in mine] == [TOKENS[who] for who in ("operator", "reader", "reader", "office")] + [
            TOKENS[who] for who in ("unit", "unit", "office")
        ]
        assert all(r["path"].endswith("?wait=5") for r in mine[1:3])
        assert [r["if_match"] for r in mine if r["path"].endswith(("assign", "request-closure", "verify"))] == [
            "1",
            "2",
            "3",
        ]
        assigned = json.loads(mine[3]["body"])
        assert datetime.fromisoformat(assigned.pop("deadline")) > datetime.now(UTC) + timedelta(days=29)
        assert assigned == {k: v for k, v in samples.assignment(timedelta(days=30)).items() if k != "deadline"}
        assert json.loads(mine[5]["body"]) == samples.CLOSURE_REQUEST
        upload = mine[4]
        assert upload["content_type"].startswith("multipart/form-data; boundary=")
        assert f'filename="{file_name}"'.encode() in upload["body"] and content in upload["body"]
        assert f"Content-Type: {content_type}".encode() in upload["body"]


async def test_a_refused_command_ends_its_loop_as_a_failure_and_the_clients_go_on(stack: tuple[Stack, str]) -> None:
    state, url = stack
    state.refuse["verify"] = 409
    done = await generators.loop_client(_run(url, clients=2, seconds=0.3, reports=10_000))

    assert done.loops == []
    assert done.failures >= 2  # each client went on to its next report after a refusal
    assert done.first_failures[0].startswith("verify: 409 "), done.first_failures


async def test_the_clients_stop_when_every_report_given_was_sent(stack: tuple[Stack, str]) -> None:
    _, url = stack
    done = await generators.loop_client(_run(url, clients=2, seconds=30, reports=3))

    assert done.exhausted and len(done.loops) == 3 and done.seconds < 30


def test_a_closed_loop_longer_than_its_clients_tokens_live_is_refused_before_it_starts() -> None:
    from bench.main import MAX_LOOP_SECONDS, parse

    assert parse(["--loop-seconds", str(MAX_LOOP_SECONDS - 5)]).sizes.loop_seconds == MAX_LOOP_SECONDS - 5
    with pytest.raises(SystemExit):
        parse(["--loop-seconds", str(MAX_LOOP_SECONDS - 1)])  # with the 5 s warm-up, past the bound
