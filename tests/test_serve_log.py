"""`ld serve` writes an access log only when asked to (it costs a third to a half of the
requests/s of cached answers)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from conftest import REAL, free_port, stop, wait_until_responds

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve-log") / "store"
    subprocess.run([sys.executable, "-m", "ld.cli", "load", "--store", str(path), str(REAL / "keyword.json")],
                   check=True, capture_output=True)
    return path


def _serve(store: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "ld.cli", "serve", "--store", str(store), "--port", str(port),
                               "--base-url", "http://127.0.0.1:8000", *extra],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return server, f"http://127.0.0.1:{port}"


def test_requests_are_logged_to_the_access_log_file_when_one_is_given(store: Path, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    server, base = _serve(store, "--access-log", str(log))
    try:
        wait_until_responds(f"{base}/linkedevents/v1/")
        assert requests.get(f"{base}/linkedevents/v1/keyword/?page_size=1", timeout=30).status_code == 200
    finally:
        stop(server)
    assert '"GET /linkedevents/v1/keyword/?page_size=1 HTTP/1.1" 200' in log.read_text()


def test_no_access_log_by_default(store: Path) -> None:
    server, base = _serve(store)
    try:
        wait_until_responds(f"{base}/linkedevents/v1/")
        assert requests.get(f"{base}/linkedevents/v1/keyword/?page_size=1", timeout=30).status_code == 200
    finally:
        stop(server)
    output = server.stdout.read().decode()
    assert "serving" in output and "GET /linkedevents/v1/keyword/" not in output
