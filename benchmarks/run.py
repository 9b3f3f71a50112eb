#!/usr/bin/env python3
"""One-command benchmark of `ld load` + `ld serve` (Linked Events REST API).

    .venv/bin/python benchmarks/run.py --events 200000

Steps (see benchmarks/README.md):
  1. generate data with ../shared/bench/gen_events.py into benchmarks/data-N (skipped if present)
  2. load it into a fresh store benchmarks/store-N with `ld load --quiet` (wall time, records/s,
     peak RSS of the loader via os.wait4 rusage)
  3. start `ld serve` on a free 127.0.0.1 port, wait for /linkedevents/v1/
  4. latency over the fixed query mix: COLD (first request of each query after start) and WARM
     (p50/p95 over --reps repetitions), over http.client keep-alive connections
  5. throughput: --clients processes (benchmarks/loadgen.py) with their own keep-alive connection
     cycling over the mix for --duration seconds, once warm (same server, after step 4 and a
     warm-up pass that refreshes every cached answer) and once cold-ish (fresh restart)
  6. SPARQL overhead (benchmarks/sparql_overhead.py): a few queries in-process vs over /sparql
  7. print everything, write benchmarks/results-N.json and update the N section of
     benchmarks/RESULTS.md (only when no phase was skipped)

Only 127.0.0.1 traffic; every loop is count- or time-bounded; servers are killed in `finally`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import loadgen
import sparql_overhead

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
# The shared fixtures sit beside the checkout (../shared), as in CI; LD_SHARED points elsewhere.
SHARED = Path(os.environ.get("LD_SHARED", Path(__file__).resolve().parents[2] / "shared"))
GEN = SHARED / "bench" / "gen_events.py"
MIX = SHARED / "bench" / "querymix.txt"
PREFIX = "/linkedevents"
BASE_URL = "http://127.0.0.1:8000"

# Targets from the issue.
T_LIST_200K_MS = 50.0
T_LIST_1M_MS = 150.0
T_DETAIL_MS = 3.0
T_INCLUDE100_MS = 80.0
T_RPS_COLD = 150.0
T_RPS_WARM = 1000.0
T_LOAD_EPS = 3000.0
T_RSS_1M_BYTES = 2 * 1024 ** 3
T_SPARQL = "endpoint - pyoxigraph <= 10 % of pyoxigraph + 1 ms"

PHASES = ("latency", "warm", "cold", "sparql")  # what --skip can leave out


# --------------------------------------------------------------------------- helpers

def log(*a):
    print(*a, flush=True)


def rel(p: Path) -> str:
    try:
        return str(Path(p).resolve().relative_to(REPO))
    except ValueError:
        return str(p)


def _rel_noresolve(p: str) -> str:
    try:
        return str(Path(os.path.abspath(p)).relative_to(REPO))
    except ValueError:
        return p


def ld_exe() -> str:
    cand = Path(sys.executable).parent / "ld"
    if cand.exists():
        return str(cand)
    found = shutil.which("ld")
    if not found:
        sys.exit("cannot find the `ld` command (activate the venv)")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_mix(path: Path) -> list[tuple[str, str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        label, url = line.split(None, 1)
        out.append((label, PREFIX + url.strip()))
    return out


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def proc_status(pid: int) -> dict:
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    k, v = line.split(":", 1)
                    out[k] = int(v.split()[0]) * 1024
    except OSError:
        pass
    return out


def proc_tree(root: int) -> list[int]:
    """root and all its descendants (scan of /proc/*/stat, bounded by the process count)."""
    parents: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
            ppid = int(st[st.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo and len(out) < 10000:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out


def server_memory(pid: int) -> dict:
    procs = []
    for p in proc_tree(pid):
        st = proc_status(p)
        if st:
            procs.append({"pid": p, "rss": st.get("VmRSS", 0), "hwm": st.get("VmHWM", 0)})
    return {
        "processes": procs,
        "rss_total": sum(p["rss"] for p in procs),
        "hwm_total": sum(p["hwm"] for p in procs),
        "rss_max_process": max((p["rss"] for p in procs), default=0),
        "hwm_max_process": max((p["hwm"] for p in procs), default=0),
    }


def mb(b) -> str:
    return "-" if b is None else f"{b / 1024 ** 2:.0f} MB"


def fms(x) -> str:
    return "-" if x is None else (f"{x:.1f}" if x < 100 else f"{x:.0f}")


def du(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for fn in files:
            try:
                total += os.path.getsize(os.path.join(root, fn))
            except OSError:
                pass
    return total


# --------------------------------------------------------------------------- server

class Server:
    env: dict | None = None  # environment of the server process (code snapshot, private control socket)

    def __init__(self, ld: str, store: Path, log_path: Path, threads: int | None):
        self.port = free_port()
        self.cmd = [ld, "serve", "--store", str(store), "--port", str(self.port),
                    "--base-url", BASE_URL]
        if threads:
            self.cmd += ["--threads", str(threads)]
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.startup_s = None
        self.restarts = 0

    def start(self, timeout: float = 300.0) -> None:
        self.port = free_port()
        self.cmd[self.cmd.index("--port") + 1] = str(self.port)
        self._logf = open(self.log_path, "ab")
        t0 = time.perf_counter()
        # own session: the whole server process group is killed in stop()
        self.proc = subprocess.Popen(self.cmd, stdout=self._logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, env=Server.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", PREFIX + "/v1/")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    self.startup_s = time.perf_counter() - t0
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not answer within {timeout}s; see {self.log_path}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def memory(self) -> dict:
        return server_memory(self.proc.pid) if self.proc and self.proc.poll() is None else {}

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=15)
        self._logf.close()


# --------------------------------------------------------------------------- client

class Client:
    """One keep-alive connection; reconnects after a failure."""

    def __init__(self, port: int, timeout: float):
        self.port, self.timeout = port, timeout
        self.conn = None

    def get(self, url: str, headers: dict | None = None) -> tuple[int, bytes, float]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        t0 = time.perf_counter()
        try:
            self.conn.request("GET", url, headers={"Accept": "application/json", **(headers or {})})
            r = self.conn.getresponse()
            body = r.read()
        except Exception:
            self.close()
            raise
        dt_ms = (time.perf_counter() - t0) * 1000.0
        if r.will_close:
            self.close()
        return r.status, body, dt_ms

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def meta_count(body: bytes):
    try:
        doc = json.loads(body)
    except ValueError:
        return None, False
    if isinstance(doc, dict) and isinstance(doc.get("meta"), dict):
        return doc["meta"].get("count"), True
    return None, False


def kind_of(label: str, url: str, is_list: bool) -> str:
    if "include=location,keywords" in url and "page_size=100" in url:
        return "include100"
    if not is_list and re.search(r"/v1/[a-z_]+/[^/?]+/", url):
        return "detail"
    return "list"


def target_for(kind: str, events: int) -> tuple[float, str]:
    if kind == "detail":
        return T_DETAIL_MS, "detail <= 3 ms"
    if kind == "include100":
        return T_INCLUDE100_MS, "include 100 <= 80 ms"
    if events > 200000:
        return T_LIST_1M_MS, "list <= 150 ms (1M)"
    return T_LIST_200K_MS, "list <= 50 ms (200k)"


def latency_phase(srv: "Server", mix, reps: int, budget_s: float, timeout: float, events: int,
                  nocache_reps: int = 5) -> list[dict]:
    """COLD pass over the mix, then WARM reps. A client timeout restarts the server (the abandoned
    request would otherwise keep a server thread busy and distort what follows); the query is then
    marked as timed out and gets no warm repetitions."""
    c = Client(srv.port, timeout)
    rows = []

    def restart():
        nonlocal c
        c.close()
        srv.restarts += 1
        log(f"  (timeout: restarting the server, restart #{srv.restarts})")
        srv.stop()
        srv.start()
        c = Client(srv.port, timeout)

    try:
        for label, url in mix:
            row = {"label": label, "url": url}
            try:
                status, body, ms = c.get(url)
                cnt, is_list = meta_count(body)
                row.update(cold_ms=ms, status=status, bytes=len(body), count=cnt, is_list=is_list)
            except Exception as e:  # noqa: BLE001
                timed_out = isinstance(e, (TimeoutError, socket.timeout))
                row.update(cold_ms=None, status="TIMEOUT" if timed_out else f"ERR {type(e).__name__}",
                           bytes=0, count=None, is_list=not re.search(r"/v1/[a-z_]+/[^/?]+/", url),
                           error=f"{type(e).__name__}: {e}", timed_out=timed_out)
                if timed_out:
                    restart()
            rows.append(row)
            log(f"  cold {label:28s} {fms(row['cold_ms']):>8s} ms  status {row['status']}  count {row['count']}")
        for row in rows:
            times, errors, statuses = [], 0, set()
            t_end = time.monotonic() + budget_s
            for _ in range(reps if not row.get("timed_out") else 0):
                try:
                    status, _body, ms = c.get(row["url"])
                    statuses.add(status)
                    if status != row["status"] or status >= 500:
                        errors += 1
                    times.append(ms)
                except Exception as e:  # noqa: BLE001
                    errors += 1
                    statuses.add(type(e).__name__)
                    if isinstance(e, (TimeoutError, socket.timeout)):
                        restart()
                        break
                if time.monotonic() > t_end:
                    break
            # WARM, no response cache: the same query with a unique, ignored parameter, so any
            # server-side cache keyed on the URL misses; measures the query on a warm store.
            nc_times, nc_err = [], 0
            t_end = time.monotonic() + budget_s
            for k in range(nocache_reps if not row.get("timed_out") else 0):
                sep = "&" if "?" in row["url"] else "?"
                try:
                    status, _body, ms = c.get(f"{row['url']}{sep}_bench_nocache={os.getpid()}x{k}")
                    if status != row["status"] or status >= 500:
                        nc_err += 1
                    nc_times.append(ms)
                except Exception as e:  # noqa: BLE001
                    nc_err += 1
                    if isinstance(e, (TimeoutError, socket.timeout)):
                        restart()
                        break
                if time.monotonic() > t_end:
                    break
            row.update(nocache_n=len(nc_times), nocache_p50_ms=pct(nc_times, 50),
                       nocache_p95_ms=pct(nc_times, 95), nocache_errors=nc_err)
            kind = kind_of(row["label"], row["url"], row["is_list"])
            tgt, tdesc = target_for(kind, events)
            p50 = pct(times, 50)
            row.update(warm_n=len(times), warm_p50_ms=p50, warm_p95_ms=pct(times, 95),
                       warm_min_ms=min(times) if times else None,
                       warm_mean_ms=statistics.fmean(times) if times else None,
                       warm_errors=errors, warm_statuses=sorted(map(str, statuses)), kind=kind,
                       target_ms=tgt, target=tdesc,
                       meets_target=(p50 is not None and p50 <= tgt and errors == 0
                                     and row["status"] == 200))
            log(f"  warm {row['label']:28s} p50 {fms(p50):>8s} ms  p95 {fms(row['warm_p95_ms']):>8s} ms  n={len(times)}"
                f"   no-cache p50 {fms(row['nocache_p50_ms']):>8s} ms  n={len(nc_times)}")
    finally:
        c.close()
    return rows


def logged_throughput(label: str, port: int, mix, args) -> dict:
    log(f"== throughput {label}: {args.clients} client processes x {args.duration:.0f} s")
    t = loadgen.throughput(port, [u for _l, u in mix], args.clients, args.duration, args.timeout)
    log(f"   {t['ok_rps']:.0f} ok req/s, {t['errors']} errors, {t['requests']} requests, "
        f"client CPU {t['client_cpu_s']:.1f} s")
    return t


def refresh_pass(port: int, mix, timeout: float, budget_s: float) -> float:
    """One pass over the mix with ``Cache-Control: no-cache``: every cached answer is computed
    again and stored, so none of them expires (60 s TTL) during a warm run that follows at once."""
    c = Client(port, timeout)
    t0 = time.perf_counter()
    try:
        for _label, url in mix:
            try:
                c.get(url, headers={"Cache-Control": "no-cache"})
            except Exception:  # noqa: BLE001
                pass
            if time.perf_counter() - t0 > budget_s:
                break
    finally:
        c.close()
    return time.perf_counter() - t0


def logged_sparql_overhead(store: Path, port: int, reps: int) -> list[dict]:
    log(f"== SPARQL overhead: {reps} runs per query and side in 3 alternating blocks, in-process pyoxigraph vs GET /sparql")
    rows = sparql_overhead.measure(str(store), port, reps)
    for r in rows:
        log(f"   {r['label']:36s} pyoxigraph {fms(r['pyoxigraph_p50_ms']):>6s} ms  endpoint "
            f"{fms(r['endpoint_p50_ms']):>6s} ms  +{r['overhead_ms']:.2f} ms (budget {r['budget_ms']:.2f}) "
            f"{'ok' if r['met'] else 'MISS'}; min {fms(r['pyoxigraph_min_ms'])} vs {fms(r['endpoint_min_ms'])} ms "
            f"+{r['min_overhead_ms']:.2f} ms {'ok' if r['min_met'] else 'MISS'}")
    return rows


# --------------------------------------------------------------------------- load

def run_loader(cmd: list[str], log_path: Path, timeout: float, env: dict | None = None) -> dict:
    with open(log_path, "wb") as lf:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=lf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True, env=env)
        timer = threading.Timer(timeout, lambda: os.killpg(p.pid, signal.SIGKILL))
        timer.start()
        try:
            _pid, status, ru = os.wait4(p.pid, 0)
        except BaseException:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": wall, "exit_code": p.returncode, "peak_rss": ru.ru_maxrss * 1024,
            "user_s": ru.ru_utime, "sys_s": ru.ru_stime,
            "output_tail": log_path.read_text(errors="replace").strip().splitlines()[-5:]}


# --------------------------------------------------------------------------- machine

def code_fingerprint(root: Path) -> tuple[str, str]:
    import hashlib
    h = hashlib.sha256()
    newest = 0.0
    for sub in ("ld", "endpoint", "shapes", "context"):
        for f in sorted(p for p in (root / sub).rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
            newest = max(newest, f.stat().st_mtime)
    return h.hexdigest()[:16], dt.datetime.fromtimestamp(newest, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


SNAPSHOT_PARTS = ("ld", "endpoint", "shapes", "context", "README.md", "pyproject.toml")


def snapshot_code(dest: Path) -> None:
    """Copy the sources, so that loader and servers of one run use the same code even while the
    working tree is being edited (PYTHONPATH puts the copy before the editable install)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for part in SNAPSHOT_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, dest / part)


def machine_info() -> dict:
    info = {"nproc": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform()}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    info["ram_bytes"] = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        info["nproc_available"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    try:
        info["loadavg_at_start"] = os.getloadavg()
    except OSError:
        pass
    info["code_sha256"], info["code_newest_mtime"] = code_fingerprint(REPO)
    from importlib import metadata
    for pkg in ("pyoxigraph", "gunicorn", "falcon", "linkedevents-ld"):
        try:
            info[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return info


# --------------------------------------------------------------------------- report

def ok(flag) -> str:
    return "yes" if flag else "**NO**"


def print_table(rows):
    hdr = (f"{'label':28s} {'cold ms':>9s} {'p50 ms':>8s} {'p95 ms':>8s} {'n':>3s} {'nocache':>8s} "
           f"{'status':>6s} {'count':>8s}  target (warm p50)")
    log(hdr)
    log("-" * len(hdr))
    for r in rows:
        log(f"{r['label']:28s} {fms(r['cold_ms']):>9s} {fms(r.get('warm_p50_ms')):>8s} "
            f"{fms(r.get('warm_p95_ms')):>8s} {r.get('warm_n', 0):>3d} {fms(r.get('nocache_p50_ms')):>8s} {str(r['status']):>6s} "
            f"{'' if r['count'] is None else r['count']:>8}  {r.get('target', '')} "
            f"{'ok' if r.get('meets_target') else 'MISS'}")


def markdown_section(res: dict) -> str:
    n = res["events"]
    m = res["machine"]
    L = res["load"]
    out = [f"<!-- bench:begin events={n} -->",
           f"## {n:,} events".replace(",", " "), "",
           f"Started {res['date']}, finished {res.get('finished', '?')}: `{res['command']}`", "",
           f"Machine: {m.get('nproc')} CPUs ({m.get('cpu_model', '?')}), "
           f"RAM {m.get('ram_bytes', 0) / 1024 ** 3:.1f} GiB, Python {m.get('python')}, "
           f"pyoxigraph {m.get('pyoxigraph')}, gunicorn {m.get('gunicorn')}, "
           f"load average at start {', '.join(f'{x:.2f}' for x in m.get('loadavg_at_start', ()))}. "
           f"Code: sha256 of ld/ + endpoint/ sources {m.get('code_sha256')} (newest file {m.get('code_newest_mtime')}); "
           + ("loader and servers ran from a copy of the sources made at start (" + res["code_snapshot"] + ")."
            if res.get("code_snapshot") else "loader and servers ran from the working tree (--no-snapshot)."), "",
           ] + ([f"**Warnings:** {'; '.join(res['warnings'])}", ""] if res.get("warnings") else []) + [
           "Commands:", "", "```"]
    out += [res["commands"]["generate"], res["commands"]["load"], res["commands"]["serve"]]
    out += ["```", "", "### Load", "",
            "| figure | value | target |", "|---|---|---|"]
    if L.get("skipped"):
        out.append("| load | skipped (--reuse-store) | |")
    else:
        out += [f"| wall time | {L['wall_s']:.1f} s | |",
                f"| events/s | {L['events_per_s']:.0f} | >= {T_LOAD_EPS:.0f} ({ok(L['events_per_s'] >= T_LOAD_EPS)}) |",
                f"| records/s (all {L['records']:,} input records) | {L['records_per_s']:.0f} | |",
                f"| loader peak RSS | {mb(L['peak_rss'])} | |",
                f"| loader CPU user+sys | {L['user_s'] + L['sys_s']:.1f} s | |",
                f"| exit code | {L['exit_code']} | 0 |",
                f"| store size on disk | {mb(L.get('store_bytes'))} | |"]
    summary = [line for line in L.get("output_tail", []) if line.startswith(("loaded ", "took "))]
    out += ["", "Loader summary: " + ", ".join(f"`{line}`" for line in summary), "",
            "### Latency (ms, one keep-alive connection)", "",
            f"Cold = first request of each query right after server start (mix order); warm = "
            f"p50/p95 over {res['options']['reps']} repetitions (may be answered from a response cache); "
            f"warm no-cache = p50 over {res['options'].get('nocache_reps')} repetitions with a unique ignored "
            f"parameter `_bench_nocache=...` (the query itself on a warm store). Server start-up "
            f"{res['server1']['startup_s']:.1f} s.", "",
            "| query | cold | warm p50 | warm p95 | warm no-cache p50 | status | meta.count | target (warm p50) | met | no-cache met |",
            "|---|---:|---:|---:|---:|---:|---:|---|---|---|"]
    for r in res["latency"]:
        out.append(f"| {r['label']} | {fms(r['cold_ms'])} | {fms(r.get('warm_p50_ms'))} | "
                   f"{fms(r.get('warm_p95_ms'))} | {fms(r.get('nocache_p50_ms'))} | {r['status']} | "
                   f"{'' if r['count'] is None else r['count']} | {r.get('target', '')} | "
                   f"{ok(r.get('meets_target'))} | "
                   f"{ok(r.get('nocache_p50_ms') is not None and r['nocache_p50_ms'] <= r.get('target_ms', 0))} |")
    s = res["summary"]
    out += ["", f"Queries meeting their p50 target: {s['met']}/{s['total']}. "
            "Slowest warm p50: " + ", ".join(f"{l} {fms(v)} ms" for l, v in s["slowest_warm"]) + ". "
            f"Slowest warm no-cache p50: " + ", ".join(f"{l} {fms(v)} ms" for l, v in s["slowest_nocache"])
            + f" (no-cache within target: {s['nocache_met']}/{s['total']}). "
            f"Slowest cold: " + ", ".join(f"{l} {fms(v)} ms" for l, v in s["slowest_cold"]) + ".", "",
            f"### Throughput ({res['options']['clients']} client processes, one keep-alive connection each "
            f"(benchmarks/loadgen.py), {res['options']['duration']:.0f} s each, cycling over the mix)", "",
            "| run | ok req/s | errors | requests | latency p50 / p95 / max ms | target |",
            "|---|---:|---:|---:|---|---|"]
    for name, key, tgt in (("warm (same server, right after a"
                             + (f" {res['warmup_before_throughput_s']:.0f} s" if res.get("warmup_before_throughput_s") else "")
                             + " pass over the mix with `Cache-Control: no-cache`)",
                             "throughput_warm", T_RPS_WARM),
                           ("cold-ish (fresh restart)", "throughput_cold", T_RPS_COLD)):
        t = res.get(key)
        if not t:
            continue
        out.append(f"| {name} | {t['ok_rps']:.0f} | {t['errors']} | {t['requests']} | "
                   f"{fms(t['lat_p50_ms'])} / {fms(t['lat_p95_ms'])} / {fms(t['lat_max_ms'])} | "
                   f">= {tgt:.0f} ({ok(t['ok_rps'] >= tgt and t['errors'] == 0)}) |")
    warm = res.get("throughput_warm")
    if warm:
        out += ["", f"Client CPU time during the warm run: {warm['client_cpu_s']:.1f} s over "
                f"{warm['duration_s']:.0f} s (the clients share the machine's CPUs with the server)."]
    if res.get("sparql_overhead"):
        out += ["", "### SPARQL endpoint overhead (ms)", "",
                f"The same query in-process on a read-only snapshot of the store (pyoxigraph: evaluate and "
                f"serialize) and over `GET /sparql` (one keep-alive connection, `Cache-Control: no-cache`), "
                f"{res['options'].get('sparql_reps')} runs each, in 3 blocks per side taking turns (benchmarks/sparql_overhead.py). "
                f"Target: {T_SPARQL}.", "",
                "| query | pyoxigraph p50 | endpoint p50 | overhead (p50) | budget | met | pyoxigraph min | "
                "endpoint min | overhead (min) | met (min) |", "|---|---:|---:|---:|---:|---|---:|---:|---:|---|"]
        for r in res["sparql_overhead"]:
            out.append(f"| {r['label']} | {r['pyoxigraph_p50_ms']:.2f} | {r['endpoint_p50_ms']:.2f} | "
                       f"{r['overhead_ms']:+.2f} | {r['budget_ms']:.2f} | {ok(r['met'])} | {r['pyoxigraph_min_ms']:.2f} | "
                       f"{r['endpoint_min_ms']:.2f} | {r['min_overhead_ms']:+.2f} | {ok(r['min_met'])} |")
    out += ["", "### Server memory", "",
            "| when | RSS (all processes) | peak (sum of VmHWM) | largest process RSS | target |",
            "|---|---:|---:|---:|---|"]
    for name, key in (("after latency + warm throughput", "server1_memory"),
                      ("after cold-ish throughput (restart)", "server2_memory")):
        mm = res.get(key)
        if not mm:
            continue
        out.append(f"| {name} | {mb(mm['rss_total'])} | {mb(mm['hwm_total'])} | "
                   f"{mb(mm['rss_max_process'])} | < 2 GB at 1M ({ok(mm['hwm_total'] < T_RSS_1M_BYTES)}) |")
    out += ["", f"<!-- bench:end events={n} -->", ""]
    return "\n".join(out)


def update_results_md(path: Path, section: str, n: int) -> None:
    head = ("# Benchmark results\n\nProduced by `benchmarks/run.py` (see README.md). One section per "
            "data-set size; re-running a size replaces its section.\n\n")
    text = path.read_text(encoding="utf-8") if path.exists() else head
    pat = re.compile(rf"<!-- bench:begin events={n} -->.*?<!-- bench:end events={n} -->\n?", re.S)
    if pat.search(text):
        text = pat.sub(lambda _m: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- main

class Terminated(BaseException):
    pass


def _on_signal(signum, _frame):
    raise Terminated(f"signal {signum}")


def main() -> int:
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=20000, help="number of events (default 20000)")
    ap.add_argument("--reps", type=int, default=20, help="warm repetitions per query (default 20)")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds per throughput run (default 20)")
    ap.add_argument("--nocache-reps", type=int, default=5,
                    help="warm repetitions with a unique ignored parameter (defeats a URL-keyed response cache; default 5)")
    ap.add_argument("--clients", type=int, default=8, help="throughput client processes (default 8)")
    ap.add_argument("--query-budget", type=float, default=30.0,
                    help="max seconds of warm repetitions per query (default 30)")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="per-request timeout, s (default 60); a timeout in the latency run restarts the server")
    ap.add_argument("--load-timeout", type=float, default=6 * 3600.0, help="loader time limit, s")
    ap.add_argument("--threads", type=int, default=None, help="pass --threads to ld serve")
    ap.add_argument("--reuse-store", action="store_true",
                    help="skip loading when benchmarks/store-N exists (no load figures)")
    ap.add_argument("--no-snapshot", action="store_true",
                    help="run loader and server from the working tree instead of a copy made at start")
    ap.add_argument("--no-throughput", action="store_true", help="skip the throughput runs (same as --skip warm,cold)")
    ap.add_argument("--skip", default="", type=lambda v: {p for p in v.split(",") if p},
                    help=f"comma-separated phases to skip: {', '.join(PHASES)}; RESULTS.md is then not updated "
                         "and the JSON goes to results-N-partial.json")
    ap.add_argument("--sparql-reps", type=int, default=30, help="timed runs per SPARQL overhead query (default 30)")
    ap.add_argument("--mix", type=Path, default=MIX)
    args = ap.parse_args()
    if args.no_throughput:
        args.skip |= {"warm", "cold"}
    if args.skip - set(PHASES):
        ap.error(f"--skip: unknown phase(s) {', '.join(sorted(args.skip - set(PHASES)))}; phases: {', '.join(PHASES)}")

    n = args.events
    data = BENCH_DIR / f"data-{n}"
    store = BENCH_DIR / f"store-{n}"
    ld = ld_exe()
    started = dt.datetime.now(dt.timezone.utc)
    res: dict = {"events": n, "date": started.strftime("%Y-%m-%d %H:%M UTC"),
                 "command": " ".join(shlex.quote(a) for a in [_rel_noresolve(sys.executable),
                                                             rel(Path(__file__))] + sys.argv[1:]),
                 "options": {k: (str(v) if isinstance(v, Path) else sorted(v) if isinstance(v, set) else v)
                             for k, v in vars(args).items()},
                 "machine": machine_info()}
    env = dict(os.environ)
    rundir = BENCH_DIR / f".run-{n}"
    rundir.mkdir(mode=0o700, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = str(rundir)  # private gunicorn control socket (the default one is shared)
    if not args.no_snapshot:
        snap = BENCH_DIR / f".code-{n}"
        snapshot_code(snap)
        env["PYTHONPATH"] = str(snap) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        sha, newest = code_fingerprint(snap)
        res["machine"]["code_sha256"], res["machine"]["code_newest_mtime"] = sha, newest
        res["code_snapshot"] = rel(snap)
        chk = subprocess.run([sys.executable, "-c", "import ld, endpoint; print(ld.__file__, endpoint.__file__)"],
                             env=env, capture_output=True, text=True, timeout=60, cwd=rundir)
        if str(snap) not in chk.stdout:
            sys.exit(f"code snapshot not picked up: {chk.stdout} {chk.stderr}")
        log(f"== code snapshot {rel(snap)} (sha256 {sha}, newest file {newest})")
    Server.env = env
    res["warnings"] = []
    gen_cmd = [sys.executable, str(GEN), "--events", str(n), "--out", str(data)]
    load_cmd = [ld, "load", "--store", str(store), str(data), "--quiet"]
    envp = (f"XDG_RUNTIME_DIR={rel(rundir)} "
            + ("" if args.no_snapshot else f"PYTHONPATH={rel(BENCH_DIR / f'.code-{n}')} "))
    res["commands"] = {
        "generate": f"python {GEN} --events {n} --out {rel(data)}",
        "load": f"{envp}ld load --store {rel(store)} {rel(data)} --quiet",
        "serve": f"{envp}ld serve --store {rel(store)} --port <free port> --base-url {BASE_URL}"
                 + (f" --threads {args.threads}" if args.threads else ""),
    }
    m = res["machine"]
    log(f"== machine: {m.get('nproc')} CPUs {m.get('cpu_model')}, RAM {m.get('ram_bytes', 0) / 1024 ** 3:.1f} GiB, "
        f"python {m['python']}, pyoxigraph {m.get('pyoxigraph')}, loadavg {m.get('loadavg_at_start')}")

    # 1. generate
    if (data / "manifest.json").exists():
        log(f"== data {rel(data)} present, not regenerated")
        res["generate"] = {"skipped": True}
    else:
        log(f"== generating: {res['commands']['generate']}")
        t0 = time.perf_counter()
        subprocess.run(gen_cmd, check=True, timeout=6 * 3600)
        res["generate"] = {"skipped": False, "wall_s": time.perf_counter() - t0}
    manifest = json.loads((data / "manifest.json").read_text())
    counts = {k: v["records"] for k, v in manifest["files"].items()}
    res["data"] = {"files": counts, "manifest_args": manifest.get("args")}
    n_events = counts.get("event.jsonl", n)
    n_records = sum(counts.values())

    # 2. load
    if args.reuse_store and store.exists():
        prev = BENCH_DIR / f"results-{n}.json"
        prev_load = None
        if prev.exists():
            try:
                p = json.loads(prev.read_text())
                if not p.get("load", {}).get("skipped"):
                    prev_load = dict(p["load"], from_previous_run=p.get("date"))
            except (ValueError, KeyError):
                pass
        log(f"== store {rel(store)} reused (--reuse-store)"
            + (f"; load figures from the run of {prev_load['from_previous_run']}" if prev_load else ": no load figures"))
        res["load"] = prev_load or {"skipped": True}
    else:
        if store.exists():
            shutil.rmtree(store)
        log(f"== loading: {res['commands']['load']}")
        L = run_loader(load_cmd, BENCH_DIR / f"load-{n}.log", args.load_timeout, env)
        L.update(events=n_events, records=n_records, events_per_s=n_events / L["wall_s"],
                 records_per_s=n_records / L["wall_s"], store_bytes=du(store), skipped=False)
        res["load"] = L
        log(f"   wall {L['wall_s']:.1f} s, {L['events_per_s']:.0f} events/s (target >= {T_LOAD_EPS:.0f}), "
            f"{L['records_per_s']:.0f} records/s ({n_records} input records), loader peak RSS {mb(L['peak_rss'])}, "
            f"exit {L['exit_code']}, store {mb(L['store_bytes'])}")
        for line in L["output_tail"]:
            log(f"   | {line}")
        if L["exit_code"] not in (0, 1):
            log("loader failed; see " + rel(BENCH_DIR / f"load-{n}.log"))
            return 2

    mix = read_mix(args.mix)
    srv_log = BENCH_DIR / f"server-{n}.log"
    if srv_log.exists():
        srv_log.unlink()

    # 3.-5. serve, latency, warm throughput
    srv = Server(ld, store, srv_log, args.threads)
    try:
        srv.start()
        log("== started server: " + " ".join(srv.cmd))
        res["server1"] = {"startup_s": srv.startup_s, "port": srv.port}
        res["server1_memory_after_start"] = srv.memory()
        log(f"   up in {srv.startup_s:.1f} s, RSS {mb(res['server1_memory_after_start'].get('rss_total'))}")
        res["latency"] = []
        if "latency" not in args.skip:
            log(f"== latency: {len(mix)} queries, cold + {args.reps} warm reps")
            res["latency"] = latency_phase(srv, mix, args.reps, args.query_budget, args.timeout, n,
                                           args.nocache_reps)
        first = res["latency"][0] if res["latency"] else {}
        if "/v1/event/" in first.get("url", "") and not first.get("count"):
            w = (f"{first.get('label')} answered meta.count={first.get('count')} (status {first.get('status')}): "
                 f"the server sees no events; the figures below do not measure real queries")
            res["warnings"].append(w)
            log("!! WARNING: " + w)
        if not srv.alive():
            res["warnings"].append("server 1 died during the latency run")
            log("!! WARNING: server died during the latency run; see " + rel(srv_log))
        if "warm" not in args.skip and srv.alive():
            res["warmup_before_throughput_s"] = refresh_pass(srv.port, mix, args.timeout, args.query_budget * 4)
            log(f"== warm-up pass over the mix (Cache-Control: no-cache): {res['warmup_before_throughput_s']:.1f} s")
            res["throughput_warm"] = logged_throughput("warm", srv.port, mix, args)
        if not srv.alive():
            res["warnings"].append("server 1 was not running after the warm throughput run")
            log("!! WARNING: server 1 was not running after the warm throughput run; see " + rel(srv_log))
        if "sparql" not in args.skip and srv.alive():
            res["sparql_overhead"] = logged_sparql_overhead(store, srv.port, args.sparql_reps)
        res["server1_memory"] = srv.memory()
        res["server1"]["restarts_after_timeouts"] = srv.restarts
    finally:
        srv.stop()

    # 5. cold-ish throughput after a restart
    if "cold" not in args.skip:
        srv2 = Server(ld, store, srv_log, args.threads)
        try:
            srv2.start()
            res["server2"] = {"startup_s": srv2.startup_s, "port": srv2.port}
            res["throughput_cold"] = logged_throughput("cold-ish (fresh restart)", srv2.port, mix, args)
            if not srv2.alive():
                res["warnings"].append("server 2 was not running after the cold-ish throughput run")
                log("!! WARNING: server 2 was not running after the cold-ish throughput run")
            res["server2_memory"] = srv2.memory()
        finally:
            srv2.stop()

    # 6. report
    rows = res["latency"]
    warm = sorted(((r["label"], r["warm_p50_ms"]) for r in rows if r.get("warm_p50_ms") is not None),
                  key=lambda x: -x[1])
    cold = sorted(((r["label"], r["cold_ms"]) for r in rows if r.get("cold_ms") is not None),
                  key=lambda x: -x[1])
    nocache = sorted(((r["label"], r["nocache_p50_ms"]) for r in rows if r.get("nocache_p50_ms") is not None),
                     key=lambda x: -x[1])
    res["summary"] = {"slowest_nocache": nocache[:5],
                      "nocache_met": sum(1 for r in rows if r.get("nocache_p50_ms") is not None
                                         and r["nocache_p50_ms"] <= r.get("target_ms", 0)),
                      "met": sum(1 for r in rows if r.get("meets_target")), "total": len(rows),
                      "slowest_warm": warm[:5], "slowest_cold": cold[:5],
                      "missed": [r["label"] for r in rows if not r.get("meets_target")]}
    res["finished"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")

    log("")
    log(f"== results for {n} events ({res['date']})")
    if not res["load"].get("skipped"):
        L = res["load"]
        log(f"load: {L['wall_s']:.1f} s, {L['events_per_s']:.0f} events/s (>= {T_LOAD_EPS:.0f}: "
            f"{ok(L['events_per_s'] >= T_LOAD_EPS)}), {L['records_per_s']:.0f} records/s, peak RSS {mb(L['peak_rss'])}")
    print_table(rows)
    s = res["summary"]
    log(f"targets met: {s['met']}/{s['total']}; missed: {', '.join(s['missed']) or '-'}")
    log("slowest warm p50: " + ", ".join(f"{l} {fms(v)} ms" for l, v in s["slowest_warm"]))
    log("slowest warm no-cache p50: " + ", ".join(f"{l} {fms(v)} ms" for l, v in s["slowest_nocache"])
        + f"  (no-cache within target: {s['nocache_met']}/{s['total']})")
    log("slowest cold:     " + ", ".join(f"{l} {fms(v)} ms" for l, v in s["slowest_cold"]))
    for key, tgt in (("throughput_warm", T_RPS_WARM), ("throughput_cold", T_RPS_COLD)):
        t = res.get(key)
        if t:
            log(f"{key}: {t['ok_rps']:.0f} ok req/s (>= {tgt:.0f}: {ok(t['ok_rps'] >= tgt and t['errors'] == 0)}), "
                f"{t['errors']} errors, p50 {fms(t['lat_p50_ms'])} ms, p95 {fms(t['lat_p95_ms'])} ms, "
                f"client CPU {t['client_cpu_s']:.1f} s")
    for r in res.get("sparql_overhead", []):
        log(f"sparql {r['label']}: endpoint {r['endpoint_p50_ms']:.2f} ms vs pyoxigraph {r['pyoxigraph_p50_ms']:.2f} ms, "
            f"overhead {r['overhead_ms']:+.2f} ms (budget {r['budget_ms']:.2f}: {ok(r['met'])}); "
            f"minimums {r['endpoint_min_ms']:.2f} vs {r['pyoxigraph_min_ms']:.2f} ms, {r['min_overhead_ms']:+.2f} ms ({ok(r['min_met'])})")
    for key in ("server1_memory", "server2_memory"):
        mm = res.get(key)
        if mm:
            log(f"{key}: RSS {mb(mm['rss_total'])}, peak {mb(mm['hwm_total'])} "
                f"({len(mm['processes'])} processes; < 2 GB: {ok(mm['hwm_total'] < T_RSS_1M_BYTES)})")

    for w in res.get("warnings", []):
        log("!! WARNING: " + w)
    if args.skip:  # a partial run does not replace the figures of a whole one
        out_json = BENCH_DIR / f"results-{n}-partial.json"
        out_json.write_text(json.dumps(res, indent=2, default=str) + "\n", encoding="utf-8")
        log(f"wrote {rel(out_json)} (phases skipped: {', '.join(sorted(args.skip))}; RESULTS.md not updated)")
        return 0
    out_json = BENCH_DIR / f"results-{n}.json"
    out_json.write_text(json.dumps(res, indent=2, default=str) + "\n", encoding="utf-8")
    update_results_md(BENCH_DIR / "RESULTS.md", markdown_section(res), n)
    log(f"wrote {rel(out_json)} and {rel(BENCH_DIR / 'RESULTS.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
