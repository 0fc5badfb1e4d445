"""The benchmark harness stays runnable: small runs against the relay and a real server.

These check that the scenarios run and that nothing is lost, duplicated or leaked; speed is
measured by ``bench/run.py`` alone, never asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SMOKE_S = 20  # seconds of sending in the smoke run of scenario 1


def bench(tmp_path: Path, *options: str) -> tuple[list[dict[str, Any]], str]:
    out = tmp_path / "bench.jsonl"
    finished = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), *options, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    return [json.loads(line) for line in out.read_text().splitlines()], finished.stdout


def test_a_steady_smoke_run_loses_and_duplicates_nothing_on_both_targets(tmp_path: Path):
    """Scenario 1 for 20 seconds of sending at a small scale (the relay for 3, only so
    that the ratios are printed): it runs and loses nothing."""
    rows, printed = bench(
        tmp_path,
        *("--scenario", "steady", "--scale", "0.02", "--rate-scale", "0.3"),
        *("--duration", str(SMOKE_S), "--baseline-duration", "3", "--observe-frac", "1"),
    )
    assert [row["target"] for row in rows] == ["relay", "lernraum"]
    assert [row["duration_s"] for row in rows] == [3, SMOKE_S]
    for row in rows:
        assert row["participants"] == 20 and row["workshops"] == 2 and row["sent"] > 0
        assert row["acked"] == row["sent"], row
        assert (row["lost"], row["leaked"], row["duplicated"], row["out_of_order"]) == (0, 0, 0, 0)
        assert row["errors"] == {} and row["disconnected"] == 0, row
        assert row["deliveries"] > 0, row
        assert row["server_cpu_s"] >= 0 and row["server_rss_max_mb"] > 0
    assert "| steady | lernraum |" in printed and "×)" in printed


def test_a_reshuffle_and_a_join_storm_serve_everyone_their_own_view(tmp_path: Path):
    rows, _ = bench(
        tmp_path,
        *("--scenario", "reshuffle", "--scenario", "join-storm"),
        *("--scale", "0.02", "--targets", "lernraum"),
    )
    reshuffle, storm = rows
    assert reshuffle["participants"] == 10 and reshuffle["regrouped"] == 10, reshuffle
    sizes = {int(size): groups for size, groups in reshuffle["group_sizes"].items()}
    assert sum(size * groups for size, groups in sizes.items()) == 10 and min(sizes) >= 2, sizes
    assert reshuffle["errors"] == {} and reshuffle["duplicated"] == 0
    assert storm["items"] == 40 and storm["fill_errors"] == {}
    assert [s["spread_s"] for s in storm["storms"]] == [1.0, 0.0]
    for one in storm["storms"]:
        assert one["served"] == one["clients"] == 10 and one["failures"] == {}, one
        assert one["complete_snapshots"] == 10, one


def test_idle_memory_holds_every_connection_and_reads_the_servers_memory(tmp_path: Path):
    rows, printed = bench(tmp_path, *("--scenario", "idle-memory", "--scale", "0.02"))
    assert [row["target"] for row in rows] == ["relay", "lernraum"]
    for row in rows:
        assert (row["connected_few"], row["connected_all"]) == (4, 20), row
        assert min(row["rss_before_mb"], row["rss_few_mb"], row["rss_all_mb"]) > 0, row
        assert isinstance(row["kb_per_connection"], float)
    assert "| idle-memory | lernraum |" in printed
