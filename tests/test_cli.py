"""The command line: CSV with OpenFace's columns, drawings, exit codes."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import SAMPLES

import pyfacelm
from pyfacelm.cli import main
from pyfacelm.csv_output import header
from pyfacelm.video import iter_video

cv2 = pytest.importorskip("cv2", reason="opencv-python-headless (the video extra) is needed")


def read_csv(path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def test_header_names_follow_openface():
    cols = header(68, 56, 34, sequence=True)
    assert cols[:5] == ["frame", "face_id", "timestamp", "confidence", "success"]
    assert cols[5:13] == [
        "gaze_0_x", "gaze_0_y", "gaze_0_z", "gaze_1_x", "gaze_1_y", "gaze_1_z",
        "gaze_angle_x", "gaze_angle_y",
    ]  # fmt: skip
    assert cols[13] == "eye_lmk_x_0" and cols[13 + 56] == "eye_lmk_y_0"
    assert cols[13 + 112] == "eye_lmk_X_0" and cols[13 + 224] == "eye_lmk_Z_0"
    i = cols.index("pose_Tx")
    assert cols[i : i + 6] == ["pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"]
    assert cols[i + 6] == "x_0" and cols[i + 6 + 68] == "y_0" and cols[i + 6 + 136] == "X_0"
    assert (
        cols[-40:-34] == ["p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty"] and cols[-1] == "p_33"
    )
    assert not any(c.startswith("AU") for c in cols)


def test_video_csv_equals_tracker(model_dir, samples_dir, tmp_path):
    # The first 60 frames of default.wmv as a 15 fps clip: the comparison needs a real video
    # file, not all 288 frames (the parity tests track those).
    video = tmp_path / "clip.avi"
    frames = [f for _, f in zip(range(60), iter_video(SAMPLES / "default.wmv"))]
    writer = cv2.VideoWriter(
        str(video), cv2.VideoWriter_fourcc(*"MJPG"), 15, frames[0].shape[1::-1]
    )
    for f in frames:
        writer.write(f)
    writer.release()
    out = tmp_path / "out.csv"
    draw = tmp_path / "out.mp4"
    rc = main(
        ["video", str(video), "-o", str(out), "--draw", str(draw), "--model-dir", str(model_dir)]
    )
    assert rc == 0
    head, rows = read_csv(out)
    assert head == header(68, 56, 34, sequence=True) and len(rows) == 60
    tracker = pyfacelm.CLNFDetector("clnf", model_dir).tracker()
    xi = head.index("x_0")
    for k, frame in enumerate(iter_video(video)):
        f = tracker.update(frame)[0]
        row = rows[k]
        assert row[0] == str(k + 1) and row[1] == "0" and row[2] == f"{k / 15:.3f}"
        assert row[4] == ("1" if f.success else "0")
        xs = np.array(row[xi : xi + 68], float)
        ys = np.array(row[xi + 68 : xi + 136], float)
        np.testing.assert_allclose(xs, f.landmarks[:, 0], atol=0.051)
        np.testing.assert_allclose(ys, f.landmarks[:, 1], atol=0.051)
    cap = cv2.VideoCapture(str(draw))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == 60


def test_image_csv_and_drawings(model_dir, samples_dir, tmp_path):
    out = tmp_path / "img.csv"
    draw = tmp_path / "drawn"
    imgs = [str(SAMPLES / "sample1.jpg"), str(SAMPLES / "sample2.jpg")]
    assert (
        main(
            [
                "image",
                *imgs,
                "-o",
                str(out),
                "--draw",
                str(draw),
                "--model-dir",
                str(model_dir),
                "-q",
            ]
        )
        == 0
    )
    head, rows = read_csv(out)
    assert head[:4] == ["image", "face", "confidence", "success"] and len(rows) == 4
    assert [r[1] for r in rows] == ["0", "0", "1", "2"]
    for name in ("sample1.png", "sample2.png"):
        img = cv2.imread(str(draw / name))
        assert img is not None and img.shape[2] == 3


def test_folder_as_sequence(model_dir, samples_dir, tmp_path):
    out = tmp_path / "seq.csv"
    assert (
        main(
            [
                "video",
                str(SAMPLES / "image_sequence"),
                "-o",
                str(out),
                "--model-dir",
                str(model_dir),
            ]
        )
        == 0
    )
    _, rows = read_csv(out)
    assert len(rows) == 30 and all(r[2] == "0.000" for r in rows)


def test_exit_codes(model_dir, tmp_path, capsys):
    # (Models present: without them the image command stops at "models not found" first.)
    assert main(["video", str(tmp_path / "missing.avi")]) == 1
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.avi"
    bad.write_bytes(b"not a video at all")
    assert main(["video", str(bad)]) == 1
    assert "cannot decode" in capsys.readouterr().err
    garbage = tmp_path / "x.jpg"
    garbage.write_bytes(b"\x00\x01")
    assert main(["image", str(garbage)]) == 1
    assert "cannot decode" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["nonsense"])
    assert e.value.code == 2


def test_console_script_runs(model_dir, samples_dir, tmp_path):
    env = dict(os.environ, PYFACELM_MODEL_DIR=str(model_dir))
    r = subprocess.run(
        [sys.executable, "-m", "pyfacelm", "models", "where"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0 and "clnf" in r.stdout and "complete" in r.stdout
    r = subprocess.run(
        [sys.executable, "-m", "pyfacelm", "video", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1


@pytest.mark.parametrize("value", ["5", "11.5", "nan", "inf"])
def test_min_face_below_12_is_a_one_line_error(model_dir, samples_dir, capsys, value):
    # An argument error: exit 2 before any model loads, one line after argparse's usage line.
    with pytest.raises(SystemExit) as e:
        main(
            ["image", str(SAMPLES / "sample1.jpg"), "--min-face", value]
            + ["--model-dir", str(model_dir)]
        )
    err = capsys.readouterr().err
    assert e.value.code == 2 and "--min-face" in err and "Traceback" not in err, err
    assert [line for line in err.splitlines() if "error:" in line] == [err.splitlines()[-1]]
