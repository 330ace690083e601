"""Issue 16: the FHIR API and the bare Django floor, side by side in ONE run, on PostgreSQL.

    .venv/bin/python bench/api_floor.py [--seconds 8] [--connections 16] [--workers 2]
        [--rounds 2] [--stack uvicorn,uvicorn-wsgi] [--only read-patient,...] [--db NAME]
    bench/run_all.sh                                      # the same with the defaults

Operations (each its own phase; phases alternate floor and Parcours so drift hits both):

- ``hello``: ``GET /bench/hello/``, a constant answer behind the product's middleware (no DB);
- ``insert``: ``POST /fhir/_bench/insert``, one ORM INSERT, no token, no audit;
- ``read-patient``: ``GET /fhir/Patient/{id}`` (token, access check, mapping, audit row);
- ``read-sr``: ``GET /fhir/ServiceRequest/{id}``;
- ``search-sr``: ``GET /fhir/ServiceRequest?patient=…&_count=10``;
- ``search-patient``: ``GET /fhir/Patient?family=<4 letters>``;
- ``search-practitioner``: ``GET /fhir/Practitioner?name=<3 letters>``;
- ``create-sr``: ``POST /fhir/ServiceRequest`` (referral, timeline, notifications, audit).

The load generator is ``wrk`` (C, ``apt-get install wrk``: a few % of a core at these rates,
where a Python client took 2–3 ms of CPU per request), 16 connections, 2 threads, closed loop.
Every Parcours request is authenticated by one of two GPs' tokens and rotates over their
patients and requests (a Lua script per operation, generated in a temporary directory).

Printed for each stack: req/s, p50/p99 (wrk's), the ratio to ``hello`` and to ``insert`` measured
in the same run, the load average, and two load-independent figures measured in-process on the
same database: **SQL statements per request** (Django's cursor, one transaction's BEGIN/COMMIT
not counted) and **CPU ms per request in the Django process** (``time.process_time`` over 200
calls through the test client, no HTTP). Database ``parcours_perf_bench`` (dropped and re-made).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import fhir_crud
import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = ROOT / ".venv" / "bin"
CATEGORY = fhir_crud.CATEGORY

OPS = (
    "hello",
    "insert",
    "read-patient",
    "read-sr",
    "search-sr",
    "search-patient",
    "search-practitioner",
    "create-sr",
)
FLOORS = ("hello", "insert")


def seed_practitioners(n: int = 300) -> list[str]:
    """``n`` synthetic directory practitioners; returns 3-letter prefixes of their names."""
    from parcours.directory.keys import fold
    from parcours.directory.models import Practitioner

    rows = []
    for _ in range(n):
        last, first = fhir_crud._name(8), fhir_crud._name(6).capitalize()
        rows.append(
            Practitioner(
                last_name=last,
                first_name=first,
                specialty="Médecine générale",
                search_key=fold(f"{last} {first}"),
            )
        )
    Practitioner.objects.bulk_create(rows)
    return sorted({r.last_name[:3] for r in rows})[:50]


def requests_for(seed: dict, names: list[str]) -> dict[str, list[dict]]:
    """For each operation, the requests the rotation script cycles through."""
    tokens = seed["tokens"]
    out: dict[str, list[dict]] = {op: [] for op in OPS}
    out["hello"] = [{"method": "GET", "path": "/bench/hello/"}]
    out["insert"] = [{"method": "POST", "path": "/fhir/_bench/insert"}]
    for gp_id, pid, name in seed["patients"]:
        auth = f"Bearer {tokens[gp_id]}"
        out["read-patient"].append({"path": f"/fhir/Patient/{pid}", "auth": auth})
        out["search-sr"].append(
            {"path": f"/fhir/ServiceRequest?patient=Patient/{pid}&_count=10", "auth": auth}
        )
        out["search-patient"].append({"path": f"/fhir/Patient?family={name[:4]}", "auth": auth})
        body = {
            "resourceType": "ServiceRequest",
            "status": "active",
            "intent": "order",
            "category": [{"coding": [{"system": CATEGORY, "code": "ADVICE"}]}],
            "subject": {"reference": f"Patient/{pid}"},
            "performer": [{"reference": f"HealthcareService/{seed['service']}"}],
            "reasonCode": [{"text": "Avis cardiologique ?"}],
        }
        out["create-sr"].append(
            {"method": "POST", "path": "/fhir/ServiceRequest", "auth": auth, "body": body}
        )
    for gp_id, rid in seed["referrals"]:
        out["read-sr"].append(
            {"path": f"/fhir/ServiceRequest/{rid}", "auth": f"Bearer {tokens[gp_id]}"}
        )
    first = f"Bearer {next(iter(tokens.values()))}"
    for prefix in names:
        out["search-practitioner"].append(
            {"path": f"/fhir/Practitioner?name={prefix}", "auth": first}
        )
    return out


LUA = r"""
-- bench/api_floor.py: cycle through the requests of one operation (one file per operation).
local reqs = {}
local i = 0
%s
request = function()
  i = i %% #reqs + 1
  local r = reqs[i]
  return wrk.format(r[1], r[2], r[3], r[4])
