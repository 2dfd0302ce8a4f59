"""Action units, layer 1: the AU stage alone, fed the original's landmarks (SPEC_AU §12-§13).

Every stage is compared with what the original OpenFace computed from the same landmarks:
aligned faces (bit for bit), FHOG (bit for bit), running medians (exact), raw predictions,
post-processed values and the CSVs' printed values.
"""

from __future__ import annotations

import csv
import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from conftest import REFERENCE, SHARED

import pyfacelm
from pyfacelm import _clnf
from pyfacelm.action_units import au_column_names, format_au_values, hog_file_record

AU = REFERENCE / "au"
SYN = AU / "synthetic"

cv2 = pytest.importorskip("cv2")


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"reference data {path} not available")
    return path


@cache
def _json(path: Path) -> dict:
    return json.loads(_require(path).read_text())


@pytest.fixture(scope="module")
def analyser(model_dir) -> pyfacelm.AUAnalyser:
    if not (model_dir / "AU_predictors" / "main_dynamic_svms.txt").is_file():
        pytest.skip("AU models (AU_predictors/) not in the model folder")
    return pyfacelm.AUAnalyser(model_dir)


def _lm(flat: list[float]) -> np.ndarray:
    a = np.asarray(flat, dtype=np.float32)
    return np.stack([a[:68], a[68:]], axis=1)


@cache
def _video_frames(name: str, n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(_require(SHARED / "openface" / "samples" / name)))
    frames = []
    while len(frames) < n:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    return frames


def _hog_records(path: Path) -> tuple[np.ndarray, np.ndarray]:
    raw = np.frombuffer(_require(path).read_bytes(), dtype=np.uint8)
    rec = raw.reshape(-1, 17872)
    head = rec[:, :12].copy().view("<i4")
    assert (head == [12, 12, 31]).all()
    flags = rec[:, 12:16].copy().view("<f4")[:, 0]
    return flags, rec[:, 16:].copy().view("<f4")


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(_require(path)) as fh:
        rows = [[c.strip() for c in r] for r in csv.reader(fh)]
    return rows[0], rows[1:]


def _ulps(a: np.ndarray, b: np.ndarray) -> int:
    ai = a.astype(np.float32).view(np.int32).astype(np.int64)
    bi = b.astype(np.float32).view(np.int32).astype(np.int64)
    return int(np.abs(ai - bi).max()) if a.size else 0


# ------------------------------------------------------------------ FHOG


@pytest.mark.parametrize(
    "name", ["const128", "vstep56", "ties_R2x_G2y", "lcg12345", "disk30", "lcg12345_gray"]
)
def test_fhog_synthetic_bit_exact(name):
    img = np.fromfile(_require(SYN / f"{name}.u8"), dtype=np.uint8)
    img = img.reshape(112, 112) if name.endswith("gray") else img.reshape(112, 112, 3)
    want = np.fromfile(SYN / f"{name}.hog.f32", dtype="<f4")
    got = _clnf.fhog(img)
    assert got.shape == (12, 12, 31)
    assert np.array_equal(got.ravel(), want), f"{name}: max ulp {_ulps(got.ravel(), want)}"


def test_fhog_rejects_bad_images():
    with pytest.raises(ValueError):
        _clnf.fhog(np.zeros((10, 10, 2), np.uint8))
    assert _clnf.fhog(np.zeros((16, 16, 3), np.uint8)).size == 0  # fewer than 3 cells


# ------------------------------------------------------------------ running medians


