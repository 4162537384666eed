"""A fault-injecting HTTP proxy in front of the bank; the workers' EMARKET_BANK_URL points here.

Modes: ``ok`` forwards; ``error`` answers 500, half the time after forwarding (the bank did the
work, the shop never heard); ``timeout`` forwards, then holds the reply past the shop's
timeout and drops it. The shop must retry through all three without doing anything twice.
"""
from __future__ import annotations

import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that gave up (its timeout) or died (SIGKILL) mid-reply: expected here


class BankProxy:
    def __init__(self, bank_url: str, hold_for: float):
        self.bank_url = bank_url.rstrip("/")
        self.hold_for = hold_for  # longer than the shop's bank timeout
        self.mode = "ok"
        self.counts = {"forwarded": 0, "error": 0, "timeout": 0}
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="bank-proxy", daemon=True)

    def start(self) -> BankProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def set_mode(self, mode: str) -> None:
        assert mode in ("ok", "error", "timeout"), mode
        self.mode = mode

    def _count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1

    def _forward(self, handler: BaseHTTPRequestHandler) -> requests.Response:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
        return requests.request(handler.command, self.bank_url + handler.path, data=body, headers=headers,
                                timeout=30, allow_redirects=False)

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection: nothing to keep in step

            def log_message(self, *args):  # quiet: the counts are the record
                pass

            def _handle(self):
                mode = proxy.mode
                if mode == "error":
                    proxy._count("error")
                    if random.random() < 0.5:
                        proxy._forward(self)
                    self._reply(500, b'{"error": {"code": "internal", "message": "chaos"}}', {})
                    return
                try:
                    reply = proxy._forward(self)
                except requests.RequestException:
                    self._reply(502, b'{"error": {"code": "bad_gateway", "message": "bank unreachable"}}', {})
                    return
                if mode == "timeout":
                    proxy._count("timeout")
                    proxy._release.wait(proxy.hold_for)  # the shop has given up by now
                    self.close_connection = True
                    return
                proxy._count("forwarded")
                headers = {k: v for k, v in reply.headers.items() if k.lower() not in HOP_BY_HOP}
                self._reply(reply.status_code, reply.content, headers)

            def _reply(self, status: int, body: bytes, headers: dict):
                self.send_response(status)
                headers = {"Content-Type": "application/json", **headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815 — http.server's names

        return Handler
