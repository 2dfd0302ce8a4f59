"""``pyfacelm FeatureExtraction`` / ``FaceLandmarkImg``: OpenFace's flags and files, through the
installed entry point (subprocess)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REFERENCE, SAMPLES

import pyfacelm
from pyfacelm.action_units import au_column_names
from pyfacelm.csv_output import FACE_BLOCKS, OpenFaceCsvWriter, block_columns

cv2 = pytest.importorskip("cv2", reason="opencv-python-headless (the video extra) is needed")

ENTRY = Path(sys.executable).with_name("pyfacelm")
AU_PREFIX = "AU"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    exe = [str(ENTRY)] if ENTRY.is_file() else [sys.executable, "-m", "pyfacelm"]
    return subprocess.run([*exe, *args], capture_output=True, text=True, cwd=cwd, timeout=900)


def read_csv(path: Path, sep: str = ",") -> tuple[list[str], list[list[str]]]:
    lines = path.read_text().splitlines()
    rows = [line.split(sep) for line in lines]
    return rows[0], rows[1:]


def one_line_error(p: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert p.returncode != 0
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.fixture(scope="module")
def frames_dir(tmp_path_factory, samples_dir) -> Path:
    """The first 3 images of the sample image sequence: a short, quick input."""
    d = tmp_path_factory.mktemp("seq") / "seq3"
    d.mkdir()
    for p in sorted((SAMPLES / "image_sequence").iterdir())[:3]:
        shutil.copy(p, d / p.name)
    return d


@pytest.fixture(scope="module")
def default_run(tmp_path_factory, model_dir, samples_dir):
    """The acceptance command on default.wmv (no output flag: every block, AUs included), run
    once for the module."""
    if not (model_dir / "AU_predictors").is_dir():
        pytest.skip("AU models not available")
    out = tmp_path_factory.mktemp("fe_default")
    p = run(
        "FeatureExtraction", "-f", str(SAMPLES / "default.wmv"), "-out_dir", str(out),
        "--model-dir", str(model_dir),
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    return out


def test_feature_extraction_matches_the_reference_csv(default_run):
    head, rows = read_csv(default_run / "default.csv")
    ref_head, ref_rows = read_csv(REFERENCE / "featureextraction_default.csv", ", ")
    # All 714 columns of the original, in its order (names compared without spaces).
    assert len(head) == 714 and head == [c.strip() for c in ref_head]
    keep = [i for i, c in enumerate(ref_head) if not c.strip().startswith(AU_PREFIX)]
    head = [head[i] for i in keep]
    rows = [[r[i] for i in keep] for r in rows]
    assert len(rows) == len(ref_rows) == 288
    col = {c: i for i, c in enumerate(head)}
    ours = np.array([[float(v) for v in r] for r in rows])
    ref = np.array([[float(r[i]) for i in keep] for r in ref_rows])
    # Lead columns: frame, face id and timestamp identical; success on every frame.
    np.testing.assert_array_equal(ours[:, :3], ref[:, :3])
    assert (ours[:, col["success"]] == ref[:, col["success"]]).all()
    assert np.abs(ours[:, col["confidence"]] - ref[:, col["confidence"]]).max() <= 0.0101
    # Every token has OpenFace's number of decimals (same text shape as the reference).
    for r, rr in zip(rows[:5], ref_rows[:5]):
        for a, b in zip(r, [rr[i].strip() for i in keep]):
            assert len(a.split(".")[-1]) == len(b.split(".")[-1]) or "." not in a + b, (a, b)

    def block(prefix: str) -> slice:
        names = [c for c in head if c.startswith(prefix)]
        return slice(col[names[0]], col[names[-1]] + 1)

    g0, g1 = ours[:, block("gaze_0")], ours[:, block("gaze_1")]
    r0, r1 = ref[:, block("gaze_0")], ref[:, block("gaze_1")]
    cosang = np.concatenate(
        [
            (g0 * r0).sum(1) / np.linalg.norm(g0, axis=1) / np.linalg.norm(r0, axis=1),
            (g1 * r1).sum(1) / np.linalg.norm(g1, axis=1) / np.linalg.norm(r1, axis=1),
        ]
    )
    ang = np.arccos(np.clip(cosang, -1, 1))
    assert np.mean(ang <= 0.01) >= 0.99 and np.median(ang) <= 0.002, np.median(ang)
    ga = np.abs(ours[:, block("gaze_angle")] - ref[:, block("gaze_angle")]).max(1)
    assert np.mean(ga <= 0.01) >= 0.99
    # 3D eye landmarks: per frame the mean point distance (mm); the eye depth's limits are
    # explained in test_gaze.test_eye_landmarks_3d_when_tracking (measured on default.wmv's CSV:
    # share <= 0.5 mm 94.4 %, 99th percentile 0.86 mm).
    e3 = [ours[:, block(f"eye_lmk_{a}_")] - ref[:, block(f"eye_lmk_{a}_")] for a in "XYZ"]
    e3d = np.sqrt(sum(d**2 for d in e3)).mean(1)
    print(f"eye3d share<=0.5 {np.mean(e3d <= 0.5):.3f} p99 {np.percentile(e3d, 99):.3f}")
    assert np.mean(e3d <= 0.5) >= 0.93 and np.percentile(e3d, 99) <= 1.0, np.percentile(e3d, 99)
    # 2D landmarks (face and eyes): the tracking tolerances of test_video (px, mean per frame).
    for px, py in (("x_", "y_"), ("eye_lmk_x_", "eye_lmk_y_")):
        d = np.hypot(
            ours[:, block(px)] - ref[:, block(px)], ours[:, block(py)] - ref[:, block(py)]
        ).mean(1)
        assert np.median(d) <= 0.25 and np.percentile(d, 95) <= 1.0, (px, np.median(d))
    pose_t = np.abs(ours[:, block("pose_T")] - ref[:, block("pose_T")]).max(1)
    pose_r = np.abs(ours[:, block("pose_R")] - ref[:, block("pose_R")]).max(1)
    assert np.median(pose_t) <= 1.0 and np.median(pose_r) <= 0.01


def test_feature_extraction_action_units_match_the_reference(default_run):
    """The post-processed AU columns of the no-flag run against the original's (our own
    landmarks, so statistical bounds: see test_action_units_e2e for the measured values)."""
    head, rows = read_csv(default_run / "default.csv")
    ref_head, ref_rows = read_csv(REFERENCE / "featureextraction_default.csv", ", ")
    r_cols = [i for i, c in enumerate(head) if c.startswith(AU_PREFIX) and c.endswith("_r")]
    c_cols = [i for i, c in enumerate(head) if c.startswith(AU_PREFIX) and c.endswith("_c")]
    assert (len(r_cols), len(c_cols)) == (17, 18)
    for r in rows[:5]:  # FeatureExtraction rewrites the AU block with 2 decimals
        assert all(len(r[i].split(".")[1]) == 2 for i in r_cols + c_cols)
    ours_r = np.array([[float(r[i]) for i in r_cols] for r in rows])
    ref_r = np.array([[float(r[i]) for i in r_cols] for r in ref_rows])
    ours_c = np.array([[float(r[i]) for i in c_cols] for r in rows])
    ref_c = np.array([[float(r[i]) for i in c_cols] for r in ref_rows])
    d = np.abs(ours_r - ref_r)
    m, w, c = float(d.mean()), float((d <= 0.1 + 1e-9).mean()), float((ours_c == ref_c).mean())
    print(f"AU_r mean abs {m:.4f}, within 0.1 {w:.4f}; AU_c equal {c:.4f}")
    assert m <= 0.009 and w >= 0.998 and c >= 0.992, (m, w, c)


def test_feature_extraction_details_file(default_run):
    text = (default_run / "default_of_details.txt").read_text()
    assert "default.wmv" in text and "Camera parameters:500,500,320,240" in text
    assert "Gaze: 1" in text and "AUs: 1" in text and "Landmark model: clnf" in text
    assert "Output HOG: 0" in text and "Output similarity aligned: 0" in text


def test_no_output_flag_writes_everything_with_old_separator(frames_dir, model_dir, tmp_path):
    p = run(
        "FeatureExtraction", "-fdir", str(frames_dir), "-out_dir", str(tmp_path),
        "--sep", ", ", "-q", "--model-dir", str(model_dir),
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""  # -q
    head, rows = read_csv(tmp_path / "seq3.csv", ", ")
    sizes = (68, 56, 34)
    aus = pyfacelm.AUAnalyser(model_dir)
    assert head[5:] == [c for b in FACE_BLOCKS for c in block_columns(b, *sizes)] + (
        au_column_names(aus.intensity_names, aus.presence_names)
    )
    assert len(rows) == 3 and all(r[2] == "0.000" for r in rows)  # image sequence: timestamp 0
    assert (tmp_path / "seq3_of_details.txt").is_file()


@pytest.mark.parametrize(
    "flag, first, last",
    [
        ("-2Dfp", "x_0", "y_67"),
        ("-3Dfp", "X_0", "Z_67"),
        ("-pdmparams", "p_scale", "p_33"),
        ("-pose", "pose_Tx", "pose_Rz"),
        ("-gaze", "gaze_0_x", "eye_lmk_Z_55"),
    ],
)
def test_each_output_flag_selects_its_block(frames_dir, model_dir, tmp_path, flag, first, last):
    p = run(
        "FeatureExtraction", "-fdir", str(frames_dir), "-out_dir", str(tmp_path), flag,
        "--model-dir", str(model_dir),
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    head, rows = read_csv(tmp_path / "seq3.csv")
    assert head[:5] == ["frame", "face_id", "timestamp", "confidence", "success"]
    assert head[5] == first and head[-1] == last and len(rows) == 3


def test_repeated_f_and_of_name_the_outputs(frames_dir, model_dir, tmp_path):
    imgs = sorted(frames_dir.iterdir())
    p = run(
        "FaceLandmarkImg", "-f", str(imgs[0]), "-f", str(imgs[1]), "-of", "first", "-of",
        "second.csv", "-out_dir", str(tmp_path), "-pose", "--model-dir", str(model_dir),
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    for name in ("first", "second"):
        head, rows = read_csv(tmp_path / f"{name}.csv")
        assert head == ["face", "confidence", *block_columns("pose", 68, 56, 34)] and len(rows) == 1
        assert (tmp_path / f"{name}_of_details.txt").is_file()


def test_face_landmark_img_fdir_tracked_and_intrinsics(frames_dir, model_dir, tmp_path):
    p = run(
        "FaceLandmarkImg", "-fdir", str(frames_dir), "-out_dir", str(tmp_path), "-tracked",
        "-2Dfp", "-3Dfp", "-fx", "1000", "-fy", "1000", "-cx", "300", "-cy", "200",
        "--model-dir", str(model_dir),
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    imgs = sorted(frames_dir.iterdir())
    for img in imgs:
        assert cv2.imread(str(tmp_path / f"{img.stem}.jpg")) is not None
        assert (
            "Camera parameters:1000,1000,300,200"
            in (tmp_path / f"{img.stem}_of_details.txt").read_text()
        )
    # The 3D landmarks are the 2D ones seen through the given camera: x = fx X / Z + cx.
    head, rows = read_csv(tmp_path / f"{imgs[0].stem}.csv")
    r = np.array(rows[0], float)
    x, y = (r[head.index(f"{a}_0") : head.index(f"{a}_67") + 1] for a in "xy")
    X, Y, Z = (r[head.index(f"{a}_0") : head.index(f"{a}_67") + 1] for a in "XYZ")
    np.testing.assert_allclose(1000 * X / Z + 300, x, atol=0.2)
    np.testing.assert_allclose(1000 * Y / Z + 200, y, atol=0.2)


def test_feature_extraction_tracked_video(frames_dir, model_dir, tmp_path):
    p = run(
        "FeatureExtraction", "-fdir", str(frames_dir), "-out_dir", str(tmp_path), "-tracked",
        "-q", "--model-dir", str(model_dir),
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    cap = cv2.VideoCapture(str(tmp_path / "seq3.avi"))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    assert n == 3


def test_mloc_and_multi_view(model_dir, tmp_path, samples_dir):
    img = str(SAMPLES / "sample1.jpg")
    outs = {}
    for name, extra in (
        ("clnf_name", ["-mloc", "model/main_clnf_general.txt"]),
        ("clm_path", ["-mloc", str(model_dir / "main_clm_general.txt")]),
        ("multi", ["-multi_view", "1"]),
    ):
        p = run(
            "FaceLandmarkImg", "-f", img, "-of", name, "-out_dir", str(tmp_path), "-2Dfp",
            *extra, "--model-dir", str(model_dir),
        )  # fmt: skip
        assert p.returncode == 0, p.stderr
        outs[name] = np.array(read_csv(tmp_path / f"{name}.csv")[1][0][2:], float)
    assert "Landmark model: main_clm_general" in (tmp_path / "clm_path_of_details.txt").read_text()
    assert not np.array_equal(outs["clnf_name"], outs["clm_path"])  # another model was used
    # -multi_view 1 is the library's multi_view=True (11 rotation hypotheses).
    det = pyfacelm.CLNFDetector("clnf", model_dir)
    image = cv2.imread(img, cv2.IMREAD_COLOR)
    for name, mv in (("clnf_name", False), ("multi", True)):
        lm = det.detect(image, multi_view=mv)[0].landmarks
        np.testing.assert_allclose(outs[name], lm.T.ravel(), atol=0.051)
    assert np.abs(outs["clnf_name"] - outs["multi"]).max() > 1  # the flag took effect
    p = run("FaceLandmarkImg", "-f", img, "-mloc", "nowhere/main_x.txt", "-out_dir", str(tmp_path))
    one_line_error(p, "-mloc")


@pytest.mark.parametrize(
    "args, needles",
    [
        (["-hogalignx"], ["unknown flag -hogalignx"]),
        (["-nobadaligned"], ["unknown flag -nobadaligned"]),
        (["-fxx", "3"], ["unknown flag -fxx"]),
        (["-multi_view", "2"], ["-multi_view"]),
        (["-fx", "abc"], ["-fx"]),
        (["--sep", ";"], ["--sep"]),
        (["-out_dir"], ["-out_dir needs a value"]),
        (["stray"], ["unexpected argument"]),
    ],
)
def test_bad_flags_give_one_line_errors(frames_dir, tmp_path, args, needles):
    p = run("FeatureExtraction", "-fdir", str(frames_dir), "-out_dir", str(tmp_path), *args)
    one_line_error(p, *needles)
    assert p.returncode == 2


def test_missing_inputs_and_device(tmp_path, model_dir):
    one_line_error(run("FeatureExtraction", "-out_dir", str(tmp_path)), "no input")
    one_line_error(
        run("FeatureExtraction", "-f", str(tmp_path / "nope.avi"), "-out_dir", str(tmp_path)),
        "no such file",
    )
    # No camera on a test machine: -device is parsed and reported in one line.
    p = run("FeatureExtraction", "-device", "97", "-out_dir", str(tmp_path), "-q",
            "--model-dir", str(model_dir))  # fmt: skip
    one_line_error(p, "-device 97")
    one_line_error(run("FaceLandmarkImg", "-device", "0"), "unknown flag -device")
    one_line_error(
        run("FaceLandmarkImg", "-f", str(SAMPLES / "sample1.jpg"), "-of", "x", "-of", "y"), "-of"
    )
    one_line_error(run("FeatureExtraction", "-f", "a.avi", "-of", "x", "-of", "y"), "-of")


def test_unwritable_out_dir_and_negative_intrinsics(frames_dir, model_dir, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    img = str(sorted(frames_dir.iterdir())[0])
    p = run("FaceLandmarkImg", "-f", img, "-out_dir", str(blocker / "sub"),
            "--model-dir", str(model_dir))  # fmt: skip
    one_line_error(p)
    p = run("FaceLandmarkImg", "-f", img, "-out_dir", str(tmp_path), "-cx", "-5", "-q",
            "--model-dir", str(model_dir))  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert "Camera parameters:" in (tmp_path / "001_of_details.txt").read_text()
    assert ",-5," in (tmp_path / "001_of_details.txt").read_text()


def test_default_out_dir_is_processed(frames_dir, model_dir, tmp_path):
    p = run("FaceLandmarkImg", "-f", str(sorted(frames_dir.iterdir())[0]), "-q",
            "--model-dir", str(model_dir), cwd=tmp_path)  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "processed" / "001.csv").is_file()


def test_help_lists_openface_flags():
    p = run("FeatureExtraction", "-help")
    assert p.returncode == 0 and "-out_dir" in p.stdout and "-device" in p.stdout
    p = run("--help")
    assert "FeatureExtraction" in p.stdout and "FaceLandmarkImg" in p.stdout


def test_writer_without_eye_models_has_no_gaze_block():
    import io

    w = OpenFaceCsvWriter(io.StringIO(), sequence=True, n_eye=0)
    assert "gaze" not in w.blocks and not any(c.startswith(("gaze", "eye")) for c in w.columns)
    with pytest.raises(ValueError):
        OpenFaceCsvWriter(io.StringIO(), sequence=True, blocks=["aus"])
