"""The fixed Acme product catalog and the name lists the seed generator draws from."""

from __future__ import annotations

from tools.models import Product

# (sku, name, category, description, price_cents, return_window_days)
_CATALOG: tuple[tuple[str, str, str, str, int, int], ...] = (
    ("HP-100", "Aurora Wireless Headphones", "headphones",
     "Over-ear noise-cancelling headphones with 30 hours of battery", 14999, 30),
    ("HP-110", "Aurora Lite Headphones", "headphones",
     "Lightweight on-ear Bluetooth headphones that fold flat", 7999, 30),
    ("HP-120", "Pulse Sport Earbuds", "headphones",
     "Sweat-resistant wireless earbuds with ear hooks", 5999, 30),
    ("HP-130", "Pulse Pro Earbuds", "headphones",
     "Noise-cancelling earbuds with a wireless charging case", 12999, 30),
    ("HP-140", "Studio Monitor Headphones", "headphones",
     "Wired closed-back headphones for mixing and podcasts", 9999, 30),
    ("HP-150", "Kids Safe Headphones", "headphones",
     "Volume-limited headphones sized for children", 2999, 30),
    ("HP-160", "Sleep Band Headphones", "headphones",
     "Soft headband with flat speakers for sleeping", 3999, 30),
    ("HP-170", "Gaming Headset X", "headphones",
     "Surround-sound gaming headset with a detachable microphone", 8999, 30),
    ("CH-200", "Wireless Charger Pad", "chargers",
     "Fifteen-watt Qi charging pad for phones and earbuds", 2999, 30),
    ("CH-210", "Three-in-One Charging Stand", "chargers",
     "Charges a phone, a watch and earbuds at the same time", 6999, 30),
    ("CH-220", "USB-C Fast Charger 65W", "chargers",
     "Compact wall charger that powers laptops and phones", 4499, 30),
    ("CH-230", "Car Charger Duo", "chargers",
     "Two-port car charger with USB-C and USB-A", 1999, 30),
    ("CH-240", "Power Bank 20000", "chargers",
     "High-capacity portable battery with two USB-C ports", 5499, 30),
    ("CH-250", "Travel Charger Kit", "chargers",
     "Wall charger with plug adapters for Europe, the UK and Asia", 3999, 30),
    ("CB-260", "USB-C Cable 2m", "chargers",
     "Braided USB-C to USB-C cable, two meters", 1499, 30),
    ("CB-270", "Lightning Cable 1m", "chargers",
     "Braided USB-C to Lightning cable, one meter", 1299, 30),
    ("SH-300", "Smart Plug Mini", "smart home",
     "Wi-Fi plug that switches lamps and appliances by voice or app", 1999, 30),
    ("SH-310", "Smart Bulb Color", "smart home",
     "Dimmable color light bulb with schedules and scenes", 2499, 30),
    ("SH-320", "Video Doorbell", "smart home",
     "HD video doorbell with motion alerts and two-way talk", 12999, 30),
    ("SH-330", "Indoor Security Camera", "smart home",
     "1080p indoor camera with night vision and privacy shutter", 4999, 30),
    ("SH-340", "Smart Thermostat", "smart home",
     "Learning thermostat that saves energy when you are away", 17999, 30),
    ("SH-350", "Smart Speaker Mini", "smart home",
     "Compact voice-controlled speaker for music and timers", 4999, 30),
    ("SH-360", "Window and Door Sensor", "smart home",
     "Contact sensor that alerts you when a door or window opens", 1999, 30),
    ("SH-370", "Smart Lock", "smart home",
     "Keyless deadbolt with keypad, app and auto-lock", 19999, 30),
    ("KT-400", "Electric Kettle", "kitchen",
     "1.7-liter stainless kettle with temperature presets", 5999, 60),
    ("KT-410", "Pour-Over Coffee Maker", "kitchen",
     "Glass pour-over brewer with a reusable steel filter", 3499, 60),
    ("KT-420", "Blender Pro 1200", "kitchen",
     "1200-watt blender for smoothies, soups and crushed ice", 9999, 60),
    ("KT-430", "Air Fryer 5 Quart", "kitchen",
     "Five-quart air fryer with eight cooking presets", 8999, 60),
    ("KT-440", "Chef Knife 8 Inch", "kitchen",
     "Forged stainless chef knife with a full tang", 6999, 60),
    ("KT-450", "Digital Kitchen Scale", "kitchen",
     "Precise scale that weighs up to five kilograms", 2499, 60),
    ("KT-460", "Cast Iron Skillet", "kitchen",
     "Pre-seasoned 12-inch cast iron pan", 3999, 60),
    ("KT-470", "Espresso Machine", "kitchen",
     "Fifteen-bar espresso machine with a milk frother", 24999, 60),
    ("SP-500", "Boom Portable Speaker", "speakers",
     "Waterproof Bluetooth speaker with 24 hours of playtime", 7999, 30),
    ("SP-510", "Boom Mini Speaker", "speakers",
     "Pocket-size Bluetooth speaker with a clip", 3499, 30),
    ("SP-520", "Soundbar 2.1", "speakers",
     "TV soundbar with a wireless subwoofer", 19999, 30),
    ("SP-530", "Bookshelf Speakers", "speakers",
     "Pair of powered bookshelf speakers with Bluetooth", 14999, 30),
    ("SP-540", "Party Speaker Max", "speakers",
     "Loud party speaker with lights and a microphone input", 29999, 30),
    ("SP-550", "Shower Speaker", "speakers",
     "Water-resistant speaker with a suction cup", 2499, 30),
    ("SP-560", "Turntable Classic", "speakers",
     "Belt-drive record player with built-in speakers", 11999, 30),
    ("SP-570", "Outdoor Speaker Pair", "speakers",
     "Weatherproof speakers for patios and gardens", 17999, 30),
)  # fmt: skip

