"""python -m ecomseg: the ecomseg command (ecomseg.cli)."""

import sys

from ecomseg.cli import main

sys.exit(main())
