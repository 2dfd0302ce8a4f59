"""Multi-face tracker ids (issue 12 item 13): a face re-found within ``keep_id_seconds`` at an
overlapping place keeps its id; ids never jump between faces."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SAMPLES

import pyfacelm
from pyfacelm.boxes import box_iou
from pyfacelm.video import open_video

cv2 = pytest.importorskip("cv2", reason="opencv-python-headless decodes the samples")


@pytest.fixture(scope="module")
def det(model_dir):
    return pyfacelm.CLNFDetector("clnf", model_dir)


def _canvas(*faces: tuple[str, int]) -> np.ndarray:
    """A 480x960 frame with sample photos (resized to 320x240) at the given x offsets."""
    frame = np.zeros((480, 960, 3), np.uint8)
    for name, x in faces:
        img = cv2.resize(cv2.imread(str(SAMPLES / name)), (320, 240))
        frame[120:360, x : x + 320] = img
    return frame


def _run(tracker, frames):
    return [[(f.face_id, f.landmark_box, f.success) for f in tracker.update(fr)] for fr in frames]


def _gap_stream(face: np.ndarray, later: np.ndarray | None = None) -> list[np.ndarray]:
    # 8 frames with the face, 16 without (the face is dropped after 5 failed fits), then the
    # face again; MTCNN looks every 8th frame, so it is re-found at frame 24, 12 frames after
    # its last tracked frame.
    black = np.zeros_like(face)
    return [face] * 8 + [black] * 16 + [face if later is None else later] * 4


def test_face_refound_at_its_place_keeps_its_id(det, samples_dir):
    face = _canvas(("sample1.jpg", 320))
    t = det.tracker(max_faces=None, fps=30)
    assert t.keep_id_frames == 60
    frames = _run(t, _gap_stream(face))
    assert {i for i, _, _ in frames[0]} == {0}
    assert any(not f for f in frames[14:24]), "the face must be lost in between"
    assert [i for i, _, _ in frames[-1]] == [0]


def test_face_refound_too_late_or_elsewhere_gets_a_new_id(det, samples_dir):
    face = _canvas(("sample1.jpg", 320))
    # 5 fps: 2 s are 10 frames < the 12-frame gap.
    t = det.tracker(max_faces=None, fps=5)
    assert t.keep_id_frames == 10
    assert [i for i, _, _ in _run(t, _gap_stream(face))[-1]] == [1]
    t = pyfacelm.Tracker(det, None, keep_id_seconds=0)
    assert [i for i, _, _ in _run(t, _gap_stream(face))[-1]] == [1]
    # Re-found in time but at a place not overlapping its last box.
    t = det.tracker(max_faces=None)
    moved = _canvas(("sample1.jpg", 0))
    assert [i for i, _, _ in _run(t, _gap_stream(face, moved))[-1]] == [1]
    t.reset()
    assert [f.face_id for f in t.update(face)] == [0]


def test_two_faces_lost_together_get_their_own_ids_back(det, samples_dir):
    both = _canvas(("sample1.jpg", 0), ("image_sequence/001.jpg", 640))
    t = det.tracker(max_faces=None)
    frames = _run(t, _gap_stream(both))
    first = {i: box for i, box, _ in frames[0]}
    last = {i: box for i, box, _ in frames[-1]}
    assert sorted(first) == sorted(last) == [0, 1]
    for i in (0, 1):
        assert box_iou(first[i], last[i]) > 0.5


def test_bad_tracker_arguments(det):
    with pytest.raises(ValueError, match="fps"):
        det.tracker(max_faces=None, fps=0)
    with pytest.raises(ValueError, match="keep_id_seconds"):
        pyfacelm.Tracker(det, None, keep_id_seconds=-1)


def test_single_face_tracker_ids_unchanged(det, samples_dir):
    t = det.tracker()
    frames = _run(t, _gap_stream(_canvas(("sample1.jpg", 320))))
    assert {i for f in frames for i, _, _ in f} == {0}


@pytest.mark.slow
def test_multi_face_video_ids_are_continuous(det, samples_dir):
    """The whole of multi_face.avi (3 people, up to 4 faces, much motion): few ids, unique per
    frame, and every id's box moves continuously (a swap of two faces' ids would jump)."""
    src = open_video(SAMPLES / "multi_face.avi")
    t = det.tracker(max_faces=None, fps=src.fps)
    frames = _run(t, src)
    assert len(frames) == 702
    ids = {i for f in frames for i, _, _ in f}
    # Measured: 32 ids (34 before). People here move by more than their face's width while
    # the tracker has lost them, so an overlap rule bridges few losses (Tracker's docstring).
    assert len(ids) <= 32
    last: dict[int, tuple[int, np.ndarray]] = {}
    worst = 1.0
    for k, f in enumerate(frames):
        assert len({i for i, _, _ in f}) == len(f)
        for i, box, _ in f:
            if i in last:
                j, prev = last[i]
                iou = box_iou(prev, box)
                worst = min(worst, iou)
                assert iou >= 0.3, (i, j, k, iou)
            last[i] = (k, box)
    assert worst < 0.9  # the check above saw the moving faces
