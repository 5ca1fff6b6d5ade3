#!/usr/bin/env python3
"""Thin wrapper of `ecomseg report` (ecomseg/cli/report.py): `python scripts/report.py --help` lists the options.

Needs the ecomseg package installed (`make install` installs it into .venv, editable).
"""

import sys

from ecomseg.cli.report import main

if __name__ == "__main__":
    sys.exit(main(prog="report.py"))
