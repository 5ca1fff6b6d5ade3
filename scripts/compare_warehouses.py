#!/usr/bin/env python3
"""Thin wrapper of `ecomseg compare-warehouses` (ecomseg/cli/compare_warehouses.py): `python scripts/compare_warehouses.py --help` lists the options.

Needs the ecomseg package installed (`make install` installs it into .venv, editable).
"""

import sys

from ecomseg.cli.compare_warehouses import main

if __name__ == "__main__":
    sys.exit(main(prog="compare_warehouses.py"))
