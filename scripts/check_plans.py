#!/usr/bin/env python3
"""Thin wrapper of `ecomseg check-plans` (ecomseg/cli/check_plans.py): `python scripts/check_plans.py --help` lists the options.

Needs the ecomseg package installed (`make install` installs it into .venv, editable).
"""

import sys

from ecomseg.cli.check_plans import main

if __name__ == "__main__":
    sys.exit(main(prog="check_plans.py"))
