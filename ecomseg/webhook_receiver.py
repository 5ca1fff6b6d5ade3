"""A local marketing-tool stand-in: a webhook on 127.0.0.1 that honours the Idempotency-Key.

Used by the real-time demo (ecomseg realtime --demo), the benchmark
(scripts/benchmark_realtime.py) and the tests. It counts, per key, every
request (``requests``) and every action it processed (``processed``: a key it
has processed before is answered 200 again and not processed twice), and keeps
when each key was first processed (``first_processed_at``, time.time()).

Faults, for the exactly-once tests:
- ``fail_first``: answer 500 to the first N requests of every key (before processing);
- ``slow_after_processing``: process, then wait that many seconds before answering
  (a client with a shorter time-out sees a time-out although the action was processed);
- ``delay``: wait that many seconds before processing every request.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ecomseg.export import IDEMPOTENCY_HEADER


class WebhookReceiver:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, fail_first: int = 0,
                 slow_after_processing: float = 0.0, delay: float = 0.0, on_processed=None):
        self.fail_first = fail_first
        self.slow_after_processing = slow_after_processing
        self.delay = delay
        self.on_processed = on_processed
        self.requests: Counter = Counter()
        self.processed: Counter = Counter()
        self.first_processed_at: dict[str, float] = {}
        self.payloads: dict[str, dict] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                key = self.headers.get(IDEMPOTENCY_HEADER)
                if not key:
                    self._answer(400, {"error": f"missing {IDEMPOTENCY_HEADER}"})
                    return
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver._lock:
                    receiver.requests[key] += 1
                    failing = receiver.requests[key] <= receiver.fail_first
                    if not failing and key not in receiver.processed:
                        receiver.processed[key] += 1
                        receiver.first_processed_at[key] = time.time()
                        receiver.payloads[key] = json.loads(body or b"{}")
                        if receiver.on_processed is not None:
                            receiver.on_processed(key, receiver.payloads[key])
                if failing:
                    self._answer(500, {"error": "planted failure"})
                    return
                if receiver.slow_after_processing:
                    time.sleep(receiver.slow_after_processing)
                self._answer(200, {"status": "ok", "key": key})

            def _answer(self, status: int, body: dict):
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (time-out)

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}/actions"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "WebhookReceiver":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def start(self) -> "WebhookReceiver":
        return self.__enter__()

    def stop(self) -> None:
        self.__exit__()
