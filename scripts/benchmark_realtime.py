#!/usr/bin/env python3
"""Thin wrapper of `ecomseg benchmark-realtime` (ecomseg/cli/benchmark_realtime.py): `python scripts/benchmark_realtime.py --help` lists the options.

Needs the ecomseg package installed (`make install` installs it into .venv, editable).
"""

import sys

from ecomseg.cli.benchmark_realtime import main

if __name__ == "__main__":
    sys.exit(main(prog="benchmark_realtime.py"))