end
"""


def _lua_string(s: str) -> str:
    return "[==[" + s + "]==]"


def lua_script(reqs: list[dict]) -> str:
    lines = []
    for r in reqs:
        headers = {"Accept": "application/fhir+json"}
        if "auth" in r:
            headers["Authorization"] = r["auth"]
        body = "nil"
        if "body" in r:
            headers["Content-Type"] = "application/fhir+json"
            body = _lua_string(json.dumps(r["body"]))
        h = "{" + ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items())
        lines.append(
            f"reqs[#reqs+1] = {{{_lua_string(r.get('method', 'GET'))}, "
            f"{_lua_string(r['path'])}, {h}}}, {body}}}"
        )
    return LUA % "\n".join(lines)


_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        return float("nan")
    return float(m.group(1)) * _UNIT[m.group(2)]


def run_wrk(base: str, script: Path, seconds: float, connections: int) -> dict:
    run = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds:.0f}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    if run.stderr.strip():  # wrk runs a broken script as plain GET / and only says so here
        raise SystemExit(f"wrk: {run.stderr.strip()}")
    out = run.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    pcts = {p: _ms(v) for p, v in re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {
        "rps": rps,
        "p50": pcts.get("50", float("nan")),
        "p99": pcts.get("99", float("nan")),
        "n": total,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def in_process_costs(reqs: dict[str, list[dict]], calls: int = 200) -> dict[str, tuple]:
    """(SQL statements per request, CPU ms per request) of each operation, through Django's
    test client in this process against the bench database (no HTTP, no concurrency)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    out = {}
    for op, rs in reqs.items():

        def call(r: dict) -> int:
            extra = {"HTTP_ACCEPT": "application/fhir+json"}
            if "auth" in r:
                extra["HTTP_AUTHORIZATION"] = r["auth"]
            if r.get("method") == "POST":
                data = json.dumps(r.get("body", {}))
                return client.post(
                    r["path"], data, content_type="application/fhir+json", **extra
                ).status_code
            return client.get(r["path"], **extra).status_code

        for r in rs[:5]:  # warm caches (compiled templates, first connection)
            call(r)
        with CaptureQueriesContext(connection) as q:
            status = call(rs[7 % len(rs)])
        statements = len(q.captured_queries)
        t0 = time.process_time()
        for i in range(calls):
            call(rs[i % len(rs)])
        cpu = (time.process_time() - t0) * 1000 / calls
        out[op] = (statements, cpu, status)
    return out


STACKS = {
    "uvicorn-h11": "uvicorn ASGI, pure-Python h11 parser and asyncio loop (`parcours serve` "
    "with the locked dependencies)",
    "uvicorn": "uvicorn ASGI with httptools + uvloop (`parcours serve` when installed)",
    "uvicorn-wsgi": "uvicorn --interface wsgi (sync Django in uvicorn's thread pool)",
    "gunicorn": "gunicorn WSGI, gthread workers (8 threads each)",
    "gunicorn-uvicorn": "gunicorn with uvicorn ASGI workers",
    "granian": "granian ASGI (Rust HTTP server)",
    "granian-wsgi": "granian WSGI (Rust HTTP server, 8 blocking threads)",
}


def _command(stack: str, port: int, workers: int) -> tuple[list[str], str]:
    """The server command of ``stack`` and its interface (asgi|wsgi)."""
    host = ["--host", "127.0.0.1", "--port", str(port)]
    w = ["--workers", str(workers)]
    uvicorn = [str(BIN / "uvicorn"), *host, *w, "--log-level", "warning", "--no-access-log"]
    bind = ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "warning"]
    granian = [str(BIN / "granian"), *host, *w, "--log-level", "warning", "--no-ws"]
    return {
        "uvicorn-h11": (
            [
                *uvicorn,
                "--http",
                "h11",
                "--loop",
                "asyncio",
                "--lifespan",
                "off",
                "parcours.asgi:application",
            ],
            "asgi",
        ),
        "uvicorn": (
            [
                *uvicorn,
                "--http",
                "httptools",
                "--loop",
                "uvloop",
                "--lifespan",
                "off",
                "parcours.asgi:application",
            ],
            "asgi",
        ),
        "uvicorn-wsgi": (
            [*uvicorn, "--interface", "wsgi", "--http", "httptools", "parcours.wsgi:application"],
            "wsgi",
        ),
        "gunicorn": (
            [
                str(BIN / "gunicorn"),
                *bind,
                "--worker-class",
                "gthread",
                "--threads",
                "8",
                "parcours.wsgi:application",
            ],
            "wsgi",
        ),
        "gunicorn-uvicorn": (
            [
                str(BIN / "gunicorn"),
                *bind,
                "--worker-class",
                "uvicorn.workers.UvicornWorker",
                "parcours.asgi:application",
            ],
            "asgi",
        ),
        "granian": (
            [*granian, "--interface", "asgi", "--loop", "uvloop", "parcours.asgi:application"],
            "asgi",
        ),
        "granian-wsgi": (
            [
                *granian,
                "--interface",
                "wsgi",
                "--blocking-threads",
                "8",
                "parcours.wsgi:application",
            ],
            "wsgi",
        ),
    }[stack]


