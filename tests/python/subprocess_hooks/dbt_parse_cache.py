"""One dbt parse per configuration for the whole pytest session (issue #12, point 5).

Every warehouse a test builds has a target path of its own, so without this every
first dbt command of a warehouse parses the whole project from scratch (about
15 s of a single core, for 140 models and 1,200 data tests), although the
parse result is the same for every warehouse built with the same vars.

dbt keeps the parse in ``<target>/partial_parse.msgpack`` and reuses it when its
state check still holds: the same command-line vars, profile and target, the
same values of the env vars dbt_project.yml reads, the same dbt_project.yml;
files whose own env vars changed are parsed again (dbt records, per file, the
env vars and vars it read). Two parts of that check differ between the test
warehouses only by where the files are, and dbt takes both conservatively:

- ``RAW_DATA_DIR`` (dbt_project.yml's var ``raw_data_dir``): the models read
  the raw folder only at run time (the on-run-start loader); the one file that
  reads the var while parsing, analyses/macro_lint/loading.sql, is parsed again
  by dbt's per-file check (``Partial parsing: updated file``).
- the profile's DuckDB ``path``: the connection's ``database`` (the file's
  stem, which the manifest's nodes carry) and every other connection key stay
  in the check, and the target's name and type join it (dbt leaves out a
  target chosen by DBT_TARGET; models read target.name while parsing).

In this test session only, the state check leaves those two out, and the parse
of the first warehouse with a given state is shared, through a folder under the
session's temp root, with every later warehouse (every xdist worker) with the
same state: a warehouse whose target has no saved parse gets a copy of the
shared one before dbt reads it. test_parse_cache.py checks that a parse
started from the shared file equals a full parse of the same warehouse.
"""

from __future__ import annotations

import hashlib
import os
import pprint
import shutil
import uuid
from pathlib import Path

LEFT_OUT_PROJECT_ENV_VARS = ("RAW_DATA_DIR",)
LEFT_OUT_CONNECTION_KEYS = ("path",)
FILE_NAME = "partial_parse.msgpack"

_state = {"cache_dir": None, "project_root": None, "installed": False}


def state_key(state_check) -> str:
    """The shared file's name for a manifest state check."""
    parts = [state_check.vars_hash.checksum, state_check.profile_hash.checksum,
             state_check.project_env_vars_hash.checksum]
    parts += [f"{name}={value.checksum}" for name, value in sorted(state_check.project_hashes.items())]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _applies(loader) -> bool:
    return (_state["cache_dir"] is not None
            and Path(loader.root_project.project_root).resolve() == _state["project_root"])


def cache_dir() -> Path | None:
    """The shared folder in use in this process (None: dbt as it is)."""
    return _state["cache_dir"]


def install(cache_dir: Path | None, project_root: Path) -> None:
    """Patch dbt's manifest loader in this process (idempotent); cache_dir None: share nothing."""
    from dbt.contracts.files import FileHash
    from dbt.parser.manifest import ManifestLoader

    _state["cache_dir"] = None if cache_dir is None else Path(cache_dir)
    _state["project_root"] = Path(project_root).resolve()
    if _state["cache_dir"] is not None:
        _state["cache_dir"].mkdir(parents=True, exist_ok=True)
    if _state["installed"]:
        return
    _state["installed"] = True

    build_state_check = ManifestLoader.build_manifest_state_check
    read_saved = ManifestLoader.read_manifest_for_partial_parse
    write_saved = ManifestLoader.write_manifest_for_partial_parse

    def build_manifest_state_check(self):
        if not _applies(self):
            return build_state_check(self)
        env = self.root_project.project_env_vars
        saved = {k: env.pop(k) for k in LEFT_OUT_PROJECT_ENV_VARS if k in env}
        try:
            check = build_state_check(self)
        finally:
            env.update(saved)
        config = self.root_project
        keys = sorted((k, v) for k, v in config.credentials.connection_info() if k not in LEFT_OUT_CONNECTION_KEYS)
        # stricter than dbt: the target's name and type too (a model may read target.name while parsing)
        keys += [("target_name", config.target_name), ("type", config.credentials.type)]
        check.profile_hash = FileHash.from_contents(pprint.pformat(keys))
        return check

    def read_manifest_for_partial_parse(self):
        if _applies(self):
            own = Path(self.root_project.project_target_path) / FILE_NAME
            shared = _state["cache_dir"] / f"{state_key(self.manifest.state_check)}.msgpack"
            if not own.exists() and shared.exists():
                own.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(shared, own)
        return read_saved(self)

    def write_manifest_for_partial_parse(self):
        write_saved(self)
        if _applies(self):
            own = Path(self.root_project.project_target_path) / FILE_NAME
            shared = _state["cache_dir"] / f"{state_key(self.manifest.state_check)}.msgpack"
            if own.exists() and not shared.exists():
                partial = shared.with_name(f"{shared.name}.{os.getpid()}.{uuid.uuid4().hex}")
                shutil.copyfile(own, partial)
                os.replace(partial, shared)  # atomic: a reader sees the whole file or none

    ManifestLoader.build_manifest_state_check = build_manifest_state_check
    ManifestLoader.read_manifest_for_partial_parse = read_manifest_for_partial_parse
    ManifestLoader.write_manifest_for_partial_parse = write_manifest_for_partial_parse
