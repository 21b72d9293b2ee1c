#!/usr/bin/env python3
"""ringbus vs redis-server, side by side, in one run on one machine.

Builds ringbus (release) and the fan-out probe with cargo, starts ringbus and
redis-server on free loopback ports, pre-fills the data the reads need, then for R
rounds runs every workload with redis-benchmark against each server, alternating
which goes first. Around each run it samples the server's utime+stime from
/proc/<pid>/stat, so CPU time per request stays meaningful while the load generator
shares the machine. Then the fan-out probe (examples/fanout.rs) against each, and the
memory scenarios on fresh servers. Writes JSON and a markdown table of medians with
ringbus/Redis ratios against the targets.

    python3 benches/load/compare.py [--rounds 3] [--quick] [--only REGEX]
    cargo bench --bench load [-- --quick]          (the same, through cargo)

Environment: RINGBUS_LOAD_QUICK=1 (same as --quick), RINGBUS_LOAD_ROUNDS=N.
Python 3.8+, stdlib only; needs redis-server and redis-benchmark on PATH.
"""

import argparse
import csv
import datetime
import io
import json
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import memory  # noqa: E402
import report  # noqa: E402
from resp import Client, cpu_seconds, encode, free_port, wait_ready  # noqa: E402
from workloads import FANOUTS, READ_ENTRIES, READ_KEY, WORKLOADS, read_entries  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVERS = ["ringbus", "redis"]


