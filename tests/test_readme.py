"""The README's two set-up commands work on a clean checkout, and CI runs the second one."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from conftest import ROOT

SETUP = re.search(r"## Set up\n(.*?)\n## ", (ROOT / "README.md").read_text(encoding="utf-8"), re.S).group(1)
COMMANDS = [line.strip() for line in SETUP.splitlines() if line.startswith("    ")]


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one() -> None:
    assert len(COMMANDS) == 2, COMMANDS
    assert COMMANDS[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.server
def test_serve_command_on_a_clean_checkout(tmp_path: Path) -> None:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("needs a git checkout to clone")
    try:
        requests.get("http://127.0.0.1:8000/", timeout=1)
        pytest.skip("port 8000 is taken on this machine")
    except requests.ConnectionError:
        pass
    checkout = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(checkout)], check=True)
    server = subprocess.Popen(["bash", "-c", COMMANDS[0]], cwd=checkout, start_new_session=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                body = requests.get("http://127.0.0.1:8000/linkedevents/v1/event/", timeout=2).json()
                break
            except (requests.ConnectionError, ValueError):
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(1)
        else:
            pytest.fail("the server did not come up in 5 minutes")
        assert body["meta"]["count"] > 100 and body["data"][0]["@type"] == "Event"
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
