"""Throughput load: C client processes, each one keep-alive HTTP/1.1 connection, cycling over URLs.

Why processes and raw sockets: on a 2-core machine the client shares the CPUs with the server it
measures. Python threads with ``http.client`` cost ~250 us of client CPU per request (parsing headers
into a Message object, plus GIL hand-offs between the 8 threads), a third of a core at 1,300 req/s.
Each client here is its own process (no GIL shared between clients) sending a prebuilt request and
parsing only the status line and the framing headers. It is still a complete HTTP client: every
body is read to its end (Content-Length or chunked) before the next request goes out, and a
connection the server closes is reopened.

``run.py`` calls :func:`throughput`, which starts each client as ``python loadgen.py JOB`` (JOB:
JSON) and reads one JSON result from its stdout.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

MAX_REQUESTS = 10_000_000  # per client: a bound on the loop besides the clock


class Connection:
    """One keep-alive connection to 127.0.0.1; reconnects after the server closes it."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port, self.timeout = port, timeout
        self.sock: socket.socket | None = None
        self.buf = b""
        self.answered = False  # whether the server sent any byte of the current answer

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        return sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _more(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("the server closed the connection mid-response")
        self.answered = True
        self.buf += chunk

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._more()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _line(self) -> bytes:
        while (end := self.buf.find(b"\r\n")) < 0:
            self._more()
        line, self.buf = self.buf[:end], self.buf[end + 2:]
        return line

    def get(self, request: bytes) -> tuple[int, int]:
        """Send a prebuilt GET; (status, body length) once the whole body has been read. A kept-alive
        connection the server closed while it was idle (gunicorn's keep-alive timeout, e.g. while
        the SPARQL phase times the query in-process) is reopened and the GET sent again, once."""
        reused = self.sock is not None
        try:
            return self._exchange(request)
        except ConnectionError:
            if not reused or self.answered:
                raise
            return self._exchange(request)

    def _exchange(self, request: bytes) -> tuple[int, int]:
        self.answered = False
        if self.sock is None:
            self.sock = self._connect()
        try:
            self.sock.sendall(request)
            while (end := self.buf.find(b"\r\n\r\n")) < 0:
                self._more()
            head, self.buf = self.buf[:end].decode("latin-1"), self.buf[end + 4:]
            status_line, *lines = head.split("\r\n")
            status = int(status_line.split(" ", 2)[1])
            headers = {}
            for line in lines:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if headers.get("transfer-encoding", "").lower() == "chunked":
                size = 0
                while (chunk := int(self._line().split(b";")[0], 16)) > 0:
                    size += len(self._take(chunk + 2)) - 2
                while self._line():  # trailers, up to the empty line
                    pass
            elif "content-length" in headers:
                size = len(self._take(int(headers["content-length"])))
            else:  # no framing: the body runs to the end of the connection
                while True:
                    try:
                        self._more()
                    except ConnectionError:
                        break
                size, self.buf = len(self.buf), b""
                self.close()
            if headers.get("connection", "").lower() == "close":
                self.close()
            return status, size
        except Exception:
            self.close()
            raise


def request_bytes(url: str, port: int, headers: dict[str, str] | None = None) -> bytes:
    fields = {"Host": f"127.0.0.1:{port}", "Accept": "application/json", "User-Agent": "ld-bench", **(headers or {})}
    return (f"GET {url} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n").encode("latin-1")


def client(job: dict) -> dict:
    """One client: wait for the common start, then cycle over the URLs until the window ends."""
    port, urls = job["port"], job["urls"]
    requests = [request_bytes(u, port) for u in urls]
    conn = Connection(port, job["timeout"])
    k = job["first"]
    n = errors = late = 0
    lat: list[float] = []
    statuses: dict[str, int] = {}
    time.sleep(max(0.0, job["start_at"] - time.time()))
    stop_at = job["start_at"] + job["duration"]
    cpu0 = time.process_time()
    try:
        while time.time() < stop_at and n < MAX_REQUESTS:
            request = requests[k % len(requests)]
            k += 1
            t0 = time.perf_counter()
            try:
                status, _size = conn.get(request)
                key, failed = str(status), status >= 500  # 4xx (a page past the end) is an answer
            except Exception as exc:  # noqa: BLE001
                key, failed = type(exc).__name__, True
            if time.time() > stop_at:  # finished outside the window: not counted
                late += 1
                break
            errors += failed
            lat.append((time.perf_counter() - t0) * 1000.0)
            statuses[key] = statuses.get(key, 0) + 1
            n += 1
    finally:
        conn.close()
    return {"requests": n, "errors": errors, "late": late, "lat_ms": lat, "statuses": statuses,
            "cpu_s": time.process_time() - cpu0}


def throughput(port: int, urls: list[str], clients: int, duration: float, timeout: float) -> dict:
    """Start ``clients`` processes on a common start time; aggregate what they measured."""
    started = time.time()
    start_at = started + 1.0 + 0.1 * clients  # time for the interpreters to start
    procs = []
    for i in range(clients):
        job = {"port": port, "urls": urls, "first": (i * len(urls)) // clients,  # staggered over the mix
               "start_at": start_at, "duration": duration, "timeout": timeout}
        procs.append(subprocess.Popen([sys.executable, os.path.abspath(__file__), json.dumps(job)],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True))
    done = []
    try:
        for p in procs:
            try:
                out, _ = p.communicate(timeout=max(1.0, start_at + duration + timeout + 10 - time.time()))
                done.append(json.loads(out))
            except (subprocess.TimeoutExpired, ValueError):
                p.kill()
                p.wait()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    n = sum(r["requests"] for r in done)
    err = sum(r["errors"] for r in done)
    lat = sorted(x for r in done for x in r["lat_ms"])
    statuses: dict[str, int] = {}
    for r in done:
        for key, v in r["statuses"].items():
            statuses[key] = statuses.get(key, 0) + v
    return {"clients": clients, "client_kind": "processes, raw keep-alive HTTP/1.1 (benchmarks/loadgen.py)",
            "duration_s": duration, "requests": n, "errors": err,
            "rps": n / duration, "ok_rps": (n - err) / duration,
            "lat_p50_ms": _pct(lat, 50), "lat_p95_ms": _pct(lat, 95), "lat_max_ms": lat[-1] if lat else None,
            "statuses": statuses,
            "client_cpu_s": sum(r["cpu_s"] for r in done),  # inside the window, all clients
            "unfinished_clients": clients - len(done),
            "late_requests_not_counted": sum(r["late"] for r in done)}


def _pct(s: list[float], p: float) -> float | None:
    if not s:
        return None
    k = (len(s) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


if __name__ == "__main__":
    json.dump(client(json.loads(sys.argv[1])), sys.stdout)
