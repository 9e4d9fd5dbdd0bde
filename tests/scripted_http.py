"""A tiny loopback HTTP server that answers from a script: for what the emulator cannot say.

Each answer is (status, headers, body); requests are recorded as (method, path, headers, body).
When the script for a path runs out, its last answer repeats.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = tuple[int, Mapping[str, str], str]
TOKEN = (200, {"Content-Type": "application/json"},
         json.dumps({"access_token": "scripted-token", "expires_in": 3600}))  # fmt: skip
_PAGE = {"limit": 500, "offset": 0, "count": 0, "total": 0, "results": []}
EMPTY_PAGE = (200, {"Content-Type": "application/json"}, json.dumps(_PAGE))


def answer(status: int, body: Any = None, **headers: str) -> Answer:
    """A JSON answer (or a text one, when `body` is a str)."""
    if isinstance(body, str):
        return status, {"Content-Type": "text/html", **headers}, body
    return status, {"Content-Type": "application/json", **headers}, json.dumps(body or {})


class Scripted:
    """The running server: its URL, the script by path prefix, the requests it saw."""

    def __init__(self, script: Mapping[str, Sequence[Answer]]) -> None:
        self.script = {path: list(answers) for path, answers in script.items()}
        self.requests: list[tuple[str, str, dict[str, str], str]] = []
        self.url = ""
        self._lock = threading.Lock()

    def next_answer(self, path: str) -> Answer:
        with self._lock:
            for prefix, answers in self.script.items():
                if path.startswith(prefix):
                    return answers.pop(0) if len(answers) > 1 else answers[0]
        return answer(404, {"message": "not scripted"})

    def count(self, prefix: str) -> int:
        return sum(1 for _, path, _, _ in self.requests if path.startswith(prefix))


@contextmanager
def scripted_server(script: Mapping[str, Sequence[Answer]]) -> Iterator[Scripted]:
    state = Scripted(script)

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            state.requests.append((self.command, self.path, dict(self.headers), body))
            status, headers, text = state.next_answer(self.path)
            data = text.encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
