#!/usr/bin/env python3
"""Thin wrapper of `ecomseg check` (ecomseg/cli/check.py): `python scripts/check_project.py --help` lists the options.

Needs the ecomseg package installed (`make install` installs it into .venv, editable).
"""

import sys

from ecomseg.cli.check import main

if __name__ == "__main__":
    sys.exit(main(prog="check_project.py"))
