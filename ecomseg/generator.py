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
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ecomseg import DEFAULT_RAW_DIR, contract

GENERATOR_VERSION = 1
SCALES = {"small": 2_000, "medium": 100_000, "large": 1_000_000}
DEFAULT_CUSTOMERS = SCALES["small"]
DEFAULT_DAYS = 730
DEFAULT_SEED = 42
DEFAULT_END_DATE = "2026-06-30"
DEFAULT_DIRT_RATE = 0.002
FORMATS = ("parquet", "csv")
ROW_GROUP_SIZE = 262_144
GROUND_TRUTH_FILE = "ground_truth.json"

#: Timestamp columns that may hold malformed values; always text in Parquet.
STRING_TIMESTAMP_COLUMNS = frozenset({("orders", "ordered_at"), ("events", "occurred_at")})

DAY = 86_400
HOUR = 3_600

ProgressFn = Callable[[str, int, float], None]

# ---------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------

#: Polish provinces, population (millions) and cities with relative weights.
REGIONS: list[tuple[str, float, list[tuple[str, float]]]] = [
    ("dolnośląskie", 2.9, [("Wrocław", 6), ("Wałbrzych", 1), ("Legnica", 1), ("Jelenia Góra", 0.8)]),
    ("kujawsko-pomorskie", 2.0, [("Bydgoszcz", 3), ("Toruń", 2), ("Włocławek", 1)]),
    ("lubelskie", 2.0, [("Lublin", 4), ("Zamość", 0.8), ("Chełm", 0.7)]),
    ("lubuskie", 1.0, [("Gorzów Wielkopolski", 1), ("Zielona Góra", 1)]),
    ("łódzkie", 2.4, [("Łódź", 5), ("Piotrków Trybunalski", 0.8), ("Pabianice", 0.6)]),
    ("małopolskie", 3.4, [("Kraków", 7), ("Tarnów", 1), ("Nowy Sącz", 0.8)]),
    ("mazowieckie", 5.5, [("Warszawa", 12), ("Radom", 1.5), ("Płock", 1), ("Siedlce", 0.6)]),
    ("opolskie", 0.95, [("Opole", 1)]),
    ("podkarpackie", 2.1, [("Rzeszów", 2), ("Przemyśl", 0.6), ("Krosno", 0.5)]),
    ("podlaskie", 1.15, [("Białystok", 3), ("Suwałki", 0.6), ("Łomża", 0.6)]),
    ("pomorskie", 2.35, [("Gdańsk", 4), ("Gdynia", 2.4), ("Sopot", 0.4), ("Słupsk", 0.9)]),
    ("śląskie", 4.4, [("Katowice", 3), ("Częstochowa", 2), ("Gliwice", 1.7), ("Sosnowiec", 1.8), ("Bielsko-Biała", 1.6)]),
    ("świętokrzyskie", 1.2, [("Kielce", 1)]),
    ("warmińsko-mazurskie", 1.4, [("Olsztyn", 2), ("Elbląg", 1.2)]),
    ("wielkopolskie", 3.5, [("Poznań", 5), ("Kalisz", 1), ("Konin", 0.7), ("Leszno", 0.6)]),
    ("zachodniopomorskie", 1.65, [("Szczecin", 4), ("Koszalin", 1.1)]),
]

# The sample shop's currency (the default of the dbt var shop_currency) and the
# exchange rates it keeps, in PLN cents per unit (varied by a few cents a month).
SHOP_CURRENCY = "PLN"
EXCHANGE_RATE_CENTS = {"EUR": 430, "USD": 395}
INCOME_BANDS = ["<3000 PLN", "3000-5999 PLN", "6000-9999 PLN", "10000+ PLN"]
# The value names written come from the raw data contract (column meta of
# _shop__sources.yml, read through ecomseg.contract); the simulation refers to
# each by name (weights and codes below), never by its place in a list.
GENDERS = contract.known_values("customers", "gender")
GENDER_WEIGHTS = {"female": 0.52, "male": 0.42, "other": 0.02}  # and 0.04 empty
#: Campaign channels; a customer's preferred channel is one of them too.
CHANNELS = contract.accepted_values("campaign_sends", "channel")
CHANNEL_WEIGHTS = {"email": 0.55, "sms": 0.2, "push": 0.25}
CH_EMAIL = CHANNELS.index("email")
PAYMENT_METHODS = ["card", "blik", "transfer", "cash_on_delivery"]
DELIVERY_METHODS = ["courier", "parcel_locker", "pickup"]
DEVICES = contract.known_values("sessions", "device")
DEVICE_WEIGHTS = {"desktop": 0.35, "mobile": 0.45, "tablet": 0.08, "app": 0.12}  # a customer's first device
ANONYMOUS_DEVICE_WEIGHTS = {"desktop": 0.35, "mobile": 0.55, "tablet": 0.07, "app": 0.03}
EVENT_TYPES = contract.accepted_values("events", "event_type")
EV_PAGE = EVENT_TYPES.index("page_view")
EV_CAT = EVENT_TYPES.index("category_view")
EV_PROD = EVENT_TYPES.index("product_view")
EV_SEARCH = EVENT_TYPES.index("search")
EV_ATC = EVENT_TYPES.index("add_to_cart")
EV_RFC = EVENT_TYPES.index("remove_from_cart")
EV_CHECKOUT = EVENT_TYPES.index("checkout_step")
EV_PURCHASE = EVENT_TYPES.index("purchase")
ORDER_STATUSES = contract.accepted_values("orders", "status")
ST_PLACED = ORDER_STATUSES.index("placed")
ST_PAID = ORDER_STATUSES.index("paid")
ST_SHIPPED = ORDER_STATUSES.index("shipped")
ST_DELIVERED = ORDER_STATUSES.index("delivered")
ST_CANCELLED = ORDER_STATUSES.index("cancelled")


def _weights(values: list[str], by_name: dict[str, float], what: str) -> list[float]:
    """by_name's weights in the order of values (the contract's), or a clear error
    when the contract and the generator disagree on the names."""
    if set(values) != set(by_name):
        raise ValueError(f"the generator weighs {what} {sorted(by_name)}; the raw data contract lists {values}")
    return [by_name[v] for v in values]
RETURN_REASONS = ["wrong_size", "changed_mind", "damaged", "defective", "not_as_described", "late_delivery"]
COMPLAINT_PROB = np.array([0.03, 0.01, 0.7, 0.8, 0.5, 0.3])

#: The traffic sources of the contract.
SOURCES = ["organic_search", "paid_search", "social", "email", "price_comparison",
           "marketplace", "referral", "direct"]
SRC = {s: i for i, s in enumerate(SOURCES)}
#: Raw aliases a shop's tracking really produces, and the channel they mean.
SOURCE_ALIASES: dict[str, list[str]] = {
    "organic_search": ["google", "bing"],
    "paid_search": ["cpc", "google_ads"],
    "social": ["Facebook", "instagram"],
    "email": ["newsletter"],
    "price_comparison": ["ceneo"],
    "marketplace": ["allegro"],
    "referral": ["partner_blog"],
    "direct": ["(direct)"],
}
#: Raw values that are deliberately not in any mapping: the warehouse maps them to other.
UNKNOWN_SOURCES = ["tiktok_ads", "affiliate_xyz"]
PAID_CAMPAIGNS = ["gads_brand", "gads_generic", "gads_pmax", "bing_generic"]
SOCIAL_CAMPAIGNS = ["fb_prospecting", "fb_retargeting", "ig_stories", "tiktok_spark"]
MONTH_SLUGS = ["winter-sale", "valentines", "spring-arrivals", "easter", "majowka", "summer-start",
               "summer-sale", "back-to-school", "autumn-news", "home-comfort", "black-friday",
               "christmas-gifts"]


@dataclass(frozen=True)
class Category:
    name: str
    weight: float
    price: float  # median list price, PLN
    sigma: float
    return_rate: float
    brands: tuple[str, ...]
    nouns: tuple[str, ...]
    queries: tuple[str, ...]


CATEGORIES: list[Category] = [
    Category("Smartphones", 0.07, 1400, 0.45, 0.05, ("Samsung", "Xiaomi", "Apple", "Motorola", "Realme", "Oppo"),
             ("Smartphone",), ("smartfon", "telefon", "iphone", "samsung galaxy", "xiaomi redmi", "telefon 5g")),
    Category("Phone Accessories", 0.09, 59, 0.6, 0.04, ("Spigen", "Baseus", "Ugreen", "Belkin", "Hama"),
             ("Case", "Screen Protector", "USB-C Charger", "Power Bank", "Cable", "Car Holder"),
             ("etui", "szkło hartowane", "ładowarka usb c", "powerbank", "kabel usb")),
    Category("Laptops", 0.04, 3200, 0.4, 0.05, ("Lenovo", "Dell", "HP", "Asus", "Acer", "Apple"),
             ("Laptop", "Notebook", "Ultrabook"), ("laptop", "laptop 15,6", "macbook", "notebook do pracy")),
    Category("Computer Accessories", 0.07, 120, 0.7, 0.05, ("Logitech", "Trust", "SteelSeries", "Genesis", "Dell"),
             ("Mouse", "Keyboard", "USB Hub", "Webcam", "Monitor Stand"),
             ("myszka bezprzewodowa", "klawiatura", "torba na laptopa", "kamerka")),
    Category("Audio", 0.06, 250, 0.8, 0.06, ("Sony", "JBL", "Sennheiser", "Jabra", "Marshall"),
             ("Headphones", "Earbuds", "Bluetooth Speaker", "Soundbar"),
             ("słuchawki bezprzewodowe", "słuchawki", "głośnik bluetooth", "soundbar", "jbl")),
    Category("Gaming", 0.04, 250, 1.0, 0.03, ("Sony", "Microsoft", "Nintendo", "Razer", "HyperX"),
             ("Game", "Gaming Headset", "Gaming Mouse", "Charging Dock"),
             ("konsola", "pad", "gry ps5", "xbox", "nintendo switch")),
    Category("Home Appliances", 0.06, 600, 0.7, 0.04, ("Philips", "Bosch", "Tefal", "Xiaomi", "Electrolux"),
             ("Air Purifier", "Steam Iron", "Robot Vacuum", "Humidifier"),
             ("odkurzacz", "oczyszczacz powietrza", "żelazko", "worki do odkurzacza")),
    Category("Kitchen", 0.08, 180, 0.9, 0.04, ("DeLonghi", "Tefal", "Zwilling", "Bosch", "Gerlach"),
             ("Kettle", "Frying Pan", "Knife Set", "Blender", "Toaster"),
             ("ekspres do kawy", "czajnik", "patelnia", "noże kuchenne", "blender")),
    Category("Coffee & Tea", 0.06, 45, 0.5, 0.01, ("Lavazza", "Segafredo", "Tchibo", "Jacobs", "Dilmah"),
             ("Ground Coffee", "Green Tea", "Descaler", "Capsules"),
             ("kawa ziarnista", "kawa", "herbata zielona", "odkamieniacz")),
    Category("Books", 0.08, 39, 0.4, 0.01, ("Znak", "Albatros", "Rebis", "Czarne", "Egmont"),
             ("Novel", "Cookbook", "Children's Book", "Travel Guide", "Comic"),
             ("książka", "kryminał", "książka kucharska", "komiks", "przewodnik")),
    Category("Toys", 0.06, 89, 0.7, 0.03, ("LEGO", "Hasbro", "Mattel", "Cobi", "Trefl"),
             ("Puzzle 1000", "Board Game", "Doll", "RC Car"),
             ("klocki", "lego", "puzzle", "gra planszowa", "zabawki dla dzieci")),
    Category("Beauty", 0.08, 49, 0.6, 0.02, ("L'Oréal", "Nivea", "Ziaja", "Garnier", "Bielenda"),
             ("Face Cream", "Perfume", "Lipstick", "Serum"),
             ("szampon", "krem do twarzy", "perfumy damskie", "odżywka do włosów")),
    Category("Fashion", 0.08, 149, 0.6, 0.15, ("Reserved", "4F", "Adidas", "Nike", "Wittchen"),
             ("T-Shirt", "Sneakers", "Jacket", "Jeans", "Backpack"),
             ("buty sportowe", "kurtka zimowa", "plecak", "jeansy", "nike air")),
    Category("Sports & Outdoor", 0.05, 199, 0.9, 0.05, ("Quechua", "Coleman", "Kross", "Spokey", "Salomon"),
             ("Yoga Mat", "Bike Helmet", "Trekking Poles", "Dumbbells"),
             ("namiot", "śpiwór", "mata do jogi", "kask rowerowy")),
    Category("Garden", 0.03, 299, 1.0, 0.04, ("Gardena", "Fiskars", "Bosch", "Stiga", "Husqvarna"),
             ("Garden Hose", "Pruning Shears", "Grill", "Sprinkler"),
             ("kosiarka", "wąż ogrodowy", "grill", "sekator")),
    Category("Home Office", 0.03, 199, 0.9, 0.04, ("HP", "Canon", "Brother", "Epson"),
             ("Paper A4 500", "Desk Lamp", "Office Chair", "Shredder"),
             ("drukarka", "tusz hp", "papier a4", "krzesło biurowe")),
    Category("Pet Supplies", 0.04, 69, 0.6, 0.02, ("Royal Canin", "Purina", "Trixie", "Ferplast"),
             ("Dog Food 10kg", "Cat Litter", "Dog Bed", "Cat Tree", "Leash"),
             ("karma dla psa", "żwirek", "legowisko", "drapak dla kota")),
]
CAT_INDEX = {c.name: i for i, c in enumerate(CATEGORIES)}
MIN_PER_CATEGORY = 10