def test_running_median_rules(analyser):
    """SPEC_AU §12.3 through the sequence API: first frame = its own descriptor; frame 2 does
    not update; medians of zeros (failed frames) follow the bin-centre rules."""
    seq = _clnf.AUSequence(
        _clnf.AUModel(str(analyser.model_dir / "AU_predictors/main_dynamic_svms.txt"))
    )
    assert np.all(seq.hog_median == 0) and np.allclose(seq.geometry_median, -59.994)
    m = _clnf.AUModel(str(analyser.model_dir / "AU_predictors/main_dynamic_svms.txt"))
    failed = m.failed_features()
    seq.add(failed, False)  # frame 1, nothing added: n = 0, bin-0 centres
    assert seq.median_count == 0
    assert np.allclose(seq.geometry_median, -59.994, rtol=0, atol=1e-12)
    assert np.all(seq.hog_median == 0.0)
    seq.add(
        m.features(
            _synthetic_frame(),
            _lm(np.fromfile(SYN / "landmarks_s2_rot0_t320_240.f32", "<f4").tolist()),
        ),
        True,
    )
    assert seq.median_count == 0  # frame 2: even, no update
    f3 = m.features(
        _synthetic_frame(),
        _lm(np.fromfile(SYN / "landmarks_s1.6_rot10deg_t300_260.f32", "<f4").tolist()),
    )
    seq.add(f3, True)  # frame 3: n = 1, the median is this frame's descriptor itself
    assert seq.median_count == 1
    assert np.array_equal(seq.geometry_median, f3.geometry)
    assert np.array_equal(seq.hog_median, f3.hog.astype(np.float64))
    seq.add(failed, False)
    seq.add(failed, False)  # frame 5: failed, n stays 1: the *current* (zero) descriptor (quirk)
    assert seq.median_count == 1
    assert np.all(seq.geometry_median == 0.0) and np.all(seq.hog_median == 0.0)


# ------------------------------------------------------------------ alignment


def _synthetic_frame() -> np.ndarray:
    y, x = np.mgrid[0:480, 0:640]
    return np.stack([(x + 2 * y) % 256, (3 * x + y) % 256, (x * y) % 256], axis=2).astype(np.uint8)


@pytest.mark.parametrize("case", ["s2_rot0_t320_240", "s1.6_rot10deg_t300_260"])
def test_alignment_synthetic_bit_exact(analyser, case):
    lm = np.fromfile(_require(SYN / f"landmarks_{case}.f32"), dtype="<f4")
    want = np.fromfile(SYN / f"aligned_{case}.u8", dtype=np.uint8).reshape(112, 112, 3)
    f = analyser.features(_synthetic_frame(), _lm(lm.tolist()))
    info = _json(SYN / "synth.json")["align"][case]
    assert np.array_equal(f.aligned_face, want), int((f.aligned_face != want).sum())
    assert _ulps(f.warp.ravel(), np.asarray(info["warp"], np.float32)) == 0
    hog = f.hog.astype(np.float64).sum()
    assert hog == pytest.approx(info["hog_sum"], abs=1e-9)


def test_default_frames_aligned_faces_equal_the_bmps(analyser):
    probe = _json(AU / "default_aligned" / "default_probe.json")
    frames = _video_frames("default.wmv", 5)
    for fr in probe["frames"]:
        i = fr["frame"] - 1
        f = analyser.features(frames[i], _lm(fr["landmarks"]))
        bmp = cv2.imread(
            str(AU / "default_aligned" / f"frame_det_00_{i + 1:06d}.bmp"), cv2.IMREAD_COLOR
        )
        assert _ulps(f.warp.ravel(), np.asarray(fr["warp"], np.float32)) == 0, i
        assert np.array_equal(f.aligned_face, bmp), (i, int((f.aligned_face != bmp).sum()))
        assert int(np.count_nonzero(f.aligned_face)) == fr["aligned_nonzero_px"]
        assert np.abs(f.geometry - np.asarray(fr["geom"])).max() < 1e-4


def test_default_hog_equals_the_hog_file(analyser):
    """All 288 frames of default.wmv: FHOG of our aligned face == the original's .hog record."""
    probe = _json(AU / "default_aligned" / "default_probe.json")
    flags, hogs = _hog_records(AU / "default_aligned" / "default.hog")
    frames = _video_frames("default.wmv", 288)
    assert len(frames) == len(hogs) == 288
    raw = (AU / "default_aligned" / "default.hog").read_bytes()
    mismatched = []
    for i, frame in enumerate(frames):
        f = analyser.features(frame, _lm(probe["landmarks_all"][i]))
        if not np.array_equal(f.hog, hogs[i]):
            mismatched.append((i, _ulps(f.hog, hogs[i])))
        elif hog_file_record(f.hog, True) != raw[i * 17872 : (i + 1) * 17872]:
            mismatched.append((i, "record bytes"))
    assert (flags == 1).all()
    assert mismatched == []


# ------------------------------------------------------------------ sequences


