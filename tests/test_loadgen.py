"""The benchmark's throughput client reads every answer whole, however the server frames it."""
from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from loadgen import Connection, request_bytes, throughput  # noqa: E402

BODY = b'{"data": "' + b"x" * 300_000 + b'"}'


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless a response says otherwise

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        self.server.seen.append((self.path, self.headers.get("Cache-Control")))
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(BODY), 70_000):
                chunk = BODY[start:start + 70_000]
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/idle-close":  # answers, then drops the kept-alive connection unannounced
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            self.close_connection = True
        elif self.path == "/close":
            self.send_response(503)
            self.send_header("Content-Length", "4")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"busy")
            self.close_connection = True
        else:
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_bodies_are_read_whole_on_one_connection_whatever_the_framing(server) -> None:
    port = server.server_address[1]
    conn = Connection(port, 10)
    try:
        for path in ("/length", "/chunked", "/length", "/chunked"):
            assert conn.get(request_bytes(path, port)) == (200, len(BODY))
        first = conn.sock
        assert conn.get(request_bytes("/length", port)) == (200, len(BODY))
        assert conn.sock is first  # the same keep-alive connection all along
    finally:
        conn.close()


def test_a_closed_connection_is_reopened_and_headers_are_sent(server) -> None:
    port = server.server_address[1]
    conn = Connection(port, 10)
    try:
        assert conn.get(request_bytes("/close", port)) == (503, 4)
        assert conn.sock is None
        assert conn.get(request_bytes("/length", port, {"Cache-Control": "no-cache"})) == (200, len(BODY))
    finally:
        conn.close()
    assert server.seen[-1] == ("/length", "no-cache")


def test_throughput_counts_what_client_processes_completed_in_the_window(server) -> None:
    port = server.server_address[1]
    result = throughput(port, ["/length", "/chunked"], clients=2, duration=1.0, timeout=10)
    assert result["unfinished_clients"] == 0 and result["errors"] == 0
    assert result["requests"] == result["statuses"]["200"] > 0
    assert result["ok_rps"] == result["requests"] / 1.0
    assert {path for path, _ in server.seen} == {"/length", "/chunked"}


def test_a_keep_alive_connection_dropped_while_idle_is_reopened_for_the_next_get(server) -> None:
    port = server.server_address[1]
    conn = Connection(port, 10)
    try:
        assert conn.get(request_bytes("/idle-close", port)) == (200, 2)
        assert conn.get(request_bytes("/length", port)) == (200, len(BODY))
        assert [path for path, _ in server.seen] == ["/idle-close", "/length"]
    finally:
        conn.close()