#: Product pairs bought in the same order: (category, rank, name, price) x 2, kind, probability.
PLANTED_PAIRS = [
    (("Smartphones", 0, "Samsung Smartphone Nova 5G", 1899.00),
     ("Phone Accessories", 8, "Spigen Tempered Glass Screen Protector for Nova 5G", 49.99),
     "bundle", 0.60, "smartphone and its matching screen protector"),
    (("Kitchen", 0, "DeLonghi Espresso Machine Magnifica", 1599.00),
     ("Coffee & Tea", 7, "Lavazza Espresso Coffee Beans 1kg", 69.99),
     "complement", 0.55, "espresso machine and coffee beans"),
    (("Gaming", 0, "Microsoft Game Console Series S", 1299.00),
     ("Gaming", 6, "Microsoft Wireless Controller", 249.00),
     "bundle", 0.50, "game console and a second controller"),
    (("Sports & Outdoor", 1, "Coleman Tent 3-Person Dome", 499.00),
     ("Sports & Outdoor", 9, "Quechua Sleeping Bag Comfort 5°C", 189.00),
     "complement", 0.45, "tent and sleeping bag"),
    (("Beauty", 0, "Garnier Shampoo Repair 400ml", 24.99),
     ("Beauty", 7, "Garnier Conditioner Repair 200ml", 22.99),
     "complement", 0.50, "shampoo and the conditioner of the same line"),
    (("Toys", 0, "LEGO Building Blocks City Set", 199.00),
     ("Books", 9, "Egmont Building Blocks Ideas Book", 59.00),
     "cross_sell", 0.40, "building blocks set and an ideas book"),
]
#: Accessories bought in a later order: main, accessory, probability, max days after.
PLANTED_ACCESSORIES = [
    (("Laptops", 0, "Lenovo Laptop ThinkBook 15", 3499.00),
     ("Computer Accessories", 8, 'Trust Laptop Bag 15.6"', 149.00), 0.40, 60),
    (("Home Office", 0, "HP Printer DeskJet 2720", 299.00),
     ("Home Office", 6, "HP Ink Cartridge 305 Black", 69.00), 0.50, 90),
    (("Home Appliances", 0, "Philips Vacuum Cleaner Silence Pro", 899.00),
     ("Home Appliances", 8, "Philips Vacuum Bags 10-pack", 39.00), 0.45, 45),
    (("Garden", 0, "Bosch Lawn Mower Electric 38cm", 799.00),
     ("Garden", 7, "Bosch Lawn Mower Replacement Blade 38cm", 79.00), 0.35, 90),
]

#: Purchase drivers: behaviour, definition, P(behaviour | no purchase), planted relative rate.
PURCHASE_DRIVERS = [
    ("added_to_cart", "the session has at least one add_to_cart event", 0.30, 6.0),
    ("viewed_3plus_products", "the session has at least three product_view events", 0.22, 2.5),
    ("used_search", "the session has at least one search event", 0.15, 2.0),
    ("came_from_email", "the session's traffic_source maps to email (raw 'email' or 'newsletter')", 0.05, 3.0),
]
DRIVER_RATE_DEFINITION = (
    "unit: one row of sessions; a purchase session has a purchase event (its session_id is on an order); "
    "relative rate = purchase sessions / sessions among sessions WITH the behaviour, divided by the "
    "same share among sessions WITHOUT it")
BOUNCE_SHARE = 0.55  # share of non-purchase sessions that are a single page view

#: A/B campaign: extra-order probability per variant (the measured rates go to the truth).
AB_UPLIFT = {"A": 0.04, "B": 0.11, "control": 0.0}
AB_SPLIT = {"A": 0.4, "B": 0.4, "control": 0.2}
REGULAR_UPLIFT = {"A": 0.012, "B": 0.012, "control": 0.0}
REGULAR_SPLIT = {"A": 0.45, "B": 0.45, "control": 0.1}
AB_WINDOW_DAYS = 7
VARIANTS = ["A", "B", "control"]

MALFORMED_TIMESTAMPS = ["2025-13-45 25:61:00", "yesterday", "31/02/2025", "2025-02-30T10:00:00",
                        "0000-00-00 00:00:00", "not a date", "2025-06-31T24:00:00", "12/31/2025 7pm",
                        "2025-11-28T14:75:00", "2025-11-28 14h30"]  # not "N/A": a null token is no value (missing_required)


def _odd_queries() -> list[str]:
    return [
        "słuchawki 🎧🔥 bezprzewodowe",
        '"laptop" 15.6\'\' "gaming"',
        "'; drop table orders; --",
        "Robert'); DROP TABLE students;--",
        "ładowarka\tusb-c\r\nszybka",
        "\x01\x02\x03kabel\x1b[31m\x7f",
        "<script>alert('xss')</script>",
        "NULL",
        "\\N",
        "%s%s%n %d {0} ${jndi:ldap://x}",
        "ＬＡＰＴＯＰ　ｇａｍｉｎｇ",
        "\u202eakzsym\u202c myszka",
        "z̸̢̛a̴̧̛l̷̨̛g̸̢̛o̵̧̕ text",
        "🐶🐱" * 40,
        "kawa, herbata; \"cukier\" | mleko",
        "    ",
        "ekspres " * 1250,                 # 10 000 characters
        "żółć " * 2000,                    # 10 000 characters, 18 000 bytes
        "😀" * 2500,                       # 2 500 characters, 10 000 bytes
    ]


# ---------------------------------------------------------------------------
# Small vectorised helpers
# ---------------------------------------------------------------------------

def _stream(seed: int, name: str, *extra: int) -> np.random.Generator:
    """An independent, reproducible random stream per stage."""
    key = (zlib.crc32(name.encode()),) + tuple(int(e) for e in extra)
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=key))


def _group_positions(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of the given sizes: owner index of each element and its position in the group."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    pos = np.arange(owner.size, dtype=np.int64) - starts[owner]
    return owner, pos


def _choice(rng: np.random.Generator, n: int, p: Sequence[float]) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    cdf = np.cumsum(p / p.sum())
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(n), side="right").astype(np.int64)


class _GroupSampler:
    """Sample an element of group g with within-group weights, vectorised over many g."""

    def __init__(self, groups: np.ndarray, weights: np.ndarray):
        # elements must be sorted by group
        groups = np.asarray(groups, dtype=np.int64)
        assert np.all(np.diff(groups) >= 0)
        self.n_groups = int(groups.max()) + 1
        sums = np.bincount(groups, weights=weights, minlength=self.n_groups)
        cum = np.cumsum(weights)
        start = np.cumsum(np.bincount(groups, minlength=self.n_groups)) - np.bincount(groups, minlength=self.n_groups)
        before = (cum - weights)[start]
        within = (cum - before[groups]) / sums[groups]
        self.cdf = groups + np.minimum(within, 1.0)
        self.last = start + np.bincount(groups, minlength=self.n_groups) - 1

    def sample(self, rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
        group = np.asarray(group, dtype=np.int64)
        idx = np.searchsorted(self.cdf, group + rng.random(group.size), side="left")
        return np.minimum(idx, self.last[group])


def _fixed_strings(mat: np.ndarray) -> pa.Array:
    """A StringArray from an (n, w) uint8 matrix of ASCII characters (zero copy)."""
    mat = np.ascontiguousarray(mat, dtype=np.uint8)
    n, w = mat.shape
    offsets = (np.arange(n + 1, dtype=np.int64) * w)
    if offsets[-1] < 2**31 - 1:
        return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets.astype(np.int32)),
                                                      pa.py_buffer(mat)])
    return pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(offsets),
                                                        pa.py_buffer(mat)]).cast(pa.string())


_DIGITS4 = np.frombuffer(np.char.zfill(np.arange(10_000).astype("U4"), 4).astype("S4").tobytes(),
                         dtype=np.uint32)  # "0000".."9999" as 4-byte words


