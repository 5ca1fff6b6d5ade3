#!/usr/bin/env python3
"""Thin wrapper of `ecomseg forget` (ecomseg/cli/forget.py): `python scripts/forget_customer.py --help` lists the options.

Needs the ecomseg package installed (`make install` installs it into .venv, editable).
"""

import sys

from ecomseg.cli.forget import main

if __name__ == "__main__":
    sys.exit(main(prog="forget_customer.py"))
