"""Parity with the original OpenFace: the README's table, measured now.

Usage: python benchmarks/parity_report.py [--measure]

Fits every face of the reference from its box (CLNF, CLM, the four synthetic CE-CLM runs),
runs MTCNN on the sample images and tracks the 5 sample videos with CLNF and CLM, and compares
each with the original's outputs in ../shared/reference, with the measuring code the parity
tests use (tests/parity.py). Prints the markdown tables of the README's "Parity with OpenFace"
section. ``--measure`` prints instead every statistic next to the test's tolerance.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from _common import REPO, model_dir

sys.path.insert(0, str(REPO / "tests"))
import parity  # noqa: E402  (the parity tests' measuring code)

import pyfacelm  # noqa: E402
from pyfacelm.kernels import SIMD_ENV_VAR  # noqa: E402


def measure(models: Path) -> dict[str, dict[str, float]]:
    """Every summary the tests check, keyed like parity.TOLERANCES (tracking: per video)."""
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        dirs = {
            v: parity.ceclm_model_dir(models, v, Path(tmp) / v) for v in ("stock", "et100")
        }
        for label, model, ref_name, variant, multi_view in parity.FIT_RUNS:
            det = pyfacelm.CLNFDetector(model, models if variant is None else dirs[variant])
            rows = parity.fit_diffs(det, parity.reference(ref_name), multi_view=multi_view)
            out[label] = parity.fit_summary(rows)
    for model in ("clnf", "clm"):
        out[f"{model.upper()} stages"] = parity.stage_summary(models, model)
    dets = {m: pyfacelm.CLNFDetector(m, models) for m in ("clnf", "clm")}
    ref = parity.reference("images_clnf.json")
    out["MTCNN"] = parity.mtcnn_summary(dets["clnf"], ref)
    # The portable CNN kernel (what ARM and older x86 run), chosen when the models load.
    previous = os.environ.get(SIMD_ENV_VAR)
    os.environ[SIMD_ENV_VAR] = "baseline"
    try:
        base = pyfacelm.CLNFDetector("clnf", models)
        out["MTCNN baseline kernel"] = parity.mtcnn_summary(base, ref)
        out["CLNF baseline kernel"] = parity.fit_summary(parity.fit_diffs(base, ref))
    finally:
        if previous is None:
            del os.environ[SIMD_ENV_VAR]
        else:
            os.environ[SIMD_ENV_VAR] = previous
    for name in parity.VIDEOS:
        for m in ("clnf", "clm"):
            d = parity.video_diff(dets[m], name, m)
            s = parity.video_summary(d)
            s["redetections"] = len(d.redetect_ours)
            s["redetections_moved"] = sum(a != b for a, b in zip(d.redetect_ours, d.redetect_ref))
            out[f"tracking {name} {m}"] = s
    return out


def pct(x: float) -> str:
    return f"{100 * x:.1f} %" if x < 1 else "100 %"


def fit_table(m: dict[str, dict[str, float]]) -> list[str]:
    lines = [
        "| fit from the reference boxes, 111 faces | mean distance <= 0.1 px | max | "
        "success, detection_success, view equal | confidence | model_likelihood within 1e-2 "
        "| params_local | params_global p95 / max | landmarks_3d | pose T / R | eye landmarks "
        "<= 0.1 px (max) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, *_ in parity.FIT_RUNS:
        s = m[label]
        mism = s["success_mismatches"] + s["detection_success_mismatches"] + s["view_mismatches"]
        lines.append(
            f"| {label} | {pct(s['dist_frac_le_0.1'])} | {s['dist_max']:.3f} px | "
            f"{'all' if mism == 0 else f'{mism} differ'} | "
            f"max diff {s['confidence_max']:.1g} | {pct(s['likelihood_rel_frac_le_1e-2'])} | "
            f"max {s['local_sigma_max']:.3f} sqrt(lambda) | "
            f"{s['global_p95']:.1e} / {s['global_max']:.1e} | "
            f"max {s['landmarks_3d_max_mm']:.2f} mm | "
            f"{s['pose_t_max_mm']:.2f} mm / {s['pose_r_max_rad']:.1e} rad | "
            f"{pct(s['eye_frac_le_0.1'])} ({s['eye_max']:.3f} px) |"
        )
    return lines


def mtcnn_lines(m: dict[str, dict[str, float]]) -> list[str]:
    out = []
    for key, what in (("MTCNN", "default"), ("MTCNN baseline kernel", "portable")):
        s = m[key]
        same = "same count and order" if s["count_mismatches"] == 0 else "count differs"
        out.append(
            f"| MTCNN, {what} CNN kernel, {s['images']} sample images | {same} on "
            f"{s['images'] - s['count_mismatches']}; {s['boxes']} boxes, IoU >= "
            f"{s['iou_min']:.6f}, score within {s['score_max']:.1e} |"
        )
    c = m["CLNF baseline kernel"]
    mism = c["success_mismatches"] + c["detection_success_mismatches"]
    out.append(
        f"| CLNF fits, portable CNN kernel (validator) | confidence max diff "
        f"{c['confidence_max']:.1g}, success {'equal on all' if mism == 0 else 'differs'}, "
        f"max distance {c['dist_max']:.3f} px |"
    )
    return ["| detector and validator | result |", "|---|---|", *out]


def tracking_table(m: dict[str, dict[str, float]]) -> list[str]:
    lines = [
        "| tracking, model | frames (pixels differ) | mean distance per frame: median / p95 / max "
        "| success differs | re-detections |",
        "|---|---|---|---|---|",
    ]
    for name in parity.VIDEOS:
        for model in ("clnf", "clm"):
            s = m[f"tracking {name} {model}"]
            moved = int(s["redetections_moved"])
            lines.append(
                f"| {name}, {model.upper()} | {int(s['frames'])} ({int(s['differing_frames'])}) | "
                f"{s['median']:.3f} / {s['p95']:.3f} / {s['max']:.3f} px | "
                f"{int(s['success_mismatches'])} frames "
                f"({int(s['success_mismatches_on_identical_frames'])} with identical pixels) | "
                f"{int(s['redetections'])}"
                f"{'' if moved == 0 else f' ({moved} one frame off)'} |"
            )
    return lines


def check_lines(m: dict[str, dict[str, float]]) -> list[str]:
    """Every statistic and its tolerance (what the tests assert)."""
    lines = []
    for key, summary in m.items():
        tol = parity.TOLERANCES.get(key.replace(" baseline kernel", ""), {})
        for name, value in summary.items():
            t = f"  tolerance {tol[name]:g}" if name in tol else ""
            lines.append(f"{key:40s} {name:40s} {value:.6g}{t}")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--measure", action="store_true", help="every statistic with its tolerance")
    args = ap.parse_args()
    m = measure(Path(model_dir()))
    if args.measure:
        print("\n".join(check_lines(m)))
        return 0
    print("\n".join(fit_table(m) + [""] + mtcnn_lines(m) + [""] + tracking_table(m)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
