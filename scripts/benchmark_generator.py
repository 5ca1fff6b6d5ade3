#!/usr/bin/env python3
"""Thin wrapper of `ecomseg benchmark-generator` (ecomseg/cli/benchmark_generator.py): `python scripts/benchmark_generator.py --help` lists the options.

Needs the ecomseg package installed (`make install` installs it into .venv, editable).
"""

import sys

from ecomseg.cli.benchmark_generator import main

if __name__ == "__main__":
    sys.exit(main(prog="benchmark_generator.py"))
