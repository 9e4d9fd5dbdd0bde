"""Target resolution: flags over environment, region defaults, plain http refused."""

from __future__ import annotations

import pytest

from connectorctl.api.target import is_loopback, region_urls, resolve_target
from connectorctl.config import TargetOptions
from connectorctl.errors import ConfigError

CREDENTIALS = {"CTP_CLIENT_ID": "id", "CTP_CLIENT_SECRET": "s3cret", "CTP_PROJECT_KEY": "acme"}


def test_region_gives_both_default_urls() -> None:
    target = resolve_target(TargetOptions(), {**CREDENTIALS, "CTP_REGION": "europe-west1.gcp"})
    assert target.connect_url == "https://connect.europe-west1.gcp.commercetools.com"
    assert target.auth_url == "https://auth.europe-west1.gcp.commercetools.com/oauth/token"
    assert (target.project_key, target.client_id, target.client_secret) == ("acme", "id", "s3cret")
    assert target.scopes == ()


def test_flags_override_environment() -> None:
    env = {**CREDENTIALS, "CTP_REGION": "europe-west1.gcp", "CTP_SCOPES": "view_connectors:acme"}
    options = TargetOptions(
        region="us-east-2.aws", project_key="other", scopes="manage_connectors:other x"
    )
    target = resolve_target(options, env)
    assert target.connect_url == "https://connect.us-east-2.aws.commercetools.com"
    assert target.project_key == "other"
    assert target.scopes == ("manage_connectors:other", "x")


def test_explicit_urls_beat_region() -> None:
    env = {**CREDENTIALS, "CTP_REGION": "europe-west1.gcp", "CTP_AUTH_URL": "https://a.example/t"}
    target = resolve_target(TargetOptions(connect_url="https://c.example/"), env)
    assert (target.connect_url, target.auth_url) == ("https://c.example", "https://a.example/t")


def test_missing_settings_are_named() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_target(TargetOptions(), {"CTP_CLIENT_ID": "id"})
    message = str(info.value)
    for name in ("CTP_CLIENT_SECRET", "CTP_PROJECT_KEY", "CTP_REGION"):
        assert name in message
    assert "CTP_CLIENT_ID" not in message.replace("CTP_CLIENT_ID,", "")


def test_without_region_both_urls_are_needed() -> None:
    env = {**CREDENTIALS, "CTP_CONNECT_URL": "https://c.example"}
    with pytest.raises(ConfigError, match="CTP_AUTH_URL"):
        resolve_target(TargetOptions(), env)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost", "http://[::1]:9", "http://127.1.2.3"]
)
def test_plain_http_allowed_to_loopback(url: str) -> None:
    options = TargetOptions(connect_url=url, auth_url=url + "/oauth/token")
    target = resolve_target(options, CREDENTIALS)
    assert target.connect_url == url


def test_plain_http_refused_elsewhere_unless_allowed() -> None:
    options = TargetOptions(connect_url="http://connect.example", auth_url="https://a.example/t")
    with pytest.raises(ConfigError, match=r"refusing plain http to connect\.example"):
        resolve_target(options, CREDENTIALS)
    allowed = resolve_target(options, {**CREDENTIALS, "CONNECTORCTL_ALLOW_HTTP": "1"})
    assert allowed.connect_url == "http://connect.example"


def test_not_a_url_is_refused() -> None:
    with pytest.raises(ConfigError, match="not an http"):
        resolve_target(TargetOptions(connect_url="ftp://x", auth_url="https://a/t"), CREDENTIALS)


def test_secret_not_in_repr() -> None:
    target = resolve_target(TargetOptions(region="europe-west1.gcp"), CREDENTIALS)
    assert "s3cret" not in repr(target)


@pytest.mark.parametrize(
    ("host", "expected"),
    [("localhost", True), ("127.0.0.1", True), ("::1", True), ("10.0.0.1", False), ("a.b", False)],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


@pytest.mark.parametrize("region", ["evil.com/x?", "https://europe-west1.gcp", "eu west"])
def test_a_region_that_is_not_a_name_is_refused(region: str) -> None:
    with pytest.raises(ConfigError, match="invalid region"):
        region_urls(region)
