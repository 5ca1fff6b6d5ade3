#!/usr/bin/env python3
"""Thin wrapper of `ecomseg benchmark-collector` (ecomseg/cli/benchmark_collector.py): `python scripts/benchmark_collector.py --help` lists the options.

Needs the ecomseg package installed (`make install` installs it into .venv, editable).
"""

import sys

from ecomseg.cli.benchmark_collector import main

if __name__ == "__main__":
    sys.exit(main(prog="benchmark_collector.py"))
