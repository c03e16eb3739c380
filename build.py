#!/usr/bin/env python3
"""Entry point: `python build.py build|check|serve|new`, the same as `policysite`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

if __name__ == "__main__":
    try:
        from policysite.__main__ import run
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted: the previous output is unchanged.\n")
        sys.exit(130)
    run()
