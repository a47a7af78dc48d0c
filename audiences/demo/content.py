"""What the Globetrot demo is made of: real cities, destinations, videos, packages, devices.

Cities carry their real coordinates, so location criteria (equals a city, within a radius)
give sensible answers on the demo data.
"""

from __future__ import annotations

from dataclasses import dataclass

# The demo account's workspaces and their inputs: (workspace, input name, platform).
US, EU, CRM = "Globetrot US", "Globetrot EU", "Globetrot CRM"
WORKSPACES = (US, EU, CRM)
INPUTS = (
    (US, "iOS", "ios"),
    (US, "Android", "android"),
    (US, "Web", "web"),
    (EU, "iOS", "ios"),
    (EU, "Android", "android"),
    (EU, "Web", "web"),
    (CRM, "CRM partner feed", "feed"),
)
PLATFORM_INPUT = {"ios": "iOS", "android": "Android", "web": "Web"}
APP_NAME = "Globetrot"


@dataclass(frozen=True)
class City:
    name: str
    state: str
    zip: str
    country: str
    latitude: float
    longitude: float
    dma: str | None = None  # DMA (designated market area) is a US notion
    weight: int = 1


US_CITIES = (
    City("New York", "NY", "10001", "US", 40.7128, -74.0060, "New York", 9),
    City("Los Angeles", "CA", "90012", "US", 34.0522, -118.2437, "Los Angeles", 6),
    City("Chicago", "IL", "60601", "US", 41.8781, -87.6298, "Chicago", 4),
    City("Houston", "TX", "77002", "US", 29.7604, -95.3698, "Houston", 3),
    City("Phoenix", "AZ", "85004", "US", 33.4484, -112.0740, "Phoenix (Prescott)", 2),
    City("Philadelphia", "PA", "19107", "US", 39.9526, -75.1652, "Philadelphia", 2),
    City("San Antonio", "TX", "78205", "US", 29.4241, -98.4936, "San Antonio", 1),
    City("San Diego", "CA", "92101", "US", 32.7157, -117.1611, "San Diego", 2),
    City("Dallas", "TX", "75201", "US", 32.7767, -96.7970, "Dallas-Ft. Worth", 3),
    City("San Francisco", "CA", "94103", "US", 37.7749, -122.4194, "San Francisco-Oakland-San Jose", 4),
    City("Seattle", "WA", "98101", "US", 47.6062, -122.3321, "Seattle-Tacoma", 3),
    City("Boston", "MA", "02108", "US", 42.3601, -71.0589, "Boston (Manchester)", 3),
    City("Miami", "FL", "33130", "US", 25.7617, -80.1918, "Miami-Ft. Lauderdale", 3),
    City("Denver", "CO", "80202", "US", 39.7392, -104.9903, "Denver", 2),
    City("Atlanta", "GA", "30303", "US", 33.7490, -84.3880, "Atlanta", 3),
    City("Austin", "TX", "78701", "US", 30.2672, -97.7431, "Austin", 2),
    City("Portland", "OR", "97204", "US", 45.5152, -122.6784, "Portland, OR", 1),
    City("Nashville", "TN", "37203", "US", 36.1627, -86.7816, "Nashville", 1),
    City("Minneapolis", "MN", "55401", "US", 44.9778, -93.2650, "Minneapolis-St. Paul", 2),
    City("Washington", "DC", "20001", "US", 38.9072, -77.0369, "Washington, DC (Hagerstown)", 3),
)

EU_CITIES = (
    City("London", "England", "EC1A 1BB", "GB", 51.5074, -0.1278, weight=8),
    City("Paris", "Ile-de-France", "75001", "FR", 48.8566, 2.3522, weight=6),
    City("Berlin", "Berlin", "10117", "DE", 52.5200, 13.4050, weight=5),
    City("Madrid", "Community of Madrid", "28013", "ES", 40.4168, -3.7038, weight=4),
    City("Rome", "Lazio", "00184", "IT", 41.9028, 12.4964, weight=4),
    City("Amsterdam", "North Holland", "1012 JS", "NL", 52.3676, 4.9041, weight=3),
    City("Dublin", "Leinster", "D02 X285", "IE", 53.3498, -6.2603, weight=2),
    City("Lisbon", "Lisbon", "1100-148", "PT", 38.7223, -9.1393, weight=2),
    City("Vienna", "Vienna", "1010", "AT", 48.2082, 16.3738, weight=2),
    City("Munich", "Bavaria", "80331", "DE", 48.1351, 11.5820, weight=3),
    City("Milan", "Lombardy", "20121", "IT", 45.4642, 9.1900, weight=3),
    City("Barcelona", "Catalonia", "08002", "ES", 41.3874, 2.1686, weight=3),
    City("Stockholm", "Stockholm County", "111 29", "SE", 59.3293, 18.0686, weight=2),
    City("Copenhagen", "Capital Region", "1050", "DK", 55.6761, 12.5683, weight=2),
    City("Brussels", "Brussels-Capital", "1000", "BE", 50.8503, 4.3517, weight=2),
    City("Warsaw", "Masovia", "00-001", "PL", 52.2297, 21.0122, weight=2),
    City("Prague", "Prague", "110 00", "CZ", 50.0755, 14.4378, weight=2),
    City("Manchester", "England", "M1 1AE", "GB", 53.4808, -2.2426, weight=2),
)


