"""MTCNN face detection (SPEC §7) and the image pipeline (SPEC §8.1)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from conftest import SAMPLES, import_or_missing
from parity import iou, mtcnn_run, violations
from parity_tolerances import TOLERANCES

import pyfacelm

cv2 = import_or_missing("cv2", "opencv-python-headless (test extra) decodes the samples")


@pytest.fixture(scope="module")
def det(model_dir):
    return pyfacelm.CLNFDetector("clnf", model_dir)


def test_boxes_match_openface(model_dir, reference, samples_dir):
    """Same count, same order, IoU and score of every box (tests/parity.py's tolerances)."""
    reference("images_clnf.json")  # present, or skip/fail
    summary = mtcnn_run(model_dir, "default")
    assert summary["boxes"] == 111
    assert not violations(summary, TOLERANCES["MTCNN"]), summary


def test_detect_pipeline_matches_openface(det, reference, samples_dir):
    ref = reference("images_clnf.json")
    dists = []
    for key, entry in ref.items():
        img = cv2.imread(str(SAMPLES / key), cv2.IMREAD_COLOR)
        faces = det.detect(img)
        assert len(faces) == len(entry["faces"]), key
        for f, face in zip(faces, entry["faces"]):
            dists.append(np.linalg.norm(f.landmarks - np.array(face["landmarks"]), axis=1).mean())
            assert f.success == face["success"], key
    # The detector's boxes are the reference's, so the fits are those of test_fit.py.
    assert max(dists) <= TOLERANCES["CLNF"]["dist_max"], np.sort(dists)[-5:]


def test_gray_and_rgb_inputs(det, samples_dir):
    bgr = cv2.imread(str(SAMPLES / "sample1.jpg"), cv2.IMREAD_COLOR)
    a = det.detect_faces(bgr)
    b = det.detect_faces(np.ascontiguousarray(bgr[:, :, ::-1]), color="rgb")
    np.testing.assert_array_equal(a, b)
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    g1 = det.detect_faces(gray)
    g3 = det.detect_faces(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    np.testing.assert_array_equal(g1, g3)  # gray is used as three equal channels
    assert len(g1) == 1 and iou(g1[0], a[0]) > 0.8


def test_strided_views(det, samples_dir):
    bgr = cv2.imread(str(SAMPLES / "sample1.jpg"), cv2.IMREAD_COLOR)
    big = np.zeros((bgr.shape[0] * 2, bgr.shape[1] * 2, 3), np.uint8)
    big[::2, ::2] = bgr
    np.testing.assert_array_equal(det.detect_faces(big[::2, ::2]), det.detect_faces(bgr))
    flipped = np.ascontiguousarray(bgr[:, ::-1])
    np.testing.assert_array_equal(det.detect_faces(bgr[:, ::-1]), det.detect_faces(flipped))


@pytest.mark.parametrize(
    "shape", [(1, 1), (10, 10), (24, 24), (1, 1, 3), (59, 200, 3), (3000, 4000, 3)]
)
def test_small_blank_and_huge_images(det, shape):
    img = np.zeros(shape, np.uint8)
    boxes = det.detect_faces(img)
    assert boxes.shape == (0, 5) and boxes.dtype == np.float64
    assert det.detect(img) == []


def test_noise_image(det):
    img = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    boxes = det.detect_faces(img)
    assert boxes.ndim == 2 and boxes.shape[1] == 5
    for f in det.detect(img):
        assert np.isfinite(f.landmarks).all()


def test_faces_touching_every_border(det, samples_dir):
    bgr = cv2.imread(str(SAMPLES / "sample1.jpg"), cv2.IMREAD_COLOR)
    box = det.detect_faces(bgr)[0]
    x0, y0 = int(box[0]), int(box[1])
    x1, y1 = int(box[0] + box[2]), int(box[1] + box[3])
    # Crop so that the face touches (or is cut by) each border in turn.
    crops = [
        bgr[:, x0 + 20 :],
        bgr[y0 + 10 :, :],
        bgr[:, : x1 - 20],
        bgr[: y1 - 10, :],
        bgr[y0 + 10 : y1 - 10, x0 + 20 : x1 - 20],
    ]
    for crop in crops:
        for f in det.detect(crop):
            assert np.isfinite(f.landmarks).all() and isinstance(f.success, bool)


def test_threads(det, samples_dir):
    images = [cv2.imread(str(SAMPLES / f"sample{i}.jpg"), cv2.IMREAD_COLOR) for i in (1, 3, 4, 5)]
    expected = [det.detect_faces(img) for img in images]
    out: list = [None] * 8

    def run(i):
        out[i] = det.detect_faces(images[i % 4])

    ts = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for i in range(8):
        np.testing.assert_array_equal(out[i], expected[i % 4])


@pytest.mark.parametrize("min_face", [0, 1, 5, 11.99, -60, float("nan"), float("inf")])
def test_bad_min_face(det, min_face):
    with pytest.raises(ValueError, match="min_face"):
        det.detect_faces(np.zeros((100, 100), np.uint8), min_face=min_face)


def test_tiny_min_face_is_refused_before_any_work(det):
    # min_face=1 would make the first pyramid level 144x the image (here 5 GB of floats).
    big = np.zeros((3000, 4000, 3), np.uint8)
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=">= 12"):
        det.detect_faces(big, min_face=1)
    assert time.perf_counter() - t0 < 1.0  # the allocation alone would take seconds
    assert det.detect_faces(np.zeros((100, 100), np.uint8), min_face=12).shape == (0, 5)
