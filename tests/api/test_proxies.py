"""Proxies: loopback targets are always reached directly; other targets honour the proxy settings.

A dead proxy (port 9, nothing listens) must not break the emulator; a tiny recording proxy on
loopback shows that a non-loopback target is really sent through HTTP_PROXY / HTTPS_PROXY.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest import CaptureFixture

from connectorctl.api.client import ConnectClient, RetryPolicy
from connectorctl.api.proxies import direct_mounts, is_loopback
from connectorctl.api.target import ResolvedTarget
from connectorctl.cli import run_cli
from connectorctl.errors import AuthenticationError, TransportError

DEAD_PROXY = "http://127.0.0.1:9"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")
TOKEN = b'{"access_token": "t", "expires_in": 3600, "scope": "view_connectors:p"}'
MANIFEST = """\
apiVersion: connectorctl/v1
kind: ConnectorStaged
key: payment-gateway
name: Payment Gateway
creator: {email: team@acme.example}
repository: {url: "git@github.com:acme/payment.git", tag: v1.0.0}
"""


class _Recorder(socketserver.StreamRequestHandler):
    """Records each request line; answers a token to plain HTTP and refuses CONNECT."""

    def handle(self) -> None:
        line = self.rfile.readline().decode("latin-1").strip()
        length = 0
        while (header := self.rfile.readline().strip()) != b"":
            name, _, value = header.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        self.rfile.read(length)
        self.server.lines.append(line)  # type: ignore[attr-defined]
        if line.startswith("CONNECT"):
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(TOKEN)}"
        self.wfile.write(head.encode() + b"\r\nConnection: close\r\n\r\n" + TOKEN)


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    """A recording proxy on loopback: its URL and the request lines it received."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Recorder)
    server.daemon_threads = True
    server.lines = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server.lines  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


def proxied(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Every proxy variable points at `url`, and nothing is excluded from proxying."""
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


def client_for(connect_url: str, auth_url: str) -> ConnectClient:
    target = ResolvedTarget(connect_url, auth_url, "p", "client", "secret")
    return ConnectClient(target, policy=RetryPolicy(max_attempts=1), sleep=lambda _: None)


def test_loopback_hosts() -> None:
    loopback = ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LocalHost.", "a.localhost"]
    remote = ["10.0.0.1", "128.0.0.1", "::2", "localhost.example.com", "example.com", ""]
    assert [is_loopback(h) for h in loopback] == [True] * 7
    assert [is_loopback(h) for h in remote] == [False] * 6


def test_only_loopback_urls_get_a_direct_mount() -> None:
    urls = ["http://127.0.0.1:8080/x", "http://[::1]:9/", "https://auth.europe-west1.gcp.test/"]
    assert direct_mounts(urls) == {"all://127.0.0.1": None, "all://[::1]": None}


def test_plan_against_the_emulator_ignores_a_dead_proxy(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: CaptureFixture[str]
) -> None:
    proxied(monkeypatch, DEAD_PROXY)
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    (tmp_path / "payment.yaml").write_text(MANIFEST, encoding="utf-8")
    assert run_cli(["plan", str(tmp_path), "--format", "json", "--detailed-exitcode"]) == 2
    assert '"change": "create"' in capsys.readouterr().out


def test_the_embedded_emulator_ignores_a_dead_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    proxied(monkeypatch, DEAD_PROXY)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "payment.yaml").write_text(MANIFEST, encoding="utf-8")
    assert run_cli(["plan", "payment.yaml", "--emulator", "--detailed-exitcode"]) == 2
    assert "+ payment-gateway (payment.yaml:1:1) will be created" in capsys.readouterr().out


def test_a_remote_http_target_goes_through_http_proxy(
    proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, lines = proxy
    proxied(monkeypatch, url)
    with client_for("http://connect.example.test", "http://auth.example.test/oauth/token") as c:
        assert c.granted_scopes() == frozenset({"view_connectors:p"})
    assert lines == ["POST http://auth.example.test/oauth/token HTTP/1.1"]


def test_a_remote_https_target_tunnels_through_https_proxy(
    proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, lines = proxy
    proxied(monkeypatch, url)
    with (
        client_for("https://connect.example.test", "https://auth.example.test/oauth/token") as c,
        pytest.raises(TransportError),
    ):
        c.granted_scopes()
    assert lines == ["CONNECT auth.example.test:443 HTTP/1.1"]


def test_a_loopback_auth_url_skips_the_proxy_for_that_host_only(
    proxy: tuple[str, list[str]], emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, lines = proxy
    proxied(monkeypatch, url)
    client = client_for("https://connect.example.test", f"{emulator.url}/oauth/token")
    with client, pytest.raises(AuthenticationError):
        client.granted_scopes()  # the emulator itself refused this client
    assert lines == []
