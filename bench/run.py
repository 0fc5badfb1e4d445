"""The benchmark driver: each scenario against Lernraum and against the baseline relay.

For each target it starts a fresh server pinned to CPU 0 (Lernraum with an empty SQLite
file, or ``bench/relay.py``), prepares the workshops and participants the way people would
(a facilitator creates the workshops over REST, participants join by code, the facilitator
starts the workshop and moves to the step the scenario needs), runs ``loadgen.py`` pinned to
CPU 1, samples the server's CPU time and RSS from /proc, and stops the server by its PID.
Results go to a JSON-lines file and Markdown tables whose ratio columns divide Lernraum's
figure by the baseline's from the same run. Recovery and export have no relay counterpart.

    python bench/run.py --scenario steady --scale 0.1
    python bench/run.py --scenario all --scale 0.2
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.client import LiveClient, join, join_code, log_in  # noqa: E402

EMAIL = "bench@lernraum.local"
PASSWORD = "benchmark password 1"
AGENDA = "peer-learning-kickoff"
NOTES_STEP = 3  # the reference agenda's impulse talk: everyone in the plenary, notes allowed
BREAKOUTS = "bench-breakouts"  # bench/structures: one step in groups of five, notes allowed
RESHUFFLE = "appreciative-interviews"  # interviews in pairs, then retelling in foursomes
START_TIMEOUT_S = 60.0
RECOVERY_TIMEOUT_S = 600.0  # a restart that rebuilds every workshop may take longer
JOIN_CONCURRENCY = 20
SAMPLE_S = 0.25
EXPORT_FORMATS = ("json", "csv", "md", "html")
EXPORT_REPEATS = 3
CACHE = Path(tempfile.gettempdir()) / "lernraum-bench-cache"

Spec = dict[str, Any]
SCENARIOS: dict[str, Spec] = {
    "steady": {"kind": "load", "workshops": 2, "participants": 500, "rate": 100},
    # 5 % observers: parsing 16 notes per frame for a fifth of 1,000 sockets saturated the
    # generator's core and measured the generator, for the relay as much as for Lernraum
    "peak": {"kind": "load", "workshops": 2, "participants": 500, "rate": 400, "observe": 0.05},
    "breakout-hour": {
        "kind": "load",
        "workshops": 20,
        "participants": 50,
        "rate": 100,
        "group_size": 5,
        "observe": 1.0,
    },
    "join-storm": {"kind": "storm", "participants": 500, "items": 2000, "spreads": "1,0"},
    "slow-member": {"kind": "slow", "workshops": 2, "participants": 500, "rate": 100},
    "reshuffle": {"kind": "reshuffle", "participants": 500},
    "recovery": {"kind": "recovery", "workshops": 100, "events": 10_000},
    "export": {"kind": "export", "items": 5000},
    # 9: not in the list, behind its memory target: 100 then 1,000 idle connections
    "idle-memory": {"kind": "idle", "workshops": 2, "participants": 500, "first": 50},
}
ONLY_LERNRAUM = {"recovery", "export"}


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


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


class Sampler:
    """The server's CPU and largest RSS while something runs (a bounded background thread)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.rss_max = rss_mb(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            try:
                self.rss_max = max(self.rss_max, rss_mb(self.pid))
            except OSError:
                return

    def __enter__(self) -> Sampler:
        self.cpu_before, self.wall_before = cpu_seconds(self.pid), time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.cpu_s = cpu_seconds(self.pid) - self.cpu_before
        self.wall_s = time.monotonic() - self.wall_before
        self.rss_end = rss_mb(self.pid)

    def figures(self) -> dict[str, Any]:
        return {
            "server_cpu_s": round(self.cpu_s, 2),
            "server_cpu_pct": round(100 * self.cpu_s / max(self.wall_s, 1e-6), 1),
            "server_rss_mb": round(self.rss_end, 1),
            "server_rss_max_mb": round(self.rss_max, 1),
        }


