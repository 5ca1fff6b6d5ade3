#!/usr/bin/env python3
"""Thin wrapper of `ecomseg generate` (ecomseg/cli/generate.py): `python scripts/generate_data.py --help` lists the options.

Needs the ecomseg package installed (`make install` installs it into .venv, editable).
"""

import sys

from ecomseg.cli.generate import main

if __name__ == "__main__":
    sys.exit(main(prog="generate_data.py"))
