#!/usr/bin/env python3
"""Thin wrapper of `ecomseg validate` (ecomseg/cli/validate.py): `python scripts/validate.py --help` lists the options.

Needs the ecomseg package installed (`make install` installs it into .venv, editable).
"""

import sys

from ecomseg.cli.validate import main

if __name__ == "__main__":
    sys.exit(main(prog="validate.py"))
