"""The benchmark driver: one scenario against Lernraum and against the baseline relay.

For each target it starts a fresh server pinned to CPU 0 (Lernraum with an empty SQLite
file, or ``bench/relay.py``), prepares the workshops and participants (Lernraum: a
facilitator creates the workshops over REST, participants join by code, the facilitator
starts the workshop and moves to a plenary step that allows notes), runs ``loadgen.py``
pinned to CPU 1, reads the server's CPU time and RSS from /proc, and stops the server.
Results go to a JSON-lines file and a Markdown table whose ratio columns divide Lernraum's
figure by the baseline's from the same run.

    python bench/run.py --scenario steady --scale 0.1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.client import LiveClient, join, join_code, log_in  # noqa: E402

EMAIL = "bench@lernraum.local"
PASSWORD = "benchmark password 1"
NOTES_STEP = 3  # the reference agenda's impulse talk: everyone in the plenary, notes allowed
START_TIMEOUT_S = 30.0
JOIN_CONCURRENCY = 20

SCENARIOS: dict[str, dict[str, float]] = {
    "steady": {"workshops": 2, "participants": 500, "rate": 100},
    "peak": {"workshops": 2, "participants": 500, "rate": 400},
}
NOT_YET = {
    "breakout-hour": "20 workshops x 50 in groups of 5 (needs group steps in the driver)",
    "join-storm": "500 joins in 1 s to a 2,000-item board",
    "slow-member": "one member per workshop stops reading",
    "reshuffle": "500 participants regrouped in one command",
    "recovery": "restart with 100 workshops x 10,000 events",
    "export": "5,000 items to each export format",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def pinned(cpu: int, argv: list[str]) -> list[str]:
    """Pin to one CPU when taskset exists and the machine has more than one."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(cpu), *argv]
    return argv


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited at start")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the server did not come up")


