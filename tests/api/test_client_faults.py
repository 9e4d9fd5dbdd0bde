"""The client against answers the emulator never gives: HTTP-date Retry-After, scope-less tokens,
HTML error pages, redirects, refused certificates, a 401 that a fresh token does not cure."""

from __future__ import annotations

import random
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from connectorctl.api.client import ConnectClient, RequestTracker, RetryPolicy
from connectorctl.api.target import ResolvedTarget, ScopeError, project_problem, scope_problem
from connectorctl.errors import ApiError, AuthenticationError, TransportError
from scripted_http import EMPTY_PAGE, TOKEN, Scripted, answer, scripted_server
from support import FakeTime

QUERY = "/connectors/drafts"


def client_for(
    server: Scripted, time_: FakeTime, scopes: tuple[str, ...] = (), **kw: object
) -> ConnectClient:
    target = ResolvedTarget(
        server.url, server.url + "/oauth/token", "acme", "id", "secret", scopes=scopes
    )
    return ConnectClient(target, sleep=time_.sleep, clock=time_.clock, **kw)  # type: ignore[arg-type]


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


# -- Retry-After ---------------------------------------------------------------------------------


def test_retry_after_as_an_http_date(fake: FakeTime) -> None:
    when = formatdate(time.time() + 30, usegmt=True)
    script = {"/oauth": [TOKEN], QUERY: [answer(429, {}, **{"Retry-After": when}), EMPTY_PAGE]}
    with scripted_server(script) as server, client_for(server, fake) as client:
        assert client.query_page()["results"] == []
    (delay,) = fake.sleeps
    assert 27.0 <= delay <= 30.0
    assert server.count(QUERY) == 2


def test_retry_after_as_seconds(fake: FakeTime) -> None:
    script = {"/oauth": [TOKEN], QUERY: [answer(503, {}, **{"Retry-After": "7"}), EMPTY_PAGE]}
    with scripted_server(script) as server, client_for(server, fake) as client:
        client.query_page()
    assert fake.sleeps == [7.0]


def test_a_retry_after_past_the_budget_stops_at_once_and_says_so(fake: FakeTime) -> None:
    when = formatdate(time.time() + 120, usegmt=True)
    script = {"/oauth": [TOKEN], QUERY: [answer(429, {}, **{"Retry-After": when}), EMPTY_PAGE]}
    with (
        scripted_server(script) as server,
        client_for(server, fake) as client,
        pytest.raises(ApiError) as info,
    ):
        client.query_page()
    assert fake.sleeps == []
    assert server.count(QUERY) == 1
    assert info.value.status == 429
    assert "would pass the retry budget" in str(info.value) and "Retry-After 1" in str(info.value)


# -- exactly which statuses are retried ----------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_these_statuses_are_retried(fake: FakeTime, status: int) -> None:
    script = {"/oauth": [TOKEN], QUERY: [answer(status, {"message": "x"}), EMPTY_PAGE]}
    with scripted_server(script) as server, client_for(server, fake) as client:
        client.query_page()
    assert server.count(QUERY) == 2 and len(fake.sleeps) == 1


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422, 501])
def test_other_statuses_are_not_retried(fake: FakeTime, status: int) -> None:
    script = {"/oauth": [TOKEN], QUERY: [answer(status, {"message": "x"}), EMPTY_PAGE]}
    with (
        scripted_server(script) as server,
        client_for(server, fake) as client,
        pytest.raises(ApiError) as info,
    ):
        client.query_page()
    assert server.count(QUERY) == 1 and fake.sleeps == []
    assert info.value.status == status


def test_the_default_policy_values() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.conflict_attempts, policy.budget) == (5, 5, 60.0)
    assert (policy.base_delay, policy.max_delay, policy.timeout) == (0.5, 20.0, 30.0)
    assert sorted(policy.retry_statuses) == [429, 500, 502, 503, 504]


