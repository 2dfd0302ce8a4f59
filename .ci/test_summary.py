"""Print how many tests ran, passed, failed and were skipped, from pytest's JUnit XML files.

Usage: python3 .ci/test_summary.py RESULTS.xml [...]   (one file per pytest run)

Lists every skipped test with its reason, so a skip cannot hide in a long log. Skips in the
parity test files are already failures under PYFACELM_REQUIRE_REFERENCE=1 (tests/conftest.py).
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET


def main(paths: list[str]) -> int:
    for path in paths:
        ran = passed = failed = 0
        skipped: list[str] = []
        for case in ET.parse(path).getroot().iter("testcase"):
            name = f"{case.get('classname')}::{case.get('name')}"
            skip = case.find("skipped")
            if skip is not None:
                skipped.append(f"  skipped {name}: {skip.get('message', '')}")
                continue
            ran += 1
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            else:
                passed += 1
        print(f"{path}: {ran} tests ran ({passed} passed, {failed} failed), {len(skipped)} skipped")
        print("\n".join(skipped))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
