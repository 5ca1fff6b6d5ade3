"""The test session's shared dbt parse (dbt_parse_cache.py, beside this file) in the processes tests start.

conftest.py puts this folder on PYTHONPATH and names the shared folder in
ECOMSEG_TEST_PARSE_CACHE for the whole session, so a build a test runs as a
command (scripts/build_warehouse.py, ecomseg ...) shares the parse too. Nothing
is imported up front: dbt's manifest loader is patched when the process
imports it, a process that never runs dbt pays nothing.
"""

import importlib.abc
import os
import sys

_MODULE = "dbt.parser.manifest"


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != _MODULE:
            return None
        sys.meta_path.remove(self)
        try:
            import importlib.util
            spec = importlib.util.find_spec(fullname)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            sys.meta_path[:] = [f for f in sys.meta_path if f is not self]
            import dbt_parse_cache  # beside this file: this folder is on PYTHONPATH
            dbt_parse_cache.install(os.environ["ECOMSEG_TEST_PARSE_CACHE"],
                                    os.environ["ECOMSEG_TEST_PARSE_PROJECT"])

        spec.loader.exec_module = exec_and_patch
        return spec


if os.environ.get("ECOMSEG_TEST_PARSE_CACHE") and os.environ.get("ECOMSEG_TEST_PARSE_PROJECT"):
    sys.meta_path.insert(0, _PatchAfterImport())