def wait_until_up(
    url: str,
    process: subprocess.Popen[bytes],
    poll_s: float = 0.1,
    timeout: float = START_TIMEOUT_S,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited at start")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(poll_s)
    raise RuntimeError("the server did not come up")


def lernraum_env(workdir: Path) -> dict[str, str]:
    """The server's environment. Its bytecode is cached (outside the tree, in the bench
    cache) like in the image, which compiles it at build time: a restart is measured as
    deployed, not with every module compiled again."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {
        **env,
        "PYTHONPYCACHEPREFIX": str(CACHE / "pycache"),
        "LERNRAUM_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "LERNRAUM_DEMO": "false",
        "LERNRAUM_JOIN_MAX_ATTEMPTS": "1000000",
        "LERNRAUM_LOG_LEVEL": "warning",
        "LERNRAUM_STRUCTURES_DIRS": json.dumps([str(ROOT / "bench" / "structures")]),
    }


def add_facilitator(workdir: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "app", "facilitator", "add", EMAIL, "--password-stdin"],
        input=PASSWORD.encode(),
        env=lernraum_env(workdir),
        check=True,
        capture_output=True,
        cwd=ROOT,
    )


def start_lernraum(
    workdir: Path, port: int, poll_s: float = 0.1, timeout: float = START_TIMEOUT_S
) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "app", "serve", "--port", str(port)]
    log = (workdir / "server.log").open("ab")
    process = subprocess.Popen(
        pinned(0, argv), env=lernraum_env(workdir), cwd=ROOT, stdout=log, stderr=log
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process, poll_s, timeout)
    except RuntimeError:
        stop(process)
        raise
    return process


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


def stop(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait(timeout=10)


# --- preparing the workshops -------------------------------------------------------------


async def prepare_lernraum(
    base: str, source: str, workshops: int, participants: int, steps: list[dict[str, Any]]
) -> dict[str, Any]:
    """Workshops from ``source``, ``participants`` joined by code each, then ``steps`` run."""
    session = await log_in(base, EMAIL, PASSWORD)
    plan: dict[str, Any] = {"url": f"ws://127.0.0.1:{base.rsplit(':', 1)[1]}/live", "workshops": []}
    cookies = {"lernraum_session": session}
    async with (
        httpx.AsyncClient(base_url=base, cookies=cookies) as http,
        httpx.AsyncClient(base_url=base) as joiner,
    ):
        for _ in range(workshops):
            created = await http.post("/api/workshops", json={"source_id": source})
            created.raise_for_status()
            workshop = str(created.json()["id"])
            code = await join_code(base, workshop, session)
            gate = asyncio.Semaphore(JOIN_CONCURRENCY)

            async def one(number: int, code: str = code, gate: asyncio.Semaphore = gate) -> str:
                async with gate:
                    return (await join(base, code, f"Bench {number}", http=joiner)).token

            tokens = await asyncio.gather(*(one(n) for n in range(participants)))
            async with LiveClient(base, workshop, session=session) as facilitator:
                for command in steps:
                    await facilitator.command(command)
            members = [{"hello": {"workshop": workshop, "token": t}} for t in tokens]
            plan["workshops"].append(
                {
                    "id": workshop,
                    "members": members,
                    "session": session,
                }
            )
    return plan


def with_facilitators(plan: dict[str, Any]) -> dict[str, Any]:
    """One facilitator connection per workshop, observing every group."""
    for workshop in plan["workshops"]:
        hello = {"workshop": workshop["id"], "session": workshop["session"]}
        workshop["members"].append({"hello": hello, "kind": "facilitator"})
    return plan


def relay_plan(port: int, workshops: int, participants: int, group_size: int = 0) -> dict[str, Any]:
    """The relay's rooms: one per workshop, or one per group when the scenario has groups."""
    plan: dict[str, Any] = {"url": f"ws://127.0.0.1:{port}/live", "workshops": []}
    for w in range(workshops):
        members = []
        for n in range(participants):
            group = f"g{n // group_size}" if group_size else None
            room = f"w{w}-{group}" if group else f"w{w}"
            members.append({"hello": {"workshop": room, "token": f"t{w}-{n:05d}"}, "group": group})
        plan["workshops"].append({"id": f"w{w}", "members": members})
    return plan


# --- running the load generator ----------------------------------------------------------


def loadgen(
    plan: dict[str, Any], workdir: Path, name: str, options: list[str], timeout: float
) -> dict[str, Any]:
    plan_file = workdir / f"{name}-plan.json"
    plan_file.write_text(json.dumps(plan))
    argv = [sys.executable, str(ROOT / "bench" / "loadgen.py"), "--plan", str(plan_file), *options]
    finished = subprocess.run(
        pinned(1, argv), capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
    if finished.returncode != 0:
        raise RuntimeError(f"loadgen failed: {finished.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


def scaled(value: float, scale: float, least: int) -> int:
    return max(least, round(value * scale))


def run_load(
    target: str, spec: Spec, args: argparse.Namespace, workdir: Path, slow: int = 0
) -> dict[str, Any]:
    port = free_port()
    workshops = int(spec["workshops"])
    group_size = int(spec.get("group_size", 0))
    participants = scaled(spec["participants"], args.scale, 2 * group_size or 2)
    rate = spec["rate"] * args.rate_scale
    observe = spec.get("observe", 0.2) if args.observe_frac is None else args.observe_frac
    duration = args.duration
    if target == "relay" and args.baseline_duration is not None:
        duration = args.baseline_duration
    if target == "lernraum":
        add_facilitator(workdir)
        process = start_lernraum(workdir, port)
        base = f"http://127.0.0.1:{port}"
        if group_size:
            start = [{"type": "workshop.start"}]
            plan = asyncio.run(prepare_lernraum(base, BREAKOUTS, workshops, participants, start))
            plan = with_facilitators(plan)
        else:
            steps = [{"type": "workshop.start"}, {"type": "step.jump", "index": NOTES_STEP}]
            plan = asyncio.run(prepare_lernraum(base, AGENDA, workshops, participants, steps))
    else:
        process = start_relay(workdir, port)
        plan = relay_plan(port, workshops, participants, group_size)
    try:
        options = [
            "--rate",
            str(rate),
            "--duration",
            str(duration),
            "--observe-frac",
            str(observe),
            "--slow-per-workshop",
            str(slow),
            "--server-pid",
            str(process.pid),
        ]
        load = f"load{'-slow' if slow else ''}"
        profiler = None
        if args.profile and target == "lernraum":
            profiler = profile(process.pid, args, f"{args.current}{'-slow' if slow else ''}")
        with Sampler(process.pid) as sampler:
            result = loadgen(plan, workdir, f"{target}-{load}", options, duration + 300)
        if profiler is not None:
            result["profile"] = finish_profile(profiler)
        result.update(sampler.figures())
        result["unacked"] = result["sent"] - result["acked"]  # no answer by the end of draining
        receivers = result["participants"] + result["facilitators"] - result["slow"]
        # CPU per member-frame over the sending and draining only (connects left out)
        cpu_s = result.get("load_cpu_s", sampler.cpu_s)
        if result["deliveries"] and result["observers"]:
            all_deliveries = result["deliveries"] * receivers / result["observers"]
            result["server_us_per_delivery"] = round(1e6 * cpu_s / all_deliveries, 2)
        return result
    finally:
        stop(process)


def profile(pid: int, args: argparse.Namespace, name: str) -> tuple[subprocess.Popen[bytes], Path]:
    """py-spy sampling the server over the load (connects included), as raw stacks."""
    py_spy = Path(sys.executable).parent / "py-spy"
    out = args.out.parent / f"profile-{name}.txt"
    argv = [str(py_spy), "record", "-p", str(pid), "-d", str(int(args.duration + 10)), "-r", "100"]
    argv += ["-f", "raw", "-o", str(out), "--nonblocking"]
    log = out.with_suffix(".log").open("wb")
    return subprocess.Popen(argv, stdout=log, stderr=log), out


def finish_profile(profiler: tuple[subprocess.Popen[bytes], Path]) -> str:
    """Wait for py-spy (bounded) and write a summary next to its raw stacks."""
    process, raw = profiler
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    if not raw.exists():
        return f"py-spy wrote nothing; see {raw.with_suffix('.log')}"
    summary = raw.with_name(raw.stem + "-summary.txt")
    summary.write_text(summarise_profile(raw))
    return str(summary)


def summarise_profile(raw: Path, top: int = 40) -> str:
    """Own and inclusive shares of the sampled functions (py-spy's raw format)."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [
            frame.split(":")[0] + ")" if "(" in frame else frame for frame in stack.split(";")
        ]
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
    lines = [f"{total} samples", "", "own time:"]
    for frame, count in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"{100 * count / max(total, 1):5.1f} %  {frame}")
    lines += ["", "inclusive time:"]
    for frame, count in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"{100 * count / max(total, 1):5.1f} %  {frame}")
    return "\n".join(lines) + "\n"


def run_slow(target: str, spec: Spec, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Scenario 1 twice on fresh servers: without and with one silent member per workshop."""
    reference = run_load(target, spec, args, workdir / "reference")
    result = run_load(target, spec, args, workdir / "slow", slow=1)
    result["reference_p99_ms"] = reference["delivery_p99_ms"]
    result["reference_lost"] = reference["lost"]
    result["reference_rss_max_mb"] = reference["server_rss_max_mb"]
    if result["delivery_p99_ms"] is not None and reference["delivery_p99_ms"] is not None:
        result["p99_shift_ms"] = round(result["delivery_p99_ms"] - reference["delivery_p99_ms"], 2)
    return result


def run_storm(target: str, spec: Spec, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    port = free_port()
    participants = scaled(spec["participants"], args.scale, 4)
    items = scaled(spec["items"], args.scale, 20)
    if target == "lernraum":
        add_facilitator(workdir)
        process = start_lernraum(workdir, port)
        steps = [{"type": "workshop.start"}, {"type": "step.jump", "index": NOTES_STEP}]
        base = f"http://127.0.0.1:{port}"
        plan = asyncio.run(prepare_lernraum(base, AGENDA, 1, participants, steps))
    else:
        process = start_relay(workdir, port)
        plan = relay_plan(port, 1, participants)
    try:
        options = ["--mode", "storm", "--items", str(items), "--spreads", str(spec["spreads"])]
        with Sampler(process.pid) as sampler:
            result = loadgen(plan, workdir, f"{target}-storm", options, 600)
        result.update(sampler.figures())
        return result
    finally:
        stop(process)


def run_reshuffle(
    target: str, spec: Spec, args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    port = free_port()
    participants = scaled(spec["participants"], args.scale, 8)
    if target == "lernraum":
        add_facilitator(workdir)
        process = start_lernraum(workdir, port)
        steps = [{"type": "workshop.start"}, {"type": "step.next", "from_index": 0}]
        base = f"http://127.0.0.1:{port}"
        plan = with_facilitators(
            asyncio.run(prepare_lernraum(base, RESHUFFLE, 1, participants, steps))
        )
        plan["command"] = {"type": "step.next", "from_index": 1}
    else:
        process = start_relay(workdir, port)
        plan = relay_plan(port, 1, participants)
        plan["workshops"][0]["members"].append(
            {"hello": {"workshop": "w0", "token": "facilitator"}, "kind": "facilitator"}
        )
        plan["command"] = {"type": "step.next"}
    try:
        with Sampler(process.pid) as sampler:
            result = loadgen(plan, workdir, f"{target}-reshuffle", ["--mode", "reshuffle"], 300)
        result.update(sampler.figures())
        return result
    finally:
        stop(process)


def code_fingerprint() -> str:
    """What the stored log depends on: the core, the codec, the store and the runner."""
    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "app" / "core").glob("*.py")]) + [
        ROOT / "app" / name for name in ("codec.py", "store.py", "runner.py", "workshops.py")
    ]:
        digest.update(path.read_bytes())
    digest.update((ROOT / "bench" / "buildlog.py").read_bytes())
    return digest.hexdigest()[:12]


def recovery_database(workdir: Path, workshops: int, events: int, rebuild: bool) -> float:
    """The log of ``workshops`` x ``events`` in workdir/bench.db; the build time (0: cached)."""
    cached = CACHE / f"recovery-{workshops}x{events}-{code_fingerprint()}.db"
    target = workdir / "bench.db"
    if cached.exists() and not rebuild:
        shutil.copyfile(cached, target)
        return 0.0
    add_facilitator(workdir)
    argv = [
        sys.executable,
        str(ROOT / "bench" / "buildlog.py"),
        "--database",
        f"sqlite:///{target}",
        "--owner",
        EMAIL,
        "--workshops",
        str(workshops),
        "--events",
        str(events),
    ]
    started = time.monotonic()
    subprocess.run(pinned(1, argv), check=True, capture_output=True, timeout=3600, cwd=ROOT)
    built = time.monotonic() - started
    subprocess.run(  # one file to copy: fold the write-ahead log into the database
        [sys.executable, "-c", f"import sqlite3; sqlite3.connect({str(target)!r}).close()"],
        check=True,
    )
    CACHE.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(target, cached)
    return built


async def all_serving(port: int, ids: list[str]) -> float:
    """When the last of the workshops welcomed its facilitator (monotonic clock)."""
    session = await log_in(f"http://127.0.0.1:{port}", EMAIL, PASSWORD)

    async def one(workshop: str) -> float:
        async with connect(f"ws://127.0.0.1:{port}/live", compression=None, max_size=None) as ws:
            await ws.send(
                json.dumps({"type": "hello", "v": 1, "workshop": workshop, "session": session})
            )
            welcome = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if welcome.get("type") != "welcome":
                raise RuntimeError(f"no welcome from {workshop}: {str(welcome)[:200]}")
            return time.monotonic()

    times = await asyncio.gather(*(one(workshop) for workshop in ids))
    return max(times)


def run_recovery(
    target: str, spec: Spec, args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    workshops = int(spec["workshops"])
    events = scaled(spec["events"], args.scale, 100)
    built = recovery_database(workdir, workshops, events, args.rebuild)
    database = workdir / "bench.db"
    size_mb = database.stat().st_size / 2**20
    import sqlite3

    with sqlite3.connect(database) as db:
        ids = [row[0] for row in db.execute("SELECT id FROM workshops")]
        stored = db.execute("SELECT count(*) FROM events").fetchone()[0]
    port = free_port()
    warm = [sys.executable, "-c", "import app.cli, app.web.app"]  # fills the bytecode cache
    subprocess.run(warm, env=lernraum_env(workdir), cwd=ROOT, check=True, timeout=120)
    started = time.monotonic()
    process = start_lernraum(workdir, port, poll_s=0.01, timeout=RECOVERY_TIMEOUT_S)
    up = time.monotonic() - started
    try:
        serving = asyncio.run(all_serving(port, ids)) - started
        return {
            "workshops": len(ids),
            "events_per_workshop": events,
            "events": stored,
            "database_mb": round(size_mb, 1),
            "build_s": round(built, 1),
            "healthz_s": round(up, 2),
            "all_serving_s": round(serving, 2),
            "server_cpu_s": round(cpu_seconds(process.pid), 2),
            "server_rss_mb": round(rss_mb(process.pid), 1),
        }
    finally:
        stop(process)


def run_export(target: str, spec: Spec, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    port = free_port()
    items = scaled(spec["items"], args.scale, 50)
    add_facilitator(workdir)
    process = start_lernraum(workdir, port)
    try:
        base = f"http://127.0.0.1:{port}"
        steps = [{"type": "workshop.start"}, {"type": "step.jump", "index": NOTES_STEP}]
        plan = asyncio.run(prepare_lernraum(base, AGENDA, 1, min(100, items), steps))
        filled = loadgen(
            plan, workdir, "export-fill", ["--mode", "fill", "--items", str(items)], 600
        )
        workshop, session = plan["workshops"][0]["id"], plan["workshops"][0]["session"]
        result: dict[str, Any] = {"items": filled["items"], "fill_errors": filled["fill_errors"]}
        with httpx.Client(base_url=base, cookies={"lernraum_session": session}, timeout=60) as http:
            for fmt in EXPORT_FORMATS:
                times = []
                for _ in range(EXPORT_REPEATS):
                    before = time.monotonic()
                    response = http.get(f"/api/workshops/{workshop}/export.{fmt}")
                    times.append((time.monotonic() - before) * 1000)
                    response.raise_for_status()
                result[f"{fmt}_ms"] = round(sorted(times)[len(times) // 2], 1)
                result[f"{fmt}_first_ms"] = round(times[0], 1)
                result[f"{fmt}_kb"] = round(len(response.content) / 1024, 1)
        result["server_rss_mb"] = round(rss_mb(process.pid), 1)
        return result
    finally:
        stop(process)


IDLE_HOLD_S = 8.0  # how long the idle connections stay; the driver reads RSS after SETTLE_S
IDLE_SETTLE_S = 3.0
IDLE_READY_TIMEOUT_S = 120.0


def run_idle(target: str, spec: Spec, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """RSS per idle connection: the server's RSS with the first ``first`` members of each
    workshop connected and idle, then with all of them, on the same server; the slope
    between the two leaves out what any connection costs once (code paths, caches)."""
    port = free_port()
    workshops = int(spec["workshops"])
    participants = scaled(spec["participants"], args.scale, 4)
    first = min(participants - 1, scaled(spec["first"], args.scale, 2))
    if target == "lernraum":
        add_facilitator(workdir)
        process = start_lernraum(workdir, port)
        base = f"http://127.0.0.1:{port}"
        steps = [{"type": "workshop.start"}, {"type": "step.jump", "index": NOTES_STEP}]
        plan = asyncio.run(prepare_lernraum(base, AGENDA, workshops, participants, steps))
    else:
        process = start_relay(workdir, port)
        plan = relay_plan(port, workshops, participants)
    try:
        figures: dict[str, Any] = {"rss_before_mb": round(rss_mb(process.pid), 1)}
        for label, count in (("few", first), ("all", participants)):
            part = {
                **plan,
                "workshops": [{**w, "members": w["members"][:count]} for w in plan["workshops"]],
            }
            connected, rss = idle_once(part, workdir, f"{target}-idle-{label}", process.pid)
            figures[f"connected_{label}"] = connected
            figures[f"rss_{label}_mb"] = round(rss, 1)
        added = figures["connected_all"] - figures["connected_few"]
        kb = (figures["rss_all_mb"] - figures["rss_few_mb"]) * 1024 / max(added, 1)
        figures["kb_per_connection"] = round(kb, 1)
        return figures
    finally:
        stop(process)


def idle_once(plan: dict[str, Any], workdir: Path, name: str, pid: int) -> tuple[int, float]:
    """Hold ``plan``'s members connected and idle; how many, and the server's RSS then."""
    plan_file, ready = workdir / f"{name}-plan.json", workdir / f"{name}.ready"
    plan_file.write_text(json.dumps(plan))
    argv = [sys.executable, str(ROOT / "bench" / "loadgen.py"), "--plan", str(plan_file)]
    argv += ["--mode", "idle", "--hold", str(IDLE_HOLD_S), "--ready-file", str(ready)]
    generator = subprocess.Popen(pinned(1, argv), cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + IDLE_READY_TIMEOUT_S
        while not ready.exists():
            if time.monotonic() > deadline or generator.poll() is not None:
                raise RuntimeError(f"{name}: the idle connections did not come up")
            time.sleep(0.1)
        time.sleep(IDLE_SETTLE_S)
        rss = rss_mb(pid)
        out, _ = generator.communicate(timeout=IDLE_HOLD_S + 60)
    finally:
        if generator.poll() is None:
            generator.kill()
            generator.wait(timeout=10)
    result = json.loads(out.strip().splitlines()[-1])
    return int(result["connected"]), rss


RUNNERS: dict[str, Callable[[str, Spec, argparse.Namespace, Path], dict[str, Any]]] = {
    "idle": run_idle,
    "load": run_load,
    "slow": run_slow,
    "storm": run_storm,
    "reshuffle": run_reshuffle,
    "recovery": run_recovery,
    "export": run_export,
}


# --- tables ------------------------------------------------------------------------------


def ratio(mine: Any, base: Any) -> str:
    if not isinstance(mine, int | float) or not isinstance(base, int | float) or base == 0:
        return "–"
    return f"{mine / base:.2f}×"


def shown(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "0"
    return str(value)


COLUMNS: dict[str, list[tuple[str, str]]] = {
    "load": [
        ("delivery_p50_ms", "delivery p50 ms"),
        ("delivery_p99_ms", "delivery p99 ms"),
        ("ack_p99_ms", "ack p99 ms"),
        ("load_cpu_pct", "server CPU %"),
        ("server_us_per_delivery", "CPU µs/delivery"),
        ("load_cpu_wait_s", "CPU wait s"),
        ("server_rss_max_mb", "RSS max MB"),
        ("gen_cpu_pct", "gen CPU %"),
    ],
    "slow": [
        ("reference_p99_ms", "p99 without ms"),
        ("delivery_p99_ms", "p99 with ms"),
        ("p99_shift_ms", "p99 shift ms"),
        ("load_cpu_pct", "server CPU %"),
        ("reference_rss_max_mb", "RSS max without MB"),
        ("server_rss_max_mb", "RSS max with MB"),
    ],
    "storm": [
        ("all_served_s", "all served s"),
        ("connect_p50_ms", "connect→snapshot p50 ms"),
        ("connect_p99_ms", "p99 ms"),
        ("connect_max_ms", "max ms"),
        ("snapshot_kb", "snapshot KB"),
    ],
    "reshuffle": [
        ("all_regrouped_ms", "all regrouped ms"),
        ("regroup_p50_ms", "p50 ms"),
        ("regroup_p99_ms", "p99 ms"),
        ("ack_ms", "ack ms"),
        ("server_rss_max_mb", "RSS max MB"),
    ],
    "recovery": [
        ("events", "events"),
        ("database_mb", "database MB"),
        ("healthz_s", "up s"),
        ("all_serving_s", "all serving s"),
        ("server_rss_mb", "RSS MB"),
    ],
    "export": [(f"{fmt}_ms", f"{fmt} ms") for fmt in EXPORT_FORMATS]
    + [(f"{fmt}_kb", f"{fmt} KB") for fmt in EXPORT_FORMATS],
    "idle": [
        ("rss_before_mb", "RSS before MB"),
        ("rss_few_mb", "RSS few MB"),
        ("rss_all_mb", "RSS all MB"),
        ("kb_per_connection", "KB per idle connection"),
    ],
}
COUNTS: dict[str, list[tuple[str, str]]] = {
    "load": [
        ("unacked", "unacked"),
        ("lost", "lost"),
        ("leaked", "leaked"),
        ("duplicated", "dup"),
        ("errors", "errors"),
    ],
    "slow": [("unacked", "unacked"), ("lost", "lost"), ("duplicated", "dup"), ("errors", "errors")],
    "storm": [("served", "served"), ("complete_snapshots", "complete"), ("failures", "failed")],
    "reshuffle": [("regrouped", "regrouped"), ("group_sizes", "sizes"), ("errors", "errors")],
    "recovery": [],
    "export": [("fill_errors", "fill errors")],
    "idle": [("connected_few", "few"), ("connected_all", "all")],
}


def flat_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A storm row becomes one row per spread."""
    out = []
    for row in rows:
        if row.get("mode") == "storm":
            for storm in row["storms"]:
                label = f"{row['scenario']} ({storm['spread_s']:g} s)"
                out.append({**row, **storm, "scenario": label})
        else:
            out.append(row)
    return out


def table(rows: list[dict[str, Any]]) -> str:
    blocks = []
    rows = flat_rows(rows)
    for kind in COLUMNS:
        mine = [row for row in rows if row["kind"] == kind]
        if not mine:
            continue
        columns, counts = COLUMNS[kind], COUNTS[kind]
        titles = [title for _, title in columns + counts]
        lines = [
            "| scenario | target | scale | load avg | " + " | ".join(titles) + " |",
            "|---|---|---|---|" + "---|" * len(titles),
        ]
        baselines = {row["scenario"]: row for row in mine if row["target"] == "relay"}
        for row in mine:
            cells = []
            base = baselines.get(row["scenario"], {})
            for key, _ in columns:
                cell = shown(row.get(key))
                if row["target"] != "relay" and base:
                    cell += f" ({ratio(row.get(key), base.get(key))})"
                cells.append(cell)
            cells += [shown(row.get(key)) for key, _ in counts]
            lines.append(
                f"| {row['scenario']} | {row['target']} | {row['scale']:g} | {row['load_avg']} | "
                + " | ".join(cells)
                + " |"
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scenario", choices=[*SCENARIOS, "all"], action="append", help="repeatable"
    )
    parser.add_argument("--targets", default="relay,lernraum")
    parser.add_argument("--scale", type=float, default=1.0, help="share of the people and items")
    parser.add_argument("--rate-scale", type=float, default=1.0, help="share of the rate")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of sending")
    parser.add_argument(
        "--baseline-duration", type=float, help="seconds of sending for the relay (default: same)"
    )
    parser.add_argument(
        "--observe-frac",
        type=float,
        help="share of the participants that send and parse every frame (default 0.2; "
        "breakout hour: 1)",
    )
    parser.add_argument("--rebuild", action="store_true", help="recovery: build the log anew")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the Lernraum server under load scenarios"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.jsonl")
    parser.add_argument("--table", type=Path, help="only print the tables of a JSON-lines file")
    args = parser.parse_args()
    if args.table is not None:
        rows = [json.loads(line) for line in args.table.read_text().splitlines() if line]
        for row in rows:
            if "sent" in row and "acked" in row:
                row.setdefault("unacked", row["sent"] - row["acked"])
        print(table(rows))
        return 0
    if not 0 < args.scale <= 1 or not 0 < args.rate_scale <= 1:
        parser.error("--scale and --rate-scale are shares between 0 and 1")
    names = args.scenario or ["steady"]
    if "all" in names:
        names = list(SCENARIOS)
    rows: list[dict[str, Any]] = []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for name in names:
        spec = SCENARIOS[name]
        args.current = name
        for target in args.targets.split(","):
            if target == "relay" and name in ONLY_LERNRAUM:
                continue
            loads = load_average()
            with tempfile.TemporaryDirectory(prefix="lernraum-bench-") as workdir:
                for sub in ("reference", "slow"):
                    (Path(workdir) / sub).mkdir()
                result = RUNNERS[spec["kind"]](target, spec, args, Path(workdir))
            row = {
                "scenario": name,
                "kind": spec["kind"],
                "target": target,
                "scale": args.scale,
                "load_avg": loads,
                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                **result,
            }
            rows.append(row)
            with args.out.open("a", encoding="utf-8") as file:
                file.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
    print()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
