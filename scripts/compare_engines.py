#!/usr/bin/env python3
"""Thin wrapper of `ecomseg compare-engines` (ecomseg/cli/compare_engines.py): `python scripts/compare_engines.py --help` lists the options.

Needs the ecomseg package installed (`make install` installs it into .venv, editable).
"""

import sys

from ecomseg.cli.compare_engines import main

if __name__ == "__main__":
    sys.exit(main(prog="compare_engines.py"))
