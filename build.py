#!/usr/bin/env python3
"""Entry point: `python build.py build|check|serve|new`, the same as `policysite`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from policysite.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