# Products that are out of stock in every generated data set.
OUT_OF_STOCK = frozenset({"HP-160", "SH-370", "KT-470"})

FIRST_NAMES = (
    "Avery", "Blake", "Casey", "Dana", "Elliot", "Frankie", "Harper", "Jamie", "Kendall", "Logan",
    "Morgan", "Noor", "Parker", "Quinn", "Reese", "Rowan", "Skyler", "Taylor", "Wei", "Yara",
    "Amara", "Diego", "Hana", "Ivan", "Kofi", "Lucia", "Mateo", "Priya", "Sofia", "Tomas",
)  # fmt: skip
LAST_NAMES = (
    "Anderson", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Johnson",
    "Kim", "Lopez", "Martin", "Nguyen", "Okafor", "Park", "Quinn", "Reyes", "Singh", "Thompson",
    "Ueda", "Vargas", "Walker", "Xu", "Young", "Zimmerman", "Novak", "Haddad", "Silva", "Moreau",
)  # fmt: skip
STREET_NAMES = (
    "Main Street", "Oak Avenue", "Maple Drive", "Cedar Lane", "Pine Street", "Elm Court",
    "Lakeview Road", "Sunset Boulevard", "Hillcrest Way", "Park Place", "River Road",
    "Mission Street", "Valencia Street", "Broadway", "Highland Avenue", "Willow Lane",
)  # fmt: skip
# (city, state, ZIP code, area code)
CITIES = (
    ("San Francisco", "CA", "94110", "415"), ("Oakland", "CA", "94612", "510"),
    ("Los Angeles", "CA", "90026", "213"), ("Seattle", "WA", "98103", "206"),
    ("Portland", "OR", "97214", "503"), ("Denver", "CO", "80205", "303"),
    ("Austin", "TX", "78704", "512"), ("Chicago", "IL", "60614", "312"),
    ("Minneapolis", "MN", "55408", "612"), ("Boston", "MA", "02139", "617"),
    ("Brooklyn", "NY", "11215", "718"), ("Philadelphia", "PA", "19103", "215"),
    ("Atlanta", "GA", "30307", "404"), ("Miami", "FL", "33131", "305"),
    ("Nashville", "TN", "37206", "615"), ("Phoenix", "AZ", "85004", "602"),
)  # fmt: skip
CARRIERS = ("UPS", "FedEx", "USPS")


def catalog() -> tuple[Product, ...]:
    """Return the catalog products; stock is fixed so demos are repeatable."""
    return tuple(
        Product(
            sku=sku,
            name=name,
            category=category,
            description=description,
            price_cents=price,
            stock=0 if sku in OUT_OF_STOCK else 5 + (sum(map(ord, sku)) * 7) % 120,
        )
        for sku, name, category, description, price, _window in _CATALOG
    )


def return_windows() -> dict[str, int]:
    """Return the return window in days for each SKU."""
    return {row[0]: row[5] for row in _CATALOG}
