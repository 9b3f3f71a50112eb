"""The ``ld`` command: load records into a store, serve it, or run one request in-process.

Failures print one line and exit non-zero; no tracebacks.
"""
from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path

import click

from ld import index
from ld.errors import LdError
from ld.vocab import LEI

DEFAULT_BASE = "http://127.0.0.1:8000"


def _open(store_path: str):
    from ld.fresh import upgrade_layout
    from ld.store import OxigraphStore

    upgrade_layout(store_path)
    return OxigraphStore(store_path)


def _base(store, base_url: str | None) -> str:
    """The store remembers the base its IRIs were minted from; a different one is an error."""
    recorded = store.meta(LEI.base)
    if base_url is None:
        return recorded or DEFAULT_BASE
    base_url = base_url.rstrip("/")
    if recorded and recorded != base_url:
        raise click.ClickException(
            f"this store's IRIs were minted under {recorded}; serve it with --base-url {recorded} "
            f"or load the data into a new store with --base-url {base_url}"
        )
    return base_url


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Linked Events as linked data: a REST API, dereferenceable URIs and SPARQL over one store."""


@main.command()
@click.option("--store", "store_path", required=True, type=click.Path(file_okay=False), help="Store directory (created if missing).")
@click.option("--base-url", help=f"Public URL of the server root; entity IRIs are minted under it. Default: the store's, else {DEFAULT_BASE}.")
@click.option("--no-validate", is_flag=True, help="Skip SHACL validation (faster; only for trusted data).")
@click.option("--quiet", "-q", is_flag=True, help="Print only problems and the summary.")
@click.option("--graph", help="Load plain RDF files as-is into this public named graph (replacing it) "
                              "instead of Linked Events records, e.g. a YSO vocabulary.")
@click.option("--format", "format_name", help="RDF format of --graph files when their extension does not tell "
                                               "(ttl, nt, nq, rdf, jsonld).")
@click.argument("inputs", nargs=-1, required=True)
def load(store_path: str, base_url: str | None, no_validate: bool, quiet: bool, graph: str | None,
         format_name: str | None, inputs: tuple[str, ...]) -> None:
    """Load Linked Events records: list pages, JSON arrays, single records, JSON Lines,
    directories or glob patterns of them. Records are validated with the SHACL shapes;
    invalid ones are reported and skipped. Exits 1 when anything was rejected.

    With --graph, load RDF files (Turtle, N-Triples, N-Quads, RDF/XML, JSON-LD) into a public
    named graph, readable over SPARQL with FROM, GRAPH or default-graph-uri."""
    from ld.fresh import store_for_loading
    from ld.inputs import expand_paths, read
    from ld.iris import Iris
    from ld.load import Loader, load_graph, public_graph_iri

    if graph is not None:
        try:
            public_graph_iri(graph)
            count = load_graph(_open(store_path), graph, [str(p) for p in _rdf_paths(inputs)], format_name=format_name)
        except LdError as exc:
            raise click.ClickException(exc.detail) from None
        click.echo(f"loaded {count} triples into <{graph}>")
        return
    started = time.perf_counter()
    try:
        paths = expand_paths(list(inputs))
        with store_for_loading(store_path) as store:
            base = _base(store, base_url)
            store.set_meta(LEI.base, base)
            index.upgrade(store)
            progress = _progress if sys.stderr.isatty() and not quiet else None
            # As many processes prepare batches as there are cores, though this one writes: its
            # bulk loads leave a core half idle (200,000 events on two cores: 120 s, and 131 s
            # with one preparing process).
            loader = Loader(store, Iris(base), validate=not no_validate, workers=os.cpu_count() or 1)
            report = loader.load((item for path in paths for item in read(path, parse=False)), progress=progress)
            store.flush()
            written = time.perf_counter()
        finished = time.perf_counter()  # a new store is compacted and moved into place on the way out
        _index_events(store_path)
        indexed = time.perf_counter()
    except LdError as exc:
        raise click.ClickException(exc.detail) from None
    except OSError as exc:  # a full disk, an unreadable file: a new store is then not published
        raise click.ClickException(f"loading stopped: {exc}") from None
    if progress:
        click.echo("", err=True)
    for problem in report.rejected:
        click.echo(f"rejected {problem.detail}", err=True)
    shown = report.warnings if not quiet else report.warnings[:0]
    for warning in shown[:50]:
        click.echo(f"warning {warning}", err=True)
    if len(shown) > 50:
        click.echo(f"... and {len(shown) - 50} more warnings", err=True)
    summary = ", ".join(f"{n} {name}" for name, n in sorted(report.loaded.items())) or "nothing"
    click.echo(f"loaded {summary}; {len(report.rejected)} rejected, {len(report.warnings)} warnings, "
               f"{report.skipped} skipped")
    click.echo(f"took {_seconds(indexed - started)}: {_seconds(written - started)} writing records, "
               f"{_seconds(finished - written)} finishing the store, {_seconds(indexed - finished)} building the side index")
    if report.rejected:
        sys.exit(1)


def _seconds(duration: float) -> str:
    return f"{duration:.1f} s" if duration < 10 else f"{duration:.0f} s"


def _index_events(store_path: str) -> None:
    """Build and save the side index of event lists now, so that a server starts with it ready."""
    from ld.filters.catalog import INDEX
    from ld.sideindex import SideIndex
    from ld.store import OxigraphStore

    # The load is done and its cores are free: the build reads the store from each of them, every
    # process through a read-only snapshot (a writable open would compact the files from under them).
    store = OxigraphStore(store_path, read_only=True)
    SideIndex.beside(store, INDEX, processes=os.cpu_count() or 1).warm()
    del store
    gc.collect()  # Oxigraph closes the store when its last reference goes


def _rdf_paths(inputs: tuple[str, ...]) -> list[Path]:
    paths = [Path(p) for p in inputs]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise click.ClickException(f"{missing[0]}: no such file")
    return paths


def _progress(done: int) -> None:
    click.echo(f"\r{done} records", err=True, nl=False)


@main.command()
@click.option("--store", "store_path", required=True, type=click.Path(file_okay=False), help="Store directory.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--base-url", help="Public URL of the server root (default: the store's).")
@click.option("--threads", default=8, show_default=True, type=int, help="Request threads of the server process.")
@click.option("--keys", "keys_path", type=click.Path(dir_okay=False, exists=True), help="JSON file of API keys and the identities they grant.")
@click.option("--sparql-timeout", default=30.0, show_default=True, type=float, help="Seconds a SPARQL query may run before it is stopped (503); 0: no limit.")
@click.option("--sparql-max-results", default=100_000, show_default=True, type=click.IntRange(min=1), help="Most solutions or triples a SPARQL query may return (400 beyond).")
@click.option("--cors-origins", default="*", show_default=True,
              help="Origins browsers may call the API and SPARQL from (comma-separated); empty: no CORS.")
@click.option("--access-log", metavar="PATH", help="Log every request to this file ('-': standard output). "
                                                    "Off by default: it cost a third to a half of the requests/s of cached answers.")
def serve(store_path: str, host: str, port: int, base_url: str | None, threads: int, keys_path: str | None,
          sparql_timeout: float, sparql_max_results: int, cors_origins: str, access_log: str | None) -> None:
    """Serve the REST API, entity URIs and SPARQL from a store."""
    from endpoint.server import run
    from ld.identity import Keys
    from ld.sparql_runner import Limits

    if not Path(store_path).exists():
        raise click.ClickException(f"no store at {store_path}: create one with `ld load --store {store_path} FILES`")
    try:
        settings = {
            "keys": Keys.read(keys_path) if keys_path else Keys(),
            "sparql_limits": Limits(timeout=sparql_timeout, max_results=sparql_max_results, prestart=True),
            "cors_origins": tuple(o.strip() for o in cors_origins.split(",") if o.strip()),
        }
        run(store_path, host=host, port=port, base_url=base_url, threads=threads, base_of=_base, settings=settings,
            access_log=access_log)
    except LdError as exc:
        raise click.ClickException(exc.detail) from None


@main.command()
@click.option("--store", "store_path", required=True, type=click.Path(file_okay=False, exists=True), help="Store directory.")
@click.option("--base-url", help="Public URL of the server root (default: the store's).")
@click.option("--accept", default="application/json", show_default=True, help="Accept header to send.")
@click.argument("path")
def get(store_path: str, base_url: str | None, accept: str, path: str) -> None:
    """Answer one GET request in-process and print the body (exit 1 unless 2xx/3xx)."""
    import falcon.testing

    from endpoint.app import Settings, create_app

    store = _open_or_fail(store_path)
    try:
        client = falcon.testing.TestClient(create_app(store, Settings(base_url=_base(store, base_url))))
        path, _, query = path.partition("?")
        result = client.simulate_get(path, query_string=query or None, headers={"Accept": accept})
    finally:
        # The app holds the store in reference cycles; collect them so that the store's lock is
        # released when this returns (callers may open the same store next, in this process).
        del store
        client = None
        gc.collect()
    click.echo(result.text)
    if result.status_code >= 400:
        sys.exit(1)


def _open_or_fail(store_path: str):
    try:
        return _open(store_path)
    except LdError as exc:
        raise click.ClickException(exc.detail) from None


if __name__ == "__main__":
    main()
