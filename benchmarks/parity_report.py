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
import sys
from pathlib import Path

from _common import REPO, model_dir

sys.path.insert(0, str(REPO / "tests"))
import parity  # noqa: E402  (the parity tests' measuring code)
from parity_tolerances import TOLERANCES  # noqa: E402


def measure(models: Path) -> dict[str, dict[str, float]]:
    """Every summary the tests check, keyed like parity_tolerances.TOLERANCES."""
    out: dict[str, dict[str, float]] = {}
    for label, *_ in parity.FIT_RUNS:
        out[label] = parity.fit_run(models, label)[1]
    for model in ("clnf", "clm"):
        out[f"{model.upper()} stages"] = parity.stage_run(models, model)
    out["MTCNN"] = parity.mtcnn_run(models, "default")
    out["MTCNN baseline kernel"] = parity.mtcnn_run(models, "baseline")
    out["CLNF baseline kernel"] = parity.portable_kernel_fit_run(models)
    for name in parity.VIDEOS:
        for m in ("clnf", "clm"):
            d, summary = parity.video_run(models, name, m)
            s = dict(summary)
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
            f"1 - {1 - s['iou_min']:.1e}, score within {s['score_max']:.1e} |"
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
            one_sided = int(s["one_sided_redetection_frames"])
            worst = f"{s['max']:.3f} px"
            if one_sided:
                worst += (
                    f" ({s['max_without_one_sided_redetections']:.3f} px without the "
                    f"{one_sided} frames where only one side re-detects)"
                )
            n_bad, n_bad_same = s["success_mismatches"], s["success_mismatches_on_identical_frames"]
            success = (
                "none"
                if n_bad == 0
                else f"{int(n_bad)} frames ({int(n_bad_same)} with identical pixels)"
            )
            lines.append(
                f"| {name}, {model.upper()} | {int(s['frames'])} ({int(s['differing_frames'])}) | "
                f"{s['median']:.3f} / {s['p95']:.3f} / {worst} | {success} | "
                f"{int(s['redetections'])}"
                f"{'' if moved == 0 else f' ({moved} on a neighbouring frame)'} |"
            )
    return lines


def render(m: dict[str, dict[str, float]]) -> str:
    """The tables of the README's "Parity with OpenFace" section."""
    return "\n".join(fit_table(m) + [""] + mtcnn_lines(m) + [""] + tracking_table(m))


def check_lines(m: dict[str, dict[str, float]]) -> list[str]:
    """Every statistic and its tolerance (what the tests assert)."""
    lines = []
    for key, summary in m.items():
        tol = TOLERANCES.get(key.replace(" baseline kernel", ""), {})
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
    print(render(m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