def _ids(prefix: str, nums: np.ndarray, width: int, valid: np.ndarray | None = None) -> pa.Array:
    """'P' + zero padded number, e.g. _ids('P', [42], 4) -> ['P0042']; null where not valid."""
    nums = np.asarray(nums, dtype=np.int64)
    digits = max(width, len(str(int(nums.max()))) if nums.size else width)
    nch = -(-digits // 4)
    words = np.empty((nums.size, nch), dtype=np.uint32)
    rest = nums
    for c in range(nch - 1, -1, -1):  # four digits at a time: integer % is slow in numpy
        q = rest // 10_000
        words[:, c] = _DIGITS4[rest - q * 10_000]
        rest = q
    pre = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    mat = np.empty((nums.size, len(pre) + digits), dtype=np.uint8)
    mat[:, : len(pre)] = pre
    mat[:, len(pre):] = words.view(np.uint8)[:, nch * 4 - digits:]
    arr = _fixed_strings(mat)
    if valid is not None and not np.all(valid):
        arr = pc.if_else(pa.array(valid), arr, pa.scalar(None, pa.string()))
    return arr


_TIME_TABLE: np.ndarray | None = None


def _iso(ts: np.ndarray) -> pa.Array:
    """ISO-8601 'YYYY-MM-DDTHH:MM:SS' strings for int64 epoch seconds."""
    global _TIME_TABLE
    ts = np.asarray(ts, dtype=np.int64)
    if _TIME_TABLE is None:
        sod = np.arange(DAY)
        hh, mm, ss = sod // 3600, (sod // 60) % 60, sod % 60
        t = np.empty((DAY, 9), dtype=np.uint8)
        t[:, 0] = ord("T")
        t[:, 1], t[:, 2] = 48 + hh // 10, 48 + hh % 10
        t[:, 3] = ord(":")
        t[:, 4], t[:, 5] = 48 + mm // 10, 48 + mm % 10
        t[:, 6] = ord(":")
        t[:, 7], t[:, 8] = 48 + ss // 10, 48 + ss % 10
        _TIME_TABLE = t
    if ts.size == 0:
        return pa.array([], pa.string())
    day = ts // DAY
    d0, d1 = int(day.min()), int(day.max())
    dates = np.arange(d0, d1 + 1).astype("datetime64[D]").astype("S10")
    dtab = np.frombuffer(dates.tobytes(), dtype=np.uint8).reshape(-1, 10)
    mat = np.empty((ts.size, 19), dtype=np.uint8)
    mat[:, :10] = dtab[day - d0]
    mat[:, 10:] = _TIME_TABLE[ts - day * DAY]
    return _fixed_strings(mat)


def _decimal(cents: np.ndarray) -> pa.Array:
    """decimal128(18, 2) from integer cents, exactly."""
    cents = np.asarray(cents, dtype=np.int64)
    buf = np.empty((cents.size, 2), dtype=np.int64)
    buf[:, 0] = cents
    buf[:, 1] = np.where(cents < 0, -1, 0)
    return pa.Array.from_buffers(pa.decimal128(18, 2), cents.size, [None, pa.py_buffer(buf)])


def _take(values: Sequence[str], idx: np.ndarray) -> pa.Array:
    """Decode category codes; a negative code is null."""
    idx = np.asarray(idx, dtype=np.int64)
    mask = idx < 0
    return pc.take(pa.array(list(values), pa.string()),
                   pa.array(np.where(mask, 0, idx), mask=mask if mask.any() else None))


def _solve_conditional(pi: float, q: float, ratio: float) -> float:
    """P(b | purchase) so that P(p | b) / P(p | not b) = ratio, given P(b | no purchase) = q."""
    def rel(x: float) -> float:
        pb = x * pi / (x * pi + q * (1 - pi))
        pn = (1 - x) * pi / ((1 - x) * pi + (1 - q) * (1 - pi))
        return pb / pn
    lo, hi = q, 1.0 - 1e-9
    for _ in range(100):
        mid = (lo + hi) / 2
        if rel(mid) < ratio:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


# ---------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Config:
    customers: int
    days: int
    seed: int
    end_date: _dt.date
    fmt: str
    dirt_rate: float

    @property
    def t0(self) -> int:  # window start, epoch seconds (inclusive)
        return self.t1 - self.days * DAY

    @property
    def t1(self) -> int:  # window end, epoch seconds (exclusive)
        return int((self.end_date - _dt.date(1970, 1, 1)).days + 1) * DAY

    @property
    def n_products(self) -> int:
        n = int(round(200 * (max(self.customers, 2000) / 2000) ** 0.37))
        return int(min(max(n, 200), 2000))


class _Shop:
    """Builds the whole shop as numeric arrays; `_Writer` turns them into files."""

    def __init__(self, cfg: _Config, progress: ProgressFn | None = None):
        self.cfg = cfg
        self.t_start = time.perf_counter()
        self._progress = progress
        self.t0, self.t1 = cfg.t0, cfg.t1

    # -- infrastructure ----------------------------------------------------
    def rng(self, name: str, *extra: int) -> np.random.Generator:
        return _stream(self.cfg.seed, name, *extra)

    def report(self, stage: str, rows: int) -> None:
        if self._progress is not None:
            self._progress(stage, int(rows), time.perf_counter() - self.t_start)

    def build(self) -> "_Shop":
        self._build_clock()
        self._build_catalogue()
        self.report("products", self.n_products)
        self._build_customers()
        self.report("customers", self.n_customers)
        self._build_campaigns()
        self.report("campaign_sends", self.send_cust.size)
        self._build_orders()
        self.report("orders", self.n_orders)
        self._build_returns()
        self.report("returns", self.ret_line.size)
        self._build_sessions()
        self.report("sessions", self.n_sessions)
        self._build_events()
        self.report("events", self.ev_ts.size)
        self._finalise_identity()
        self._build_dirt()
        self.report("dirt", int(sum(self.dirt_counts.values())))
        return self

    # -- time --------------------------------------------------------------
    def _build_clock(self) -> None:
        """Hourly intensity (diurnal x weekly x yearly) and its cumulative 'operational time'."""
        g0 = self.t0 - 3 * 366 * DAY
        g1 = self.t1 + 400 * DAY
        hours = np.arange(g0, g1 + HOUR, HOUR, dtype=np.int64)
        day = hours // DAY
        hod = (hours % DAY) // HOUR
        dow = (day + 3) % 7  # Monday = 0
        d64 = day.astype("datetime64[D]")
        month = d64.astype("datetime64[M]").astype(np.int64) % 12  # 0 = January
        dom = (d64 - d64.astype("datetime64[M]")).astype(np.int64) + 1
        year = d64.astype("datetime64[Y]").astype(np.int64) + 1970
        hourly = np.array([0.25, 0.15, 0.1, 0.08, 0.1, 0.2, 0.45, 0.7, 0.9, 1.0, 1.05, 1.1,
                           1.1, 1.05, 1.05, 1.1, 1.2, 1.35, 1.5, 1.6, 1.45, 1.1, 0.7, 0.4])
        weekly = np.array([1.05, 1.0, 1.0, 0.97, 0.9, 0.8, 1.25])
        monthly = np.array([0.8, 0.85, 0.95, 1.0, 1.0, 0.93, 0.88, 0.92, 1.0, 1.05, 1.35, 1.3])
        w = hourly[hod] * weekly[dow] * monthly[month]
        # Black Friday: fourth Friday of November, the week around it doubles
        nov1 = (np.array([f"{y}-11-01" for y in range(int(year.min()), int(year.max()) + 1)],
                         dtype="datetime64[D]").astype(np.int64))
        bf = nov1 + (4 - (nov1 + 3) % 7) % 7 + 21
        for b in bf:
            w = np.where((day >= b - 3) & (day <= b + 3), w * 2.0, w)
        xmas = (month == 11) & (dom >= 21) & (dom <= 26)
        w = np.where(xmas, w * 0.5, w)
        pre_xmas = (month == 11) & (dom <= 18)
        w = np.where(pre_xmas, w * 1.25, w)
        w = w / w.mean()
        self.clock_t = hours.astype(np.float64)
        self.clock_op = np.concatenate([[0.0], np.cumsum(w[:-1] * HOUR)]) + g0

    def to_op(self, t: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(t, dtype=np.float64), self.clock_t, self.clock_op)

    def from_op(self, op: np.ndarray) -> np.ndarray:
        return np.floor(np.interp(np.asarray(op, dtype=np.float64), self.clock_op, self.clock_t)).astype(np.int64)

    def _random_times(self, rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Seasonal random calendar times in [lo, hi) (vectorised, lo/hi calendar seconds)."""
        a, b = self.to_op(lo), self.to_op(hi)
        return np.minimum(self.from_op(a + (b - a) * rng.random(np.size(a))), np.asarray(hi) - 1)

    # -- products ----------------------------------------------------------
    def _build_catalogue(self) -> None:
        rng = self.rng("products")
        n = self.cfg.n_products
        ncat = len(CATEGORIES)
        w = np.array([c.weight for c in CATEGORIES])
        w = w / w.sum()
        extra = n - MIN_PER_CATEGORY * ncat
        share = w * extra
        alloc = MIN_PER_CATEGORY + np.floor(share).astype(np.int64)
        rest = n - alloc.sum()
        alloc[np.argsort(-(share - np.floor(share)), kind="stable")[:rest]] += 1
        cat = np.repeat(np.arange(ncat), alloc)
        _, rank = _group_positions(alloc)
        names, brands = [], []
        price = np.empty(n, dtype=np.int64)
        for i in range(n):
            c = CATEGORIES[cat[i]]
            b = c.brands[int(rng.integers(len(c.brands)))]
            noun = c.nouns[int(rng.integers(len(c.nouns)))]
            code = f"{'ABCDEFGHKLMNPRSTVXZ'[int(rng.integers(19))]}{int(rng.integers(10, 990))}"
            names.append(f"{b} {noun} {code}")
            brands.append(b)
            p = c.price * np.exp(c.sigma * rng.standard_normal())
            price[i] = max(int(round(p)) * 100 - 1, 99)  # x.99 prices
        start = np.cumsum(alloc) - alloc
        self.planted_index: dict[tuple[str, int], int] = {}

        def plant(spec: tuple[str, int, str, float]) -> int:
            cname, r, name, pr = spec
            k = CAT_INDEX[cname]
            r = min(r, int(alloc[k]) - 1)
            idx = int(start[k] + r)
            names[idx] = name
            brands[idx] = name.split(" ")[0]
            price[idx] = int(round(pr * 100))
            return idx

        self.pairs = []
        for a, b, kind, prob, desc in PLANTED_PAIRS:
            self.pairs.append((plant(a), plant(b), kind, prob, desc))
        self.accessories = []
        for m, acc, prob, max_days in PLANTED_ACCESSORIES:
            self.accessories.append((plant(m), plant(acc), prob, max_days))
        planted = [p for pr in self.pairs for p in pr[:2]] + [p for ac in self.accessories for p in ac[:2]]
        assert len(set(planted)) == len(planted), "planted products overlap"
        self.n_products = n
        self.prod_cat = cat
        self.prod_rank = rank
        self.prod_price = price
        self.prod_name = names
        self.prod_brand = brands
        self.prod_num = rng.permutation(n) + 1  # P-number of product index i
        pop = (rank + 1.0) ** -1.05
        self.prod_sampler = _GroupSampler(cat, pop)
        self.cat_weight = w
        qs = sorted({q for c in CATEGORIES for q in c.queries} | {c.brands[0].lower() for c in CATEGORIES}
                    | {f"{c.brands[1].lower()} {c.nouns[0].lower()}" for c in CATEGORIES})
        self.queries = qs + _odd_queries()
        self.n_normal_queries = len(qs)
        qw = rng.permutation(len(qs)).astype(np.float64)
        self.query_cdf = np.cumsum((qw + 1.0) ** -0.9)
        self.query_cdf /= self.query_cdf[-1]

    def _sample_products(self, rng: np.random.Generator, cats: np.ndarray) -> np.ndarray:
        return self.prod_sampler.sample(rng, cats)

    def _global_products(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self._sample_products(rng, _choice(rng, n, self.cat_weight))

    # -- customers ---------------------------------------------------------
    def _build_customers(self) -> None:
        rng = self.rng("customers")
        n = self.cfg.customers
        t0, t1 = self.t0, self.t1
        self.n_customers = n
        pre = rng.random(n) < 0.22
        op0, op1 = self.to_op(t0), self.to_op(t1 - 2 * HOUR)
        opp = self.to_op(t0 - 2 * 365 * DAY)
        u = rng.random(n)
        op = np.where(pre, opp + (op0 - opp) * u, op0 + (op1 - op0) * u ** 0.8)
        self.signup = self.from_op(op)
        self.pre_window = pre
        age_days = (np.clip(rng.normal(37, 12, n), 18, 85) * 365.25).astype(np.int64)
        self.birth_day = (t1 // DAY) - age_days  # days since epoch
        self.gender = _choice(rng, n, _weights(GENDERS, GENDER_WEIGHTS, "genders") + [0.04])  # last = empty
        self.gender[self.gender == len(GENDERS)] = -1
        flat = [(ri, city, rw * cw / sum(x[1] for x in cities))
                for ri, (_, rw, cities) in enumerate(REGIONS) for city, cw in cities]
        self.city_region = np.array([f[0] for f in flat])
        self.city_names = [f[1] for f in flat]
        self.city_w = np.array([f[2] for f in flat])
        self.city = _choice(rng, n, self.city_w)
        self.income = _choice(rng, n, [0.22, 0.37, 0.25, 0.1, 0.06])
        self.income[self.income == 4] = -1
        consent = _choice(rng, n, [0.6, 0.32, 0.08])  # true, false, missing
        self.consent = consent
        self.channel = _choice(rng, n, _weights(CHANNELS, CHANNEL_WEIGHTS, "channels"))
        hw = np.array([0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.6, 1.2, 2.0, 1.6, 1.2, 1.3,
                       1.8, 1.4, 1.1, 1.1, 1.3, 1.7, 2.2, 2.4, 2.3, 1.6, 0.9, 0.4])
        self.contact_hour = _choice(rng, n, hw)
        # latent behaviour
        self.buyer = rng.random(n) < np.where(pre, 0.70, 0.76)
        self.signup_at_order = (~pre) & self.buyer & (rng.random(n) < 0.55)
        whale = rng.random(n) < 0.05
        self.cycle = np.clip(rng.lognormal(np.log(120), 0.8, n) * np.where(whale, 0.3, 1.0), 6, 600)
        kind = _choice(rng, n, [0.3, 0.25, 0.45])  # one-time, loyal, churning
        life = np.where(kind == 0, 0.0, np.where(kind == 1, 1e9, rng.exponential(260, n)))
        life = np.where(whale, np.maximum(life, 400), life)
        self.life = life
        self.basket = np.clip(rng.lognormal(np.log(0.7), 0.6, n) * np.where(whale, 1.8, 1.0), 0.05, 6)
        self.deal_seeker = rng.random(n) < 0.15
        self.fav = np.stack([_choice(rng, n, self.cat_weight), _choice(rng, n, self.cat_weight)], axis=1)
        self.pay_pref = _choice(rng, n, [0.4, 0.35, 0.15, 0.10])
        self.del_pref = _choice(rng, n, [0.35, 0.55, 0.10])
        # devices: each a visitor_id
        ndev = 1 + _choice(rng, n, [0.55, 0.33, 0.12])
        self.dev_start = np.cumsum(ndev) - ndev
        self.n_dev = ndev
        owner, pos = _group_positions(ndev)
        prim = _choice(rng, n, _weights(DEVICES, DEVICE_WEIGHTS, "devices"))
        shift = 1 + rng.integers(0, 3, owner.size)
        self.visitor_device = np.where(pos == 0, prim[owner], (prim[owner] + pos * shift) % len(DEVICES))
        self.n_customer_visitors = owner.size

    def _customer_visitor(self, rng: np.random.Generator, cust: np.ndarray) -> np.ndarray:
        """A device of each customer: the primary one 70 % of the time."""
        nd = self.n_dev[cust]
        pick = np.where(rng.random(cust.size) < 0.7, 0, rng.integers(0, 1 << 30, cust.size) % nd)
        return self.dev_start[cust] + pick

    # -- campaigns ---------------------------------------------------------
    def _build_campaigns(self) -> None:
        rng = self.rng("campaigns")
        t0, t1 = self.t0, self.t1
        first = (t0 // DAY) + 12
        last = (t1 // DAY) - 10
        days = np.arange(first, last + 1, 28)
        if days.size == 0:
            days = np.array([(t0 + t1) // 2 // DAY])
        ab_day = (t0 // DAY) + int(0.6 * self.cfg.days)
        ab = int(np.argmin(np.abs(days - ab_day)))
        self.campaign_day = days
        self.campaign_ids = []
        for d in days:
            dd = _dt.date(1970, 1, 1) + _dt.timedelta(days=int(d))
            self.campaign_ids.append(f"CMP{dd:%Y%m%d}-{MONTH_SLUGS[dd.month - 1]}")
        self.ab_campaign = ab
        consent = self.consent == 0
        cust_l, camp_l, var_l, sent_l = [], [], [], []
        for k, d in enumerate(days):
            eligible = np.flatnonzero(consent & (self.signup < d * DAY))
            if k != ab:
                eligible = eligible[rng.random(eligible.size) < 0.35]
            split = AB_SPLIT if k == ab else REGULAR_SPLIT
            var = _choice(rng, eligible.size, [split[v] for v in VARIANTS])
            sent = d * DAY + self.contact_hour[eligible] * HOUR + rng.integers(0, HOUR, eligible.size)
            cust_l.append(eligible)
            camp_l.append(np.full(eligible.size, k))
            var_l.append(var)
            sent_l.append(sent)
        cust = np.concatenate(cust_l)
        camp = np.concatenate(camp_l)
        var = np.concatenate(var_l)
        sent = np.concatenate(sent_l).astype(np.int64)
        order = np.lexsort((cust, camp, sent))
        self.send_cust, self.send_camp = cust[order], camp[order]
        self.send_var, self.send_ts = var[order], sent[order]

    # -- orders ------------------------------------------------------------
    def _build_orders(self) -> None:
        rng = self.rng("orders")
        t0, t1 = self.t0, self.t1
        c = np.flatnonzero(self.buyer)
        cyc = self.cycle[c] * DAY
        op0, op_end = self.to_op(t0 + HOUR), self.to_op(t1 - 30 * 60)
        su_op = self.to_op(self.signup[c])
        first = np.where(self.pre_window[c], op0 + rng.random(c.size) * cyc,
                         np.where(self.signup_at_order[c], su_op,
                                  su_op + rng.exponential(45 * DAY, c.size)))
        first = np.maximum(first, op0)
        end = np.minimum(op_end, first + self.life[c] * DAY)
        ok = first < op_end
        c, cyc, first, end = c[ok], cyc[ok], first[ok], end[ok]
        span = np.maximum(end - first, 0)
        m = np.minimum(np.ceil(span / cyc * 2.5).astype(np.int64) + 3, 400)
        owner, pos = _group_positions(m)
        shape = 2.5
        gaps = rng.gamma(shape, 1.0, owner.size) * (cyc[owner] / shape)
        gaps[pos == 0] = 0.0
        cum = np.cumsum(gaps)
        starts = np.cumsum(m) - m
        t_op = first[owner] + (cum - cum[starts][owner])
        keep = t_op <= np.maximum(end[owner], first[owner])
        o_cust = c[owner[keep]]
        o_ts = self.from_op(t_op[keep])
        o_ts = np.clip(o_ts, t0 + HOUR, t1 - 60)
        o_kind = np.zeros(o_cust.size, dtype=np.int8)  # 0 base, 1 campaign, 2 accessory
        o_camp = np.full(o_cust.size, -1, dtype=np.int64)
        # campaign-driven orders
        rng_c = self.rng("campaign_orders")
        is_ab = self.send_camp == self.ab_campaign
        up = np.where(is_ab, np.array([AB_UPLIFT[v] for v in VARIANTS])[self.send_var],
                      np.array([REGULAR_UPLIFT[v] for v in VARIANTS])[self.send_var])
        hit = rng_c.random(up.size) < up
        delay = np.minimum(rng_c.exponential(1.3 * DAY, up.size), (AB_WINDOW_DAYS - 0.1) * DAY).astype(np.int64)
        cts = self.send_ts + 60 + delay
        hit &= cts < t1 - 60
        o_cust = np.concatenate([o_cust, self.send_cust[hit]])
        o_ts = np.concatenate([o_ts, cts[hit]])
        o_kind = np.concatenate([o_kind, np.ones(hit.sum(), np.int8)])
        o_camp = np.concatenate([o_camp, np.flatnonzero(hit)])  # send index
        # lines of base + campaign orders
        lines_o, lines_p = self._order_lines(self.rng("order_lines"), o_cust, None)
        lines_o, lines_p = self._apply_pairs(self.rng("pairs"), lines_o, lines_p)
        # accessories: a later order of the same customer
        rng_a = self.rng("accessories")
        acc_cust, acc_ts, acc_prod = [], [], []
        for main, acc, prob, max_days in self.accessories:
            ords = np.unique(lines_o[lines_p == main])
            sel = ords[rng_a.random(ords.size) < prob]
            ts = o_ts[sel] + rng_a.integers(DAY, max_days * DAY, sel.size)
            fits = ts < t1 - 60
            acc_cust.append(o_cust[sel[fits]])
            acc_ts.append(ts[fits])
            acc_prod.append(np.full(fits.sum(), acc))
        a_cust = np.concatenate(acc_cust)
        a_ts = np.concatenate(acc_ts)
        a_prod = np.concatenate(acc_prod)
        base_n = o_cust.size
        l2_o, l2_p = self._order_lines(self.rng("accessory_lines"), a_cust, a_prod)
        l2_o, l2_p = self._apply_pairs(self.rng("accessory_pairs"), l2_o, l2_p)
        o_cust = np.concatenate([o_cust, a_cust])
        o_ts = np.concatenate([o_ts, a_ts])
        o_kind = np.concatenate([o_kind, np.full(a_cust.size, 2, np.int8)])
        o_camp = np.concatenate([o_camp, np.full(a_cust.size, -1)])
        lines_o = np.concatenate([lines_o, l2_o + base_n])
        lines_p = np.concatenate([lines_p, l2_p])
        # chronological order numbers
        order = np.lexsort((o_cust, o_ts))
        inv = np.empty_like(order)
        inv[order] = np.arange(order.size)
        self.o_cust, self.o_ts = o_cust[order], o_ts[order]
        self.o_kind, self.o_send = o_kind[order], o_camp[order]
        lines_o = inv[lines_o]
        lo = np.lexsort((np.arange(lines_o.size), lines_o))  # stable by order, keeps line order
        self.l_order, self.l_prod = lines_o[lo], lines_p[lo]
        n = self.o_cust.size
        self.n_orders = n
        self.o_nlines = np.bincount(self.l_order, minlength=n)
        self.o_line_start = np.cumsum(self.o_nlines) - self.o_nlines
        self.l_number = (np.arange(self.l_order.size) - self.o_line_start[self.l_order] + 1).astype(np.int64)
        self._order_attributes(self.rng("order_attributes"))

    def _order_lines(self, rng: np.random.Generator, cust: np.ndarray,
                     forced: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Lines (order index, product index) of orders of the given customers, deduplicated."""
        n = cust.size
        if forced is None:
            k = 1 + rng.poisson(self.basket[cust])
        else:
            k = (rng.random(n) < 0.3).astype(np.int64)
        k = np.minimum(k, 15)
        owner, _ = _group_positions(k)
        cc = cust[owner]
        u = rng.random(owner.size)
        cats = np.where(u < 0.35, self.fav[cc, 0], np.where(u < 0.55, self.fav[cc, 1],
                                                               _choice(rng, owner.size, self.cat_weight)))
        prod = self._sample_products(rng, cats)
        if forced is not None:
            owner = np.concatenate([np.arange(n), owner])
            prod = np.concatenate([forced, prod])
        key = owner * self.n_products + prod
        _, first = np.unique(key, return_index=True)
        first.sort()
        return owner[first], prod[first]

    def _apply_pairs(self, rng: np.random.Generator, lo: np.ndarray, lp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        add_o, add_p = [], []
        for a, b, _, prob, _ in self.pairs:
            orders = np.unique(lo[lp == a])
            with_b = np.unique(lo[lp == b])
            pos = np.minimum(np.searchsorted(with_b, orders), max(with_b.size - 1, 0))
            has_b = (with_b[pos] == orders) if with_b.size else np.zeros(orders.size, dtype=bool)
            sel = orders[(~has_b) & (rng.random(orders.size) < prob)]
            add_o.append(sel)
            add_p.append(np.full(sel.size, b))
        return np.concatenate([lo] + add_o), np.concatenate([lp] + add_p)

    def _order_attributes(self, rng: np.random.Generator) -> None:
        n = self.n_orders
        cust = self.o_cust
        t1 = self.t1
        # lines: quantity and price
        price = self.prod_price[self.l_prod]
        nl = self.l_order.size
        qlam = np.where(price < 5000, 0.45, np.where(price < 20000, 0.12, 0.03))
        self.l_qty = np.minimum(1 + rng.poisson(qlam, nl), 12)
        promo = rng.random(nl) < 0.25
        factor = np.where(promo, rng.uniform(0.82, 0.97, nl), 1.0)
        self.l_price = np.where(promo, np.round(price * factor).astype(np.int64), price)
        sub = np.bincount(self.l_order, weights=self.l_qty * self.l_price, minlength=n)
        self.o_subtotal = sub.astype(np.int64)
        # methods and address
        self.o_pay = np.where(rng.random(n) < 0.8, self.pay_pref[cust], _choice(rng, n, [0.4, 0.35, 0.15, 0.1]))
        self.o_del = np.where(rng.random(n) < 0.85, self.del_pref[cust], _choice(rng, n, [0.35, 0.55, 0.1]))
        self.o_city = np.where(rng.random(n) < 0.9, self.city[cust], _choice(rng, n, self.city_w))
        # discounts: deal seekers mostly buy with one
        disc = rng.random(n) < np.where(self.deal_seeker[cust], 0.8, 0.07)
        pct = np.where(self.deal_seeker[cust], rng.uniform(0.1, 0.3, n), rng.uniform(0.05, 0.15, n))
        d = np.floor(self.o_subtotal * pct / 100.0) * 100
        self.o_discount = np.where(disc, np.minimum(d, self.o_subtotal), 0).astype(np.int64)
        # status: cancelled anywhere, fresh orders not delivered yet
        age = t1 - self.o_ts
        cancelled = rng.random(n) < np.where(self.o_pay == 3, 0.10, 0.04)
        u = rng.random(n)
        st = np.full(n, ST_DELIVERED)
        st = np.where(age < 5 * DAY, np.where(u < 0.5, ST_SHIPPED, ST_DELIVERED), st)
        st = np.where(age < 2 * DAY, np.where(u < 0.6, ST_SHIPPED, ST_PAID), st)
        st = np.where(age < 8 * HOUR, np.where(u < 0.5, ST_PLACED, ST_PAID), st)
        st = np.where((st == ST_PAID) & (self.o_pay == 3), ST_PLACED, st)  # cash on delivery is not paid upfront
        self.o_status = np.where(cancelled, ST_CANCELLED, st)  # codes: places in ORDER_STATUSES
        self.status_names = ORDER_STATUSES

    # -- returns -----------------------------------------------------------
    def _build_returns(self) -> None:
        rng = self.rng("returns")
        delivered = self.o_status[self.l_order] == ST_DELIVERED
        rate = np.array([c.return_rate for c in CATEGORIES])[self.prod_cat[self.l_prod]]
        ret = delivered & (rng.random(self.l_order.size) < rate * 1.45)
        idx = np.flatnonzero(ret)
        ts = self.o_ts[self.l_order[idx]] + rng.integers(2 * DAY, 5 * DAY, idx.size) \
            + np.minimum(rng.exponential(6 * DAY, idx.size), 30 * DAY).astype(np.int64)
        ok = ts < self.t1
        idx, ts = idx[ok], ts[ok]
        q = self.l_qty[idx]
        qty = 1 + rng.binomial(q - 1, 0.3)
        reason = _choice(rng, idx.size, [0.2, 0.3, 0.15, 0.15, 0.12, 0.08])
        reason = np.where((self.prod_cat[self.l_prod[idx]] != CAT_INDEX["Fashion"]) & (reason == 0), 1, reason)
        complaint = rng.random(idx.size) < COMPLAINT_PROB[reason]
        order = np.lexsort((self.l_prod[idx], self.l_order[idx], ts))
        self.ret_line, self.ret_ts = idx[order], ts[order]
        self.ret_qty, self.ret_reason, self.ret_complaint = qty[order], reason[order], complaint[order]

    # -- sessions ----------------------------------------------------------
    def _build_sessions(self) -> None:
        rng = self.rng("sessions")
        t0, t1 = self.t0, self.t1
        n_orders = self.n_orders
        # 1. sessions that placed an order
        has_sess = (self.o_kind == 1) | (rng.random(n_orders) < 0.92)
        po = np.flatnonzero(has_sess)
        s_cust = [self.o_cust[po]]
        s_vis = [self._customer_visitor(rng, self.o_cust[po])]
        s_start = [self.o_ts[po]]  # placeholder: fixed once events exist
        s_order = [po]
        # 2. research sessions in the two weeks before an order
        k = rng.poisson(0.85, po.size)
        owner, _ = _group_positions(k)
        oo = po[owner]
        st = self.o_ts[oo] - rng.integers(HOUR, 14 * DAY, oo.size)
        s_cust.append(self.o_cust[oo])
        s_vis.append(self._customer_visitor(rng, self.o_cust[oo]))
        s_start.append(st)
        s_order.append(np.full(oo.size, -1))
        # 3. browsing while active (buyers) or after sign-up (non buyers)
        c = np.arange(self.n_customers)
        first_op = self.to_op(np.maximum(self.signup, t0))
        active = np.where(self.buyer, np.minimum(self.life, 2000) + 60, 180.0)
        end_t = np.minimum(self.from_op(first_op + active * DAY), t1 - 2 * HOUR)
        start_t = np.maximum(self.signup, t0)
        span_days = np.maximum(end_t - start_t, 0) / DAY
        lam = np.where(self.buyer, 0.6 * span_days / self.cycle, 1.5)
        k = np.where(end_t > start_t, rng.poisson(lam), 0)
        owner, _ = _group_positions(k)
        st = self._random_times(rng, start_t[owner], end_t[owner])
        s_cust.append(c[owner])
        s_vis.append(self._customer_visitor(rng, c[owner]))
        s_start.append(st)
        s_order.append(np.full(owner.size, -1))
        # 4. anonymous visits before registering (primary device)
        # (self.signup is still the planned registration; see _finalise_identity)
        k = np.where(self.pre_window, 0, rng.poisson(1.2, self.n_customers))
        owner, _ = _group_positions(k)
        hi = self.signup[owner] - HOUR
        lo = np.maximum(hi - 21 * DAY, t0)
        ok = hi > lo
        owner, lo, hi = owner[ok], lo[ok], hi[ok]
        s_cust.append(owner)
        s_vis.append(self.dev_start[owner])
        s_start.append(self._random_times(rng, lo, hi))
        s_order.append(np.full(owner.size, -1))
        # 5. visitors who never register
        n_anon = int(round(0.8 * self.n_customers))
        self.n_anon_visitors = n_anon
        k = 1 + rng.geometric(0.6, n_anon) - 1
        owner, pos = _group_positions(k)
        first = self._random_times(rng, np.full(n_anon, t0), np.full(n_anon, t1 - 2 * HOUR))
        st = np.minimum(first[owner] + np.where(pos == 0, 0, rng.integers(HOUR, 40 * DAY, owner.size)),
                        t1 - 2 * HOUR)
        s_cust.append(np.full(owner.size, -1))
        s_vis.append(self.n_customer_visitors + owner)
        s_start.append(st)
        s_order.append(np.full(owner.size, -1))
        self.s_cust = np.concatenate(s_cust).astype(np.int64)
        self.s_vis = np.concatenate(s_vis).astype(np.int64)
        self.s_start = np.concatenate(s_start).astype(np.int64)
        self.s_order = np.concatenate(s_order).astype(np.int64)
        ok = (self.s_order >= 0) | ((self.s_start >= t0) & (self.s_start < t1 - 2 * HOUR))
        for name in ("s_cust", "s_vis", "s_start", "s_order"):
            setattr(self, name, getattr(self, name)[ok])
        self.n_sessions = self.s_cust.size
        self.o_session = np.full(n_orders, -1, dtype=np.int64)
        ps = np.flatnonzero(self.s_order >= 0)
        self.o_session[self.s_order[ps]] = ps
        n_vis = self.n_customer_visitors + n_anon
        self.n_visitors = n_vis
        rv = self.rng("visitors")
        self.visitor_num = rv.permutation(n_vis) + 1
        anon_dev = _choice(rv, n_anon, _weights(DEVICES, ANONYMOUS_DEVICE_WEIGHTS, "devices"))
        self.vis_device = np.concatenate([self.visitor_device, anon_dev])
        self._session_behaviour(self.rng("behaviour"))
        self._session_sources(self.rng("sources"))

    def _session_behaviour(self, rng: np.random.Generator) -> None:
        n = self.n_sessions
        purchase = self.s_order >= 0
        pi = purchase.mean()
        self.purchase_rate = float(pi)
        self.s_purchase = purchase
        self.s_bounce = (~purchase) & (rng.random(n) < BOUNCE_SHARE)
        flags = {}
        self.driver_x = {}
        for name, _, q, ratio in PURCHASE_DRIVERS:
            x = _solve_conditional(pi, q, ratio)
            self.driver_x[name] = x
            if name == "came_from_email":
                continue
            pnb = q / (1 - BOUNCE_SHARE)
            p = np.where(purchase, x, np.where(self.s_bounce, 0.0, pnb))
            flags[name] = rng.random(n) < p
        self.s_atc = flags["added_to_cart"]
        self.s_v3 = flags["viewed_3plus_products"]
        self.s_search = flags["used_search"]

    def _session_sources(self, rng: np.random.Generator) -> None:
        n = self.n_sessions
        purchase = self.s_purchase
        q_e = [d for d in PURCHASE_DRIVERS if d[0] == "came_from_email"][0]
        x_e = self.driver_x["came_from_email"]
        src = np.full(n, -1, dtype=np.int64)
        camp = np.full(n, -1, dtype=np.int64)  # index into campaign names
        # campaign-driven orders come from the message
        ps = np.flatnonzero(purchase)
        o = self.s_order[ps]
        from_msg = self.o_kind[o] == 1
        send = self.o_send[o[from_msg]]
        ch = self.channel[self.send_cust[send]]
        msg_s = ps[from_msg]
        src[msg_s] = np.where(ch == CH_EMAIL, SRC["email"], SRC["direct"])
        camp_names = list(self.campaign_ids) + PAID_CAMPAIGNS + SOCIAL_CAMPAIGNS
        camp[msg_s] = self.send_camp[send]
        forced_email = int((ch == CH_EMAIL).sum())
        free = ps[~from_msg]
        target = x_e * ps.size
        p_free = min(max((target - forced_email) / max(free.size, 1), 0.0), 1.0)
        other_p = [0.22, 0.18, 0.05, 0.0, 0.1, 0.04, 0.08, 0.33]
        nonp_p = [0.3, 0.2, 0.17, 0.0, 0.08, 0.05, 0.06, 0.14]
        e = rng.random(free.size) < p_free
        src[free] = np.where(e, SRC["email"], _choice(rng, free.size, other_p))
        nps = np.flatnonzero(~purchase)
        e = rng.random(nps.size) < q_e[2]
        src[nps] = np.where(e, SRC["email"], _choice(rng, nps.size, nonp_p))
        # campaigns for email (latest campaign before), paid and social traffic
        em = (src == SRC["email"]) & (camp < 0)
        k = np.searchsorted(self.campaign_day * DAY, self.s_start[em], side="right") - 1
        camp[np.flatnonzero(em)] = np.where(k >= 0, k, -1)
        nc = len(self.campaign_ids)
        paid = src == SRC["paid_search"]
        camp[paid] = nc + _choice(rng, int(paid.sum()), [0.4, 0.3, 0.2, 0.1])
        soc = src == SRC["social"]
        camp[soc] = np.where(rng.random(int(soc.sum())) < 0.7,
                             nc + len(PAID_CAMPAIGNS) + _choice(rng, int(soc.sum()), [0.45, 0.3, 0.15, 0.1]), -1)
        self.s_source = src
        self.s_campaign = camp
        self.campaign_names = camp_names
        # raw values: canonical names, aliases (3 %), unknown values (among social traffic)
        raw_names = list(SOURCES)
        alias_of = []
        for s in SOURCES:
            for a in SOURCE_ALIASES[s]:
                raw_names.append(a)
                alias_of.append((len(raw_names) - 1, SRC[s]))
        raw = src.copy()
        use_alias = rng.random(n) < 0.03
        for s in range(len(SOURCES)):
            opts = [i for i, cs in alias_of if cs == s]
            m = np.flatnonzero(use_alias & (src == s))
            raw[m] = np.array(opts)[rng.integers(0, len(opts), m.size)]
        unknown_base = len(raw_names)
        raw_names += UNKNOWN_SOURCES
        m = np.flatnonzero((src == SRC["social"]) & (rng.random(n) < 0.04))
        raw[m] = unknown_base + rng.integers(0, len(UNKNOWN_SOURCES), m.size)
        self.s_raw_source = raw
        self.raw_source_names = raw_names
        meaning = list(SOURCES) + [SOURCES[cs] for _, cs in alias_of] + ["other"] * len(UNKNOWN_SOURCES)
        self.raw_source_meaning = meaning

    # -- events ------------------------------------------------------------
    def _build_events(self) -> None:
        chunk = 500_000
        parts = []
        for ci, a in enumerate(range(0, self.n_sessions, chunk)):
            b = min(a + chunk, self.n_sessions)
            parts.append(self._events_chunk(self.rng("events", ci), a, b))
        cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        del parts
        # session starts are final now: sort sessions, number them
        s_order = np.lexsort((self.s_vis, self.s_start))
        self.s_rank = np.empty(self.n_sessions, dtype=np.int64)
        self.s_rank[s_order] = np.arange(self.n_sessions)
        self.session_file_order = s_order
        # events: arrival order = (occurred_at, session number, position in session)
        ts = cols["ts"]
        tmin = int(ts.min())
        bits_s = max(int(self.n_sessions).bit_length(), 1)
        bits_t = max(int(ts.max() - tmin).bit_length(), 1)
        if bits_t + bits_s + 8 <= 62:
            key = ((ts - tmin) << (bits_s + 8)) | (self.s_rank[cols["sess"]] << 8) | cols["seq"].astype(np.int64)
            order = np.argsort(key, kind="stable")
            del key
        else:  # pragma: no cover - only for enormous shops
            order = np.lexsort((cols["seq"], self.s_rank[cols["sess"]], ts))
        for k in list(cols):
            cols[k] = cols[k][order]
        del order
        self.ev_ts = cols["ts"]
        self.ev_sess = cols["sess"]
        self.ev_type = cols["type"]
        self.ev_prod = cols["prod"]
        self.ev_cat = cols["cat"]
        self.ev_query = cols["query"]
        self.ev_step = cols["step"]

    def _events_chunk(self, rng: np.random.Generator, a: int, b: int) -> dict[str, np.ndarray]:
        n = b - a
        sl = slice(a, b)
        pur = self.s_purchase[sl]
        bounce = self.s_bounce[sl]
        atc, v3, srch = self.s_atc[sl], self.s_v3[sl], self.s_search[sl]
        order = self.s_order[sl]
        nlines = np.where(pur, self.o_nlines[np.maximum(order, 0)], 0)
        lstart = np.where(pur, self.o_line_start[np.maximum(order, 0)], 0)
        nb = ~bounce
        n_page = 1 + np.where(nb, rng.poisson(0.3, n), 0)
        n_cat = np.where(nb, rng.poisson(0.4, n), 0)
        n_search = np.where(srch, 1 + rng.poisson(0.3, n), 0)
        few = np.where(pur, _choice(rng, n, [0.15, 0.4, 0.45]),
                       np.where(atc, 1 + _choice(rng, n, [0.5, 0.5]), _choice(rng, n, [0.4, 0.35, 0.25])))
        n_prod = np.where(v3, 3 + np.minimum(rng.poisson(1.0, n), 60), np.where(bounce, 0, few))
        n_atc_base = np.where(atc, np.where(pur, nlines, 1 + rng.poisson(0.3, n)), 0)
        rfc = atc & (rng.random(n) < 0.18)
        n_atc = n_atc_base + rfc
        n_chk = np.where(pur, 4, np.where(atc, _choice(rng, n, [0.45, 0.27, 0.17, 0.11]), 0))
        n_pur = pur.astype(np.int64)
        # slots: (type, count, stage)
        local = np.arange(n)
        ev_s, ev_t, ev_p, ev_c, ev_q, ev_k, ev_stage, ev_sub = [], [], [], [], [], [], [], []

        def add(cnt: np.ndarray, etype: int, stage: int, prod=None, cat=None, query=None, step=None, sub=None):
            owner, pos = _group_positions(cnt)
            m = owner.size
            ev_s.append(local[owner])
            ev_t.append(np.full(m, etype, np.int8))
            ev_p.append(np.full(m, -1, np.int16) if prod is None else prod(owner, pos).astype(np.int16))
            ev_c.append(np.full(m, -1, np.int8) if cat is None else cat(owner, pos).astype(np.int8))
            ev_q.append(np.full(m, -1, np.int16) if query is None else query(owner, pos).astype(np.int16))
            ev_k.append(np.full(m, -1, np.int8) if step is None else step(owner, pos).astype(np.int8))
            ev_stage.append(np.full(m, stage, np.int64))
            ev_sub.append(rng.integers(0, 1 << 24, m) if sub is None else sub(owner, pos))

        add(np.ones(n, np.int64), EV_PAGE, 0, sub=lambda o, p: np.zeros(o.size, np.int64))
        add(n_page - 1, EV_PAGE, 1)
        add(n_cat, EV_CAT, 1, cat=lambda o, p: _choice(rng, o.size, self.cat_weight))
        qcdf = self.query_cdf
        add(n_search, EV_SEARCH, 1,
            query=lambda o, p: np.minimum(np.searchsorted(qcdf, rng.random(o.size)), len(qcdf) - 1))
        # product views: in a purchase session the ordered products come first
        pv_owner, pv_pos = _group_positions(n_prod)
        pv_prod = self._global_products(rng, pv_owner.size)
        from_line = pur[pv_owner] & (pv_pos < nlines[pv_owner])
        pv_prod = np.where(from_line, self.l_prod[lstart[pv_owner] + np.minimum(pv_pos, np.maximum(nlines[pv_owner] - 1, 0))],
                           pv_prod)
        pv_start = np.cumsum(n_prod) - n_prod
        add(n_prod, EV_PROD, 1, prod=lambda o, p: pv_prod[pv_start[o] + p])
        extra_prod = self._global_products(rng, n)

        def atc_prod(o, p):
            res = np.where(p >= n_atc_base[o], extra_prod[o], 0)
            line = pur[o] & (p < n_atc_base[o])
            res = np.where(line, self.l_prod[lstart[o] + np.minimum(p, np.maximum(nlines[o] - 1, 0))], res)
            viewed = (~pur[o]) & (p < n_atc_base[o])
            safe = np.maximum(n_prod[o], 1)
            res = np.where(viewed, pv_prod[np.minimum(pv_start[o] + p % safe, max(pv_prod.size - 1, 0))]
                           if pv_prod.size else extra_prod[o], res)
            return res

        add(n_atc, EV_ATC, 2, prod=atc_prod, sub=lambda o, p: p)
        add(rfc.astype(np.int64), EV_RFC, 3, prod=lambda o, p: extra_prod[o], sub=lambda o, p: p)
        add(n_chk, EV_CHECKOUT, 4, step=lambda o, p: p + 1, sub=lambda o, p: p)
        add(n_pur, EV_PURCHASE, 5, sub=lambda o, p: p)
        s = np.concatenate(ev_s)
        key = (s << 32) | (np.concatenate(ev_stage) << 28) | np.concatenate(ev_sub)
        srt = np.argsort(key, kind="stable")
        del key
        s = s[srt]
        et = np.concatenate(ev_t)[srt]
        cols = {
            "sess": (s + a).astype(np.int32),
            "type": et,
            "prod": np.concatenate(ev_p)[srt],
            "cat": np.concatenate(ev_c)[srt],
            "query": np.concatenate(ev_q)[srt],
            "step": np.concatenate(ev_k)[srt],
        }
        # timing: gaps by event type
        mean_gap = np.array([25, 30, 45, 20, 15, 8, 35, 5], dtype=np.float64)
        gap = 1 + np.floor(rng.exponential(1.0, s.size) * mean_gap[et]).astype(np.int64)
        counts = np.bincount(s, minlength=n)
        first = np.cumsum(counts) - counts
        cum = np.cumsum(gap)
        offset = cum - cum[first][s]
        seq = np.arange(s.size) - first[s]
        last_off = offset[first + counts - 1]
        start = self.s_start[sl].copy()
        start = np.where(pur, self.o_ts[np.maximum(order, 0)] - last_off, np.minimum(start, self.t1 - 1 - last_off))
        self.s_start[sl] = start
        cols["ts"] = start[s] + offset
        cols["seq"] = np.minimum(seq, 255).astype(np.uint8)
        return cols

    # -- identity ----------------------------------------------------------
    def _finalise_identity(self) -> None:
        """Registration time of customers who registered while placing their first order."""
        n = self.n_customers
        first_order = np.full(n, -1, dtype=np.int64)
        # orders are chronological: the first occurrence per customer is the first order
        uc, idx = np.unique(self.o_cust, return_index=True)
        first_order[uc] = idx
        signup = self.signup.copy()
        sao = np.flatnonzero(self.signup_at_order & (first_order >= 0))
        fo = first_order[sao]
        sess = self.o_session[fo]
        # checkout step 1 of that session
        ck = np.flatnonzero((self.ev_type == EV_CHECKOUT) & (self.ev_step == 1))
        step1 = np.full(self.n_sessions, -1, dtype=np.int64)
        step1[self.ev_sess[ck]] = self.ev_ts[ck]
        rng = self.rng("identity")
        fallback = self.o_ts[fo] - rng.integers(120, 900, fo.size)
        signup[sao] = np.where(sess >= 0, step1[np.maximum(sess, 0)], fallback)
        self.signup = signup
        self.signup_session = np.full(self.n_sessions, False)
        self.signup_session[sess[sess >= 0]] = True
        known = (self.s_cust >= 0) & ((self.s_start >= signup[np.maximum(self.s_cust, 0)]) | self.signup_session)
        self.s_known_cust = np.where(known, self.s_cust, -1)

    # -- dirt --------------------------------------------------------------
    def _build_dirt(self) -> None:
        rng = self.rng("dirt")
        r = self.cfg.dirt_rate

        def count(rows: int) -> int:
            if r <= 0 or rows == 0:
                return 0
            return int(min(max(1, round(r * rows)), rows // 10 + 1))

        n_o, n_l, n_e = self.n_orders, self.l_order.size, self.ev_ts.size
        # orders: missing customer id, malformed timestamp
        k_miss, k_bad = count(n_o), count(n_o)
        pick = rng.choice(n_o, size=min(k_miss + k_bad, n_o), replace=False) if k_miss + k_bad else np.array([], np.int64)
        self.o_missing_cust = np.sort(pick[:k_miss])
        self.o_bad_ts = np.sort(pick[k_miss:])
        self.o_missing_as_empty = rng.random(self.o_missing_cust.size) < 0.5  # "" rather than null
        self.o_bad_ts_text = np.array(MALFORMED_TIMESTAMPS, dtype=object)[
            rng.integers(0, len(MALFORMED_TIMESTAMPS), self.o_bad_ts.size)]
        dirty_order = np.zeros(n_o, dtype=bool)
        dirty_order[pick] = True
        self.o_dirty = dirty_order
        # order lines: negative quantities on valid orders, lines of order numbers that do not exist
        returned = np.zeros(n_l, dtype=bool)
        returned[self.ret_line] = True
        cand = np.flatnonzero(~dirty_order[self.l_order] & ~returned)
        k_neg = min(count(n_l), cand.size)
        self.l_negative = np.sort(rng.choice(cand, size=k_neg, replace=False)) if k_neg else np.array([], np.int64)
        self.l_neg_qty = -rng.integers(1, 4, k_neg)
        k_orph = count(n_l)
        # skipped order numbers: gap after chosen orders
        gaps_after = np.sort(rng.choice(n_o, size=min(k_orph, n_o), replace=False)) if k_orph else np.array([], np.int64)
        shift = np.zeros(n_o, dtype=np.int64)
        if gaps_after.size:
            np.add.at(shift, np.minimum(gaps_after + 1, n_o - 1), 1)
            shift = np.cumsum(shift)
            # a gap after the last order would not be a gap: it lands before it instead
        self.o_num = np.arange(1, n_o + 1) + shift
        hi = int(self.o_num[-1]) if n_o else 1
        self.orphan_num = np.setdiff1d(np.arange(1, hi + 1), self.o_num, assume_unique=True)[:k_orph]
        src_line = rng.integers(0, n_l, self.orphan_num.size)
        self.orphan_prod = self.l_prod[src_line]
        self.orphan_qty = self.l_qty[src_line]
        self.orphan_price = self.l_price[src_line]
        self.orphan_lines = 1 + rng.integers(0, 3, self.orphan_num.size)  # line number
        # events: malformed timestamps (never purchase events), odd queries, late, duplicates
        k_bad_e, k_dup, k_late = count(n_e), count(n_e), count(n_e)
        search = np.flatnonzero(self.ev_type == EV_SEARCH)
        n_odd_pool = len(self.queries) - self.n_normal_queries
        # odd queries are not quarantined: plant every kind at least once when dirt is on
        k_odd = min(max(count(search.size), n_odd_pool if r > 0 else 0), search.size // 4)
        taken = np.zeros(n_e, dtype=bool)
        odd = np.sort(rng.choice(search, size=k_odd, replace=False)) if k_odd else np.array([], np.int64)
        taken[odd] = True
        self.ev_odd = odd
        kinds = np.arange(odd.size) % n_odd_pool
        self.ev_odd_query = self.n_normal_queries + kinds[rng.permutation(odd.size)]
        self.ev_bad_ts = self._pick(rng, ~taken & (self.ev_type != EV_PURCHASE), k_bad_e)
        taken[self.ev_bad_ts] = True
        self.ev_bad_ts_text = np.array(MALFORMED_TIMESTAMPS, dtype=object)[
            rng.integers(0, len(MALFORMED_TIMESTAMPS), self.ev_bad_ts.size)]
        # late: needs a later event; keep away from the end of the file
        limit = np.zeros(n_e, dtype=bool)
        limit[: int(n_e * 0.98)] = True
        late = self._pick(rng, ~taken & limit, k_late)
        taken[late] = True
        dup = self._pick(rng, ~taken, k_dup)
        taken[dup] = True
        # file positions: late rows go after an event that happened strictly later
        after_late = np.searchsorted(self.ev_ts, self.ev_ts[late], side="right") + rng.integers(20, 2000, late.size)
        after_late = np.minimum(after_late, n_e - 1)
        ok = self.ev_ts[after_late] > self.ev_ts[late]
        late, after_late = late[ok], after_late[ok]
        after_dup = np.minimum(dup + rng.integers(1, 3000, dup.size), n_e - 1)
        base = np.delete(np.arange(n_e, dtype=np.int64), late)
        # insertion points are positions in `base`: after the row holding event index `after`
        ins_late = np.searchsorted(base, after_late, side="right")
        ins_dup = np.searchsorted(base, after_dup, side="right")
        ins = np.concatenate([ins_late, ins_dup])
        vals = np.concatenate([late, dup])
        o = np.lexsort((vals, ins))
        self.ev_file_order = np.insert(base, ins[o], vals[o])
        self.ev_late, self.ev_dup = late, dup
        self.dirt_counts = {
            "duplicate_event_deliveries": int(dup.size),
            "late_events": int(late.size),
            "orphan_order_items": int(self.orphan_num.size),
            "negative_quantities": int(k_neg),
            "missing_customer_ids": int(self.o_missing_cust.size),
            "malformed_order_timestamps": int(self.o_bad_ts.size),
            "malformed_event_timestamps": int(self.ev_bad_ts.size),
            "odd_search_queries": int(odd.size),
        }

    @staticmethod
    def _pick(rng: np.random.Generator, allowed: np.ndarray, k: int) -> np.ndarray:
        if k <= 0:
            return np.array([], dtype=np.int64)
        idx = np.flatnonzero(allowed)
        k = min(k, idx.size)
        return np.sort(rng.choice(idx, size=k, replace=False))

    # -- truth -------------------------------------------------------------
    def conversion_rates(self, valid_order: np.ndarray) -> dict[str, float]:
        """Share of the A/B campaign's sends followed by a valid order within the window."""
        sel = np.flatnonzero(self.send_camp == self.ab_campaign)
        vo = np.flatnonzero(valid_order)
        big = np.int64(1) << 36
        key = self.o_cust[vo] * big + (self.o_ts[vo] - self.t0 + DAY)
        key.sort()
        c = self.send_cust[sel]
        lo = c * big + (self.send_ts[sel] - self.t0 + DAY)
        hi = lo + AB_WINDOW_DAYS * DAY
        conv = np.searchsorted(key, hi, side="right") - np.searchsorted(key, lo, side="right") > 0
        var = self.send_var[sel]
        return {v: round(float(conv[var == i].mean()) if (var == i).any() else 0.0, 4)
                for i, v in enumerate(VARIANTS)}


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

HIGH_CARDINALITY_COLUMNS = frozenset({"event_id", "session_id", "visitor_id", "customer_id", "order_id",
                                      "send_id", "email", "occurred_at", "ordered_at"})

_ARROW_TYPES = {
    "text": pa.string(),
    "integer": pa.int32(),
    "decimal": pa.decimal128(18, 2),
    "boolean": pa.bool_(),
    "date": pa.date32(),
}


class _Writer:
    def __init__(self, shop: _Shop, out_dir: Path, fmt: str):
        self.shop = shop
        self.out_dir = out_dir
        self.fmt = fmt

    def _schema(self, table: str) -> pa.Schema:
        fields = []
        for col in contract.table(table).columns:
            if col.contract_type == "timestamp":
                if self.fmt == "csv" or (table, col.name) in STRING_TIMESTAMP_COLUMNS:
                    t = pa.string()
                else:
                    t = pa.timestamp("ms")
            else:
                t = _ARROW_TYPES[col.contract_type]
            fields.append(pa.field(col.name, t))
        return pa.schema(fields)

    def _coerce(self, table: str, cols: dict, n: int) -> pa.Table:
        schema = self._schema(table)
        arrays = []
        for field in schema:
            v = cols[field.name]
            if isinstance(v, np.ndarray) and v.dtype.kind in "iu" and \
                    contract.table(table).columns[schema.get_field_index(field.name)].contract_type == "timestamp":
                v = _iso(v) if field.type == pa.string() else pa.array(v.astype("datetime64[s]")).cast(pa.timestamp("ms"))
            elif isinstance(v, np.ndarray) and field.type == pa.date32():
                v = pa.array(v.astype(np.int32), pa.date32())
            elif not isinstance(v, (pa.Array, pa.ChunkedArray)):
                v = pa.array(v, field.type)
            if v.type != field.type:
                v = v.cast(field.type)
            assert len(v) == n, (table, field.name, len(v), n)
            arrays.append(v)
        return pa.Table.from_arrays(arrays, schema=schema)

    def write(self, table: str, n_rows: int, batch_fn: Callable[[int, int], dict]) -> int:
        path = self.out_dir / f"{table}.{self.fmt}"
        schema = self._schema(table)
        tmp = path.with_name(path.name + ".tmp")
        if self.fmt == "parquet":
            # dictionary pages only pay off for low-cardinality columns
            dict_cols = [f.name for f in schema if f.name not in HIGH_CARDINALITY_COLUMNS]
            writer = pq.ParquetWriter(tmp, schema, compression="zstd", use_dictionary=dict_cols,
                                      write_statistics=True, store_schema=True)
        else:
            writer = pacsv.CSVWriter(tmp, schema, write_options=pacsv.WriteOptions(include_header=True))
        def build(a: int) -> pa.Table:
            b = min(a + ROW_GROUP_SIZE, n_rows)
            return self._coerce(table, batch_fn(a, b), b - a)

        starts = list(range(0, n_rows, ROW_GROUP_SIZE))
        try:
            if n_rows == 0:
                writer.write_table(pa.Table.from_batches([], schema=schema))
            # build the next batch while this one is compressed and written (2 cores);
            # batches are written strictly in order, so the file does not change
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(build, starts[0]) if starts else None
                for k in range(len(starts)):
                    tbl = pending.result()
                    pending = pool.submit(build, starts[k + 1]) if k + 1 < len(starts) else None
                    if self.fmt == "parquet":
                        writer.write_table(tbl, row_group_size=ROW_GROUP_SIZE)
                    else:
                        writer.write_table(tbl)
                    del tbl
        finally:
            writer.close()
        os.replace(tmp, path)
        return n_rows


def _table_batches(shop: _Shop) -> dict[str, tuple[int, Callable[[int, int], dict]]]:
    """For every table: number of rows and a function building rows [a, b) as columns."""
    s = shop
    cust_w, ord_w, sess_w, ev_w, vis_w, send_w = 7, 8, 9, 10, 9, 9

    def customers(a, b):
        i = np.arange(a, b)
        nums = i + 1
        email = pc.binary_join_element_wise(
            pc.utf8_lower(_ids("C", nums, cust_w)), pa.scalar("@example.com"), "")
        consent = s.consent[i]
        return {
            "customer_id": _ids("C", nums, cust_w),
            "email": email,
            "birth_date": s.birth_day[i],
            "gender": _take(GENDERS, s.gender[i]),
            "region": _take([r[0] for r in REGIONS], s.city_region[s.city[i]]),
            "city": _take(s.city_names, s.city[i]),
            "income_band": _take(INCOME_BANDS, s.income[i]),
            "signed_up_at": s.signup[i],
            "marketing_consent": pa.array(consent == 0, mask=consent == 2),
            "preferred_channel": _take(CHANNELS, s.channel[i]),
            "preferred_contact_hour": pa.array(s.contact_hour[i].astype(np.int32)),
        }

    def products(a, b):
        i = np.arange(a, b)
        order = np.argsort(s.prod_num)  # file sorted by product id
        idx = order[i]
        return {
            "product_id": _ids("P", s.prod_num[idx], 4),
            "product_name": pa.array([s.prod_name[j] for j in idx], pa.string()),
            "category": _take([c.name for c in CATEGORIES], s.prod_cat[idx]),
            "brand": pa.array([s.prod_brand[j] for j in idx], pa.string()),
            "list_price": _decimal(s.prod_price[idx]),
        }

    def orders(a, b):
        i = np.arange(a, b)
        cust = _ids("C", s.o_cust[i] + 1, cust_w)
        ts = _iso(s.o_ts[i])
        miss = s.o_missing_cust[(s.o_missing_cust >= a) & (s.o_missing_cust < b)]
        if miss.size:
            as_empty = s.o_missing_as_empty[(s.o_missing_cust >= a) & (s.o_missing_cust < b)]
            mask = np.zeros(b - a, dtype=bool)
            mask[miss - a] = True
            cust = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), cust)
            m2 = np.zeros(b - a, dtype=bool)
            m2[miss[as_empty] - a] = True
            if m2.any():
                cust = pc.replace_with_mask(cust, pa.array(m2), pa.array([""] * int(m2.sum()), pa.string()))
        sel = (s.o_bad_ts >= a) & (s.o_bad_ts < b)
        if sel.any():
            mask = np.zeros(b - a, dtype=bool)
            mask[s.o_bad_ts[sel] - a] = True
            ts = pc.replace_with_mask(ts, pa.array(mask), pa.array(list(s.o_bad_ts_text[sel]), pa.string()))
        sess = s.o_session[i]
        return {
            "order_id": _ids("O", s.o_num[i], ord_w),
            "customer_id": cust,
            "ordered_at": ts,
            "status": _take(s.status_names, s.o_status[i]),
            "payment_method": _take(PAYMENT_METHODS, s.o_pay[i]),
            "delivery_method": _take(DELIVERY_METHODS, s.o_del[i]),
            "shipping_region": _take([r[0] for r in REGIONS], s.city_region[s.o_city[i]]),
            "shipping_city": _take(s.city_names, s.o_city[i]),
            "discount_amount": _decimal(s.o_discount[i]),
            "session_id": _ids("S", s.s_rank[np.maximum(sess, 0)] + 1, sess_w, valid=sess >= 0),
            "currency": pa.array([SHOP_CURRENCY] * (b - a), pa.string()),
        }

    # exchange rates: the shop sells in PLN only, but keeps EUR and USD rates
    # (first day of every month of the window and the month before it)
    first = (s.cfg.end_date - _dt.timedelta(days=s.cfg.days)).replace(day=1) - _dt.timedelta(days=1)
    months = []
    m = first.replace(day=1)
    while m <= s.cfg.end_date:
        months.append(m)
        m = (m + _dt.timedelta(days=32)).replace(day=1)
    rate_rows = [(cur, d, cents + 3 * (k % 5)) for k, d in enumerate(months)
                 for cur, cents in EXCHANGE_RATE_CENTS.items()]

    def exchange_rates(a, b):
        rows = rate_rows[a:b]
        return {
            "currency": pa.array([r[0] for r in rows], pa.string()),
            "rate_date": pa.array([r[1] for r in rows], pa.date32()),
            "rate_to_shop_currency": _decimal(np.array([r[2] for r in rows], dtype=np.int64)),
        }

    # order items: real lines plus orphan lines, sorted by (order number, line number)
    n_real = s.l_order.size
    key_num = np.concatenate([s.o_num[s.l_order], s.orphan_num])
    key_line = np.concatenate([s.l_number, s.orphan_lines])
    items_order = np.lexsort((key_line, key_num))
    qty_all = s.l_qty.copy()
    qty_all[s.l_negative] = s.l_neg_qty

    def order_items(a, b):
        j = items_order[a:b]
        real = j < n_real
        jr = np.where(real, j, 0)
        jo = np.where(real, 0, j - n_real)
        prod = np.where(real, s.l_prod[jr], s.orphan_prod[jo] if s.orphan_prod.size else 0)
        qty = np.where(real, qty_all[jr], s.orphan_qty[jo] if s.orphan_qty.size else 0)
        price = np.where(real, s.l_price[jr], s.orphan_price[jo] if s.orphan_price.size else 0)
        return {
            "order_id": _ids("O", key_num[j], ord_w),
            "line_number": pa.array(key_line[j].astype(np.int32)),
            "product_id": _ids("P", s.prod_num[prod], 4),
            "quantity": pa.array(qty.astype(np.int32)),
            "unit_price": _decimal(price),
        }

    def returns(a, b):
        i = np.arange(a, b)
        line = s.ret_line[i]
        return {
            "order_id": _ids("O", s.o_num[s.l_order[line]], ord_w),
            "product_id": _ids("P", s.prod_num[s.l_prod[line]], 4),
            "returned_at": s.ret_ts[i],
            "quantity": pa.array(s.ret_qty[i].astype(np.int32)),
            "reason": _take(RETURN_REASONS, s.ret_reason[i]),
            "is_complaint": pa.array(s.ret_complaint[i]),
        }

    def sessions(a, b):
        j = s.session_file_order[a:b]
        cust = s.s_known_cust[j]
        return {
            "session_id": _ids("S", np.arange(a, b) + 1, sess_w),
            "visitor_id": _ids("V", s.visitor_num[s.s_vis[j]], vis_w),
            "customer_id": _ids("C", cust + 1, cust_w, valid=cust >= 0),
            "started_at": s.s_start[j],
            "traffic_source": _take(s.raw_source_names, s.s_raw_source[j]),
            "campaign": _take(s.campaign_names, s.s_campaign[j]),
            "device": _take(DEVICES, s.vis_device[s.s_vis[j]]),
        }

    odd_map = dict(zip(s.ev_odd.tolist(), s.ev_odd_query.tolist())) if s.ev_odd.size else {}
    bad_ts = dict(zip(s.ev_bad_ts.tolist(), s.ev_bad_ts_text.tolist()))
    special = np.zeros(s.ev_ts.size, dtype=bool)  # events with an odd query or a malformed time
    special[s.ev_odd] = True
    special[s.ev_bad_ts] = True

    def events(a, b):
        j = s.ev_file_order[a:b]
        sess = s.ev_sess[j].astype(np.int64)
        ts = s.ev_ts[j]
        cust = s.s_known_cust[sess]
        signup = s.signup[np.maximum(cust, 0)]
        cust = np.where((cust >= 0) & (ts >= signup), cust, -1)
        etype = s.ev_type[j]
        query = s.ev_query[j].astype(np.int64)
        hits = np.flatnonzero(special[j])
        for h in hits:
            if int(j[h]) in odd_map:
                query[h] = odd_map[int(j[h])]
        occurred = _iso(ts)
        if bad_ts:
            hit = np.array([h for h in hits if int(j[h]) in bad_ts], dtype=np.int64)
            if hit.size:
                mask = np.zeros(b - a, dtype=bool)
                mask[hit] = True
                occurred = pc.replace_with_mask(occurred, pa.array(mask),
                                                pa.array([bad_ts[int(j[h])] for h in hit], pa.string()))
        order = s.s_order[sess]
        is_p = etype == EV_PURCHASE
        step = s.ev_step[j]
        return {
            "event_id": _ids("E", j + 1, ev_w),
            "session_id": _ids("S", s.s_rank[sess] + 1, sess_w),
            "visitor_id": _ids("V", s.visitor_num[s.s_vis[sess]], vis_w),
            "customer_id": _ids("C", cust + 1, cust_w, valid=cust >= 0),
            "occurred_at": occurred,
            "event_type": _take(EVENT_TYPES, etype),
            "product_id": _ids("P", s.prod_num[np.maximum(s.ev_prod[j], 0)], 4, valid=s.ev_prod[j] >= 0),
            "category": _take([c.name for c in CATEGORIES], s.ev_cat[j]),
            "search_query": _take(s.queries, query),
            "checkout_step": pa.array(step.astype(np.int32), mask=step < 0),
            "order_id": _ids("O", s.o_num[np.maximum(order, 0)], ord_w, valid=is_p),
        }

    def campaign_sends(a, b):
        i = np.arange(a, b)
        return {
            "send_id": _ids("M", i + 1, send_w),
            "campaign_id": _take(s.campaign_ids, s.send_camp[i]),
            "variant": _take(VARIANTS, s.send_var[i]),
            "customer_id": _ids("C", s.send_cust[i] + 1, cust_w),
            "channel": _take(CHANNELS, s.channel[s.send_cust[i]]),
            "sent_at": s.send_ts[i],
        }

    return {
        "orders": (s.n_orders, orders),
        "order_items": (items_order.size, order_items),
        "exchange_rates": (len(rate_rows), exchange_rates),
        "customers": (s.n_customers, customers),
        "products": (s.n_products, products),
        "returns": (s.ret_line.size, returns),
        "sessions": (s.n_sessions, sessions),
        "events": (s.ev_file_order.size, events),
        "campaign_sends": (s.send_cust.size, campaign_sends),
    }


def _ground_truth(shop: _Shop, cfg: _Config, written: dict[str, int]) -> dict:
    s = shop
    pid = lambda i: f"P{int(s.prod_num[i]):04d}"  # noqa: E731
    has = lambda t: t in written  # noqa: E731
    orders_written = has("orders")
    # an order without a customer id is a valid guest order (kept, with its lines);
    # only a malformed ordered_at quarantines an order
    quarantined_order = np.zeros(s.n_orders, dtype=bool)
    quarantined_order[s.o_bad_ts] = True
    valid = ~quarantined_order if orders_written else np.zeros(s.n_orders, dtype=bool)
    # the planted A/B effect counts orders the warehouse can attribute to a customer: not guest
    # orders; it does not depend on what is written
    valid_for_ab = ~s.o_dirty
    neg = np.zeros(s.l_order.size, dtype=bool)
    neg[s.l_negative] = True
    line_unknown = int(((~valid[s.l_order]) & ~neg).sum()) + int(s.orphan_num.size)
    ret_unknown = int((~valid[s.l_order[s.ret_line]]).sum())
    dc = dict(s.dirt_counts)
    zero_unless = {
        "duplicate_event_deliveries": "events", "late_events": "events",
        "orphan_order_items": "order_items", "negative_quantities": "order_items",
        "missing_customer_ids": "orders", "malformed_order_timestamps": "orders",
        "malformed_event_timestamps": "events", "odd_search_queries": "events",
    }
    dirt = {k: (v if has(zero_unless[k]) else 0) for k, v in dc.items()}
    eq = {
        "orders": {"unparseable:ordered_at": dirt["malformed_order_timestamps"]},
        "order_items": {"unknown_order": line_unknown if has("order_items") else 0,
                        "out_of_range:quantity": dirt["negative_quantities"]},
        "events": {"duplicate_key": dirt["duplicate_event_deliveries"],
                   "unparseable:occurred_at": dirt["malformed_event_timestamps"]},
        "returns": {"unknown_order": ret_unknown if has("returns") else 0},
    }
    used_raw = np.flatnonzero(np.bincount(s.s_raw_source, minlength=len(s.raw_source_names)))
    raw = {s.raw_source_names[i]: s.raw_source_meaning[i] for i in sorted(used_raw.tolist(),
                                                                        key=lambda k: s.raw_source_names[k])}
    drivers = [{"behaviour": name, "definition": f"{definition}; {DRIVER_RATE_DEFINITION}",
                "planted_relative_purchase_rate": ratio}
               for name, definition, _, ratio in PURCHASE_DRIVERS]
    return {
        "generator_version": GENERATOR_VERSION,
        "seed": cfg.seed,
        "customers": cfg.customers,
        "days": cfg.days,
        "end_date": cfg.end_date.isoformat(),
        "format": cfg.fmt,
        "dirt_rate": cfg.dirt_rate,
        "row_counts": written,
        "product_pairs": [
            {"product_a": pid(a), "product_b": pid(b), "kind": kind, "planted_probability": prob,
             "description": f"{desc}: {s.prod_name[a]} + {s.prod_name[b]}"}
            for a, b, kind, prob, desc in s.pairs],
        "accessories": [
            {"main_product_id": pid(m), "accessory_product_id": pid(acc), "probability": prob,
             "max_days_after": max_days}
            for m, acc, prob, max_days in s.accessories],
        "purchase_drivers": drivers,
        "campaign_ab_effect": {
            "campaign_id": s.campaign_ids[s.ab_campaign],
            "variant_conversion_rate": s.conversion_rates(valid_for_ab),
            "window_days": AB_WINDOW_DAYS,
        },
        "traffic_source_raw_values": raw,
        "dirt": dirt,
        "expected_quarantine": eq,
    }


def _prepare_out_dir(out_dir: Path, force: bool) -> None:
    # the daily-batch layout's version (ecomseg.batches) also removes <table>/ folders
    from ecomseg import batches

    batches._prepare_out_dir(out_dir, force)


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
