"""The privacy layer: personal data and consent checks (ecomseg.gdpr) as one suite."""

from __future__ import annotations

import pandas as pd

from ecomseg import gdpr
from ecomseg.validation.common import FrameValue, Suite, expectation


def privacy_suites(con, manifest: dict) -> tuple[list[Suite], list[str]]:
    """Personal data and consent checks (ecomseg.gdpr) as one suite: one
    column per check holding its violation count, expected 0."""
    findings, warnings = gdpr.privacy_findings(con, manifest)
    frame = pd.DataFrame({f.check_id: [f.violations] for f in findings}) if findings else pd.DataFrame({"none": [0]})
    exps = [expectation("expect_column_values_to_be_in_set", "privacy", f.explanation, column=f.check_id, value_set=[0])
            for f in findings]
    return [Suite("privacy", "privacy", FrameValue(frame), exps,
                  description="no personal data in marts; consent on every activation output")], warnings