def start_lernraum(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    database = f"sqlite:///{workdir / 'bench.db'}"
    env = {
        **os.environ,
        "LERNRAUM_DATABASE_URL": database,
        "LERNRAUM_DEMO": "false",
        "LERNRAUM_JOIN_MAX_ATTEMPTS": "1000000",
        "LERNRAUM_LOG_LEVEL": "warning",
    }
    subprocess.run(
        [sys.executable, "-m", "app", "facilitator", "add", EMAIL, "--password-stdin"],
        input=PASSWORD.encode(),
        env=env,
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    argv = [sys.executable, "-m", "app", "serve", "--port", str(port)]
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(pinned(0, argv), env=env, cwd=ROOT, stdout=log, stderr=log)
    wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
    return process


async def prepare_lernraum(base: str, workshops: int, participants: int) -> dict[str, Any]:
    session = await log_in(base, EMAIL, PASSWORD)
    plan: dict[str, Any] = {"url": f"ws://127.0.0.1:{base.rsplit(':', 1)[1]}/live", "workshops": []}
    async with httpx.AsyncClient(base_url=base, cookies={"lernraum_session": session}) as http:
        for _ in range(workshops):
            created = await http.post("/api/workshops", json={"source_id": "peer-learning-kickoff"})
            created.raise_for_status()
            workshop = str(created.json()["id"])
            code = await join_code(base, workshop, session)
            gate = asyncio.Semaphore(JOIN_CONCURRENCY)

            async def one(number: int, code: str = code, gate: asyncio.Semaphore = gate) -> str:
                async with gate:
                    return (await join(base, code, f"Bench {number}")).token

            tokens = await asyncio.gather(*(one(n) for n in range(participants)))
            async with LiveClient(base, workshop, session=session) as facilitator:
                await facilitator.command({"type": "workshop.start"})
                await facilitator.command({"type": "step.jump", "index": NOTES_STEP})
            plan["workshops"].append({"id": workshop, "tokens": list(tokens)})
    return plan


def start_relay(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    log = (workdir / "relay.log").open("wb")
    argv = [sys.executable, str(ROOT / "bench" / "relay.py"), "--port", str(port)]
    process = subprocess.Popen(pinned(0, argv), cwd=ROOT, stdout=log, stderr=log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("the relay did not come up")


def run_target(
    target: str, scenario: dict[str, float], args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    port = free_port()
    workshops, participants = (
        int(scenario["workshops"]),
        max(2, int(scenario["participants"] * args.scale)),
    )
    if target == "lernraum":
        process = start_lernraum(workdir, port)
        plan = asyncio.run(prepare_lernraum(f"http://127.0.0.1:{port}", workshops, participants))
    else:
        process = start_relay(workdir, port)
        plan = {
            "url": f"ws://127.0.0.1:{port}/live",
            "workshops": [
                {"id": f"w{w}", "tokens": [f"t{w}-{n:05d}" for n in range(participants)]}
                for w in range(workshops)
            ],
        }
    plan_file = workdir / f"{target}-plan.json"
    plan_file.write_text(json.dumps(plan))
    try:
        cpu_before, wall_before = cpu_seconds(process.pid), time.monotonic()
        argv = [
            sys.executable,
            str(ROOT / "bench" / "loadgen.py"),
            "--plan",
            str(plan_file),
            "--rate",
            str(scenario["rate"] * args.rate_scale),
            "--duration",
            str(args.duration),
            "--observe-frac",
            str(args.observe_frac),
        ]
        finished = subprocess.run(
            pinned(1, argv), capture_output=True, text=True, timeout=args.duration + 300, cwd=ROOT
        )
        cpu_after, wall_after = cpu_seconds(process.pid), time.monotonic()
        if finished.returncode != 0:
            raise RuntimeError(f"loadgen failed: {finished.stderr[-2000:]}")
        result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
        result["server_cpu_pct"] = round(
            100 * (cpu_after - cpu_before) / (wall_after - wall_before), 1
        )
        result["server_rss_mb"] = round(rss_mb(process.pid), 1)
        return result
    finally:
        process.kill()
        process.wait(timeout=10)


def ratio(mine: Any, base: Any) -> str:
    if not isinstance(mine, int | float) or not isinstance(base, int | float) or base == 0:
        return "–"
    return f"{mine / base:.2f}×"


def table(rows: list[dict[str, Any]]) -> str:
    columns = [
        ("delivery_p50_ms", "delivery p50 ms"),
        ("delivery_p99_ms", "delivery p99 ms"),
        ("ack_p99_ms", "ack p99 ms"),
        ("server_cpu_pct", "server CPU %"),
        ("server_rss_mb", "RSS MB"),
    ]
    lines = [
        "| scenario | target | "
        + " | ".join(title for _, title in columns)
        + " | lost | dup | errors |",
        "|---|---|" + "---|" * len(columns) + "---|---|---|",
    ]
    baselines = {row["scenario"]: row for row in rows if row["target"] == "relay"}
    for row in rows:
        cells = []
        for key, _ in columns:
            value = row.get(key)
            shown = "–" if value is None else f"{value:.1f}"
            base = baselines.get(row["scenario"], {})
            if row["target"] != "relay":
                shown += f" ({ratio(value, base.get(key))})"
            cells.append(shown)
        errors = sum(row.get("errors", {}).values())
        counts = f" | {row.get('lost')} | {row.get('duplicated')} | {errors} |"
        lines.append(f"| {row['scenario']} | {row['target']} | " + " | ".join(cells) + counts)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), action="append")
    parser.add_argument("--targets", default="relay,lernraum")
    parser.add_argument("--scale", type=float, default=1.0, help="share of the participants")
    parser.add_argument("--rate-scale", type=float, default=1.0, help="share of the rate")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--observe-frac", type=float, default=0.2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.jsonl")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for name in args.scenario or ["steady"]:
        for target in args.targets.split(","):
            with tempfile.TemporaryDirectory(prefix="lernraum-bench-") as workdir:
                result = run_target(target, SCENARIOS[name], args, Path(workdir))
            row = {"scenario": name, "target": target, "scale": args.scale, **result}
            rows.append(row)
            with args.out.open("a", encoding="utf-8") as file:
                file.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
    print()
    print(table(rows))
    print()
    print("Not measured yet: " + "; ".join(f"{k} ({v})" for k, v in NOT_YET.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
