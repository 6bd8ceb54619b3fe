"""Latency of ``vaelab explore``'s decodes, over HTTP against the real server, for an MLP image run and a SMILES run.

For each run the script starts ``vaelab explore RUN --no-browser --port 0`` in its own
process (as a user does), reads the URL it prints, and sends ``--requests`` decode
requests over one keep-alive connection, as the page does: half are slider moves (the
mean code with one dimension set to a random value in its slider range), half are map
clicks (a random example's map position, nudged, lifted back to a code through the
PCA inverse). Each request is timed from sending to the last byte of the answer
(JSON parsing, checks, the decoder, the PNG or the RDKit SVG, the HTTP round trip).

Beside it: the server's own time per decode (its ``Server-Timing`` header: checks,
decoder, picture), the CPU time the server process used per request, and the same
decodes timed in this process without the server (the session's own ``decode`` on one
torch thread, as the server runs it), so the ratio HTTP / direct shows what the web
layer and the operating system add. The CPU share that other processes took during the
measurement is recorded too: on a busy machine a niced server waits for the CPU at
every wake-up, and that shows up in the file rather than as a slow server.

Targets (issue #16): decode p95 <= 30 ms for MLP image models, <= 100 ms for SMILES models.

    python bench/explore_latency.py                           # trains the two small runs it needs (~1 min)
    python bench/explore_latency.py --run RUN_DIR [--run ...]  # runs you have
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import REPO, write_result  # noqa: E402  (bench/ is on sys.path)

TARGET_MS = {"image": 30.0, "molecule": 100.0}  # decode p95 per request (issue #16)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", action="append", metavar="RUN_DIR",
                   help="a run directory, repeatable (default: a 16-D MLP VAE on mnist5k and the chemical VAE "
                        "(vae-smiles, 156-D, GRU decoder) on 2,000 QM9 molecules, trained 1 epoch each here)")
    p.add_argument("--requests", type=int, default=300, help="timed decode requests per run (default 300)")
    p.add_argument("--warmup", type=int, default=30, help="untimed requests first (default 30)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="JSON output (default bench/results/explore_latency-cpu.json)")
    return p.parse_args(argv)


# ------------------------------------------------------------------ the runs

def train_runs(folder: Path) -> list[Path]:
    """The two architectures the targets name; one epoch each (latency does not depend on the weights)."""
    out = []
    for name, args in (("mlp-vae-mnist5k", ["--data", "mnist5k", "--model", "vae", "--latent-dim", "16"]),
                       ("vae-smiles-qm9", ["--data", "qm9", "--model", "vae-smiles", "--set", "data.limit=2000"])):
        subprocess.run([sys.executable, "-m", "vaelab", "train", *args, "--epochs", "1", "--out", str(folder / name),
                        "--no-progress"], check=True, stdout=subprocess.DEVNULL)
        out.append(folder / name)
    return out


# ------------------------------------------------------------------ the server

class Server:
    """``vaelab explore RUN`` in a process; its URL's port and a keep-alive connection to it."""

    def __init__(self, run: Path):
        env = {**os.environ, "DISPLAY": ""}  # no display: the server opens no browser
        self.proc = subprocess.Popen([sys.executable, "-m", "vaelab", "explore", str(run), "--no-browser",
                                      "--port", "0", "--no-progress"], stdout=subprocess.PIPE, text=True, env=env)
        for line in self.proc.stdout:
            if "http://127.0.0.1:" in line:
                self.port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
                break
        else:
            raise SystemExit(f"vaelab explore {run} printed no URL (exit {self.proc.wait()})")
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.timings: list[float] = []  # the server's own time per decode (its Server-Timing header), ms

    def call(self, path: str, body: dict | None = None) -> dict:
        if body is None:
            self.conn.request("GET", path)
        else:
            self.conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = self.conn.getresponse()
        data = json.loads(response.read())
        timing = response.getheader("server-timing", "")
        if path == "/api/decode" and "dur=" in timing:
            self.timings.append(float(timing.split("dur=")[1].split(";")[0]))
        if response.status != 200:
            raise SystemExit(f"{path}: {response.status} {data}")
        return data

    def cpu_seconds(self) -> float:
        """CPU seconds the server process has used (/proc/PID/stat: utime + stime)."""
        with open(f"/proc/{self.proc.pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> int:
        self.conn.close()
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=60)


def machine_cpu_seconds() -> float:
    """CPU seconds every process has used so far (/proc/stat, idle and iowait left out)."""
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ the requests

def requests(info: dict, xy: np.ndarray, n: int, rng: np.random.Generator) -> list[dict]:
    """n decode bodies: slider moves (a code) and map clicks (a point), alternating."""
    mean = np.asarray(info["mean_code"])
    dims = info["dims"]
    spread = xy.std(axis=0)
    out = []
    for k in range(n):
        if k % 2 == 0:
            code = mean.copy()
            d = dims[rng.integers(len(dims))]
            code[d["dim"]] = rng.uniform(d["lo"], d["hi"])
            out.append({"run": 0, "at": {"code": code.round(5).tolist()}})
        else:
            point = xy[rng.integers(len(xy))] + 0.1 * spread * rng.standard_normal(2)
            out.append({"run": 0, "at": {"point": point.round(5).tolist()}, "fill": "mean"})
    return out


