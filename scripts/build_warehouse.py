#!/usr/bin/env python3
"""Thin wrapper of `ecomseg build` (ecomseg/cli/build.py): `python scripts/build_warehouse.py --help` lists the options.

Needs the ecomseg package installed (`make install` installs it into .venv, editable).
"""

import sys

from ecomseg.cli.build import main

if __name__ == "__main__":
    sys.exit(main(prog="build_warehouse.py"))