def test_backoff_is_capped_full_jitter(fake: FakeTime) -> None:
    script = {"/oauth": [TOKEN], QUERY: [answer(503, {})]}
    policy = RetryPolicy(max_attempts=8, base_delay=1.0, max_delay=4.0, budget=1000.0)
    with (
        scripted_server(script) as server,
        client_for(server, fake, policy=policy) as client,
        pytest.raises(ApiError),
    ):
        client.query_page()
    assert len(fake.sleeps) == 7 and server.count(QUERY) == 8
    ceilings = [1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    assert all(0 <= d <= c for d, c in zip(fake.sleeps, ceilings, strict=True))


def test_a_write_answered_500_or_with_no_answer_may_have_committed(fake: FakeTime) -> None:
    created = answer(201, {"id": "x"})
    script = {"/oauth": [TOKEN], QUERY: [answer(503, {}), answer(500, {}), created]}
    with scripted_server(script) as server, client_for(server, fake) as client:
        track = RequestTracker()
        client.create({"key": "k"}, track=track)
        assert track.uncertain is True
        answered = RequestTracker()
        server.script[QUERY] = [answer(503, {}), answer(429, {}), answer(201, {"id": "x"})]
        client.create({"key": "k"}, track=answered)
        assert answered.uncertain is False


# -- error bodies, redirects, certificates -------------------------------------------------------


def test_an_html_502_from_a_proxy_is_one_clear_line(fake: FakeTime) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    script = {"/oauth": [TOKEN], QUERY: [answer(502, page)]}
    with (
        scripted_server(script) as server,
        client_for(server, fake) as client,
        pytest.raises(ApiError) as info,
    ):
        client.query_page()
    assert server.count(QUERY) == 5
    assert str(info.value) == (
        "GET /connectors/drafts: 502 error: <html><head><title>502 Bad Gateway</title></head>"
        "<body>nginx</body></html>"
    )


def test_a_401_after_a_fresh_token_is_an_authentication_error(fake: FakeTime) -> None:
    script = {"/oauth": [TOKEN], QUERY: [answer(401, {"error": "invalid_token"})]}
    with (
        scripted_server(script) as server,
        client_for(server, fake) as client,
        pytest.raises(AuthenticationError) as info,
    ):
        client.query_page()
    assert str(info.value) == "authentication failed: invalid_token"
    assert (server.count("/oauth"), server.count(QUERY)) == (2, 2)
    assert client.token_requests == 2


def test_redirects_are_not_followed(fake: FakeTime) -> None:
    script = {"/oauth": [TOKEN], QUERY: [answer(302, {}, Location="/elsewhere")],
              "/elsewhere": [EMPTY_PAGE]}  # fmt: skip
    with (
        scripted_server(script) as server,
        client_for(server, fake) as client,
        pytest.raises(ApiError) as info,
    ):
        client.query_page()
    assert info.value.status == 302 and server.count("/elsewhere") == 0


@pytest.fixture
def self_signed(tmp_path: Path) -> Iterator[str]:
    """An https loopback server with a certificate nobody trusts."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_untrusted_certificate_is_refused(self_signed: str, fake: FakeTime) -> None:
    target = ResolvedTarget(self_signed, self_signed + "/oauth/token", "acme", "id", "secret")
    with (
        ConnectClient(target, sleep=fake.sleep, clock=fake.clock) as client,
        pytest.raises(TransportError) as info,
    ):
        client.query_page()
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)


# -- granted scopes ------------------------------------------------------------------------------


def test_a_token_answer_without_scope_grants_what_was_requested(fake: FakeTime) -> None:
    warnings: list[str] = []
    with scripted_server({"/oauth": [TOKEN], QUERY: [EMPTY_PAGE]}) as server:
        requested = ("manage_connectors:acme",)
        with client_for(server, fake, scopes=requested, warn=warnings.append) as client:
            assert client.granted_scopes() == {"manage_connectors:acme"}
            assert client.can_write()
        assert "scope=manage_connectors%3Aacme" in server.requests[0][3]
    assert warnings == []


def test_unknown_scopes_warn_and_leave_it_to_the_api(fake: FakeTime) -> None:
    warnings: list[str] = []
    with (
        scripted_server({"/oauth": [TOKEN], QUERY: [EMPTY_PAGE]}) as server,
        client_for(server, fake, warn=warnings.append) as client,
    ):
        assert client.granted_scopes() is None
        client.check_scope("ConnectorStaged", write=True)  # the API's 403 decides
        client.query_page()
    assert warnings == [
        "the token answer names no scopes and none were requested: the scopes are unknown, "
        "so the API decides what is allowed"
    ]


def test_a_token_for_another_project_is_refused_before_any_request(fake: FakeTime) -> None:
    token = answer(200, {"access_token": "t", "scope": "manage_connectors:other view_orders:other"})
    with (
        scripted_server({"/oauth": [token], QUERY: [EMPTY_PAGE]}) as server,
        client_for(server, fake) as client,
        pytest.raises(ScopeError) as info,
    ):
        client.query_page()
        assert server.count(QUERY) == 0
    assert str(info.value) == (
        "the credentials are scoped to project 'other', the target is project 'acme'"
    )


def test_project_of_a_scope_is_its_second_part() -> None:
    assert project_problem(frozenset({"manage_my_orders:acme:store-eu"}), "acme") is None
    assert project_problem(frozenset({"manage_connectors:acme"}), "acme") is None
    assert project_problem(frozenset({"view_connectors:beta"}), "acme") == (
        "the credentials are scoped to project 'beta', the target is project 'acme'"
    )
    assert project_problem(frozenset(), "acme") is None


READ_WRITE = [
    # (granted, kind, can read, can write)
    ("view_connectors:acme", "ConnectorStaged", True, False),
    ("manage_connectors:acme", "ConnectorStaged", True, True),
    ("manage_project:acme", "ConnectorStaged", True, True),
    ("manage_project:acme", "Deployment", True, True),
    ("view_connectors:acme", "Deployment", False, False),
    ("view_connectors_deployments:acme", "Deployment", True, False),
    ("manage_connectors_deployments:acme", "Deployment", True, True),
    ("manage_connectors_deployments:acme", "ConnectorStaged", False, False),
    ("manage_connectors:beta", "ConnectorStaged", False, False),
]


@pytest.mark.parametrize(("granted", "kind", "read", "write"), READ_WRITE)
def test_scopes_per_kind(granted: str, kind: str, read: bool, write: bool) -> None:
    scopes = frozenset({granted})
    assert (scope_problem(scopes, kind, "acme", False) is None) is read
    assert (scope_problem(scopes, kind, "acme", True) is None) is write


def test_the_scope_message_names_what_to_grant() -> None:
    assert scope_problem(frozenset({"view_connectors:acme"}), "ConnectorStaged", "acme", True) == (
        "the token has no scope to write ConnectorStaged in project 'acme': grant "
        "manage_connectors:acme (or manage_project)"
    )


@pytest.mark.parametrize(("header", "slept"), [("0", [0.0]), ("60", [60.0]), ("-5", [0.0])])
def test_retry_after_up_to_exactly_the_budget_is_waited(
    fake: FakeTime, header: str, slept: list[float]
) -> None:
    script = {"/oauth": [TOKEN], QUERY: [answer(429, {}, **{"Retry-After": header}), EMPTY_PAGE]}
    with scripted_server(script) as server, client_for(server, fake) as client:
        client.query_page()
    assert fake.sleeps == slept
    assert server.count(QUERY) == 2


class MaxJitter(random.Random):
    """Jitter that always picks the ceiling."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_a_conflict_backoff_past_the_budget_is_not_slept(fake: FakeTime) -> None:
    policy = RetryPolicy(base_delay=10.0, max_delay=10.0, budget=9.0)
    with scripted_server({"/oauth": [TOKEN]}) as server:
        client = client_for(server, fake, policy=policy, rng=MaxJitter())
        track = RequestTracker()
        assert client.wait_before_retry(1, track) is False
        assert (fake.sleeps, track.deadline) == ([], 1009.0)
        roomy = RequestTracker()
        client.policy = RetryPolicy(base_delay=1.0, max_delay=4.0, budget=9.0)
        assert [client.wait_before_retry(n, roomy) for n in (1, 2, 3, 4)] == [
            True, True, True, False,
        ]  # fmt: skip
        assert fake.sleeps == [1.0, 2.0, 4.0]  # the fourth (4 s) would end at 1011 > 1009
        client.close()
