"""A store written before the public data moved to Oxigraph's default graph is rebuilt on open."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from click.testing import CliRunner

from ld.cli import main
from ld.errors import LdError
from ld.fresh import upgrade_layout
from ld.store import META, PUBLIC, OxigraphStore
from ld.vocab import GRAPH

from conftest import BASE, REAL, free_port, load_paths, stop, wait_until_responds


@pytest.fixture(scope="module")
def current(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("layout") / "current"
    store = OxigraphStore(path)
    load_paths(store, [REAL / "event.json", REAL / "place.json", REAL / "keyword.json"])
    store.flush()
    del store
    return path


def written_before(current: Path, path: Path) -> Path:
    """The same store as the code before 2026-12-06 wrote it: the public data in a named graph."""
    old = ox.Store(str(path))
    old.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, GRAPH.public) if isinstance(q.graph_name, ox.DefaultGraph)
                    else q for q in ox.Store.read_only(str(current)))
    del old
    (path / "side-index.pickle").write_bytes(b"kept as it is")
    return path


def quads(path: Path) -> set[ox.Quad]:
    return set(ox.Store.read_only(str(path)))


def test_an_older_store_is_rebuilt_with_the_same_quads(current: Path, tmp_path: Path) -> None:
    old = written_before(current, tmp_path / "store")
    assert quads(old) != quads(current)
    assert upgrade_layout(old) is True
    assert quads(old) == quads(current)
    assert (old / "side-index.pickle").read_bytes() == b"kept as it is"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]  # nothing left beside it
    assert upgrade_layout(old) is False  # a store of this layout is left alone


def test_a_rebuild_interrupted_between_its_moves_is_put_back(current: Path, tmp_path: Path) -> None:
    old = written_before(current, tmp_path / "store")
    old.rename(tmp_path / "store.old")  # the old store moved aside, the new one not yet in place
    assert upgrade_layout(tmp_path / "store") is True
    assert quads(tmp_path / "store") == quads(current)


def test_commands_open_an_older_store_as_a_current_one(current: Path, tmp_path: Path) -> None:
    old = written_before(current, tmp_path / "store")
    ttl = tmp_path / "extra.ttl"
    ttl.write_text("<http://example.org/a> <http://schema.org/name> 'a' .\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["load", "--store", str(old), "--graph", "http://example.org/g", str(ttl)])
    assert result.exit_code == 0, result.output
    store = OxigraphStore(old, read_only=True)
    names = {row["n"].value for row in store.query("SELECT ?n WHERE { ?e a schema:Event ; schema:name ?n }", dataset=PUBLIC)}
    assert "Uutta Koillis-Helsinkiä verkkotilaisuus" in names


def test_two_commands_on_one_older_store_rebuild_it_once(current: Path, tmp_path: Path) -> None:
    old = written_before(current, tmp_path / "store")
    rebuild = ("import sys; from ld.fresh import upgrade_layout; "
               "print(upgrade_layout(sys.argv[1]))")
    commands = [subprocess.Popen([sys.executable, "-c", rebuild, str(old)], stdout=subprocess.PIPE, text=True)
                for _ in range(2)]
    answers = sorted(command.communicate(timeout=120)[0].strip() for command in commands)
    assert [command.returncode for command in commands] == [0, 0]
    assert answers == ["False", "True"]
    assert quads(old) == quads(current)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_an_older_store_open_elsewhere_is_not_rebuilt_under_it(current: Path, tmp_path: Path) -> None:
    old = written_before(current, tmp_path / "store")
    before = quads(old)
    holder = ox.Store(str(old))  # as a running server of the older code holds it
    with pytest.raises(LdError, match="another process has it open"):
        upgrade_layout(old)
    result = CliRunner().invoke(main, ["load", "--store", str(old), str(REAL / "event.json")])
    assert result.exit_code == 1 and "another process has it open" in result.output
    del holder
    assert quads(old) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_no_store_is_made_where_there_is_none(tmp_path: Path) -> None:
    assert upgrade_layout(tmp_path / "nothing") is False
    assert not (tmp_path / "nothing").exists()


@pytest.mark.server
def test_a_server_opens_an_older_store_as_a_current_one(current: Path, tmp_path: Path) -> None:
    old = written_before(current, tmp_path / "store")
    (old / "side-index.pickle").unlink()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "ld.cli", "serve", "--store", str(old), "--port", str(port),
                               "--base-url", BASE], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_until_responds(f"http://127.0.0.1:{port}/linkedevents/v1/")
        events = requests.get(f"http://127.0.0.1:{port}/linkedevents/v1/event/", timeout=30).json()
        assert events["meta"]["count"] > 0
    finally:
        stop(server)
    data = [{q for q in quads(path) if q.graph_name != META} for path in (old, current)]  # the server writes meta
    assert data[0] == data[1]
