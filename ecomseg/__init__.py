"""ecomseg: the Python side of the ecommerce_segmentation dbt warehouse.

Modules: contract (the raw data contract), generator (synthetic shop),
batches (the synthetic shop as daily export folders, appended day by day), dbt_runner (drive dbt from Python), summary (what a build produced),
project_checks (dbt-project-evaluator rules over target/manifest.json).
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RAW_DIR = REPO_ROOT / "data" / "raw"

__all__ = ["REPO_ROOT", "DEFAULT_RAW_DIR"]