def _run_sequence(analyser, frames, probe, original_geometry):
    """Feed the original's landmarks; optionally swap in the original's geometry descriptor
    (its PDM fit), which isolates our CalcParams (float noise ~1e-4 in p) from the rest."""
    model = _clnf.AUModel(str(analyser.model_dir / "AU_predictors/main_dynamic_svms.txt"))
    seq = _clnf.AUSequence(model)
    online = []
    for i, frame in enumerate(frames):
        ok = bool(probe["valid"][i])
        if ok:
            f = model.features(frame, _lm(probe["landmarks_all"][i]))
            if original_geometry:
                f = f.with_geometry(probe["geom_all"][i])
        else:
            f = model.failed_features()
        online.append(seq.add(f, ok))
    reg, cls = seq.postprocess()
    return model, np.array([o[0] for o in online]), np.array([o[1] for o in online]), reg, cls


def _check_sequence(
    analyser, frames, probe, csv_path, original_geometry, raw_tol, final_tol, csv_mismatches
):
    model, on_reg, on_cls, reg, cls = _run_sequence(analyser, frames, probe, original_geometry)
    ni, npres = model.intensity_names, model.presence_names
    assert reg.shape == (probe["n_frames"], 17) and cls.shape == (probe["n_frames"], 18)
    want = np.array([probe["reg_raw_online"][a] for a in ni]).T
    assert np.abs(on_reg - want).max() <= raw_tol
    assert np.array_equal(on_cls, np.array([probe["class_raw_online"][a] for a in npres]).T)
    want = np.array([probe["reg_final"][a] for a in ni]).T
    assert np.abs(reg - want).max() <= final_tol
    assert np.array_equal(cls, np.array([probe["class_final"][a] for a in npres]).T)
    # The CSV's printed AU block.
    header, rows = _csv_rows(csv_path)
    cols = au_column_names(ni, npres)
    start = header.index(cols[0])
    assert header[start : start + len(cols)] == cols
    mism = 0
    for r, c, row in zip(reg, cls, rows):
        units = pyfacelm.ActionUnits(dict(zip(ni, r.tolist())), dict(zip(npres, c.tolist())))
        mism += sum(a != b for a, b in zip(format_au_values(units), row[start : start + len(cols)]))
    assert mism <= csv_mismatches


# Measured: with the original's geometry every value agrees to <= 1.8e-14 and the CSV exactly;
# with our own PDM fit raw values differ by <= 3.3e-4, final values by <= 4.3e-6, and one of the
# 4200 printed fields of the gaps sequence rounds the other way.
@pytest.mark.parametrize("original_geometry", [True, False])
def test_default_sequence_equals_the_original(analyser, original_geometry):
    probe = _json(AU / "default_aligned" / "default_probe.json")
    frames = _video_frames("default.wmv", 288)
    tol = (1e-12, 1e-12, 0) if original_geometry else (5e-4, 1e-5, 0)
    _check_sequence(analyser, frames, probe, AU / "default.csv", original_geometry, *tol)


@pytest.mark.parametrize("original_geometry", [True, False])
def test_gaps_sequence_failure_branches(analyser, original_geometry):
    """First 120 frames of default.wmv with frames 1, 40-44 and 90 black (SPEC_AU §13)."""
    probe = _json(AU / "gaps" / "default_gaps_probe.json")
    frames = [f.copy() for f in _video_frames("default.wmv", 120)]
    for k in (1, 40, 41, 42, 43, 44, 90):
        frames[k - 1][:] = 0
    flags, hogs = _hog_records(AU / "gaps" / "default_gaps.hog")
    assert (flags == np.where(np.asarray(probe["return_all"]) == 1, 1.0, -1.0)).all()
    assert not hogs[np.asarray(probe["valid"]) == 0].any()  # failed frames: all-zero HOG
    tol = (1e-12, 1e-12, 0) if original_geometry else (2e-4, 1e-5, 1)
    _check_sequence(
        analyser, frames, probe, AU / "gaps" / "default_gaps.csv", original_geometry, *tol
    )


def test_medians_equal_the_originals_final_medians(analyser):
    m = _clnf.AUModel(str(analyser.model_dir / "AU_predictors/main_dynamic_svms.txt"))
    for probe_path, frames in (
        (AU / "default_aligned" / "default_probe.json", _video_frames("default.wmv", 288)),
    ):
        probe = _json(probe_path)
        seq = _clnf.AUSequence(m)
        for i, frame in enumerate(frames):
            seq.add(m.features(frame, _lm(probe["landmarks_all"][i])), True)
        assert seq.median_count == probe["hog_hist_count"]
        assert np.array_equal(seq.hog_median, probe["final_hog_median"])
        assert np.array_equal(seq.geometry_median, probe["final_geom_median"])


