"""Multi-face tracker ids (issue 12 item 13): a face re-found within ``keep_id_seconds`` at an
overlapping place keeps its id; ids never jump between faces."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SAMPLES

import pyfacelm
from pyfacelm.boxes import box_iou
from pyfacelm.tracking import REID_MAX_SIZE_RATIO, REID_REACH, REID_REACH_PER_SECOND
from pyfacelm.video import open_video

cv2 = pytest.importorskip("cv2", reason="opencv-python-headless decodes the samples")


@pytest.fixture(scope="module")
def det(model_dir):
    return pyfacelm.CLNFDetector("clnf", model_dir)


def _canvas(*faces: tuple[str, int], width: int = 960) -> np.ndarray:
    """A 480 x `width` frame with sample photos (resized to 320x240) at the given x offsets."""
    frame = np.zeros((480, width, 3), np.uint8)
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
    # Re-found in time but far from its last box: the face (about 100 px wide) moved by 640 px,
    # more than the 3 + 1.5 * 0.4 face widths allowed after 12 frames at 30 fps.
    far = _canvas(("sample1.jpg", 320), width=1280)
    moved = _canvas(("sample1.jpg", 960), width=1280)
    t = det.tracker(max_faces=None)
    frames = _run(t, _gap_stream(far, moved))
    shift = frames[-1][0][1][0] - frames[0][0][1][0]
    width = frames[0][0][1][2]
    assert shift > (REID_REACH + REID_REACH_PER_SECOND * 12 / 30) * width
    assert [i for i, _, _ in frames[-1]] == [1]
    t.reset()
    assert [f.face_id for f in t.update(face)] == [0]


def test_face_refound_after_moving_keeps_its_id(det, samples_dir):
    # The face moves by 160 px (more than its width, so the boxes do not overlap) while lost.
    face = _canvas(("sample1.jpg", 320))
    moved = _canvas(("sample1.jpg", 480))
    t = det.tracker(max_faces=None)
    frames = _run(t, _gap_stream(face, moved))
    assert box_iou(frames[0][0][1], frames[-1][0][1]) == 0
    assert [i for i, _, _ in frames[-1]] == [0]
    # A face of a very different size at that place is another face.
    t.reset()
    small = np.zeros_like(face)
    small[180:300, 480:640] = cv2.resize(cv2.imread(str(SAMPLES / "sample1.jpg")), (160, 120))
    frames = _run(t, _gap_stream(face, small))
    assert frames[-1] and frames[-1][0][1][2] < frames[0][0][1][2] / REID_MAX_SIZE_RATIO
    assert [i for i, _, _ in frames[-1]] == [1]


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
    # Measured: 7 ids (32 with the overlap rule alone). The two people in the back jump about
    # and the core loses and re-detects them 31 times, 1-4 face widths away. Each of the 32 core
    # tracks was labelled by eye with its person: with this rule every id stays with one person;
    # looser reaches (e.g. 3 + 3 widths/s) give 6 ids, one of them shared by two people.
    assert len(ids) == 7
    # From one frame to the next an id's box overlaps its previous box; an id that comes back
    # after a gap does so within the rule's reach of its last successful box: a swap of two
    # faces' ids or an id handed to a face elsewhere would break one of the two.
    last: dict[int, tuple[int, np.ndarray]] = {}
    last_ok: dict[int, tuple[int, np.ndarray]] = {}
    worst = 1.0
    jumps = 0
    for k, f in enumerate(frames):
        assert len({i for i, _, _ in f}) == len(f)
        for i, box, ok in f:
            if i in last and last[i][0] == k - 1 and box_iou(last[i][1], box) >= 0.3:
                worst = min(worst, box_iou(last[i][1], box))
            elif i in last:  # re-found (possibly in the next frame, by a new detection)
                j, prev = last_ok.get(i, last[i])
                gap = (k - last[i][0]) / src.fps
                reach = 3 + 1.5 * gap  # the documented rule, not the module's constants
                d = np.hypot(*(box[:2] + box[2:] / 2 - prev[:2] - prev[2:] / 2))
                assert d <= reach * max(box[2], prev[2]), (i, j, k, d)
                assert k - last[i][0] <= t.keep_id_frames + 1
                jumps += 1
            # No id lands on the place of another id's face of the previous frame, unless both
            # were already on one face (the core briefly tracks some faces twice).
            for i2, (k2, box2) in last.items():
                if i2 != i and k2 == k - 1 and box_iou(box, box2) >= 0.5 and i in last:
                    assert box_iou(last[i][1], box2) >= 0.3, (i, i2, k)
            last[i] = (k, box)
            if ok:
                last_ok[i] = (k, box)
    assert worst < 0.9  # the check above saw the moving faces
    assert jumps >= 20  # ... and faces re-found after a loss
