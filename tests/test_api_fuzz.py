"""Fuzzing the public API: random dtypes, shapes, strides, contents, boxes, intrinsics and
interleaved fit / detect / track calls. Every call returns a finite result or raises a documented
exception (TypeError, ValueError, ModelNotFoundError); a crash is a failure with a reproducer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES, fuzz_cases
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pyfacelm

HERE = Path(__file__).resolve().parent


def run_harness(model_dir: Path, tmp_path: Path, seed: int, n: int, timeout: float) -> dict:
    state, out = tmp_path / "state.json", tmp_path / "out"
    cmd = [
        sys.executable,
        str(HERE / "api_fuzz.py"),
        str(model_dir),
        str(seed),
        str(n),
        str(state),
        str(out),
        "-",
        "-",
    ]
    cmd.append(str(SAMPLES))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"API fuzzing hung; last case: {state.read_text() if state.exists() else '?'}")
    if proc.returncode != 0:
        last = state.read_text() if state.exists() else "?"
        pytest.fail(
            f"API fuzzing failed (exit {proc.returncode}); reproduce with `python "
            f"tests/api_fuzz.py MODEL_DIR {seed} 1 STATE OUT --replay <case> {SAMPLES}`; "
            f"last case: {last}\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_api_fuzz_cases(model_dir, tmp_path):
    n = fuzz_cases("PYFACELM_API_FUZZ_CASES", full=2000, quick=200)
    summary = run_harness(
        model_dir, tmp_path, int(os.environ.get("PYFACELM_API_FUZZ_SEED", "1")), n, 900
    )
    assert summary["cases"] == n
    ok = sum(v for k, v in summary["counts"].items() if k.endswith(":ok"))
    assert ok > n // 4, summary  # the harness exercises the core, not just argument checks


@pytest.mark.slow
def test_api_fuzz_long_run(model_dir, tmp_path):
    summary = run_harness(model_dir, tmp_path, 7, 20000, 3600)
    print(json.dumps(summary))
    assert summary["cases"] == 20000


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hnp.arrays(
        np.uint8,
        hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=40).filter(
            lambda s: len(s) == 2 or s[2] == 3
        ),
        elements=st.integers(0, 255),
    ),
    st.sampled_from(["bgr", "rgb"]),
)
def test_to_gray_property(img, color):
    cv2 = pytest.importorskip("cv2")
    g = pyfacelm.to_gray(img, color=color)
    if img.ndim == 2:
        np.testing.assert_array_equal(g, img)
    else:
        bgr = img if color == "bgr" else np.ascontiguousarray(img[:, :, ::-1])
        np.testing.assert_array_equal(
            g, cv2.cvtColor(np.ascontiguousarray(bgr), cv2.COLOR_BGR2GRAY)
        )


finite_or_not = st.one_of(
    st.floats(-1e4, 1e4), st.sampled_from([float("nan"), float("inf"), -float("inf"), 0.0, 1e30])
)


@pytest.fixture(scope="module")
def clnf(model_dir):
    return pyfacelm.CLNFDetector("clnf", model_dir)


@settings(max_examples=120, deadline=None)
@given(st.tuples(finite_or_not, finite_or_not, finite_or_not, finite_or_not))
def test_fit_box_property(clnf, box):
    img = np.full((120, 160, 3), 128, np.uint8)
    try:
        f = clnf.fit(img, box)
    except ValueError:
        return
    assert np.isfinite(f.landmarks).all() and np.isfinite(f.pose).all()
    assert isinstance(f.success, bool)