# ------------------------------------------------------------------ still images


def test_still_images_equal_the_original(analyser):
    probe = _json(AU / "images" / "images_probe.json")
    n_faces = mism = 0
    for entry in probe["images"]:
        img = cv2.imread(str(SHARED / entry["file"]), cv2.IMREAD_COLOR)
        header, rows = _csv_rows(AU / "images" / (Path(entry["file"]).stem + ".csv"))
        for face in entry["faces"]:
            lm = _lm(face["landmarks"])
            f = analyser.features(img, lm)
            # The probe's aligned-face hashes use a convention we could not reproduce (they do
            # not match the BMPs/raw files either); warp, HOG sum and AUs pin the face instead.
            assert _ulps(f.warp.ravel(), np.asarray(face["warp"], np.float32)) == 0
            assert f.hog.astype(np.float64).sum() == pytest.approx(face["hog_sum"], abs=1e-9)
            units = analyser.static(img, lm)
            # Our PDM fit's float noise (p within ~1e-4) moves static intensities by <= 8.1e-6.
            for au, v in face["reg"].items():
                assert math.isclose(units.intensity[au], v, abs_tol=1.5e-5), au
            for au, v in face["class"].items():
                assert units.presence[au] == v, au
            cols = au_column_names(list(units.intensity), list(units.presence))
            start = header.index(cols[0])
            printed = rows[face["face"]][start : start + len(cols)]
            mism += sum(a != b for a, b in zip(format_au_values(units, image_mode=True), printed))
            n_faces += 1
    assert n_faces == 19
    assert mism <= 1  # measured: 1 of 665 fields rounds the other way (2.72 vs 2.71)


def test_bad_landmarks_raise(analyser):
    img = np.zeros((100, 100, 3), np.uint8)
    with pytest.raises(ValueError):
        analyser.static(img, np.zeros((5, 2)))
    with pytest.raises(ValueError):
        analyser.static(img, np.full((68, 2), np.nan))
    with pytest.raises(ValueError):
        analyser.static(img, np.zeros((68, 2)))  # all x == 0: nothing to fit


# ------------------------------------------------------------------ model files


def test_au_model_files_structure(model_dir):
    aup = model_dir / "AU_predictors"
    if not aup.is_dir():
        pytest.skip("AU models not available")
    dyn = _clnf._load_model_file(
        str(aup / "svr_combined/AU_1_dynamic_intensity_comb.dat"), "au_predictor"
    )
    assert dyn["type"] == 1 and dyn["n_features"] == 4702
    assert dyn["cutoff"] == float.fromhex("0x1.199999999999ap-1")
    assert dyn["bias"] == pytest.approx(-0.321608, abs=1e-6)
    svm = _clnf._load_model_file(str(aup / "svm_combined/AU_23_static.dat"), "au_predictor")
    assert svm["type"] == 4 and svm["bias"] == pytest.approx(0.565078, abs=1e-6)
    names = _clnf._load_model_file(str(aup / "AU_all_best.txt"), "au_list")["names"]
    assert len(names) == 35 and names[0] == "AU01"
    assert (
        _clnf._load_model_file(str(aup / "tris_68_full.txt"), "au_triangulation")["triangles"]
        == 111
    )
    m = _clnf.AUModel(str(aup / "main_dynamic_svms.txt"))
    assert m.dynamic and len(m.intensity_names) == 17 and len(m.presence_names) == 18
    assert au_column_names(m.intensity_names, m.presence_names)[16:18] == ["AU45_r", "AU01_c"]
    assert not _clnf.AUModel(str(aup / "main_static_svms.txt")).dynamic


