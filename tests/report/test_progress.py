"""Progress on stderr: one line per finished resource in a log, one live line on a terminal."""

from __future__ import annotations

import io
import os
import threading

from connectorctl.report.progress import ProgressReporter, finished_line


def test_not_a_terminal_lists_each_resource_that_sent_something_as_it_finishes() -> None:
    stream = io.StringIO()
    progress = ProgressReporter(stream, total=5)
    progress.unchanged(1)
    progress.started("payment-gateway")
    progress.started("tax-sync")
    progress.retrying("tax-sync")
    assert stream.getvalue() == ""
    progress.finished("tax-sync", "created", requests=3, retries=2)
    progress.finished("erp-sync", "unchanged")
    progress.finished("payment-gateway", "updated", requests=1)
    progress.finished("order-tools", "blocked")
    progress.close()
    assert stream.getvalue() == (
        "tax-sync: created (3 requests, 2 retries)\n"
        "payment-gateway: updated (1 request)\n"
        "order-tools: blocked\n"
    )


def test_status_line_counts_done_in_flight_and_retrying() -> None:
    progress = ProgressReporter(io.StringIO(), total=60)
    progress.unchanged(11)
    for key in ("a", "b", "c", "d"):
        progress.started(key)
    progress.retrying("b")
    assert progress.status_line() == "11/60 done · 4 in flight · 1 retrying"
    progress.finished("a", "updated", requests=1)
    assert progress.status_line() == "12/60 done · 3 in flight · 1 retrying"
    progress.finished("b", "failed", requests=5, retries=4)
    assert progress.status_line() == "13/60 done · 2 in flight"


def test_a_fake_terminal_gets_one_line_redrawn_and_cleared() -> None:
    stream = io.StringIO()
    progress = ProgressReporter(stream, total=2, tty=True)
    progress.started("a")
    progress.finished("a", "updated", requests=2)
    progress.unchanged(1)
    progress.close()
    assert stream.getvalue() == (
        "\r\x1b[K0/2 done · 1 in flight"
        "\r\x1b[K1/2 done · 0 in flight"
        "\r\x1b[K2/2 done · 0 in flight"
        "\r\x1b[K"
    )


def test_a_pseudo_terminal_is_detected_and_sees_no_newline() -> None:
    primary, secondary = os.openpty()
    try:
        with open(secondary, "w", encoding="utf-8", closefd=False) as stream:
            progress = ProgressReporter(stream, total=3)
            progress.started("payment-gateway")
            progress.retrying("payment-gateway")
            progress.finished("payment-gateway", "updated", requests=2, retries=1)
            progress.unchanged(2)
            progress.close()
        output = _read_all(primary)
    finally:
        os.close(primary)
        os.close(secondary)
    assert output == (
        "\r\x1b[K0/3 done · 1 in flight"
        "\r\x1b[K0/3 done · 1 in flight · 1 retrying"
        "\r\x1b[K1/3 done · 0 in flight"
        "\r\x1b[K3/3 done · 0 in flight"
        "\r\x1b[K"
    )
    assert "\n" not in output
    assert "payment-gateway" not in output


def _read_all(fd: int) -> str:
    import select

    chunks = []
    while select.select([fd], [], [], 0.2)[0]:
        chunks.append(os.read(fd, 4096))
    return b"".join(chunks).decode("utf-8")


def test_parallel_workers_never_interleave_lines() -> None:
    stream = io.StringIO()
    progress = ProgressReporter(stream, total=400)

    def work(worker: int) -> None:
        for n in range(50):
            key = f"conn-{worker}-{n}"
            progress.started(key)
            progress.retrying(key)
            progress.finished(key, "updated" if n % 2 else "unchanged", requests=2)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 200
    assert all(line.endswith(": updated (2 requests)") for line in lines)
    assert progress.status_line() == "400/400 done · 0 in flight"


def test_keys_and_results_are_escaped() -> None:
    assert finished_line("a\x1b[2Jb", "updated\n::error::x", 1) == (
        "a\\u001b[2Jb: updated\\u000a::error::x (1 request)"
    )
