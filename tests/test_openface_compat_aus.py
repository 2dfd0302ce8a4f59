"""Action units in every command-line output: ``pyfacelm FeatureExtraction -aus / -au_static /
-simalign / -hogalign``, ``pyfacelm FaceLandmarkImg`` AU columns, ``pyfacelm image|video --aus``
and ``-wild``, through the installed entry point (subprocess).

The CLI's numbers are checked against the Python API on the same input (they must be the same
computation) and, where the original wrote the same file, against its reference output.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from conftest import REFERENCE, SAMPLES
from test_openface_compat import one_line_error, read_csv, run

import pyfacelm
from pyfacelm.action_units import au_column_names

cv2 = pytest.importorskip("cv2", reason="opencv-python-headless (the video extra) is needed")

AU = REFERENCE / "au"
RECORD = 17872  # bytes per .hog record: 4 x 4-byte header + 4464 float32


@pytest.fixture(scope="module")
def aus(model_dir) -> pyfacelm.AUAnalyser:
    if not (model_dir / "AU_predictors").is_dir():
        pytest.skip("AU models not available")
    return pyfacelm.AUAnalyser(model_dir)


@pytest.fixture(scope="module")
def default5(tmp_path_factory, samples_dir) -> Path:
    """The first 5 frames of default.wmv as a lossless image sequence (the aligned-face BMPs
    of the reference are frames 1-5)."""
    d = tmp_path_factory.mktemp("d5") / "default5"
    d.mkdir()
    for i, frame in enumerate(pyfacelm.iter_video(SAMPLES / "default.wmv")):
        if i == 5:
            break
        cv2.imwrite(str(d / f"{i + 1:03d}.png"), frame)
    return d


def _frames(folder: Path) -> list[np.ndarray]:
    return [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in sorted(folder.iterdir())]


def _api_sequence(model_dir, folder: Path, *, static: bool = False):
    """What FeatureExtraction computes, through the API: tracked faces, final AUs, features."""
    det = pyfacelm.CLNFDetector("clnf", model_dir)
    stream = pyfacelm.AUAnalyser(model_dir, static_sequences=static).sequence()
    tracker, faces, feats = det.tracker(), [], []
    for frame in _frames(folder):
        found = tracker.update(frame)
        face = found[0] if found else None
        stream.add(frame, face, keep_features=True)
        faces.append(face)
        feats.append(stream.last_features)
    return faces, stream.finish(), feats


def _au_block(head: list[str], rows: list[list[str]], names) -> np.ndarray:
    start = head.index("AU01_r")
    assert head[start:] == au_column_names(*names)
    return np.array([[float(v) for v in r[start:]] for r in rows])


def _expected(units, names) -> np.ndarray:
    ni, npres = names
    return np.array([[u.intensity[a] for a in ni] + [u.presence[a] for a in npres] for u in units])


@pytest.mark.parametrize("static", [False, True], ids=["dynamic", "au_static"])
def test_aus_and_au_static_are_the_api_values(aus, model_dir, default5, tmp_path, static):
    flags = ["-aus", "-au_static"] if static else ["-aus"]
    p = run("FeatureExtraction", "-fdir", str(default5), "-out_dir", str(tmp_path), *flags,
            "-q", "--model-dir", str(model_dir))  # fmt: skip
    assert p.returncode == 0, p.stderr
    head, rows = read_csv(tmp_path / "default5.csv")
    names = (aus.intensity_names, aus.presence_names)
    # -aus alone: the lead columns and the AU block (post-processed: 2 decimals everywhere).
    assert head[:5] == ["frame", "face_id", "timestamp", "confidence", "success"]
    assert len(head) == 5 + 35 and len(rows) == 5
    assert all(len(t.split(".")[1]) == 2 for r in rows for t in r[5:])
    got = _au_block(head, rows, names)
    _, units, _ = _api_sequence(model_dir, default5, static=static)
    np.testing.assert_allclose(got, _expected(units, names), atol=0.005 + 1e-9)
    assert not (tmp_path / ".default5.csv.part").exists()
    assert "AUs: 1" in (tmp_path / "default5_of_details.txt").read_text()


def test_au_static_differs_from_dynamic(model_dir, default5):
    _, dyn, _ = _api_sequence(model_dir, default5)
    _, sta, _ = _api_sequence(model_dir, default5, static=True)
    assert any(d.intensity != s.intensity for d, s in zip(dyn, sta))


def test_simalign_and_hogalign_write_openface_layouts(aus, model_dir, default5, tmp_path):
    p = run("FeatureExtraction", "-fdir", str(default5), "-out_dir", str(tmp_path), "-simalign",
            "-hogalign", "-q", "--model-dir", str(model_dir))  # fmt: skip
    assert p.returncode == 0, p.stderr
    faces, _, feats = _api_sequence(model_dir, default5)
    folder = tmp_path / "default5_aligned"
    assert sorted(x.name for x in folder.iterdir()) == [
        f"frame_det_00_{i:06d}.bmp" for i in range(1, 6)
    ]
    raw = (tmp_path / "default5.hog").read_bytes()
    ref_raw = (AU / "default_aligned" / "default.hog").read_bytes()
    assert len(raw) == 5 * RECORD
    for i in range(5):
        bmp = cv2.imread(str(folder / f"frame_det_00_{i + 1:06d}.bmp"), cv2.IMREAD_COLOR)
        # Lossless: exactly the API's aligned face; and close to the original's (our own
        # landmarks move the warp by a fraction of a pixel).
        assert np.array_equal(bmp, feats[i].aligned_face)
        ref = cv2.imread(str(AU / "default_aligned" / f"frame_det_00_{i + 1:06d}.bmp"))
        diff = np.abs(bmp.astype(int) - ref.astype(int))
        assert diff.mean() < 0.15, (i, diff.mean())  # measured 0.02-0.06
        rec = raw[i * RECORD : (i + 1) * RECORD]
        ref_rec = ref_raw[i * RECORD : (i + 1) * RECORD]
        assert rec[:16] == ref_rec[:16]  # 12, 12, 31, valid +1 (every frame succeeds)
        assert faces[i] is not None and faces[i].success
        hog = np.frombuffer(rec[16:], "<f4")
        np.testing.assert_array_equal(hog, feats[i].hog)
        ref_hog = np.frombuffer(ref_rec[16:], "<f4")
        assert np.abs(hog - ref_hog).mean() < 0.004  # measured 0.0011-0.0030
    # An output flag was given: no CSV blocks beyond the lead columns.
    head, _ = read_csv(tmp_path / "default5.csv")
    assert head == ["frame", "face_id", "timestamp", "confidence", "success"]
    text = (tmp_path / "default5_of_details.txt").read_text()
    assert "Output HOG: 1" in text and "Output similarity aligned: 1" in text and "AUs: 0" in text


def test_face_landmark_img_aus_match_the_reference(aus, model_dir, tmp_path):
    images = [SAMPLES / f"sample{k}.jpg" for k in range(1, 7)]
    args = [a for img in images for a in ("-f", str(img))]
    p = run("FaceLandmarkImg", *args, "-out_dir", str(tmp_path), "-2Dfp", "-aus", "-simalign",
            "-hogalign", "-q", "--model-dir", str(model_dir))  # fmt: skip
    assert p.returncode == 0, p.stderr
    names = (aus.intensity_names, aus.presence_names)
    ours_all, ref_all = [], []
    for img in images:
        head, rows = read_csv(tmp_path / f"{img.stem}.csv")
        ref_head, ref_rows = read_csv(AU / "images" / f"{img.stem}.csv", ", ")
        # FaceLandmarkImg's formatting: intensities 2 decimals, presences 1.
        n_r = len(names[0])
        for r in rows:
            start = head.index("AU01_r")
            assert all(len(t.split(".")[1]) == 2 for t in r[start : start + n_r])
            assert all(t in ("0.0", "1.0") for t in r[start + n_r :])
        ours = _au_block(head, rows, names)
        ref = _au_block(ref_head, ref_rows, names)
        xi, yi = head.index("x_0"), head.index("y_0")
        rxi, ryi = ref_head.index("x_0"), ref_head.index("y_0")
        for rr, ref_values in zip(ref_rows, ref):
            rx, ry = np.float64(rr[rxi : rxi + 68]), np.float64(rr[ryi : ryi + 68])
            d = [
                np.hypot(np.float64(r[xi : xi + 68]) - rx, np.float64(r[yi : yi + 68]) - ry).mean()
                for r in rows
            ]
            k = int(np.argmin(d))
            assert d[k] < 5  # the same face
            ours_all.append(ours[k])
            ref_all.append(ref_values)
        # -simalign / -hogalign in image mode: one BMP and one record per face, in row order.
        folder = tmp_path / f"{img.stem}_aligned"
        assert sorted(x.name for x in folder.iterdir()) == [
            f"face_det_{i:06d}.bmp" for i in range(len(rows))
        ]
        assert (tmp_path / f"{img.stem}.hog").stat().st_size == len(rows) * RECORD
    ours_all, ref_all = np.array(ours_all), np.array(ref_all)
    assert len(ours_all) == 19
    n_r = len(names[0])
    d = np.abs(ours_all[:, :n_r] - ref_all[:, :n_r])
    m, w = float(d.mean()), float((d <= 0.1 + 1e-9).mean())
    c = float((ours_all[:, n_r:] == ref_all[:, n_r:]).mean())
    print(f"images: AU_r mean abs {m:.4f}, within 0.1 {w:.4f}; AU_c equal {c:.4f}")
    assert m <= 0.017 and w >= 0.97 and c >= 0.985, (m, w, c)
    # The same values as the API's static AUs (the first image, its one face).
    det = pyfacelm.CLNFDetector("clnf", model_dir)
    img = cv2.imread(str(images[0]), cv2.IMREAD_COLOR)
    u = aus.static(img, det.detect(img)[0])
    head, rows = read_csv(tmp_path / "sample1.csv")
    np.testing.assert_allclose(
        _au_block(head, rows, names)[0], _expected([u], names)[0], atol=0.05 + 1e-9
    )


def test_wild_uses_openface_wild_parameters(model_dir, tmp_path):
    img = SAMPLES / "sample1.jpg"
    p = run("FaceLandmarkImg", "-f", str(img), "-out_dir", str(tmp_path), "-2Dfp", "-wild",
            "-q", "--model-dir", str(model_dir))  # fmt: skip
    assert p.returncode == 0, p.stderr
    head, rows = read_csv(tmp_path / "sample1.csv")
    got = np.array(rows[0][2:], float)
    image = cv2.imread(str(img), cv2.IMREAD_COLOR)
    wild = pyfacelm.CLNFDetector("clnf", model_dir, params=pyfacelm.FitParameters.wild("clnf"))
    plain = pyfacelm.CLNFDetector("clnf", model_dir)
    np.testing.assert_allclose(got, wild.detect(image)[0].landmarks.T.ravel(), atol=0.051)
    assert np.abs(got - plain.detect(image)[0].landmarks.T.ravel()).max() > 0.1  # took effect
    p = run("FeatureExtraction", "-f", str(SAMPLES / "image_sequence" / "001.jpg"), "-wild",
            "-pose", "-out_dir", str(tmp_path), "-q", "--model-dir", str(model_dir))  # fmt: skip
    assert p.returncode == 0, p.stderr


@pytest.fixture()
def no_au_models(model_dir, tmp_path) -> Path:
    """A model folder with everything but the AU models."""
    d = tmp_path / "model_no_au"
    d.mkdir()
    for entry in model_dir.iterdir():
        if entry.name != "AU_predictors":
            (d / entry.name).symlink_to(entry)
    return d


def test_missing_au_models(no_au_models, default5, tmp_path):
    out = tmp_path / "out"
    for cmd in ("FeatureExtraction", "FaceLandmarkImg"):
        for flag in ("-aus", "-simalign", "-hogalign"):
            p = run(cmd, "-fdir", str(default5), "-out_dir", str(out), flag,
                    "--model-dir", str(no_au_models))  # fmt: skip
            one_line_error(p, "AU models not found")
            assert p.returncode == 1
    # No output flag: everything that can be written, with a note that AUs could not.
    p = run("FeatureExtraction", "-fdir", str(default5), "-out_dir", str(out),
            "--model-dir", str(no_au_models))  # fmt: skip
    assert p.returncode == 0 and "no action units written" in p.stderr, p.stderr
    head, rows = read_csv(out / "default5.csv")
    assert "p_33" in head and not any(c.startswith("AU") for c in head) and len(rows) == 5
    assert "AUs: 0" in (out / "default5_of_details.txt").read_text()
    for cmd in ("image", "video"):
        p = run(cmd, str(default5), "--aus", "-q", "--model-dir", str(no_au_models))
        one_line_error(p, "AU models not found")


def test_au_flags_errors(default5, tmp_path):
    one_line_error(run("FaceLandmarkImg", "-fdir", str(default5), "-au_static"),
                   "unknown flag -au_static")  # fmt: skip
    one_line_error(run("FeatureExtraction", "-fdir", str(default5), "-simalign", "x"),
                   "unexpected argument")  # fmt: skip


# --- pyfacelm image / video --aus -----------------------------------------------------------


def _cli_csv(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(text.splitlines()))
    return rows[0], rows[1:]


def test_cli_image_aus(aus, model_dir, tmp_path):
    img = SAMPLES / "sample1.jpg"
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((120, 160, 3), 128, np.uint8))
    p = run("image", str(img), str(blank), "--aus", "-q", "--model-dir", str(model_dir))
    assert p.returncode == 0, p.stderr
    head, rows = _cli_csv(p.stdout)
    names = (aus.intensity_names, aus.presence_names)
    assert head[-35:] == au_column_names(*names) and head[head.index("AU01_r") - 1] == "p_33"
    det = pyfacelm.CLNFDetector("clnf", model_dir)
    image = cv2.imread(str(img), cv2.IMREAD_COLOR)
    want = _expected([aus.static(image, det.detect(image)[0])], names)[0]
    start = head.index("AU01_r")
    np.testing.assert_allclose(np.array(rows[0][start:], float), want, atol=0.05 + 1e-9)
    assert rows[1][0].endswith("blank.png") and rows[1][start:] == ["0"] * 35  # no face


def test_cli_video_aus(aus, model_dir, default5, tmp_path):
    out = tmp_path / "v.csv"
    p = run("video", str(default5), "--aus", "-o", str(out), "-q", "--model-dir", str(model_dir))
    assert p.returncode == 0, p.stderr
    head, rows = _cli_csv(out.read_text())
    names = (aus.intensity_names, aus.presence_names)
    assert len(rows) == 5 and head[-35:] == au_column_names(*names)
    _, units, _ = _api_sequence(model_dir, default5)
    got = np.array([[float(v) for v in r[-35:]] for r in rows])
    np.testing.assert_allclose(got, _expected(units, names), atol=0.005 + 1e-9)
    # To standard output too.
    p = run("video", str(default5), "--aus", "-q", "--model-dir", str(model_dir))
    assert p.returncode == 0 and p.stdout == out.read_text(), p.stderr
    p = run("video", str(default5), "--aus", "--max-faces", "2", "--model-dir", str(model_dir))
    one_line_error(p, "--aus", "--max-faces 1")
    assert p.returncode == 2


def test_models_set_au_is_accepted(model_dir):
    p = run("models", "verify", "--set", "au", "--model-dir", str(model_dir))
    assert "invalid choice" not in p.stderr and "Traceback" not in p.stderr, p.stderr


def test_failed_frame_gives_black_face_zero_hog_and_zero_aus(aus, model_dir, default5, tmp_path):
    """A frame without a face: a black aligned face, an all-zero HOG record flagged -1, a row
    with success 0 (OpenFace's failure branch, SPEC_AU §7.4, §9.2-9.3)."""
    seq = tmp_path / "gap"
    seq.mkdir()
    frames = _frames(default5)
    for i, frame in enumerate([frames[0], np.zeros_like(frames[0]), frames[2]]):
        cv2.imwrite(str(seq / f"{i:03d}.png"), frame)
    out = tmp_path / "out"
    p = run("FeatureExtraction", "-fdir", str(seq), "-out_dir", str(out), "-aus", "-simalign",
            "-hogalign", "-q", "--model-dir", str(model_dir))  # fmt: skip
    assert p.returncode == 0, p.stderr
    head, rows = read_csv(out / "gap.csv")
    assert [r[4] for r in rows] == ["1", "0", "1"]
    got = _au_block(head, rows, (aus.intensity_names, aus.presence_names))
    n_r = len(aus.intensity_names)
    # The failed frame's presences are 0; its intensities are 0 smoothed with its neighbours
    # (OpenFace's 3-frame average includes failed frames; the first and last keep theirs).
    assert not got[1, n_r:].any() and got[0].any()
    np.testing.assert_allclose(got[1, :n_r], (got[0, :n_r] + got[2, :n_r]) / 3, atol=0.011)
    bmp = cv2.imread(str(out / "gap_aligned" / "frame_det_00_000002.bmp"), cv2.IMREAD_COLOR)
    assert bmp.shape == (112, 112, 3) and not bmp.any()
    raw = (out / "gap.hog").read_bytes()
    assert len(raw) == 3 * RECORD
    flags = [np.frombuffer(raw[i * RECORD + 12 : i * RECORD + 16], "<f4")[0] for i in range(3)]
    assert flags == [1.0, -1.0, 1.0]
    assert not np.frombuffer(raw[RECORD + 16 : 2 * RECORD], "<f4").any()