def test_au_model_file_errors(tmp_path, model_dir):
    aup = model_dir / "AU_predictors"
    if not aup.is_dir():
        pytest.skip("AU models not available")
    data = (aup / "svm_combined/AU_23_static.dat").read_bytes()
    (tmp_path / "t.dat").write_bytes(data[:-4])
    with pytest.raises(pyfacelm.ModelFormatError, match=r"t\.dat.*byte"):
        _clnf._load_model_file(str(tmp_path / "t.dat"), "au_predictor")
    (tmp_path / "u.dat").write_bytes(b"\x02\x00\x00\x00" + data[4:])
    with pytest.raises(pyfacelm.ModelFormatError, match="unsupported predictor type 2"):
        _clnf._load_model_file(str(tmp_path / "u.dat"), "au_predictor")
    (tmp_path / "main.txt").write_text("AUPredictor AU_all_best.txt\nPDM x.txt\n")
    with pytest.raises(pyfacelm.ModelFormatError, match="Triangulation"):
        _clnf.AUModel(str(tmp_path / "main.txt"))
    with pytest.raises(pyfacelm.ModelNotFoundError):
        pyfacelm.AUAnalyser(tmp_path)


# ------------------------------------------------------------------ API behaviour


def test_threads_share_one_analyser(analyser):
    """One analyser, several threads at once: same results as one after another."""
    from concurrent.futures import ThreadPoolExecutor

    probe = _json(AU / "default_aligned" / "default_probe.json")
    frames = _video_frames("default.wmv", 40)
    lms = [_lm(probe["landmarks_all"][i]) for i in range(40)]

    def run(offset: int) -> list[list[float]]:
        seq = analyser.sequence()
        for i in range(40):
            seq.add(frames[(i + offset) % 40], lms[(i + offset) % 40])
        return [list(u.intensity.values()) for u in seq.finish()]

    want = [run(k) for k in range(4)]
    with ThreadPoolExecutor(4) as ex:
        got = list(ex.map(run, range(4)))
    assert got == want


def test_sequence_features_on_request_and_inputs(analyser):
    probe = _json(AU / "default_aligned" / "default_probe.json")
    frame = _video_frames("default.wmv", 1)[0]
    seq = analyser.sequence()
    seq.add(frame, _lm(probe["landmarks_all"][0]), keep_features=True)
    f = seq.last_features
    assert f is not None and f.aligned_face.shape == (112, 112, 3) and f.hog.shape == (4464,)
    bmp = cv2.imread(str(AU / "default_aligned" / "frame_det_00_000001.bmp"), cv2.IMREAD_COLOR)
    assert np.array_equal(f.aligned_face, bmp)
    assert not f.aligned_face.flags.writeable
    # RGB input gives the same (BGR) aligned face.
    rgb = np.ascontiguousarray(frame[..., ::-1])
    g = analyser.features(rgb, _lm(probe["landmarks_all"][0]), color="rgb")
    assert np.array_equal(g.aligned_face, bmp)
    # A failed frame: zeros, black face.
    out = seq.add(frame, None, keep_features=True)
    assert all(v == 0 for v in out.intensity.values())
    assert seq.last_features is not None and not seq.last_features.aligned_face.any()
    assert seq.n_frames == 2 and len(seq.finish()) == 2
    with pytest.raises(TypeError):
        analyser.static("not an image", _lm(probe["landmarks_all"][0]))  # type: ignore[arg-type]
    with pytest.raises((TypeError, ValueError)):
        analyser.static(frame.astype(np.float32), _lm(probe["landmarks_all"][0]))
    with pytest.raises(ValueError):
        analyser.static(frame[..., :2], _lm(probe["landmarks_all"][0]))


def test_static_sequences_option(model_dir, analyser):
    """-au_static: static models in a sequence; no offsets, still clipped and smoothed."""
    probe = _json(AU / "default_aligned" / "default_probe.json")
    frames = _video_frames("default.wmv", 10)
    st = pyfacelm.AUAnalyser(model_dir, static_sequences=True)
    seq = st.sequence()
    online = [seq.add(f, _lm(probe["landmarks_all"][i])) for i, f in enumerate(frames)]
    final = seq.finish()
    still = [analyser.static(f, _lm(probe["landmarks_all"][i])) for i, f in enumerate(frames)]
    for a in ("AU01", "AU12"):
        raw = np.array([o.intensity[a] for o in online])
        assert np.allclose(np.clip(raw, 0, 5), [s.intensity[a] for s in still], atol=1e-12)
        v = np.clip(raw, 0, 5)
        assert final[5].intensity[a] == pytest.approx((v[4] + v[5] + v[6]) / 3, abs=1e-12)
