"""Face.from_native: the Face a core result becomes (built in one call from the core's fields)."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
from conftest import import_or_missing

import pyfacelm
from pyfacelm import _clnf
from pyfacelm.face import Face, with_face_id

cv2 = import_or_missing("cv2", "opencv-python-headless (test extra) decodes the video")

DTYPES = {
    "landmarks": np.float32,
    "landmarks_3d": np.float32,
    "eye_landmarks": np.float32,
    "params_global": np.float64,
    "params_local": np.float64,
    "pose": np.float64,
    "landmark_likelihoods": np.float32,
    "box": np.float64,
    "landmark_box": np.float64,
    "eye_landmarks_3d": np.float32,
    "gaze_0": np.float32,
    "gaze_1": np.float32,
    "gaze_angle": np.float32,
}


@pytest.fixture(scope="module")
def tracked(model_dir, samples_dir):
    """The core's results and their Faces for the first frames of default.wmv (CLNF)."""
    det = pyfacelm.CLNFDetector("clnf", model_dir)
    core = _clnf.Tracker(det.native_model, det.face_detector, 1, params=det.params)
    cap = cv2.VideoCapture(str(samples_dir / "default.wmv"))
    pairs = []
    for _ in range(3):
        ok, frame = cap.read()
        assert ok
        results, _ = core.update(frame, color="bgr", intrinsics=None)
        pairs += [(r, Face.from_native(r)) for r in results]
    cap.release()
    assert pairs
    return pairs


def test_fields_match_the_core_result(tracked):
    for r, face in tracked:
        assert list(r.face_fields()) == [f.name for f in dataclasses.fields(Face)]
        for f in dataclasses.fields(Face):
            ours, core = getattr(face, f.name), getattr(r, f.name)
            if f.name in DTYPES:
                assert isinstance(ours, np.ndarray) and ours.dtype == DTYPES[f.name], f.name
                assert not ours.flags.writeable, f.name
                np.testing.assert_array_equal(ours, core, err_msg=f.name)
            else:
                assert type(ours) is type(core) and ours == core, f.name


def test_arrays_are_fresh_and_read_only(tracked):
    r, face = tracked[-1]
    again = Face.from_native(r)
    assert not np.shares_memory(again.landmarks, face.landmarks)
    with pytest.raises(ValueError):
        face.landmarks[0, 0] = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        face.view = 3  # type: ignore[misc]


def test_pickle_and_replace(tracked):
    r, face = tracked[-1]
    assert face.detection_score is not None  # a tracked face carries its detection's score
    g = pickle.loads(pickle.dumps(face))
    assert repr(g) == repr(face) and g.to_dict() == face.to_dict()
    for name in DTYPES:
        x = getattr(g, name)
        assert x.dtype == getattr(face, name).dtype and not x.flags.writeable
    moved = dataclasses.replace(face, face_id=7)
    assert moved.face_id == 7 and np.array_equal(moved.landmarks, face.landmarks)


def test_with_face_id_is_replace(tracked):
    _, face = tracked[-1]
    a, b = with_face_id(face, 5), dataclasses.replace(face, face_id=5)
    assert a.face_id == 5 and face.face_id == 0
    assert a.to_dict() == b.to_dict() and list(vars(a)) == list(vars(b))
    assert pickle.loads(pickle.dumps(a)).to_dict() == b.to_dict()