@dataclass(frozen=True)
class Destination:
    name: str
    country: str
    code: str
    package_price: float  # a 3-night package, in the account's currency
    weight: int


DESTINATIONS = (
    Destination("Paris", "France", "PAR", 689.0, 10),
    Destination("Rome", "Italy", "ROM", 599.0, 8),
    Destination("Tokyo", "Japan", "TYO", 1290.0, 7),
    Destination("New York", "United States", "NYC", 899.0, 7),
    Destination("London", "United Kingdom", "LON", 749.0, 6),
    Destination("Barcelona", "Spain", "BCN", 549.0, 6),
    Destination("Lisbon", "Portugal", "LIS", 479.0, 4),
    Destination("Bali", "Indonesia", "DPS", 1090.0, 4),
    Destination("Cancun", "Mexico", "CUN", 829.0, 4),
    Destination("Reykjavik", "Iceland", "REK", 959.0, 3),
    Destination("Kyoto", "Japan", "KYO", 1190.0, 3),
    Destination("Sydney", "Australia", "SYD", 1490.0, 2),
    Destination("Cape Town", "South Africa", "CPT", 1150.0, 2),
    Destination("Marrakech", "Morocco", "RAK", 520.0, 2),
    Destination("Bangkok", "Thailand", "BKK", 880.0, 3),
    Destination("Santorini", "Greece", "JTR", 990.0, 3),
)

VIDEO_CATEGORIES = ("Destination Intro", "Destination Guide", "Hotel Tour", "Food & Drink", "Adventure", "Nightlife")

SCREENS = ("Explore", "Destination", "Video Player", "Search", "Saved", "Account")

STATUSES = (("Free", 60), ("Trial", 15), ("Premium", 25))

FIRST_NAMES = (
    "Amelia", "Oliver", "Sofia", "Liam", "Emma", "Noah", "Mia", "Lucas", "Chloe", "Mateo",
    "Hannah", "Leon", "Isla", "Ethan", "Giulia", "Hugo", "Ava", "Finn", "Nora", "Jonas",
    "Lea", "Marco", "Zoe", "Elias", "Clara", "Samuel", "Maya", "Daniel", "Ines", "Jack",
    "Freya", "Tomas", "Grace", "Felix", "Alice", "Diego", "Julia", "Oscar", "Lina", "Henry",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Garcia", "Brown", "Rossi", "Martin", "Muller", "Dubois", "Silva", "Jansen",
    "Kowalski", "Novak", "Murphy", "Lopez", "Bianchi", "Schmidt", "Bernard", "Santos", "Nielsen", "Walsh",
    "Taylor", "Anderson", "Moreau", "Fischer", "Romano", "Costa", "Larsen", "Horvat", "Byrne", "Evans",
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

PUBLISHERS = (("Facebook", 30), ("Google Ads", 28), ("TikTok", 16), ("Apple Search Ads", 12), ("Snapchat", 6))
ANDROID_PUBLISHERS = tuple(pair for pair in PUBLISHERS if pair[0] != "Apple Search Ads")
CAMPAIGNS = ("Summer in Paris", "Tokyo Nights", "Weekend Escapes", "Spring Sale", "Rome for Two", "Win-back")

US_CARRIERS = ("Verizon", "AT&T", "T-Mobile")
EU_CARRIERS = ("Vodafone", "Orange", "O2", "Telefonica", "Telekom")

# (manufacturer, model, is_tablet)
IOS_DEVICES = (
    ("Apple", "iPhone16,2", False),
    ("Apple", "iPhone16,1", False),
    ("Apple", "iPhone15,2", False),
    ("Apple", "iPhone14,5", False),
    ("Apple", "iPhone13,2", False),
    ("Apple", "iPad13,18", True),
)
IOS_VERSIONS = ("17.5.1", "17.4", "17.6", "16.7.8", "18.0")
ANDROID_DEVICES = (
    ("Google", "Pixel 8", False),
    ("Google", "Pixel 7a", False),
    ("samsung", "SM-S921B", False),
    ("samsung", "SM-A546B", False),
    ("OnePlus", "CPH2449", False),
    ("Xiaomi", "2201117TG", False),
    ("samsung", "SM-X710", True),
)
ANDROID_VERSIONS = ("14", "13", "12")
APP_VERSIONS = ("4.1.3", "4.2.0")  # the release in the middle of the window is 4.2.0

CRASHES = {
    "ios": ("NSInternalInconsistencyException", "Invalid update: invalid number of rows in section 0"),
    "android": ("java.lang.NullPointerException", "Attempt to invoke virtual method on a null object reference"),
    "web": ("TypeError", "Cannot read properties of undefined (reading 'play')"),
}

GDPR_PURPOSES = ("analytics", "marketing", "personalisation")
EMAIL_CAMPAIGNS = ("Weekly Inspiration", "Flash Sale", "Your Saved Trips", "New Videos")
LOYALTY_TIERS = (("Bronze", 60), ("Silver", 28), ("Gold", 12))
