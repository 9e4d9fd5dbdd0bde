"""Progress of an apply on stderr, fed by the applier's workers (thread-safe).

On a terminal: one line rewritten in place, `12/60 done · 3 in flight · 1 retrying`, cleared at the
end. Elsewhere (CI logs): one line per resource that had something to send, as it finishes.
Unchanged resources are counted, never listed.
"""

from __future__ import annotations

import threading
from typing import TextIO

from connectorctl.report.escape import safe_text

UNCHANGED = "unchanged"
# Carriage return, then erase to the end of the line (ECMA-48 EL): the line is redrawn in place.
_REDRAW = "\r\x1b[K"


class ProgressReporter:
    """Counts started, finished and retrying resources and shows them on `stream`."""

    def __init__(self, stream: TextIO, total: int, *, tty: bool | None = None) -> None:
        self._stream = stream
        self._total = total
        self._tty = _isatty(stream) if tty is None else tty
        self._lock = threading.Lock()
        self._in_flight: set[str] = set()
        self._retrying: set[str] = set()
        self._done = 0
        self._drawn = False

    def started(self, key: str) -> None:
        """A worker began sending requests for `key`."""
        with self._lock:
            self._in_flight.add(key)
            self._redraw()

    def retrying(self, key: str) -> None:
        """A request for `key` is being retried (429, 5xx, timeout, 409)."""
        with self._lock:
            self._retrying.add(key)
            self._redraw()

    def finished(self, key: str, result: str, *, requests: int = 0, retries: int = 0) -> None:
        """`key` reached its result; listed (when not on a terminal) unless it is unchanged."""
        with self._lock:
            self._in_flight.discard(key)
            self._retrying.discard(key)
            self._done += 1
            if self._tty:
                self._redraw()
            elif result != UNCHANGED:
                self._write(finished_line(key, result, requests, retries) + "\n")

    def unchanged(self, count: int) -> None:
        """`count` resources need nothing: counted as done, never listed."""
        with self._lock:
            self._done += count
            self._redraw()

    def close(self) -> None:
        """Clear the live line (on a terminal), so the closing table starts on a clean line."""
        with self._lock:
            if self._tty and self._drawn:
                self._write(_REDRAW)
                self._drawn = False

    def status_line(self) -> str:
        """`12/60 done · 3 in flight · 1 retrying` (the retrying part only when some are)."""
        parts = [f"{self._done}/{self._total} done", f"{len(self._in_flight)} in flight"]
        if self._retrying:
            parts.append(f"{len(self._retrying)} retrying")
        return " · ".join(parts)

    def _redraw(self) -> None:
        if self._tty:
            self._write(_REDRAW + self.status_line())
            self._drawn = True

    def _write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()


def finished_line(key: str, result: str, requests: int, retries: int = 0) -> str:
    """`payment-gateway: updated (2 requests, 1 retry)`; `tax-sync: blocked` (nothing sent)."""
    line = f"{safe_text(key)}: {safe_text(result)}"
    if not requests and not retries:
        return line
    counts = [_plural(requests, "request")]
    if retries:
        counts.append(_plural(retries, "retry", "retries"))
    return f"{line} ({', '.join(counts)})"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream
        return False
