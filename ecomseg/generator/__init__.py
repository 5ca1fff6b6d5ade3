"""Synthetic shop: raw files in the raw data contract, with planted ground truth.

`generate()` writes one file per contract table (``<table>.parquet`` or
``<table>.csv``) plus ``ground_truth.json`` into a folder, and returns the
ground truth as a dict.  The table and column lists come from
:mod:`ecomseg.contract` (the dbt sources file), never from this module.

What the data looks like
------------------------
* A fixed time window of ``days`` days ending with ``end_date`` (inclusive,
  UTC).  All activity follows one intensity curve: hour of day, day of week
  (Sunday evening high, Saturday low) and time of year (Black Friday week,
  December before Christmas high, January low).  Orders are generated in an
  "operational time" in which each customer buys on a personal cycle; that
  time is mapped to calendar time through the intensity curve, which gives
  the seasonality without breaking the cycles.
* Customers: demographics (Polish provinces and cities), consent, channel.
  About a quarter never order.  Buyers have heavy tailed purchase cycles,
  basket sizes and lifetimes (churn), a few deal seekers buy mostly with a
  discount.  Some customers registered before the window.
* Products: a catalogue of 200 (small) to ~2000 (1M customers) products in
  17 categories with Zipf popularity inside each category.
* Sessions and events: every visitor (browser/device) has a ``visitor_id``.
  Sessions before the customer is known carry no ``customer_id``; from the
  registration on they do (in the session in which a customer registers
  while ordering, the events before checkout step 1 are anonymous).  There
  are visitors who never register.  Events follow a funnel (page and category
  views or a search -> product views -> add to cart [-> remove from cart] ->
  checkout steps 1..4 -> purchase).  Every order with a ``session_id`` has
  exactly one purchase event in that session, at ``ordered_at``.
* The events file is in arrival order: sorted by ``occurred_at`` except the
  planted late events and duplicate deliveries.  Event, session, order and
  send identifiers are numbered chronologically.

Planted truth (``ground_truth.json``)
-------------------------------------
* ``product_pairs``: when an order holds ``product_a`` it also gets
  ``product_b`` with ``planted_probability``.
* ``accessories``: a customer who bought ``main_product_id`` buys
  ``accessory_product_id`` in a new, later order within ``max_days_after``
  days with ``probability`` (when the window leaves room for it).
* ``purchase_drivers``: behaviour flags of a session are drawn conditionally
  on whether the session placed an order, with probabilities solved so that
  ``rate(purchase | behaviour) / rate(purchase | no behaviour)`` equals
  ``planted_relative_purchase_rate``; the unit is a row of ``sessions`` and
  a purchase session is one with a purchase event.
* ``person_purchase_drivers``: the same four behaviours as drivers at the
  scorecard's unit (docs/scoring.md): a customer's non-purchase sessions in
  the ``pre_purchase_days`` (14) days before one of their orders show a
  behaviour ``planted_pre_purchase_lift`` times as often as their other
  non-purchase sessions (the overall share stays the per-session one), so
  recent behaviour before a date raises the odds of a purchase after it.
  ``likelihood_ratio`` is measured on the generated shop at the scorecard's
  defaults (``scorecard_defaults``; ``definition`` says how): the share of
  (person, snapshot date) rows with the behaviour in the recent window among
  those that buy in the horizon over the share among those that do not,
  i.e. exp(WoE) of the scorecard's "1+" band of the ``recent_*`` behaviour.
* ``campaign_ab_effect``: one campaign sent to every consenting customer with
  variants A / B / control; B triggers far more extra orders than A.  The
  conversion rate of a variant is the share of its ``campaign_sends`` rows
  whose customer placed an order (any status, valid rows only) with
  ``sent_at < ordered_at <= sent_at + window_days``.  The rates in the file
  are measured on the written data (the planted uplifts are
  ``AB_UPLIFT``), so they are exact, not approximations.
* ``traffic_source_raw_values``: every raw ``traffic_source`` value written,
  with the channel it means (``other`` for the deliberately unknown ones).

Dirt (``dirt_rate`` > 0; every dirty row has exactly one defect)
-----------------------------------------------------------------
Counts are ``max(1, round(dirt_rate * rows))`` per kind (odd search queries:
at least one of each of the ~20 kinds, as they are never quarantined).
Kinds: duplicate event deliveries (exact copies written later in the file),
late events (written after events that happened later), order lines of
order ids that do not exist (numbers skipped in the order sequence),
negative quantities on lines of otherwise valid orders without returns,
orders with an empty ``customer_id`` (null or ``""``: guest orders, which the
warehouse keeps, so they are not in ``expected_quarantine``), malformed
``orders.ordered_at`` and ``events.occurred_at`` values (never on purchase
events, never duplicated), odd search queries (emoji, quotes, SQL, control
characters other than NUL, strings of ~10 kB).  ``expected_quarantine``
gives what the warehouse must quarantine, including the cascade: all lines
and returns of a quarantined order are ``unknown_order`` (a guest order is
not quarantined, nor are its lines).  ``dirt`` and
``expected_quarantine`` describe the files written (a table that is not
written counts 0; without an orders file every line is ``unknown_order``).

File format decisions
---------------------
* Identifiers are strings: ``C0000042`` (customers), ``P0042`` (products),
  ``O00000042`` (orders), ``S000000042`` (sessions), ``E0000000042`` (events),
  ``V000000042`` (visitors), ``M000000042`` (campaign sends).
* ``orders.ordered_at`` and ``events.occurred_at`` can carry malformed
  values, so in Parquet they are ALWAYS string columns holding ISO-8601
  ``YYYY-MM-DDTHH:MM:SS`` (whether or not dirt is on: the schema does not
  depend on the dirt rate).  Every other timestamp column is a naive (UTC)
  ``timestamp[ms]`` in Parquet.  In CSV every timestamp is
  ``YYYY-MM-DDTHH:MM:SS``.
* Money is ``decimal128(18, 2)``; integers int32; booleans bool; dates
  date32.  A missing value is null (an empty field in CSV), except that some
  of the planted empty ``customer_id`` values are ``""``.
* Parquet: zstd, fixed row groups of ``ROW_GROUP_SIZE`` rows.  No wall-clock
  time goes anywhere, so the same arguments give byte-identical files.
* Before writing, files of contract tables that this run does not write, and
  the ``<table>/`` folders and ``_generator.json`` of a daily-batch run
  (``ecomseg.batches``), are removed from the folder (so a folder never
  mixes two runs), but only when
  the folder holds a ``ground_truth.json`` of an earlier run or no contract
  files at all; otherwise ``FileExistsError`` unless ``force=True``.

Layout: the generator is a package, one module per stage - catalogue,
customers (and campaign sends), orders (and returns), sessions (and
identity), events, dirt, ground_truth, writer - composed into the _Shop of
shop.py; common holds the constants, the configuration and the helpers.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path
from typing import Iterable

from ecomseg import DEFAULT_RAW_DIR, contract
from ecomseg.generator.common import *  # noqa: F401,F403  (the names batches and the tests use)
from ecomseg.generator.common import (DEFAULT_CUSTOMERS, DEFAULT_DAYS, DEFAULT_DIRT_RATE, DEFAULT_END_DATE,
                                      DEFAULT_SEED, FORMATS, GROUND_TRUTH_FILE, ProgressFn, _Config, _ids)
from ecomseg.generator.ground_truth import _ground_truth
from ecomseg.generator.shop import _Shop
from ecomseg.generator.writer import (BATCH_STATE_FILE, HIGH_CARDINALITY_COLUMNS, _prepare_out_dir, _table_batches,
                                      _Writer)


def generate(
    out_dir: str | os.PathLike | None = None,
    customers: int = DEFAULT_CUSTOMERS,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    end_date: str | _dt.date = DEFAULT_END_DATE,
    fmt: str = "parquet",
    dirt_rate: float = DEFAULT_DIRT_RATE,
    tables: Iterable[str] | None = None,
    progress: ProgressFn | None = None,
    force: bool = False,
) -> dict:
    """Generate a synthetic shop into ``out_dir`` and return its ground truth.

    Args:
        out_dir: folder for ``<table>.<fmt>`` and ``ground_truth.json``
            (default ``ecomseg.DEFAULT_RAW_DIR``).
        customers: registered customers (anonymous visitors come on top).
        days: length of the window, ending with ``end_date`` (inclusive).
        seed: random seed; same arguments give byte-identical files.
        end_date: last day of data, ``YYYY-MM-DD`` or a date.
        fmt: ``parquet`` or ``csv``.
        dirt_rate: share of rows made dirty per kind of dirt; 0 disables dirt.
        tables: contract tables to write (default all); the data is the same
            as in a full run, only fewer files are written.
        progress: called as ``progress(stage, rows, elapsed_seconds)``.
        force: replace contract files in ``out_dir`` that this generator did
            not write.
    """
    all_tables = list(contract.tables())
    if tables is None:
        chosen = all_tables
    else:
        chosen = [t.strip() for t in tables if t.strip()]
        unknown = sorted(set(chosen) - set(all_tables))
        if unknown:
            raise ValueError(f"unknown tables {unknown}; contract tables are {all_tables}")
        if not chosen:
            raise ValueError("tables must name at least one table")
        chosen = [t for t in all_tables if t in chosen]  # stable (contract) order
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}")
    if int(customers) < 50:
        raise ValueError("customers must be at least 50")
    if int(days) < 60:
        raise ValueError("days must be at least 60")
    if not 0 <= float(dirt_rate) <= 0.05:
        raise ValueError("dirt_rate must be between 0 and 0.05")
    if isinstance(end_date, str):
        end_date = _dt.date.fromisoformat(end_date)
    cfg = _Config(customers=int(customers), days=int(days), seed=int(seed), end_date=end_date,
                  fmt=fmt, dirt_rate=float(dirt_rate))
    out = Path(out_dir) if out_dir is not None else DEFAULT_RAW_DIR
    shop = _Shop(cfg, progress).build()
    _prepare_out_dir(out, force)
    writer = _Writer(shop, out, fmt)
    batches = _table_batches(shop)
    written: dict[str, int] = {}
    for t in chosen:
        n, fn = batches[t]
        written[t] = writer.write(t, n, fn)
        shop.report(f"wrote {t}.{fmt}", n)
    truth = _ground_truth(shop, cfg, written)
    (out / GROUND_TRUTH_FILE).write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    shop.report("ground_truth.json", sum(written.values()))
    return truth


__all__ = ["generate", "SCALES", "DEFAULT_DAYS", "DEFAULT_SEED", "DEFAULT_END_DATE",
           "DEFAULT_DIRT_RATE", "FORMATS", "GENERATOR_VERSION", "STRING_TIMESTAMP_COLUMNS"]