class Server:
    """A server process we started; `kind` is "ringbus" or "redis"."""

    def __init__(self, kind, ringbus_bin, workdir, extra=()):
        self.kind = kind
        self.port = free_port()
        if kind == "ringbus":
            argv = [ringbus_bin, "--port", str(self.port), "--bind", "127.0.0.1",
                    "--metrics-addr", "127.0.0.1:0", *extra]
        else:
            argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--daemonize", "no",
                    "--maxclients", "10000", *extra]
        self.log = open(os.path.join(workdir, "%s-%d.log" % (kind, self.port)), "wb")
        self.proc = subprocess.Popen(argv, cwd=workdir, stdout=self.log, stderr=self.log)
        wait_ready(self.port)
        self.pid = self.proc.pid

    def cpu(self):
        return cpu_seconds(self.pid)

    def client(self):
        return Client(self.port)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def build(skip):
    """cargo build --release of the server and the probe; returns their paths."""
    if not skip:
        subprocess.run(
            ["cargo", "build", "--release", "--bin", "ringbus", "--example", "fanout"],
            cwd=REPO, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    return (os.path.join(target, "release", "ringbus"),
            os.path.join(target, "release", "examples", "fanout"))


def raise_nofile():
    """1000 fan-out clients need more descriptors than the usual 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 20000 if hard == resource.RLIM_INFINITY else min(20000, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def prefill(server):
    """The full 1000-entry track the read workloads read, identical on both."""
    c = server.client()
    try:
        c.cmd("DEL", READ_KEY)
        payload = b"".join(encode("XADD", READ_KEY, i, "role", r, "data", d)
                           for i, r, d in read_entries())
        errors = c.pipeline(payload, READ_ENTRIES)
        n = c.cmd("XLEN", READ_KEY)
        if errors or n != READ_ENTRIES:
            raise RuntimeError("%s: prefill left XLEN %s (%d errors)" % (server.kind, n, errors))
    finally:
        c.close()


def flush_db(server, db):
    c = server.client()
    try:
        c.cmd("SELECT", db)
        c.cmd("FLUSHDB")
    finally:
        c.close()


def parse_csv(text):
    """redis-benchmark --csv: the last data row as floats by column name."""
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        raise RuntimeError("no CSV row in redis-benchmark output:\n" + text)
    row = rows[-1]
    return {k: float(v) for k, v in row.items() if k != "test"}


def run_workload(server, w, scale):
    """One redis-benchmark run: rps, latency percentiles, server CPU per request."""
    if w["flush"]:
        flush_db(server, w["db"])
    n = max(1000, int(w["n"] * scale))
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port), "-c", "50",
            "-n", str(n), "-P", str(w["pipeline"]), "--csv"]
    if w["db"]:
        argv += ["--dbnum", str(w["db"])]
    if w["keyspace"]:
        argv += ["-r", str(w["keyspace"])]
    argv += w["cmd"]
    cpu0, t0 = server.cpu(), time.monotonic()
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=600)
    wall, cpu1 = time.monotonic() - t0, server.cpu()
    row = parse_csv(out.stdout)
    if "error" in out.stdout.lower() or "error" in out.stderr.lower():
        raise RuntimeError("%s %s: %s %s" % (server.kind, w["name"], out.stdout, out.stderr))
    return {
        "workload": w["name"],
        "server": server.kind,
        "n": n,
        "rps": row["rps"],
        "p50_ms": row["p50_latency_ms"],
        "p99_ms": row["p99_latency_ms"],
        "cpu_s": cpu1 - cpu0,
        "cpu_us_per_req": (cpu1 - cpu0) * 1e6 / n,
        "wall_s": wall,
    }


def run_fanout(server, probe, fanout, quick):
    argv = [probe, "--port", str(server.port), "--pid", str(server.pid),
            "--clients", str(fanout["clients"]), "--events",
            str(fanout["events"] // (4 if quick else 1)),
            "--interval-ms", str(fanout["interval_ms"]), "--key", fanout["key"]]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError("fanout probe against %s failed: %s" % (server.kind, out.stderr))
    result = json.loads(out.stdout)
    result.update(workload=fanout["name"], server=server.kind)
    return result


def machine_info(ringbus_bin):
    def cmd(*argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, cwd=REPO).stdout.strip()
        except OSError:
            return ""

    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": model,
        "kernel": platform.release(),
        "redis": cmd("redis-server", "--version"),
        "redis_benchmark": cmd("redis-benchmark", "--version"),
        "rustc": cmd("rustc", "--version"),
        "ringbus_commit": cmd("git", "rev-parse", "--short", "HEAD"),
        "ringbus_dirty": bool(cmd("git", "status", "--porcelain", "--untracked-files=no")),
        "ringbus_bin": ringbus_bin,
        "loadavg_start": os.getloadavg(),
    }


def medians(samples):
    """Median of each figure per (workload, server)."""
    groups = {}
    for s in samples:
        groups.setdefault((s["workload"], s["server"]), []).append(s)
    out = {}
    for (w, srv), rows in groups.items():
        keys = [k for k, v in rows[0].items() if isinstance(v, (int, float))
                and not isinstance(v, bool)]
        out.setdefault(w, {})[srv] = {
            k: statistics.median(r[k] for r in rows if r.get(k) is not None)
            for k in keys if any(r.get(k) is not None for r in rows)
        }
        out[w][srv]["runs"] = len(rows)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int,
                    default=int(os.environ.get("RINGBUS_LOAD_ROUNDS", "3")))
    ap.add_argument("--quick", action="store_true",
                    default=os.environ.get("RINGBUS_LOAD_QUICK") == "1",
                    help="a tenth of the requests, one round: checks the harness")
    ap.add_argument("--only", default="", help="regex on workload names "
                    "(xadd_p16 xadd_p1 xadd_10k_p16 xrange_100 xrevrange_10 xread_10 "
                    "catchup_1000 fanout fanout_5ms mem_full mem_small mem_readers)")
    ap.add_argument("--servers", default="ringbus,redis")
    ap.add_argument("--ringbus-bin", help="use this ringbus binary (skips its build)")
    ap.add_argument("--ringbus-args", default="",
                    help="extra ringbus flags, e.g. '--worker-threads 1' (shell-quoted)")
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--out", default=os.path.join(REPO, "target", "load"),
                    help="where latest.json and latest.md go (a dated copy of the JSON "
                    "is kept in target/load/history)")
    args = ap.parse_args()
    if args.quick and "RINGBUS_LOAD_ROUNDS" not in os.environ and "--rounds" not in sys.argv:
        args.rounds = 1
    scale = 0.1 if args.quick else 1.0
    only = re.compile(args.only)
    servers = [s for s in args.servers.split(",") if s in SERVERS]
    for tool in ("redis-server", "redis-benchmark"):
        if shutil.which(tool) is None:
            sys.exit("compare.py: %s not found on PATH" % tool)

    ringbus_bin, probe = build(args.skip_build)
    if args.ringbus_bin:
        ringbus_bin = os.path.abspath(args.ringbus_bin)
    nofile = raise_nofile()
    info = machine_info(ringbus_bin)
    ringbus_args = shlex.split(args.ringbus_args)
    info.update(rounds=args.rounds, quick=args.quick, nofile=nofile,
                ringbus_args=ringbus_args)
    print("machine: %(nproc)s x %(cpu)s, kernel %(kernel)s, load %(loadavg_start)s" % info,
          file=sys.stderr)

    def extra(kind):
        return ringbus_args if kind == "ringbus" else ()

    samples = []
    workdir = tempfile.mkdtemp(prefix="ringbus-load-")
    running = {}
    try:
        for kind in servers:
            running[kind] = Server(kind, ringbus_bin, workdir, extra(kind))
            prefill(running[kind])
        selected = [w for w in WORKLOADS if only.search(w["name"])]
        selected += [f for f in FANOUTS if only.search(f["name"])]
        for r in range(args.rounds):
            for i, w in enumerate(selected):
                order = servers if (r + i) % 2 == 0 else servers[::-1]
                for kind in order:
                    srv = running[kind]
                    if "interval_ms" in w:
                        s = run_fanout(srv, probe, w, args.quick)
                        line = "delivered %d/%d p99 %.1f ms cpu %.2f us/delivery" % (
                            s["delivered"], s["expected"], s["p99_us"] / 1000,
                            s["cpu_per_delivery_us"] or 0)
                    else:
                        s = run_workload(srv, w, scale)
                        line = "%9.0f rps p50 %.3f p99 %.3f ms cpu %.3f us/req" % (
                            s["rps"], s["p50_ms"], s["p99_ms"], s["cpu_us_per_req"])
                    s["round"] = r
                    samples.append(s)
                    print("round %d %-14s %-8s %s" % (r + 1, s["workload"], kind, line),
                          file=sys.stderr)
                    time.sleep(0.3)
        for kind in servers:
            running.pop(kind).stop()
        # Each memory scenario on a fresh server of each kind: what it measures,
        # and how its line reads.
        def per_event(s):
            return "%.1f bytes/event (%d events)" % (s["bytes_per_event"], s["events"])

        def per_reader(s):
            return "%.0f bytes/reader parked, %.0f after a delivery (%d readers)" % (
                s["bytes_per_reader_parked"], s["bytes_per_reader_served"], s["readers"])

        scenarios = [(sc, memory.measure, per_event) for sc in memory.SCENARIOS]
        scenarios += [(sc, memory.measure_readers, per_reader)
                      for sc in memory.READER_SCENARIOS]
        for scenario, measure, describe in scenarios:
            if not only.search(scenario["name"]):
                continue
            for kind in servers:
                srv = Server(kind, ringbus_bin, workdir, extra(kind))
                try:
                    s = measure(srv, scenario, scale if args.quick else 1.0)
                finally:
                    srv.stop()
                s.update(workload=scenario["name"], server=kind, round=0)
                samples.append(s)
                print("memory %-10s %-8s %s" % (scenario["name"], kind, describe(s)),
                      file=sys.stderr)
    finally:
        for srv in running.values():
            srv.stop()
    info["loadavg_end"] = os.getloadavg()

    result = {"machine": info, "samples": samples, "medians": medians(samples)}
    result["table"] = report.rows(result["medians"], samples)
    os.makedirs(args.out, exist_ok=True)
    history = os.path.join(REPO, "target", "load", "history")
    os.makedirs(history, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    md = report.markdown(result)
    for path in (os.path.join(history, "results-%s.json" % stamp),
                 os.path.join(args.out, "latest.json")):
        with open(path, "w") as f:
            json.dump(result, f, indent=1)
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write(md)
    print(md)
    print("results: %s" % os.path.join(args.out, "latest.json"), file=sys.stderr)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
