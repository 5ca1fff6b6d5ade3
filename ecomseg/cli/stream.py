"""The micro-batch process: watch the raw folder, run the real-time path per batch, export.

Parses the dbt project once, then, every --poll seconds, looks for new event
and session files under --raw-dir (the collector's files among them); when
some landed it runs `dbt run --selector realtime` (selectors.yml: 41 models,
no tests) with the parsed manifest, or `--selector realtime_behaviour` (35:
without the customer models that change only with the orders or the as-of
date) when the batch's new events cannot move the as-of date (the first
batch of a process always runs `realtime`); with --webhook or --jsonl it
delivers the new marketing actions (ecomseg.export) in the same process: this
process is the warehouse's only writer while it runs. One line per batch:

  batch 3: 2 new file(s), 118 event(s), 1 new action(s); 1 delivered, ...; dbt 4.1 s (realtime_behaviour), export 0.1 s, latency 5.2 s

latency: from the oldest new file's arrival to the end of the export. The
warehouse must have been built once with the regular build (ecomseg build),
which also runs every test; keep running it daily (stop this process first:
one writer). docs/realtime.md.

Examples:
  ecomseg stream --raw-dir data/realtime/raw --duckdb warehouse/realtime_shop.duckdb --webhook http://127.0.0.1:9000/actions
  ecomseg stream --raw-dir data/realtime/raw --duckdb warehouse/realtime_shop.duckdb --jsonl data/exports/actions.jsonl
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ecomseg.cli.build import warehouse_path


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-dir", type=Path, required=True, help="the raw folder (events as a folder)")
    parser.add_argument("--duckdb", type=warehouse_path, required=True, help="the warehouse, built once with ecomseg build")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--webhook", help="deliver the actions to this URL (POST, Idempotency-Key header)")
    target.add_argument("--jsonl", type=Path, help="deliver the actions to this JSON-lines file")
    parser.add_argument("--poll", type=float, default=0.2,
                        help="seconds between looks for new files while none arrive (default 0.2; a look lists only "
                             "the folders that changed, and a batch starts as soon as files are there)")
    parser.add_argument("--max-batches", type=int, default=None, help="stop after N batches (default: run until Ctrl-C)")
    parser.add_argument("--idle-exit", type=float, default=None,
                        help="stop after this many seconds without new files (default: never)")
    parser.add_argument("--max-attempts", type=int, default=4, help="delivery attempts per action and batch (default 4)")
    parser.add_argument("--timeout", type=float, default=5.0, help="webhook request time-out in seconds (default 5)")
    parser.add_argument("--vars", default=None, help="dbt vars (YAML/JSON dict), the same as the regular build's")
    return parser


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    import yaml

    from ecomseg.dbt_runner import DbtCommandFailed
    from ecomseg.stream import MicroBatchStream

    args = build_parser(prog).parse_args(argv)
    destination = args.webhook or (str(args.jsonl) if args.jsonl else None)
    stream = MicroBatchStream(args.raw_dir, args.duckdb, destination=destination,
                              dbt_vars=yaml.safe_load(args.vars) if args.vars else None,
                              export_options={"max_attempts": args.max_attempts, "timeout": args.timeout})
    try:
        stream.run(poll_seconds=args.poll, max_batches=args.max_batches, idle_exit_seconds=args.idle_exit)
    except KeyboardInterrupt:
        print(f"stopped after {stream.batches} batch(es)")
    except DbtCommandFailed as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0
