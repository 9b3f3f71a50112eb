"""Fixtures that run the real code on real data: stores loaded through the real loader, the real
app through falcon's test client, and (marked ``server``) the real ``ld serve`` in a subprocess."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterable

import falcon.testing
import pytest

from endpoint.app import Settings, create_app
from ld.identity import Identity, Keys
from ld.inputs import Item, expand_paths, read
from ld.iris import Iris
from ld.load import Loader, Report
from ld.store import OxigraphStore

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("LD_SHARED", ROOT.parent / "shared"))
REAL = SHARED / "data" / "real" / "api"
BASE = "http://127.0.0.1:8000"
ADMIN_KEY = "test-admin-key"
KEYS = Keys({ADMIN_KEY: Identity(user="admin", superuser=True, sparql_update=True)})


def load_paths(store: OxigraphStore, paths: Iterable[str | Path]) -> Report:
    items = (item for path in expand_paths([str(p) for p in paths]) for item in read(path))
    return Loader(store, Iris(BASE)).load(items)


def load_records(store: OxigraphStore, records: Iterable[tuple[str, dict[str, Any]]]) -> Report:
    """Push hand-made records (resource hint, record) through the real loading path."""
    return Loader(store, Iris(BASE)).load(Item(r, hint, "test") for hint, r in records)


def real_records(name: str) -> list[dict[str, Any]]:
    return json.loads((REAL / f"{name}.json").read_text(encoding="utf-8"))["data"]


@pytest.fixture(scope="session")
def real_store() -> OxigraphStore:
    store = OxigraphStore()
    report = load_paths(store, [REAL])
    assert not report.rejected, report.rejected
    return store


@pytest.fixture(scope="session")
def client(real_store: OxigraphStore) -> falcon.testing.TestClient:
    return falcon.testing.TestClient(create_app(real_store, Settings(base_url=BASE, keys=KEYS)))


@pytest.fixture(scope="session")
def generated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "data"
    subprocess.run([sys.executable, str(SHARED / "bench" / "gen_events.py"), "--events", "300", "--places", "250",
                    "--keywords", "250", "--out", str(out)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="session")
def generated_store(generated_dir: Path) -> OxigraphStore:
    store = OxigraphStore()
    report = load_paths(store, [generated_dir])
    assert not report.rejected, report.rejected[:3]
    return store


@pytest.fixture(scope="session")
def generated_client(generated_store: OxigraphStore) -> falcon.testing.TestClient:
    return falcon.testing.TestClient(create_app(generated_store, Settings(base_url=BASE, keys=KEYS)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_responds(url: str, timeout: float = 30.0) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or busy starting
            time.sleep(0.2)
    raise TimeoutError(url)


def stop(server: subprocess.Popen) -> None:
    """Stop a server subprocess: politely, then firmly (a loaded machine may shut down slowly)."""
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def assert_canonical_error(result: Any, status: int, *mentions: str) -> dict[str, Any]:
    """Every error is JSON {"detail": "..."} in English, naming what is wrong."""
    assert result.status_code == status, result.text
    assert result.headers["content-type"].startswith("application/json")
    body = result.json
    assert isinstance(body.get("detail"), str) and body["detail"]
    for mention in mentions:
        assert mention in body["detail"], body
    return body
