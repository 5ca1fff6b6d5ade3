"""A load generator for the event collector (scripts/benchmark_collector.py,
tests/python/test_collector.py): keep-alive HTTP/1.1 clients written directly
on asyncio streams (no HTTP library: the generator shares the machine with the
collector and must cost far less than it), optionally in several processes.

Bounded: every run stops after max_requests requests per client or after
duration seconds, whichever comes first; loopback only (the URL's host must be
127.0.0.1 or localhost).

Closed loop by default (each client sends its next request when the previous
one is answered). With ``rate`` (requests/s over all clients) it is an open
loop: each client sends on a fixed schedule (rate / clients a second, the
clients' schedules staggered) and a request's latency counts from its
scheduled time, so a collector that falls behind shows its queue in the
latencies (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import multiprocessing
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import orjson

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class LoadResult:
    requests: int = 0  # answered 200
    rejected: int = 0  # answered otherwise (status counts in statuses)
    failed: int = 0  # no answer (connection refused or reset: a killed collector)
    statuses: dict = field(default_factory=dict)
    latencies: list = field(default_factory=list)  # seconds, of the answered requests
    acknowledged_ids: list = field(default_factory=list)  # event_id of every acknowledged event
    sent_ids_unanswered: list = field(default_factory=list)  # event_id of requests without an answer
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # CPU time of the load generator's process(es)

    def merge(self, other: "LoadResult") -> None:
        self.requests += other.requests
        self.rejected += other.rejected
        self.failed += other.failed
        for k, v in other.statuses.items():
            self.statuses[k] = self.statuses.get(k, 0) + v
        self.latencies += other.latencies
        self.acknowledged_ids += other.acknowledged_ids
        self.sent_ids_unanswered += other.sent_ids_unanswered
        self.seconds = max(self.seconds, other.seconds)
        self.cpu_seconds += other.cpu_seconds

    def percentile(self, q: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def event(event_id: str, now: str) -> dict:
    return {"event_id": event_id, "visitor_id": "v-" + event_id[-6:], "session_id": "s-" + event_id[-8:],
            "occurred_at": now, "event_type": "product_view", "product_id": "P0001"}


async def _client(host: str, port: int, key: str, prefix: str, events_per_request: int, max_requests: int,
                  deadline: float, result: LoadResult, period: float | None = None, first_at: float = 0.0) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        result.failed += 1
        return
    head = (f"POST /v1/events HTTP/1.1\r\nHost: {host}:{port}\r\nX-Write-Key: {key}\r\n"
            f"Content-Type: application/json\r\n").encode()
    try:
        for number in range(max_requests):
            if time.perf_counter() >= deadline:
                break
            if period is not None:  # open loop: this request's scheduled time
                scheduled = first_at + number * period
                # A request due at the deadline itself is not sent; the 1 us margin keeps float
                # rounding (0.1 + 9 * 0.1 < 1.0 after adding the clock) from sending one more.
                if scheduled >= deadline - 1e-6:
                    break
                wait = scheduled - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
            now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            ids = [f"{prefix}-{number}-{k}" for k in range(events_per_request)]
            body = orjson.dumps({"events": [event(i, now) for i in ids]})
            started = time.perf_counter() if period is None else scheduled
            try:
                writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
                await writer.drain()
                header = await reader.readuntil(b"\r\n\r\n")
                status = int(header[9:12])
                length = 0
                for line in header.split(b"\r\n")[1:]:
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                result.failed += 1
                result.sent_ids_unanswered += ids
                return
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status == 200:
                result.requests += 1
                result.acknowledged_ids += ids
            else:
                result.rejected += 1
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass


async def _run(url: str, key: str, clients: int, events_per_request: int, max_requests: int, duration: float,
               prefix: str, rate: float | None = None) -> LoadResult:
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK:
        raise ValueError(f"the load generator only targets loopback addresses, not {parts.hostname}")
    result = LoadResult()
    cpu_started = time.process_time()
    started = time.perf_counter()
    deadline = started + duration
    period = None if not rate else clients / rate  # seconds between two requests of one client
    await asyncio.gather(*(_client(parts.hostname, parts.port, key, f"{prefix}c{c}", events_per_request,
                                   max_requests, deadline, result, period,
                                   started + 0.05 + (0 if period is None else c * period / clients))
                           for c in range(clients)))
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = time.process_time() - cpu_started
    return result


def _process(args) -> LoadResult:
    return asyncio.run(_run(*args))


def run_load(url: str, key: str, clients: int = 50, events_per_request: int = 1, max_requests: int = 1_000,
             duration: float = 10.0, processes: int = 1, prefix: str = "load", rate: float | None = None) -> LoadResult:
    """clients keep-alive connections (spread over processes), each sending up
    to max_requests requests of events_per_request new events, one at a time,
    until duration seconds have passed; with rate, at rate requests/s in all (open
    loop, see the module's docstring). Event ids are <prefix>p<proc>c<client>-<request>-<k>."""
    processes = max(1, min(processes, clients))
    shares = [clients // processes + (1 if p < clients % processes else 0) for p in range(processes)]
    jobs = [(url, key, n, events_per_request, max_requests, duration, f"{prefix}p{p}",
             None if not rate else rate * n / clients) for p, n in enumerate(shares)]
    if processes == 1:
        return _process(jobs[0])
    total = LoadResult()
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        for part in pool.map(_process, jobs):
            total.merge(part)
    return total
