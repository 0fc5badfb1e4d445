"""The benchmark harness stays runnable: a tiny run against the relay and a real server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_tiny_steady_run_measures_both_targets_and_loses_nothing(tmp_path: Path):
    out = tmp_path / "bench.jsonl"
    finished = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--scenario",
            "steady",
            "--scale",
            "0.006",
            "--rate-scale",
            "0.2",
            "--duration",
            "1",
            "--observe-frac",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["target"] for row in rows] == ["relay", "lernraum"]
    for row in rows:
        assert row["participants"] == 6 and row["sent"] > 0
        assert row["acked"] == row["sent"], row
        assert (row["lost"], row["duplicated"], row["out_of_order"]) == (0, 0, 0), row
        assert row["errors"] == {} and row["deliveries"] > 0
        assert row["server_cpu_pct"] >= 0 and row["server_rss_mb"] > 0
    assert "| steady | lernraum |" in finished.stdout and "×)" in finished.stdout
