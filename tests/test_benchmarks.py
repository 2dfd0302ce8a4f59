"""The benchmark scripts run and say what they measure."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO, SHARED, import_or_missing

import_or_missing("cv2", "opencv-python-headless (test extra) decodes the samples")


def test_bench_load_measures_one_core_and_says_what_the_first_fit_pays(model_dir, reference):
    reference("timings.json")  # the original's load times, or skip/fail
    script = REPO / "benchmarks" / "bench_load.py"
    text = script.read_text()
    assert "calling thread" in text and "first use" in text
    env = dict(os.environ, PYFACELM_MODEL_DIR=str(model_dir), PYFACELM_SHARED_DIR=str(SHARED))
    r = subprocess.run(
        [sys.executable, str(script), "--repeats", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    for model in ("clnf", "clm", "mtcnn"):
        (line,) = [x for x in lines if x.startswith(f"{model} load:")]
        if hasattr(os, "sched_setaffinity"):
            assert "1 core" in line, line
        assert "cores" in line and "CPU time" in line and "original 1 thread" in line, line
    for model in ("clnf", "clm"):
        assert len([x for x in lines if x.startswith(f"{model} first fit:")]) == 1, r.stdout