def start(stack: str, port: int, workers: int) -> subprocess.Popen:
    cmd, interface = _command(stack, port, workers)
    proc = subprocess.Popen(
        cmd,
        env=fhir_crud.env(interface),
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/fhir/metadata").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    stop(proc)
    raise SystemExit(f"{stack} did not start")


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--workers", default="2", help="server processes; a list (1,2) measures the scale-out"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--stack", default="uvicorn-h11,uvicorn", help="comma-separated: " + ",".join(STACKS)
    )
    parser.add_argument("--only", default="", help="comma-separated operations (floors added)")
    parser.add_argument("--db", default="parcours_perf_bench")
    parser.add_argument("--no-costs", action="store_true", help="skip the in-process figures")
    args = parser.parse_args()
    if not re.fullmatch(r"parcours_\w*bench\w*", args.db):
        raise SystemExit("benchmark databases are parcours_*bench*")
    ops = [o for o in OPS if not args.only or o in FLOORS or o in args.only.split(",")]
    fhir_crud.DB = args.db
    print(fhir_crud.machine(), flush=True)
    seed = fhir_crud.recreate_and_seed()
    names = seed_practitioners()
    reqs = {op: rs for op, rs in requests_for(seed, names).items() if op in ops}
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    tmp = Path(tempfile.mkdtemp(prefix="api_floor_"))
    scripts = {}
    for op, rs in reqs.items():
        scripts[op] = tmp / f"{op}.lua"
        scripts[op].write_text(lua_script(rs))
    costs = {} if args.no_costs else in_process_costs(reqs)
    results: dict[str, dict[str, list[dict]]] = {}
    loads = [os.getloadavg()]
    for stack in args.stack.split(","):
        for workers in args.workers.split(","):
            port = fhir_crud.free_port()
            proc = start(stack, port, int(workers))
            base = f"http://127.0.0.1:{port}"
            try:
                for op in ops:  # warm-up, and a check that every operation answers 2xx
                    run_wrk(base, scripts[op], 1, 4)
                for _ in range(args.rounds):
                    for op in ops:
                        results.setdefault(f"{stack}|{workers}", {}).setdefault(op, []).append(
                            run_wrk(base, scripts[op], args.seconds, args.connections)
                        )
                        loads.append(os.getloadavg())
            finally:
                stop(proc)
    report(args, ops, results, costs, loads)


def report(args, ops, results, costs, loads) -> None:
    print(
        f"\n{args.connections} connections (wrk, 2 threads), {args.workers} server processes, "
        f"{args.rounds} × {args.seconds:.0f} s per operation; 1-min load average during the "
        f"run {min(x[0] for x in loads):.1f}–{max(x[0] for x in loads):.1f}"
    )
    for key, by_op in results.items():
        stack, workers = key.split("|")
        print(f"\n### {STACKS[stack]}, {workers} process(es)\n")
        print(
            "| operation | req/s | p50 ms | p99 ms | vs hello | vs insert | SQL/request | "
            "CPU ms/request (in-process) | non-2xx |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        best = {op: _merge(runs) for op, runs in by_op.items()}
        for op in ops:
            r = best[op]
            sql, cpu, _status = costs.get(op, (float("nan"), float("nan"), 0))
            print(
                f"| {op} | {r['rps']:,.0f} | {r['p50']:.1f} | {r['p99']:.1f} | "
                f"{100 * r['rps'] / best['hello']['rps']:.0f} % | "
                f"{100 * r['rps'] / best['insert']['rps']:.0f} % | {sql} | {cpu:.2f} | "
                f"{r['non2xx']} |"
            )


def _merge(runs: list[dict]) -> dict:
    """Several rounds of one operation: total requests over total time, worst percentiles."""
    return {
        "rps": sum(r["rps"] for r in runs) / len(runs),
        "p50": max(r["p50"] for r in runs),
        "p99": max(r["p99"] for r in runs),
        "n": sum(r["n"] for r in runs),
        "non2xx": sum(r["non2xx"] for r in runs),
    }


if __name__ == "__main__":
    sys.path[:0] = [str(BENCH), str(ROOT)]
    main()
