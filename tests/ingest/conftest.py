"""A local HTTP server that replays recorded API responses: real sockets, no network."""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from replay_server import Replay, Reply


@pytest.fixture()
def replay():
    state = Replay()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            parts = urlsplit(self.path)
            state.requests.append({"path": parts.path, "query": parse_qs(parts.query),
                                   "headers": dict(self.headers)})
            replies = state.routes.get(parts.path)
            reply = Reply(404, '{"detail":"no route"}') if not replies else (
                replies.pop(0) if len(replies) > 1 else replies[0])
            if reply.delay:
                import time

                time.sleep(reply.delay)
            body = reply.payload()
            self.send_response(reply.status)
            for k, v in {"Content-Type": "application/json", **reply.headers}.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()
