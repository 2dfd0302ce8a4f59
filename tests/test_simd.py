"""Both CNN kernels (AVX2 + FMA and the portable one ARM and older x86 run) meet the parity
tolerances: the MTCNN boxes and the validator's confidences. The default kernel runs in
test_detect.py and test_fit.py; here PYFACELM_SIMD=baseline is set when the models load.
The SVR patch-expert kernel is bit-identical to its portable loop: checked exactly."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import import_or_missing
from parity import mtcnn_run, portable_kernel_fit_run, violations
from parity_tolerances import TOLERANCES

import pyfacelm
from pyfacelm import _clnf

import_or_missing("cv2", "opencv-python-headless (test extra) decodes the samples")


def cpu_has_avx2() -> bool:
    try:
        with open("/proc/cpuinfo") as fh:
            flags = fh.read()
    except OSError:
        return False
    return " avx2" in flags and " fma" in flags


def blank() -> np.ndarray:
    return np.zeros((64, 64, 3), np.uint8)


def test_kernel_choice(model_dir, monkeypatch):
    path = str(model_dir / "mtcnn_detector" / "MTCNN_detector.txt")
    main = str(model_dir / "main_clnf_general.txt")
    monkeypatch.delenv("PYFACELM_SIMD", raising=False)
    default = pyfacelm.simd()
    if sys.platform.startswith("linux") and os.uname().machine == "x86_64":
        assert default == ("avx2" if cpu_has_avx2() else "baseline")
    monkeypatch.setenv("PYFACELM_SIMD", "baseline")
    assert pyfacelm.simd() == "baseline"
    mt, clnf = _clnf.MTCNN(path), _clnf.CLNFModel(main)
    assert mt.simd == "baseline" and clnf.simd == "baseline"
    # A loaded model keeps its kernel; the variable is read at load time.
    monkeypatch.setenv("PYFACELM_SIMD", "auto")
    assert mt.simd == "baseline" and clnf.simd == "baseline"
    assert _clnf.MTCNN(path).simd == default and _clnf.CLNFModel(main).simd == default
    monkeypatch.setenv("PYFACELM_SIMD", "sse9")
    for load in (pyfacelm.simd, lambda: _clnf.MTCNN(path), lambda: _clnf.CLNFModel(main)):
        with pytest.raises(ValueError, match="PYFACELM_SIMD"):
            load()
    monkeypatch.setenv("PYFACELM_SIMD", "avx2")
    if default == "avx2":
        assert _clnf.MTCNN(path).simd == "avx2"
    else:
        with pytest.raises(ValueError, match="AVX2"):
            _clnf.MTCNN(path)


def test_cli_reports_a_bad_kernel_choice_in_one_line(model_dir, tmp_path):
    env = dict(os.environ, PYFACELM_MODEL_DIR=str(model_dir), PYFACELM_SIMD="sse9")
    img = tmp_path / "x.png"
    import cv2

    cv2.imwrite(str(img), blank())
    r = subprocess.run(
        [sys.executable, "-m", "pyfacelm", "image", str(img)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 1 and "PYFACELM_SIMD" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1


def test_mtcnn_parity_with_the_baseline_kernel(model_dir, reference, samples_dir):
    reference("images_clnf.json")  # present, or skip/fail
    summary = mtcnn_run(model_dir, "baseline")
    assert summary["boxes"] == 111
    assert not violations(summary, TOLERANCES["MTCNN"]), summary


def test_validator_parity_with_the_baseline_kernel(model_dir, reference, samples_dir):
    """The CLNF fits (the validator decides success and confidence) with the portable kernel."""
    reference("images_clnf.json")  # present, or skip/fail
    summary = portable_kernel_fit_run(model_dir)
    assert not violations(summary, TOLERANCES["CLNF"]), summary


def test_svr_kernel_is_bit_identical_to_the_portable_loop(
    model_dir, reference, samples_dir, monkeypatch
):
    """CLM's main model (SVR experts, no parts, no validator) fitted with both kernels."""
    monkeypatch.delenv("PYFACELM_SIMD", raising=False)
    if pyfacelm.simd() != "avx2":
        pytest.skip("this CPU runs the portable kernel only")
    import cv2

    path = str(model_dir / "clm_general.txt")
    default = _clnf._LandmarkModel(path)
    monkeypatch.setenv("PYFACELM_SIMD", "baseline")
    portable = _clnf._LandmarkModel(path)
    fitted = 0
    for key, entry in list(reference("images_clm.json").items())[:4]:
        img = cv2.imread(str(samples_dir / key), cv2.IMREAD_COLOR)
        for face in entry["faces"]:
            g = face["init_from_bbox"]["params_global"]
            a, b = default.fit(img, g), portable.fit(img, g)
            np.testing.assert_array_equal(a.landmarks, b.landmarks)
            np.testing.assert_array_equal(a.params_local, b.params_local)
            assert a.model_likelihood == b.model_likelihood
            fitted += 1
    assert fitted >= 4
