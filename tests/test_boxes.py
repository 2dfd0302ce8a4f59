"""Bring-your-own box (issue 12 item 6): ``box_kind``, ``Face.box`` / ``landmark_box`` /
``detection_score`` on every path, and the README's Quick start fit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, SAMPLES

import pyfacelm
from pyfacelm.boxes import BOX_KINDS, landmark_box, to_landmark_box

cv2 = pytest.importorskip("cv2", reason="opencv-python-headless decodes the sample images")

BOXES = json.loads((Path(__file__).parent / "data" / "detector_boxes.json").read_text())["images"]


@pytest.fixture(scope="module")
def det(model_dir):
    return pyfacelm.CLNFDetector("clnf", model_dir)


def test_box_kind_conversions():
    b = (100.0, 50.0, 200.0, 180.0)
    np.testing.assert_array_equal(to_landmark_box(b, "landmarks"), b)
    # OpenFace's MTCNN correction, exactly.
    np.testing.assert_allclose(
        to_landmark_box(b, "mtcnn"),
        (100 - 0.0075 * 200, 50 + 0.2459 * 180, 200 * 1.0323, 180 * 0.7751),
        rtol=1e-15,
    )
    dx, dy, sw, sh = BOX_KINDS["detector"]
    np.testing.assert_allclose(
        to_landmark_box(b, "detector"), (100 + dx * 200, 50 + dy * 180, sw * 200, sh * 180)
    )
    with pytest.raises(ValueError, match="box_kind must be one of"):
        to_landmark_box(b, "dlib")
    with pytest.raises(ValueError, match="4 values"):
        to_landmark_box((1, 2, 3), "mtcnn")
    with pytest.raises(TypeError):
        to_landmark_box(("a", 2, 3, 4), "mtcnn")
    np.testing.assert_array_equal(landmark_box([[1, 5], [4, 2], [3, 3]]), (1, 2, 3, 3))


# (box_kind, boxes of tests/data/detector_boxes.json) -> measured mean landmark distance to the
# reference over the 20 sample faces (median, max), in px; the limits are those plus a margin.
CONVERGENCE = {
    ("mtcnn", "mtcnn_raw"): (0.03, 0.12, 0.05, 0.2),
    ("detector", "mtcnn_raw"): (0.88, 3.50, 1.0, 4.0),
    ("detector", "square"): (1.06, 5.76, 1.2, 6.5),
    ("detector", "dlib"): (1.16, 9.25, 1.3, 10.0),
}


@pytest.mark.parametrize("kind, source", list(CONVERGENCE))
def test_boxes_of_other_detectors_converge(det, reference, samples_dir, kind, source):
    ref = reference("images_clnf.json")
    errors, raw_errors = [], []
    for key, items in BOXES.items():
        img = cv2.imread(str(SAMPLES / key), cv2.IMREAD_COLOR)
        for it in items:
            if it["kind"] != source:
                continue
            target = np.asarray(ref[key]["faces"][it["face"]]["landmarks"])
            face = det.fit(img, it["box"], box_kind=kind)
            assert face.success, (key, it)
            np.testing.assert_allclose(face.box, to_landmark_box(it["box"], kind))
            assert face.detection_score is None
            errors.append(np.linalg.norm(face.landmarks - target, axis=1).mean())
            raw = det.fit(img, it["box"])  # the same box taken as a landmark box
            raw_errors.append(
                np.linalg.norm(raw.landmarks - target, axis=1).mean() if raw.success else np.inf
            )
    assert len(errors) == 20
    _, _, median_limit, max_limit = CONVERGENCE[(kind, source)]
    assert np.median(errors) <= median_limit and max(errors) <= max_limit, errors
    # Without the conversion the same boxes fit worse (so this test can tell): more faces
    # fail or end more than 5 px away.
    assert sum(e > 5 for e in raw_errors) > sum(e > 5 for e in errors) + 2


def test_readme_quick_start_fits(det, samples_dir):
    text = (REPO / "README.md").read_text()
    calls = re.findall(r"^(face = det\.fit\(image, .*\))\s+#", text, flags=re.MULTILINE)
    assert len(calls) == 2 and any("box_kind=" in c for c in calls)
    assert 'cv2.imread("samples/sample1.jpg")' in text
    image = cv2.imread(str(SAMPLES / "sample1.jpg"))
    for call in calls:
        scope = {"det": det, "image": image}
        exec(call, scope)  # the README's own line
        face = scope["face"]
        assert face.success and face.confidence > 0.9, call


def test_detect_fit_and_tracker_name_their_boxes_alike(det, samples_dir):
    img = cv2.imread(str(SAMPLES / "sample1.jpg"))
    (found,) = det.detect_faces(img)
    (face,) = det.detect(img)
    np.testing.assert_array_equal(face.box, found[:4])
    assert face.detection_score == pytest.approx(found[4], abs=0)
    np.testing.assert_array_equal(face.landmark_box, landmark_box(face.landmarks))
    fitted = det.fit(img, found[:4])
    assert fitted.detection_score is None
    np.testing.assert_array_equal(fitted.landmarks, face.landmarks)
    # The box differs from the landmark box (they are not the same thing).
    assert np.abs(face.box - face.landmark_box).max() > 10

    for max_faces in (1, None):
        t = det.tracker(max_faces=max_faces)
        first = t.update(img)[0]
        np.testing.assert_array_equal(first.box, found[:4])  # started from the detection
        assert first.detection_score == pytest.approx(found[4], abs=0)
        prev = first
        for _ in range(3):
            cur = t.update(img)[0]
            # A tracking step starts from the previous frame's shape: its box is about the
            # previous landmark box.
            assert np.abs(cur.box - prev.landmark_box).max() < 3
            np.testing.assert_array_equal(cur.landmark_box, landmark_box(cur.landmarks))
            assert cur.detection_score == first.detection_score
            prev = cur


def test_face_dict_has_the_new_fields(det, samples_dir):
    face = det.detect(cv2.imread(str(SAMPLES / "sample1.jpg")))[0]
    d = face.to_dict()
    assert len(d["landmark_box"]) == 4 and isinstance(d["detection_score"], float)
