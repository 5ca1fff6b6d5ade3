"""ecomseg: the Python side of the ecommerce_segmentation dbt warehouse.

Modules: contract (the raw data contract), generator (synthetic shop, a
package by stage), batches (the synthetic shop as daily export folders,
appended day by day), dbt_runner (drive dbt from Python), summary (what a
build produced), manifest (dbt's target/manifest.json, read in one place),
project_checks (dbt-project-evaluator rules over the manifest), validation
(Great Expectations suites of every layer), gdpr (right to be forgotten,
privacy checks), engine_compare (DuckDB and Spark marts compared),
basket_benchmark (association-rules engines), cli (the ``ecomseg`` command).

REPO_ROOT is the dbt project the package works on: $ECOMSEG_PROJECT_DIR when
set, else the checkout the package sits in (an editable install, or the
repository itself), else the nearest folder upwards from the working
directory holding a dbt_project.yml.
"""

import os
from pathlib import Path


def _project_root() -> Path:
    configured = os.environ.get("ECOMSEG_PROJECT_DIR")
    if configured:
        return Path(configured).resolve()
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "dbt_project.yml").exists():
        return checkout
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "dbt_project.yml").exists():
            return folder
    return checkout


REPO_ROOT = _project_root()
DEFAULT_RAW_DIR = REPO_ROOT / "data" / "raw"

__all__ = ["REPO_ROOT", "DEFAULT_RAW_DIR"]
