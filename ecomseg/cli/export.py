"""Deliver the decided marketing actions once, to a webhook or a JSON-lines file.

Sends every outbox row (intermediate.int_action_outbox_log) that is not a
control row and has no recorded delivery, with the Idempotency-Key header,
retrying with exponential backoff (tenacity), and records every attempt and
its outcome in the warehouse table realtime.action_deliveries. Consent and
the customer file are checked again at export time. Opens the warehouse for
writing: not while a build or `ecomseg stream` runs (the stream exports by
itself after each batch). ecomseg.export and docs/realtime.md explain the
exactly-once design.

Examples:
  ecomseg export --duckdb warehouse/realtime_shop.duckdb --webhook http://127.0.0.1:9000/actions
  ecomseg export --duckdb warehouse/realtime_shop.duckdb --jsonl data/exports/actions.jsonl
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ecomseg.cli.build import warehouse_path


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duckdb", type=warehouse_path, required=True, help="the warehouse")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--webhook", help="POST each action to this URL")
    target.add_argument("--jsonl", type=Path, help="append each action to this JSON-lines file")
    parser.add_argument("--max-attempts", type=int, default=4, help="attempts per action in this run (default 4)")
    parser.add_argument("--backoff", type=float, default=0.2, help="first backoff in seconds, doubled each retry (default 0.2)")
    parser.add_argument("--timeout", type=float, default=5.0, help="webhook request time-out in seconds (default 5)")
    parser.add_argument("--limit", type=int, default=None, help="at most N actions in this run")
    return parser


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    from ecomseg.export import export_actions

    args = build_parser(prog).parse_args(argv)
    if not args.duckdb.exists():
        print(f"{args.duckdb} does not exist: build the warehouse first (ecomseg build)")
        return 2
    destination = args.webhook or str(args.jsonl)
    stats = export_actions(args.duckdb, destination, max_attempts=args.max_attempts, backoff_initial=args.backoff,
                           timeout=args.timeout, limit=args.limit, on_delivered=None)
    print(f"{stats.pending} pending: {stats.line()}")
    return 0 if stats.failed == 0 and stats.rejected == 0 else 1
