"""The floor under `ld load`: Oxigraph alone bulk-loading the quads of a store `ld load` built.

No Python work per record (no normalizing, expanding, SHACL, side index): the store's own quads,
dumped once to N-Quads, are bulk-loaded into a new store in one call, which uses every core, and
the store is then compacted as `ld load` compacts it. Whatever `ld load` does besides runs on the
same cores, so events/s here is more than `ld load` can reach with this data model.

    .venv/bin/python benchmarks/bulk_floor.py --events 200000

The dump (`benchmarks/quads-N.nq`, reused when present) and the new store are deleted at the end
unless ``--keep``.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from pathlib import Path

import pyoxigraph as ox

HERE = Path(__file__).resolve().parent


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def dump(store: Path, out: Path) -> None:
    """The store's quads as N-Quads."""
    partial = out.with_name(out.name + ".partial")
    ox.Store.read_only(str(store)).dump(str(partial), format=ox.RdfFormat.N_QUADS)
    partial.replace(out)


def measure(quads: Path, target: Path) -> dict[str, float]:
    shutil.rmtree(target, ignore_errors=True)
    store = ox.Store(str(target))
    started, cpu = time.perf_counter(), cpu_seconds()
    store.bulk_load(path=str(quads), format=ox.RdfFormat.N_QUADS, lenient=True)
    loaded, loaded_cpu = time.perf_counter(), cpu_seconds()
    store.optimize()
    done, done_cpu = time.perf_counter(), cpu_seconds()
    del store
    return {"bulk_s": loaded - started, "bulk_cpu_s": loaded_cpu - cpu,
            "compact_s": done - loaded, "compact_cpu_s": done_cpu - loaded_cpu}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=20000, help="the size of benchmarks/store-N (default 20000)")
    ap.add_argument("--keep", action="store_true", help="keep the dump and the new store")
    args = ap.parse_args()
    store = HERE / f"store-{args.events}"
    if not (store / "CURRENT").exists():
        print(f"no store at {store}: run benchmarks/run.py --events {args.events} first", file=sys.stderr)
        return 2
    quads = HERE / f"quads-{args.events}.nq"
    target = HERE / f"store-{args.events}-floor"
    if not quads.exists():
        dump(store, quads)
    size = quads.stat().st_size
    try:
        f = measure(quads, target)
    finally:
        if not args.keep:
            shutil.rmtree(target, ignore_errors=True)
            quads.unlink(missing_ok=True)
    n = args.events
    total = f["bulk_s"] + f["compact_s"]
    print(f"{n} events, {size >> 20} MB of N-Quads")
    print(f"bulk load: {f['bulk_s']:.1f} s ({f['bulk_cpu_s']:.1f} s of CPU), {n / f['bulk_s']:.0f} events/s")
    print(f"compaction: {f['compact_s']:.1f} s ({f['compact_cpu_s']:.1f} s of CPU)")
    print(f"both: {total:.1f} s, {n / total:.0f} events/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
