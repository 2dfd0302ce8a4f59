"""Threads: one shared detector, many callers; results equal sequential runs bit for bit."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from conftest import SAMPLES

import pyfacelm
from pyfacelm.video import iter_video

cv2 = pytest.importorskip("cv2", reason="opencv-python-headless (test extra) decodes the samples")


@pytest.fixture(scope="module")
def det(model_dir):
    return pyfacelm.CLNFDetector("clnf", model_dir)


def run_threads(n: int, work):
    results: list = [None] * n
    errors: list = []

    def target(i):
        try:
            results[i] = work(i)
        except Exception as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def same_faces(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.landmarks, y.landmarks)
        np.testing.assert_array_equal(x.params_local, y.params_local)
        np.testing.assert_array_equal(x.pose, y.pose)
        assert x.confidence == y.confidence and x.success == y.success


def test_eight_threads_fit_and_detect(det, samples_dir):
    images = [cv2.imread(str(SAMPLES / f"sample{i}.jpg")) for i in (1, 3, 4, 5)]
    images.append(cv2.imread(str(SAMPLES / "sample2.jpg")))
    boxes = [det.detect_faces(img) for img in images]
    seq_fit = [[det.fit(img, b[:4]) for b in bs] for img, bs in zip(images, boxes)]
    seq_det = [det.detect(img) for img in images]

    def work(i):
        k = i % len(images)
        fits = [det.fit(images[k], b[:4]) for b in boxes[k]]
        found = det.detect(images[k])
        return k, fits, found

    for k, fits, found in run_threads(8, work):
        same_faces(fits, seq_fit[k])
        same_faces(found, seq_det[k])


def test_eight_trackers_on_eight_streams(det, samples_dir):
    streams = [
        list(iter_video(SAMPLES / "image_sequence")),
        [f for i, f in zip(range(20), iter_video(SAMPLES / "default.wmv"))],
    ]

    def track(k):
        t = det.tracker()
        return [t.update(f) for f in streams[k % 2]]

    sequential = [track(0), track(1)]
    for i, res in enumerate(run_threads(8, track)):
        for a, b in zip(res, sequential[i % 2]):
            same_faces(a, b)


def test_one_tracker_from_two_threads_is_serialised(det, samples_dir):
    frames = list(iter_video(SAMPLES / "image_sequence"))[:10]
    t = det.tracker()
    run_threads(2, lambda i: [t.update(f) for f in frames[i::2]])  # no crash, no corruption
    assert len(t.update(frames[0])) == 1