def percentiles(ms: list[float]) -> dict:
    a = np.asarray(ms)
    return {"p50_ms": float(np.percentile(a, 50)), "p95_ms": float(np.percentile(a, 95)),
            "p99_ms": float(np.percentile(a, 99)), "max_ms": float(a.max()), "mean_ms": float(a.mean())}


def measure_http(run: Path, args, rng) -> tuple[dict, list[dict], list[dict]]:
    server = Server(run)
    try:
        info = server.call("/api/info")["runs"][0]
        xy = np.asarray(server.call("/api/map?run=0&projection=pca")["xy"])
        bodies = requests(info, xy, args.warmup + args.requests, rng)
        for body in bodies[: args.warmup]:
            server.call("/api/decode", body)
        server.timings.clear()
        machine0, server0, self0 = machine_cpu_seconds(), server.cpu_seconds(), time.process_time()
        wall0 = time.perf_counter()
        ms, answers = [], []
        for body in bodies[args.warmup:]:
            t0 = time.perf_counter()
            answers.append(server.call("/api/decode", body))
            ms.append(1000 * (time.perf_counter() - t0))
        wall = time.perf_counter() - wall0
        server_cpu = server.cpu_seconds() - server0
        ours = server_cpu + (time.process_time() - self0)
        others = max(0.0, machine_cpu_seconds() - machine0 - ours) / (wall * (os.cpu_count() or 1))
    finally:
        code = server.stop()
    result = {**percentiles(ms), "requests": len(ms), "wall_s": wall, "server_exit_code": code,
              "server_cpu_ms_per_request": 1000 * server_cpu / len(ms),
              "server_ms": percentiles(server.timings), "other_processes_cpu_share": others}
    return result, info, [{"run": 0, "at": {"code": a["code"]}} for a in answers]


def measure_direct(run: Path, bodies: list[dict], warmup: int) -> dict:
    """The same codes decoded in this process: the session's decode (model + picture), no HTTP, on one torch
    thread as the server does (vaelab.explorer.serving.one_thread)."""
    from vaelab.explorer import load_session
    from vaelab.explorer.serving import one_thread

    state = load_session([run], "test", device="cpu").runs[0]
    with one_thread():
        return _time_decodes(state, bodies, warmup)


def _time_decodes(state, bodies: list[dict], warmup: int) -> dict:
    codes = [np.asarray(b["at"]["code"], dtype=np.float64) for b in bodies]
    for z in codes[:warmup]:
        state.decode(z[None])
    ms = []
    for z in codes:
        t0 = time.perf_counter()
        state.decode(z[None])
        ms.append(1000 * (time.perf_counter() - t0))
    return percentiles(ms)


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            return next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def main() -> None:
    args = parse_args()
    import torch

    rng = np.random.default_rng(args.seed)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        runs = [Path(r) for r in args.run] if args.run else train_runs(Path(tmp))
        for run in runs:
            http_ms, info, bodies = measure_http(run, args, rng)
            direct = measure_direct(run, bodies, min(args.warmup, len(bodies)))
            target = TARGET_MS[info["kind"]]
            row = {"run": run.name, "model": info["model"], "data": info["data"], "kind": info["kind"],
                   "latent_dim": info["latent_dim"], **http_ms,
                   "direct_p50_ms": direct["p50_ms"], "direct_p95_ms": direct["p95_ms"],
                   "ratio_p50_http_to_direct": http_ms["p50_ms"] / direct["p50_ms"],
                   "target_p95_ms": target, "meets_target": http_ms["p95_ms"] <= target}
            results.append(row)
            print(f"{row['run']:16s} {row['model']:10s} {row['latent_dim']:3d}-D  HTTP p50 {row['p50_ms']:5.1f} ms  "
                  f"p95 {row['p95_ms']:5.1f} ms (target {target:.0f})  in the server p50 {row['server_ms']['p50_ms']:5.1f}"
                  f" p95 {row['server_ms']['p95_ms']:5.1f} ms  CPU {row['server_cpu_ms_per_request']:5.1f} ms/request  "
                  f"direct p50 {row['direct_p50_ms']:5.1f} ms  ratio HTTP/direct {row['ratio_p50_http_to_direct']:.1f}  "
                  f"(other processes used {row['other_processes_cpu_share']:.0%} of the CPUs)", flush=True)
    result = {"what": "vaelab explore: POST /api/decode latency over HTTP (keep-alive), real server process",
              "machine": f"{cpu_name()}, {os.cpu_count()} cores", "device": "cpu", "torch": torch.__version__,
              "torch_threads_default": torch.get_num_threads(), "python": platform.python_version(),
              "requests_per_run": args.requests, "warmup": args.warmup,
              "ratio_method": "HTTP p50 / p50 of the same decodes in-process (model + picture, no server)",
              "runs": results, "all_meet_targets": all(r["meets_target"] for r in results)}
    out = Path(args.out) if args.out else REPO / "bench" / "results" / "explore_latency-cpu.json"
    write_result(out, result, ("machine", "all_meet_targets"))


if __name__ == "__main__":
    main()
