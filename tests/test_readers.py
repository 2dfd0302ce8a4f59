"""Model-file readers (SPEC §1): shipped files parse completely; corrupt copies fail cleanly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHARED, fuzz_cases, make_synthetic_pdm, missing

import pyfacelm
from pyfacelm import _clnf

HERE = Path(__file__).resolve().parent


# (relative path, kind) for every file of the shipped configurations.
def shipped_files(model_dir: Path) -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    for p in sorted(model_dir.rglob("*.txt")):
        rel = p.relative_to(model_dir).as_posix()
        if rel.startswith("AU_predictors/"):
            if p.name.startswith("main_"):
                out.append((p, "au_module"))
            elif p.name.startswith("AU_all_"):
                out.append((p, "au_list"))
            elif p.name == "tris_68_full.txt":
                out.append((p, "au_triangulation"))
            elif p.name.startswith("In-the-wild"):
                out.append((p, "pdm"))
            continue  # the DISFA-only alternatives are not used
        if "pdms/" in rel:
            out.append((p, "pdm"))
        elif p.name.startswith("main_"):
            out.append((p, "main"))
        elif "ccnf_patches" in rel:
            out.append((p, "ccnf"))
        elif "svr_patches" in rel:
            out.append((p, "svr"))
        elif rel in (
            "detection_validation/validator_cnn.txt",
            "detection_validation/validator_cnn_68.txt",
        ):
            out.append((p, "validator"))
        elif rel == "early_term_cen_of.txt":
            out.append((p, "early_termination"))
        elif rel == "tris_68.txt":
            out.append((p, "triangulation"))
        elif rel == "mtcnn_detector/MTCNN_detector.txt":
            out.append((p, "mtcnn"))
        elif p.name.startswith(("clnf_", "clm_", "cen_")):
            out.append((p, "model"))
    out += [(p, "mtcnn_net") for p in sorted((model_dir / "mtcnn_detector").glob("*.dat"))]
    for sub in ("svr_combined", "svm_combined"):
        dats = sorted((model_dir / "AU_predictors" / sub).glob("*.dat"))
        out += [(p, "au_predictor") for p in dats]
    return out


def synthetic_cen_files() -> list[Path]:
    return sorted((SHARED / "openface" / "synthetic_cen" / "patch_experts").glob("*.dat"))


def test_every_shipped_file_parses_to_its_last_byte(model_dir):
    files = shipped_files(model_dir)
    kinds = {k for _, k in files}
    assert kinds >= {"pdm", "main", "model", "ccnf", "svr", "validator", "mtcnn", "mtcnn_net"}
    for path, kind in files:
        # Readers raise on trailing bytes, so a clean load means the file was consumed exactly.
        _clnf._load_model_file(str(path), kind)


def test_known_structure(model_dir):
    ccnf = _clnf._load_model_file(
        str(model_dir / "patch_experts/ccnf_patches_0.25_general.txt"), "ccnf"
    )
    assert ccnf == {
        "patch_scaling": 0.25,
        "n_views": 7,
        "n_landmarks": 68,
        "n_window_sizes": 4,
        "n_experts": 410,
    }
    v = _clnf._load_model_file(
        str(model_dir / "detection_validation/validator_cnn_68.txt"), "validator"
    )
    assert v["n_views"] == 7 and v["n_layers"] == 12
    et = _clnf._load_model_file(str(model_dir / "early_term_cen_of.txt"), "early_termination")
    assert et["cutoffs"] == [-0.23, -0.2, -0.14, 0.26, 0.26, -0.14, -0.2]
    assert _clnf._load_model_file(str(model_dir / "tris_68.txt"), "triangulation")["triangles"] == [
        97,
        97,
        82,
        31,
        97,
        82,
        31,
    ]
    main = _clnf.read_main_config(str(model_dir / "main_clnf_general.txt"))
    assert [p["name"] for p in main["parts"]] == ["inner", "left_eye_28", "right_eye_28"]
    assert (
        main["parts"][0]["mapping"][:2] == [(17, 0), (18, 1)]
        and len(main["parts"][0]["mapping"]) == 51
    )
    assert main["parts"][1]["mapping"] == [
        (36, 8),
        (37, 10),
        (38, 12),
        (39, 14),
        (40, 16),
        (41, 18),
    ]
    assert main["validator"].endswith("detection_validation/validator_cnn.txt")
    desc = _clnf.read_model_description(main["landmark_detector"])
    assert [Path(p).name for p in desc["ccnf_patches"]] == [
        "ccnf_patches_0.25_general.txt",
        "ccnf_patches_0.35_general.txt",
        "ccnf_patches_0.5_general.txt",
    ]


def test_synthetic_cen_files_parse():
    files = synthetic_cen_files()
    if not files:
        missing("synthetic CEN files not available")
    for p in files:
        s = _clnf._load_model_file(str(p), "cen")
        assert s["n_views"] == 7 and s["mirror_views"] == [0, 6, 5, 4, 3, 2, 1]


def test_unsupported_validator_type(model_dir):
    with pytest.raises(pyfacelm.ModelFormatError, match="type 2 is not supported"):
        _clnf._load_model_file(
            str(model_dir / "detection_validation/validator_general_68.txt"), "validator"
        )


def test_missing_file_is_model_not_found(tmp_path):
    with pytest.raises(pyfacelm.ModelNotFoundError):
        pyfacelm.PDM(str(tmp_path / "nope.txt"))
    with pytest.raises(FileNotFoundError):
        _clnf.read_main_config(str(tmp_path / "main_nope.txt"))


@pytest.mark.parametrize(
    "content, words",
    [
        ("3\n1\n6\n1\n2\n", "file ends"),
        ("3\n1\n6\n1\n2\nabc\n", "expected a number"),
        ("3\n1\n6\n1\n2\nnan\n", "non-finite"),
        ("999999999\n1\n6\n1\n", "does not fit"),
        ("-3\n1\n6\n", "negative"),
        ("3\n1\n9\n1 2 3\n", "type code"),
    ],
)
def test_malformed_text_matrix_messages(tmp_path, content, words):
    p = tmp_path / "pdm.txt"
    p.write_text(content)
    with pytest.raises(pyfacelm.ModelFormatError, match=words) as e:
        pyfacelm.PDM(str(p))
    assert str(p) in str(e.value) and "line" in str(e.value)


def test_malformed_binary_messages(tmp_path, model_dir):
    data = (model_dir / "mtcnn_detector/PNet.dat").read_bytes()
    p = tmp_path / "PNet.dat"
    p.write_bytes(data[:1000])
    with pytest.raises(pyfacelm.ModelFormatError, match="truncated") as e:
        _clnf._load_model_file(str(p), "mtcnn_net")
    assert "byte" in str(e.value)
    p.write_bytes(data + b"\0\0\0\0")
    with pytest.raises(pyfacelm.ModelFormatError, match="unexpected bytes"):
        _clnf._load_model_file(str(p), "mtcnn_net")


def test_bad_main_configs(tmp_path):
    p = tmp_path / "main_x.txt"
    p.write_text("DetectionValidator v.txt\n")
    with pytest.raises(pyfacelm.ModelFormatError, match="LandmarkDetector"):
        _clnf.read_main_config(str(p))
    p.write_text("LandmarkDetector a.txt\nLandmarkDetector_part b.txt eye 1 2 3\n")
    with pytest.raises(pyfacelm.ModelFormatError, match="pairs"):
        _clnf.read_main_config(str(p))
    p.write_text("LandmarkDetector a.txt\r\nLandmarkDetector_part b.txt eye 1 2 3 4 \r\n")
    cfg = _clnf.read_main_config(str(p))
    assert cfg["parts"][0]["mapping"] == [(1, 2), (3, 4)]  # CRLF and trailing blanks are harmless
    p.write_bytes(b"\x00\x01binary")
    with pytest.raises(pyfacelm.ModelFormatError, match="binary"):
        _clnf.read_main_config(str(p))


def run_fuzz(tmp_path: Path, sources: list[tuple[Path, str]], n_cases: int, timeout: float) -> dict:
    cases = [
        {
            "source": str(sources[i % len(sources)][0]),
            "kind": sources[i % len(sources)][1],
            "seed": 1000 + i,
        }
        for i in range(n_cases)
    ]
    case_file, state, work = tmp_path / "cases.json", tmp_path / "state.json", tmp_path / "work"
    work.mkdir()
    case_file.write_text(json.dumps(cases))
    try:
        proc = subprocess.run(
            [
                sys.executable,
                str(HERE / "model_file_fuzz.py"),
                str(case_file),
                str(state),
                str(work),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"model reader hung; last case: {state.read_text()}")
    if proc.returncode != 0:
        last = state.read_text() if state.exists() else "?"
        pytest.fail(
            f"reader fuzzing failed (exit {proc.returncode}); last case: {last}\n"
            f"{proc.stdout}\n{proc.stderr[-2000:]}"
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_fuzz_synthetic_pdm_without_models(tmp_path):
    src = make_synthetic_pdm(tmp_path / "pdm_src.txt")
    cfg = tmp_path / "main_src.txt"
    cfg.write_text(
        "LandmarkDetector clnf.txt\nLandmarkDetector_part e.txt left_eye_28 36 8 37 10\n"
    )
    summary = run_fuzz(tmp_path, [(src, "pdm"), (cfg, "main")], 300, 120)
    assert summary["counts"]["ModelFormatError"] > 100


def test_fuzz_shipped_model_files(tmp_path, model_dir):
    """Truncated, bit-flipped, size-corrupted and swapped copies of every file kind: each load
    ends in ModelFormatError or a clean load, never a crash, hang or huge allocation."""
    files = shipped_files(model_dir)
    by_kind: dict[str, list[Path]] = {}
    for p, k in files:
        by_kind.setdefault(k, []).append(p)
    sources = [(ps[i], k) for k, ps in sorted(by_kind.items()) for i in range(min(2, len(ps)))]
    sources += [(p, "cen") for p in synthetic_cen_files()[:1]]
    kinds = sorted({k for _, k in sources})
    per_kind = fuzz_cases("PYFACELM_FUZZ_CASES", full=2000, quick=80)
    # Interleave the kinds so that each gets `per_kind` mutations.
    by = {k: [s for s in sources if s[1] == k] for k in kinds}
    ordered = [by[k][i % len(by[k])] for i in range(per_kind) for k in kinds]
    n = len(ordered)
    summary = run_fuzz(tmp_path, ordered, n, 1800)
    assert summary["cases"] == n == per_kind * len(kinds)
    assert summary["counts"]["ModelFormatError"] > n // 2, summary
    assert summary["slowest_s"] < 10, summary
