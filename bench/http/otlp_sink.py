#!/usr/bin/env python3
"""An OTLP/HTTP receiver that accepts everything and decodes nothing.

    python3 bench/http/otlp_sink.py

The HTTP benchmark's `traced` rows export every span to it
(OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:<port>): it answers each
POST /v1/traces 200 with an empty ExportTraceServiceResponse, so what is
measured is the traced server's cost, not a collector's. Prints
"listening <port>", then, at SIGTERM, how many requests and bytes it took.
Python 3 standard library only.
"""

from __future__ import annotations

import http.server
import signal
import sys
import threading

requests = 0
body_bytes = 0
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        global requests, body_bytes
        length = int(self.headers.get("content-length", "0"))
        self.rfile.read(length)
        with lock:
            requests += 1
            body_bytes += length
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def main() -> int:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def stop(*_):
        print(f"otlp_sink: {requests} requests, {body_bytes} bytes", file=sys.stderr, flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
