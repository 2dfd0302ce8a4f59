"""The core's layout rule (cpp/README.md): stages include each other only through public headers."""

from __future__ import annotations

import re
from pathlib import Path

CPP = Path(__file__).resolve().parents[1] / "cpp"
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def _stage(path: Path) -> str:
    return path.relative_to(CPP).parts[0]


def test_no_stage_includes_another_stages_private_headers():
    sources = [p for p in CPP.rglob("*") if p.suffix in (".cpp", ".hpp")]
    assert len(sources) > 40
    offending = []
    for src in sources:
        for inc in INCLUDE.findall(src.read_text()):
            parts = inc.split("/")
            if "detail" in parts and parts[0] != _stage(src):
                offending.append(f"{src.relative_to(CPP)} includes {inc}")
            if inc.startswith("../"):
                offending.append(f"{src.relative_to(CPP)} includes {inc} by a relative path")
    assert offending == []


def test_every_include_resolves_from_the_include_root():
    for src in CPP.rglob("*"):
        if src.suffix not in (".cpp", ".hpp") or _stage(src) == "bindings":
            continue
        for inc in INCLUDE.findall(src.read_text()):
            assert (CPP / inc).is_file(), f"{src.relative_to(CPP)}: {inc} is not under cpp/"


def test_every_core_source_is_listed_in_cmake():
    cmake = (CPP.parent / "CMakeLists.txt").read_text()
    for src in CPP.rglob("*.cpp"):
        rel = src.relative_to(CPP.parent).as_posix()
        assert rel in cmake, f"{rel} is not listed in CMakeLists.txt"
