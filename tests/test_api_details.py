"""API details (issue 12 item 10): detector-level colour order, PathLike PDM paths, dtype
messages, unknown model names, and the CLI options that mirror the API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES

import pyfacelm
from pyfacelm.cli import build_parser
from pyfacelm.models import model_sets
from pyfacelm.video import iter_video

cv2 = pytest.importorskip("cv2", reason="opencv-python-headless decodes the sample images")

PDM_FILE = "pdms/In-the-wild_aligned_PDM_68.txt"


@pytest.fixture(scope="module")
def det(model_dir):
    return pyfacelm.CLNFDetector("clnf", model_dir)


@pytest.fixture(scope="module")
def det_rgb(model_dir):
    return pyfacelm.CLNFDetector("clnf", model_dir, color="rgb")


@pytest.fixture(scope="module")
def sample1(samples_dir):
    return cv2.imread(str(SAMPLES / "sample1.jpg"), cv2.IMREAD_COLOR)


def test_detector_colour_default_applies_to_every_call(det, det_rgb, sample1):
    rgb = np.ascontiguousarray(sample1[..., ::-1])
    assert det.color == "bgr" and det_rgb.color == "rgb"
    boxes_bgr = det.detect_faces(sample1)
    np.testing.assert_array_equal(det_rgb.detect_faces(rgb), boxes_bgr)
    box = boxes_bgr[0, :4]
    ref = det.fit(sample1, box)
    np.testing.assert_array_equal(det_rgb.fit(rgb, box).landmarks, ref.landmarks)
    np.testing.assert_array_equal(det_rgb.detect(rgb)[0].landmarks, ref.landmarks)
    # A per-call colour still overrides the detector's.
    np.testing.assert_array_equal(det_rgb.fit(sample1, box, color="bgr").landmarks, ref.landmarks)
    # The wrong order changes the result (so the checks above can fail).
    assert not np.array_equal(det.fit(rgb, box).landmarks, ref.landmarks)
    t_bgr, t_rgb = det.tracker(), det_rgb.tracker()
    for _ in range(3):
        a, b = t_bgr.update(sample1), t_rgb.update(rgb)
        np.testing.assert_array_equal(a[0].landmarks, b[0].landmarks)


def test_bad_detector_colour(model_dir):
    with pytest.raises(ValueError, match="color must be"):
        pyfacelm.CLNFDetector("clnf", model_dir, color="hsv")


def test_pdm_accepts_pathlike(model_dir):
    as_str = pyfacelm.PDM(str(model_dir / PDM_FILE))
    as_path = pyfacelm.PDM(model_dir / PDM_FILE)
    as_bytes = pyfacelm.PDM(os.fsencode(model_dir / PDM_FILE))
    for p in (as_path, as_bytes):
        assert p.path == as_str.path
        np.testing.assert_array_equal(p.mean_shape, as_str.mean_shape)
    with pytest.raises(TypeError):
        pyfacelm.PDM(123)  # type: ignore[arg-type]
    with pytest.raises(pyfacelm.ModelNotFoundError):
        pyfacelm.PDM(model_dir / "pdms" / "missing.txt")


@pytest.mark.parametrize(
    "dtype, says, hint",
    [
        (np.int64, "int64", "np.clip(img, 0, 255).astype(np.uint8)"),
        (np.int32, "int32", "np.clip(img, 0, 255).astype(np.uint8)"),
        (np.bool_, "bool", "img.astype(np.uint8) * 255"),
        (np.float32, "float32", "np.clip(img * 255"),
    ],
)
def test_dtype_messages_name_the_dtype_given(det, dtype, says, hint):
    img = np.zeros((100, 100), dtype=dtype)
    with pytest.raises(TypeError) as e:
        det.fit(img, (10, 10, 50, 50))
    msg = str(e.value)
    assert f"dtype {says}" in msg and hint in msg
    if dtype is not np.float32:
        assert "float" not in msg


def test_unknown_model_name_is_a_value_error(model_dir):
    with pytest.raises(ValueError, match="unknown model 'clnff'") as e:
        pyfacelm.CLNFDetector("clnff", model_dir)
    assert not isinstance(e.value, FileNotFoundError)


@pytest.mark.parametrize("missing", ["nowhere/main_clnf_general.txt", "main_nothing.txt"])
def test_missing_main_file_is_model_not_found(tmp_path, missing):
    for arg in (str(tmp_path / missing), tmp_path / missing, missing):
        with pytest.raises(pyfacelm.ModelNotFoundError, match="model file not found"):
            pyfacelm.CLNFDetector(arg)


def test_model_given_as_pathlike(model_dir):
    det = pyfacelm.CLNFDetector(model_dir / "main_clnf_general.txt")
    assert det.model_name == "main_clnf_general" and det.model_dir == Path(model_dir).resolve()


def _cli(*args: str, model_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if model_dir is not None:
        env["PYFACELM_MODEL_DIR"] = str(model_dir)
    return subprocess.run(
        [sys.executable, "-m", "pyfacelm", *args], capture_output=True, text=True, env=env
    )


def test_cli_set_choices_come_from_the_manifest():
    for name in [*model_sets(), "all"]:
        assert build_parser().parse_args(["models", "download", "--set", name]).set == [name]
    assert "validator" in model_sets()  # a set the old hard-coded list did not offer
    r = _cli("models", "download", "--set", "bogus")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    for name in model_sets():
        assert repr(name) in r.stderr


def test_cli_model_dir_is_spelled_alike_everywhere(model_dir, tmp_path):
    for flag in ("--model-dir", "--dir"):
        r = _cli("models", "where", flag, str(model_dir))
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines()[0].endswith(str(Path(model_dir).resolve()))
    for flag in ("--model-dir", "--dir"):
        r = _cli("models", "where", flag, str(tmp_path))
        assert "Traceback" not in r.stderr and str(tmp_path) in r.stdout


def test_cli_max_faces_all_is_the_apis_none(model_dir, samples_dir, tmp_path):
    args = build_parser().parse_args(["video", "x.avi", "--max-faces", "all"])
    assert args.max_faces is None
    assert build_parser().parse_args(["video", "x.avi"]).max_faces == 1
    assert build_parser().parse_args(["video", "x.avi", "--max-faces", "3"]).max_faces == 3
    for bad in ("0", "-1", "many"):
        r = _cli("video", str(SAMPLES / "multi_face.avi"), "--max-faces", bad)
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert "'all'" in r.stderr
    # 'all' tracks every face: more than one face id in the CSV of the multi-face sample.
    seq = tmp_path / "seq"
    seq.mkdir()
    # pyfacelm's reader, not cv2.VideoCapture: it keeps FFmpeg quiet for the whole process.
    for i, frame in enumerate(iter_video(SAMPLES / "multi_face.avi")):
        if i == 9:
            break
        cv2.imwrite(str(seq / f"{i:03d}.png"), frame)
    out = tmp_path / "out.csv"
    r = _cli("video", str(seq), "--max-faces", "all", "-o", str(out), model_dir=model_dir)
    assert r.returncode == 0, r.stderr
    rows = [line.split(",") for line in out.read_text().splitlines()[1:]]
    assert len({row[1].strip() for row in rows}) >= 2
