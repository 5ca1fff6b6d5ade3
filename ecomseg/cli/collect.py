"""Run the event collector: POST /v1/events writes accepted events as new files
in <raw-dir>/events/collector/date=YYYY-MM-DD/ and answers only once they are
durable (docs/collector.md).

The write key is read from the environment variable named by --write-key-env
(default ECOMSEG_WRITE_KEY), never from the command line; every request must
send it (Authorization: Bearer <key>, or X-Write-Key: <key>). The events table
must be a folder in the raw directory (or absent: the folder is created); the
collector refuses to start when events is given as one file. Stops on Ctrl-C or
SIGTERM after writing and answering the requests in flight.

Example:
  ECOMSEG_WRITE_KEY=$(openssl rand -hex 24) ecomseg collect --raw-dir data/my_shop
"""

import argparse
import os
import sys
from pathlib import Path

from ecomseg import collector


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-dir", type=Path, required=True, metavar="DIR",
                        help="the shop's raw data folder (events are written to DIR/events/collector/)")
    parser.add_argument("--host", default=collector.DEFAULT_HOST,
                        help=f"address to listen on (default {collector.DEFAULT_HOST}: this machine only)")
    parser.add_argument("--port", type=int, default=collector.DEFAULT_PORT,
                        help=f"port (default {collector.DEFAULT_PORT})")
    parser.add_argument("--write-key-env", default=collector.DEFAULT_WRITE_KEY_ENV, metavar="NAME",
                        help=f"environment variable holding the write key (default {collector.DEFAULT_WRITE_KEY_ENV})")
    parser.add_argument("--max-body-bytes", type=int, default=collector.DEFAULT_MAX_BODY_BYTES, metavar="N",
                        help=f"largest request body, else 413 (default {collector.DEFAULT_MAX_BODY_BYTES:,})")
    parser.add_argument("--max-events", type=int, default=collector.DEFAULT_MAX_EVENTS, metavar="N",
                        help=f"most events in one request, else 413 (default {collector.DEFAULT_MAX_EVENTS:,})")
    parser.add_argument("--max-value-chars", type=int, default=collector.DEFAULT_MAX_VALUE_CHARS, metavar="N",
                        help=f"longest text value in characters, else 422 too_long "
                             f"(default {collector.DEFAULT_MAX_VALUE_CHARS:,})")
    parser.add_argument("--writers", type=int, default=collector.DEFAULT_WRITERS, metavar="N",
                        help=f"files written and fsync'd at once by the group commit (default {collector.DEFAULT_WRITERS})")
    return parser


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    key = os.environ.get(args.write_key_env, "")
    if not key.strip():
        print(f"ecomseg collect: the environment variable {args.write_key_env} is empty or not set: "
              f"set it to the write key senders must give (e.g. export {args.write_key_env}=$(openssl rand -hex 24))",
              file=sys.stderr)
        return 2
    for name in ("max_body_bytes", "max_events", "max_value_chars", "writers"):
        if getattr(args, name) < 1:
            print(f"ecomseg collect: --{name.replace('_', '-')} must be at least 1", file=sys.stderr)
            return 2
    config = collector.CollectorConfig(args.raw_dir, key, max_body_bytes=args.max_body_bytes,
                                       max_events=args.max_events, max_value_chars=args.max_value_chars,
                                       writers=args.writers)
    try:
        folder = collector.events_folder(args.raw_dir)
    except collector.CollectorError as exc:
        print(f"ecomseg collect: {exc}", file=sys.stderr)
        return 2
    print(f"ecomseg collect: listening on http://{args.host}:{args.port}/v1/events, writing to "
          f"{folder / collector.COLLECTOR_FOLDER}", file=sys.stderr, flush=True)
    try:
        collector.serve(config, args.host, args.port)
    except collector.CollectorError as exc:
        print(f"ecomseg collect: {exc}", file=sys.stderr)
        return 2
    return 0
