"""Constants, reference data, the configuration and the small vectorised helpers every stage uses."""

from __future__ import annotations

import datetime as _dt
import zlib
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecomseg import contract

GENERATOR_VERSION = 2  # 2: person-level purchase drivers (PRE_PURCHASE_LIFT)
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
    ("added_to_cart", "the session has at least one add_to_cart event", 0.22, 6.0),
    ("viewed_3plus_products", "the session has at least three product_view events", 0.22, 2.5),
    ("used_search", "the session has at least one search event", 0.15, 2.0),
    ("came_from_email", "the session's traffic_source maps to email (raw 'email' or 'newsletter')", 0.05, 3.0),
]
DRIVER_RATE_DEFINITION = (
    "unit: one row of sessions; a purchase session has a purchase event (its session_id is on an order); "
    "relative rate = purchase sessions / sessions among sessions WITH the behaviour, divided by the "
    "same share among sessions WITHOUT it")
BOUNCE_SHARE = 0.55  # share of non-purchase sessions that are a single page view

#: Person-level purchase drivers (the scorecard's unit, docs/scoring.md): a customer's non-purchase
#: sessions in the PRE_PURCHASE_DAYS days before one of their (non-cancelled) orders show each
#: behaviour this many times as often as their other non-purchase sessions, so behaviour in the
#: last days before a date d raises the odds of a purchase in the days after d. The overall share of
#: non-purchase sessions with the behaviour stays PURCHASE_DRIVERS' one (the per-session drivers hold).
PRE_PURCHASE_DAYS = 14
PRE_PURCHASE_LIFT = {"added_to_cart": 15.0, "came_from_email": 4.0, "viewed_3plus_products": 2.5,
                     "used_search": 1.25}
#: The scorecard's defaults (dbt vars) the person-level drivers are measured at in ground_truth.json.
SCORECARD_UNIT = {"snapshot_count": 12, "snapshot_spacing_days": 14, "horizon_days": 14,
                  "population_days": 365, "recent_days": 14}
PERSON_DRIVER_DEFINITION = (
    "unit: the scorecard's (docs/scoring.md): a person (a customer: the sessions logged in as them and every "
    "session of a visitor id ever logged in as them; or an anonymous visitor id) at a snapshot date d (end_date - horizon_days - k x snapshot_spacing_days, k = 0.. "
    "snapshot_count - 1) with a visit dated in [d - population_days, d]; has the behaviour: at least one session "
    "with it dated in (d - recent_days, d] and after the date of the person's latest non-cancelled order dated on "
    "or before d (the scorecard's recent_* behaviours); buys: a non-cancelled order dated in (d, d + horizon_days]; "
    "likelihood_ratio = share with the behaviour among (person, d) that buy / among those that do not "
    "(= exp(weight of evidence of the behaviour's 'yes' band), unsmoothed), measured on the generated shop "
    "(before dirt); planted_pre_purchase_lift = P(behaviour | a customer's non-purchase session in the "
    "PRE_PURCHASE_DAYS days before their order) / P(behaviour | other non-purchase session)")

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
