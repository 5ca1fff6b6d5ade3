"""The shared dbt parse of the test session (subprocess_hooks/dbt_parse_cache.py) equals a full parse.

A warehouse whose target starts from the parse another warehouse saved (another
raw folder, another DuckDB file) must get the manifest a full parse of its own
gives: the same nodes, sources, macros, tests, exposures, semantic models and
unit tests, with the same configs, dependencies and checksums (the one file
that reads the raw folder while parsing, analyses/macro_lint/loading.sql, is
parsed again).
"""

from __future__ import annotations

import json

import pytest

from subprocess_hooks import dbt_parse_cache
from ecomseg import REPO_ROOT
from ecomseg.dbt_runner import run_dbt

# differ between two parses of the same files: when and by which invocation
VOLATILE = {"created_at", "generated_at", "invocation_id", "invocation_started_at"}


def _parse(root, raw, name):
    target = root / name / "target"
    run_dbt(["parse", "--log-path", str(root / name / "logs")], raw_dir=raw,
            duckdb_path=root / name / "wh.duckdb", target_path=target)
    log = (root / name / "logs" / "dbt.log").read_text(encoding="utf-8")
    return json.loads((target / "manifest.json").read_text(encoding="utf-8")), log


def _stable(value):
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


@pytest.fixture
def private_cache(tmp_path):
    """A cache of this test's own: the first parse below is a full one whatever ran before."""
    session_cache = dbt_parse_cache.cache_dir()
    dbt_parse_cache.install(tmp_path / "cache", REPO_ROOT)
    yield tmp_path / "cache"
    dbt_parse_cache.install(session_cache, REPO_ROOT)


def test_a_parse_from_the_shared_file_equals_a_full_parse(tmp_path, private_cache):
    raw_a, raw_b = tmp_path / "raw_a", tmp_path / "raw_b"
    raw_a.mkdir()
    raw_b.mkdir()

    first, log = _parse(tmp_path, raw_a, "a")
    assert "Unable to do partial parsing because saved manifest not found" in log
    assert len(list(private_cache.glob("*.msgpack"))) == 1

    shared, log = _parse(tmp_path, raw_b, "b")
    assert "Unable to do partial parsing" not in log
    assert "Partial parsing enabled" in log
    assert "updated file: ecommerce_segmentation://analyses/macro_lint/loading.sql" in log

    dbt_parse_cache.install(None, REPO_ROOT)  # dbt as it is: no sharing, dbt's own state check
    full, log = _parse(tmp_path, raw_b, "b_full")
    assert "Unable to do partial parsing because saved manifest not found" in log

    for part in ("nodes", "sources", "macros", "exposures", "metrics", "semantic_models", "saved_queries",
                 "unit_tests", "groups", "selectors", "disabled", "parent_map", "child_map"):
        assert _stable(shared[part]) == _stable(full[part]), part
