#!/usr/bin/env python3
"""Thin wrapper of `ecomseg benchmark-rules` (ecomseg/cli/benchmark_rules.py): `python scripts/benchmark_association_rules.py --help` lists the options.

Needs the ecomseg package installed (`make install` installs it into .venv, editable).
"""

import sys

from ecomseg.cli.benchmark_rules import main

if __name__ == "__main__":
    sys.exit(main(prog="benchmark_association_rules.py"))
