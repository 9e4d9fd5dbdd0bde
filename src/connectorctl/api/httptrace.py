"""The `--debug` trace of HTTP exchanges, with every credential redacted.

Headers carrying credentials are replaced, token fields in JSON bodies are masked, and as a last
guard every line is scrubbed of the client secret and the current token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

REDACTED = "<redacted>"
SECRET_KEYS = frozenset({"access_token", "refresh_token", "client_secret", "id_token"})
SECURED = "securedConfiguration"
_BODY_LIMIT = 2000
# The password of a URL's user info (`scheme://user:password@host`).
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/@\s:]*:)[^/@\s]*@")


class HttpTrace:
    """Writes request and response lines to `write` (nothing when it is None)."""

    def __init__(
        self, write: Callable[[str], None] | None, secrets: Callable[[], list[str]]
    ) -> None:
        self._write = write
        self._secrets = secrets

    def line(self, text: str) -> None:
        """One trace line, scrubbed of every known secret value."""
        if self._write is None:
            return
        for secret in self._secrets():
            text = text.replace(secret, REDACTED)
        if "@" in text:
            text = _URL_PASSWORD.sub(r"\1" + REDACTED + "@", text)
        self._write(text)

    def request(self, kwargs: Mapping[str, Any]) -> None:
        """The headers and body of a request about to be sent (httpx request kwargs)."""
        if self._write is None:
            return
        headers = dict(kwargs.get("headers") or {})
        if "Authorization" in headers:
            headers["Authorization"] = "Bearer " + REDACTED
        if kwargs.get("auth") is not None:
            headers["Authorization"] = "Basic " + REDACTED
        for name, value in headers.items():
            self.line(f"> {name}: {value}")
        if kwargs.get("data") is not None:
            self.line("> " + "&".join(f"{k}={v}" for k, v in kwargs["data"].items()))
        if kwargs.get("json") is not None:
            self.line("> " + _short(json.dumps(redact_body(kwargs["json"]), sort_keys=True)))

    def response(self, response: httpx.Response) -> None:
        """The status and body of a response, token fields masked."""
        if self._write is None:
            return
        self.line(f"< {response.status_code} {response.reason_phrase}")
        try:
            data = json.loads(response.text)
        except ValueError:
            self.line("< " + _short(response.text))
            return
        self.line("< " + _short(json.dumps(redact_body(data), sort_keys=True)))


def query_text(kwargs: Mapping[str, Any]) -> str:
    """`?a=1&b=2` for the request's params, "" without."""
    params = kwargs.get("params")
    return "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""


def redact_body(data: Any) -> Any:
    """JSON data with the values of token and secret fields masked, at any depth (Deployment
    secured configuration values too, sent or echoed back)."""
    if isinstance(data, dict):
        return {k: _redacted(k, v) for k, v in data.items()}
    if isinstance(data, list):
        return [redact_body(v) for v in data]
    return data


def _redacted(name: str, value: Any) -> Any:
    if name in SECRET_KEYS:
        return REDACTED
    if name == SECURED and isinstance(value, list):
        return [
            {**entry, "value": REDACTED} if isinstance(entry, dict) and "value" in entry else entry
            for entry in value
        ]
    return redact_body(value)


def _short(text: str) -> str:
    return text if len(text) <= _BODY_LIMIT else text[: _BODY_LIMIT - 1] + "…"
