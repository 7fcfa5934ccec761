"""Demo listings for `seed_demo`: a category tree with attribute schemas and about fifty published listings of both
kinds from the demo sellers, with generated photos (Pillow, no network), spread over six cities.

Everything goes through `listings.services`, so the demo data passes the same checks as a seller's listing.
Idempotent: categories are found by slug and listings by seller and title, so a second run creates nothing.
"""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from community.models import Member
from listings import services
from listings.models import Category, Listing, ListingKind

PHOTO_SIZE = (800, 600)

# --- Categories ---------------------------------------------------------------------------------------------

CONDITION = {
    "name": "condition",
    "label": "Condition",
    "type": "choice",
    "choices": ["new", "like new", "used"],
    "required": True,
    "filterable": True,
}

# Each: slug, name, parent slug, description, attribute schema, tips, description templates.
CATEGORIES: list[dict[str, Any]] = [
    {
        "slug": "goods",
        "name": "Goods",
        "parent": None,
        "description": "Things made, restored or loved by members, to post or to collect.",
        "schema": [CONDITION],
        "tips": (
            "Say what it is made of, its size and its condition in the first two lines.\n"
            "Photograph it in daylight against a plain background, and show any wear honestly."
        ),
        "templates": [
            {
                "title": "What, size, condition",
                "body": "**What it is:** \n\n**Size:** \n\n**Condition:** \n\n**Postage or collection:** ",
            }
        ],
    },
    {
        "slug": "ceramics",
        "name": "Ceramics",
        "parent": "goods",
        "description": "Mugs, bowls, plates and planters from independent potters.",
        "schema": [
            {
                "name": "finish",
                "label": "Finish",
                "type": "choice",
                "choices": ["glazed", "unglazed", "raku"],
                "filterable": True,
            },
            {"name": "dishwasher_safe", "label": "Dishwasher safe", "type": "boolean"},
        ],
        "tips": (
            "Give the capacity of cups and bowls in ml and the diameter of plates in cm.\n"
            "Say whether it is food safe, dishwasher safe and microwave safe."
        ),
        "templates": [
            {
                "title": "Handmade pottery",
                "body": (
                    "Hand-thrown in [clay body] and glazed in [glaze].\n\n"
                    "- Capacity: [ml]\n- Height: [cm]\n- Food safe: yes\n- Dishwasher safe: [yes/no]\n\n"
                    "Every piece is a little different; the one in the photos is the one you get."
                ),
            },
            {
                "title": "Set of pieces",
                "body": "A set of [number] [pieces] that belong together.\n\nEach piece measures [size]. ",
            },
        ],
    },
    {
        "slug": "clothing",
        "name": "Clothing",
        "parent": "goods",
        "description": "Handmade, upcycled and pre-loved clothes and accessories.",
        "schema": [
            {
                "name": "size",
                "label": "Size",
                "type": "choice",
                "choices": ["S", "M", "L", "XL"],
                "required": True,
                "filterable": True,
            },
            {"name": "material", "label": "Material", "type": "text"},
        ],
        "tips": (
            "Add measurements (chest, length, sleeve) as well as the size: sizes differ between makers.\n"
            "Mention the fabric and how to wash it."
        ),
        "templates": [
            {
                "title": "Garment with measurements",
                "body": (
                    "[What it is], made from [fabric].\n\n"
                    "- Chest: [cm]\n- Length: [cm]\n- Sleeve: [cm]\n\nCare: [how to wash it]."
                ),
            }
        ],
    },
    {
        "slug": "home",
        "name": "Home",
        "parent": "goods",
        "description": "Furniture, textiles, candles and things for the kitchen and garden.",
        "schema": [
            {
                "name": "room",
                "label": "Room",
                "type": "choice",
                "choices": ["kitchen", "living room", "bedroom", "bathroom", "garden"],
                "filterable": True,
            },
            {"name": "material", "label": "Material", "type": "text"},
        ],
        "tips": "Give the dimensions (width × depth × height) and say whether it needs collecting or can be posted.",
        "templates": [
            {
                "title": "Furniture",
                "body": (
                    "[What it is] in [material].\n\n"
                    "- Width × depth × height: [cm]\n- Condition: [any marks or repairs]\n\n"
                    "Collection from [area]; I can help load it into a car."
                ),
            }
        ],
    },
    {
        "slug": "services",
        "name": "Services",
        "parent": None,
        "description": "Lessons, repairs and skills offered by members, booked by the hour.",
        "schema": [{"name": "online", "label": "Also offered online", "type": "boolean", "filterable": True}],
        "tips": (
            "Say who it is for, what people leave with, and what they need to bring.\n"
            "Be clear about where it happens and how long a session lasts."
        ),
        "templates": [
            {
                "title": "Who, what, where",
                "body": "**Who it is for:** \n\n**What you get:** \n\n**Where:** \n\n**What to bring:** ",
            }
        ],
    },
    {
        "slug": "lessons",
        "name": "Lessons",
        "parent": "services",
        "description": "Learn a craft, a language or an instrument from someone who does it every day.",
        "schema": [
            {
                "name": "skill_level",
                "label": "Skill level",
                "type": "choice",
                "choices": ["beginner", "intermediate", "advanced"],
                "required": True,
                "filterable": True,
            },
            {
                "name": "session_minutes",
                "label": "Session length (minutes)",
                "type": "integer",
                "min": 15,
                "max": 480,
                "required": True,
            },
        ],
        "tips": (
            "Describe a typical session from start to finish.\n"
            "Say how many people you teach at once and whether materials are included in the price."
        ),
        "templates": [
            {
                "title": "A lesson",
                "body": (
                    "A [length] lesson for [level] learners.\n\n"
                    "**In a session we:**\n\n- [first]\n- [second]\n- [third]\n\n"
                    "Materials: [included or what to bring]."
                ),
            },
            {
                "title": "A course of lessons",
                "body": "A course of [number] weekly sessions. By the end you can [outcome].\n\n",
            },
        ],
    },
    {
        "slug": "repairs",
        "name": "Repairs",
        "parent": "services",
        "description": "Mending, fixing and servicing, so things last longer.",
        "schema": [
            {
                "name": "repair_type",
                "label": "What is repaired",
                "type": "choice",
                "choices": ["bicycle", "clothing", "furniture", "electronics", "jewellery"],
                "required": True,
                "filterable": True,
            },
            {"name": "home_visit", "label": "Home visits", "type": "boolean"},
        ],
        "tips": "List the repairs you do most often and what usually costs extra (parts, postage).",
        "templates": [
            {
                "title": "Repair service",
                "body": (
                    "I repair [things]. Most jobs take [time].\n\n**Included:** [labour, checks]\n\n**Extra:** [parts]"
                ),
            }
        ],
    },
    {
        "slug": "rentals",
        "name": "Rentals",
        "parent": None,
        "description": "Borrow tools and book spaces from neighbours instead of buying.",
        "schema": [{"name": "deposit_required", "label": "Deposit required", "type": "boolean"}],
        "tips": (
            "Say what is included, how collection and return work, and any deposit.\n"
            "Keep your availability up to date so nobody books a day you are away."
        ),
        "templates": [
            {
                "title": "Rental terms",
                "body": "**Included:** \n\n**Collection and return:** \n\n**Deposit:** ",
            }
        ],
    },
    {
        "slug": "tools",
        "name": "Tools",
        "parent": "rentals",
        "description": "Power tools, ladders and garden machines by the day.",
        "schema": [
            {
                "name": "tool_type",
                "label": "Type of tool",
                "type": "choice",
                "choices": ["power tool", "garden", "decorating", "ladder", "woodworking"],
                "required": True,
                "filterable": True,
            }
        ],
        "tips": "Mention the brand, the model and what accessories come with it (blades, bits, batteries).",
        "templates": [
            {
                "title": "Tool hire",
                "body": (
                    "[Brand and model], in good working order.\n\n"
                    "- Comes with: [accessories]\n- Good for: [jobs]\n\nA quick demonstration at collection."
                ),
            }
        ],
    },
    {
        "slug": "spaces",
        "name": "Spaces",
        "parent": "rentals",
        "description": "Studios, workshops, kitchens and rooms by the hour, day or night.",
        "schema": [
            {
                "name": "space_type",
                "label": "Type of space",
                "type": "choice",
                "choices": ["studio", "workshop", "kitchen", "meeting room", "terrace", "cabin"],
                "required": True,
                "filterable": True,
            },
            {"name": "area_m2", "label": "Area (m²)", "type": "integer", "min": 1, "max": 5000},
        ],
        "tips": "Give the size, the number of people it suits, access (stairs, parking) and what equipment is there.",
        "templates": [
            {
                "title": "A space to book",
                "body": (
                    "A [size] [kind of space] in [area] for up to [number] people.\n\n"
                    "- Equipment: [list]\n- Access: [stairs, parking]\n- Not allowed: [rules]"
                ),
            }
        ],
    },
]

# --- Places and sellers -------------------------------------------------------------------------------------

# Demo sellers, in the order `seed_demo` passes them: seller@ (Bristol), seller2@ (Leeds), mentor@ (York),
# ambassador@ (Madrid). London is Sam's second patch and Manchester Selma's.
SELLER_FOR_CITY = {"Bristol": 0, "London": 0, "Leeds": 1, "Manchester": 1, "York": 2, "Madrid": 3}

PLACES: dict[str, tuple[str, float, float]] = {
    "Stokes Croft": ("Bristol", 51.4655, -2.5890),
    "Clifton": ("Bristol", 51.4620, -2.6200),
    "Southville": ("Bristol", 51.4440, -2.6030),
    "Bedminster": ("Bristol", 51.4400, -2.6000),
    "Headingley": ("Leeds", 53.8190, -1.5770),
    "Chapel Allerton": ("Leeds", 53.8290, -1.5380),
    "Kirkstall": ("Leeds", 53.8160, -1.6000),
    "York city centre": ("York", 53.9590, -1.0815),
    "Bishopthorpe Road": ("York", 53.9480, -1.0850),
    "Acomb": ("York", 53.9550, -1.1280),
    "Malasaña": ("Madrid", 40.4260, -3.7050),
    "Lavapiés": ("Madrid", 40.4086, -3.7010),
    "Chamberí": ("Madrid", 40.4340, -3.7040),
    "Hackney": ("London", 51.5450, -0.0553),
    "Peckham": ("London", 51.4740, -0.0690),
    "Walthamstow": ("London", 51.5830, -0.0200),
    "Brixton": ("London", 51.4613, -0.1156),
    "Northern Quarter": ("Manchester", 53.4840, -2.2350),
    "Ancoats": ("Manchester", 53.4840, -2.2260),
    "Didsbury": ("Manchester", 53.4160, -2.2310),
    "Chorlton": ("Manchester", 53.4420, -2.2770),
}

# Weekly plans: (weekdays, start hour, end hour); weekday 0 is Monday.
PLANS: dict[str, list[tuple[tuple[int, ...], int, int]]] = {
    "weekdays": [((0, 1, 2, 3, 4), 9, 17)],
    "evenings": [((0, 1, 2, 3), 18, 21)],
    "weekends": [((5, 6), 10, 16)],
    "evenings_weekends": [((1, 3), 18, 21), ((5,), 10, 16)],
    "every_day": [((0, 1, 2, 3, 4, 5, 6), 8, 20)],
    "mornings": [((1, 3, 5), 8, 12)],
}


@dataclass
class Spec:
    category: str
    title: str
    description: str
    place: str
    price: int  # minor units
    attributes: dict[str, Any]
    tags: list[str]
    photos: int = 1
    kind: str = ListingKind.ITEM
    # items
    quantity: int = 1
    ships: bool = False
    pickup: bool = True
    # bookings
    unit: str = "hour"
    plan: str = "weekdays"
    capacity: int = 1
    lead_time_hours: int = 24
    max_advance_days: int = 90
    blocked_days_ahead: list[int] = field(default_factory=list)


def item(category: str, title: str, description: str, place: str, price: int, attributes: dict, tags: list, **kw):
    return Spec(category, title, description, place, price, attributes, tags, kind=ListingKind.ITEM, **kw)


def booking(category: str, title: str, description: str, place: str, price: int, attributes: dict, tags: list, **kw):
    return Spec(category, title, description, place, price, attributes, tags, kind=ListingKind.BOOKING, **kw)


LISTINGS: list[Spec] = [
    # --- Goods › Ceramics
    item(
        "ceramics",
        "Hand-thrown stoneware mugs, set of two",
        "Two chunky stoneware mugs thrown on the wheel in my Stokes Croft studio and dipped in a deep teal glaze "
        "that breaks to brown on the rims.\n\n- Capacity: 350 ml each\n- Height: 10 cm\n- Dishwasher and "
        "microwave safe\n\nPosted in recycled packaging, or collect from the studio.",
        "Stokes Croft",
        3800,
        {"condition": "new", "finish": "glazed", "dishwasher_safe": True},
        ["mug", "stoneware", "handmade", "gift"],
        photos=3,
        quantity=6,
        ships=True,
    ),
    item(
        "ceramics",
        "Speckled oatmeal serving bowl",
        "A wide, shallow serving bowl in speckled oatmeal stoneware, 28 cm across: big enough for a salad for "
        "six or a loaf of bread. Satin glaze inside, bare clay foot, food safe.",
        "Southville",
        4500,
        {"condition": "new", "finish": "glazed", "dishwasher_safe": True},
        ["bowl", "stoneware", "kitchen"],
        photos=2,
        quantity=3,
        ships=True,
    ),
    item(
        "ceramics",
        "Raku-fired tea bowl with crackle glaze",
        "A small tea bowl fired in my backyard raku kiln in York. The white crackle glaze is smoked black in the "
        "cracks, so no two are alike. Decorative and for tea: hand wash only, not for the microwave.",
        "Bishopthorpe Road",
        6000,
        {"condition": "new", "finish": "raku", "dishwasher_safe": False},
        ["raku", "tea", "bowl", "one-off"],
        photos=2,
        ships=True,
    ),
    item(
        "ceramics",
        "Unglazed terracotta herb planters, set of three",
        "Three small terracotta pots with drainage holes and matching saucers, made for a sunny kitchen "
        "windowsill. Each is 11 cm tall. Unglazed so the roots breathe; sold empty, herbs not included.",
        "Kirkstall",
        2400,
        {"condition": "new", "finish": "unglazed", "dishwasher_safe": False},
        ["planter", "terracotta", "herbs", "garden"],
        quantity=5,
        ships=True,
    ),
    item(
        "ceramics",
        "Blue celadon dinner plates, set of four",
        "Four porcelain dinner plates, 27 cm across, in a pale blue celadon glaze that pools darker where the "
        "throwing lines are. Everyday plates: dishwasher safe and sturdy. Collection from Hackney or posted "
        "double-boxed.",
        "Hackney",
        9600,
        {"condition": "new", "finish": "glazed", "dishwasher_safe": True},
        ["plates", "porcelain", "tableware"],
        photos=3,
        quantity=2,
        ships=True,
    ),
    item(
        "ceramics",
        "Talavera-style painted fruit bowl",
        "A hand-painted fruit bowl in the Talavera tradition, blue and yellow flowers on a white tin glaze, "
        "bought in Toledo and used on our table for a summer. No chips or cracks. Pick it up near Lavapiés metro.",
        "Lavapiés",
        5500,
        {"condition": "like new", "finish": "glazed", "dishwasher_safe": False},
        ["talavera", "bowl", "painted", "spanish"],
        photos=2,
    ),
    item(
        "ceramics",
        "Vintage studio pottery jug, 1970s",
        "A tall brown and cream studio pottery jug from the 1970s with an impressed maker's mark on the base. "
        "A tiny glaze nibble on the spout (see the second photo), otherwise sound. Lovely with dried flowers.",
        "Chorlton",
        3200,
        {"condition": "used", "finish": "glazed"},
        ["vintage", "jug", "studio-pottery"],
        photos=2,
    ),
    # --- Goods › Clothing
    item(
        "clothing",
        "Hand-knitted Aran wool jumper",
        "A traditional Aran jumper hand-knitted in undyed cream wool from a Yorkshire flock: cables, honeycomb "
        "and moss stitch. Chest 108 cm, length 68 cm. Warm enough for a winter walk on the walls without a coat.",
        "York city centre",
        8500,
        {"condition": "new", "size": "M", "material": "British wool"},
        ["knitwear", "wool", "handmade", "aran"],
        photos=3,
        ships=True,
    ),
    item(
        "clothing",
        "Upcycled denim chore jacket",
        "A boxy chore jacket cut from three pairs of rescued jeans, patched on purpose, with four patch pockets "
        "and corozo buttons. Chest 120 cm, a relaxed L. Machine wash cold and it only gets better.",
        "Bedminster",
        7000,
        {"condition": "new", "size": "L", "material": "recycled denim"},
        ["upcycled", "denim", "jacket"],
        photos=2,
        ships=True,
    ),
    item(
        "clothing",
        "Linen summer dress in sage green",
        "A loose midi dress in washed sage-green linen with side pockets and a tie back, sewn in my Chamberí "
        "workroom. Size S (chest 88 cm, length 115 cm). Cool for a Madrid August and soft from the first wear.",
        "Chamberí",
        6500,
        {"condition": "new", "size": "S", "material": "linen"},
        ["linen", "dress", "summer", "handmade"],
        photos=2,
        quantity=2,
        ships=True,
    ),
    item(
        "clothing",
        "Waxed cotton field jacket, barely worn",
        "Olive waxed cotton jacket with a corduroy collar and tartan lining, size XL. Worn twice, then I moved to "
        "a warmer city. Re-waxed this autumn, no tears. Collection from Chapel Allerton or posted tracked.",
        "Chapel Allerton",
        6000,
        {"condition": "like new", "size": "XL", "material": "waxed cotton"},
        ["jacket", "outdoor", "preloved"],
        ships=True,
    ),
    item(
        "clothing",
        "Block-printed cotton kimono robe",
        "A light cotton kimono robe hand block-printed with indigo leaves, knee length with a matching belt. "
        "One size that fits like an M. Perfect after a swim or on a slow Sunday morning.",
        "Peckham",
        4800,
        {"condition": "new", "size": "M", "material": "cotton"},
        ["kimono", "block-print", "loungewear"],
        photos=2,
        quantity=4,
        ships=True,
    ),
    item(
        "clothing",
        "Merino beanie and scarf set",
        "A ribbed beanie and a long matching scarf knitted in soft mustard merino, warm without the itch. "
        "The beanie stretches to fit most adults; the scarf is 180 cm long. Hand wash cool and dry flat.",
        "Northern Quarter",
        3400,
        {"condition": "new", "size": "M", "material": "merino wool"},
        ["merino", "scarf", "beanie", "winter"],
        quantity=8,
        ships=True,
    ),
    item(
        "clothing",
        "Vintage 90s charcoal wool overcoat",
        "A long charcoal overcoat from the nineties, 80% wool, fully lined, with a single vent. Size L with room "
        "for a jumper underneath. Some wear at the cuffs, shown in the photos; dry-cleaned and ready to go.",
        "Headingley",
        5500,
        {"condition": "used", "size": "L", "material": "wool blend"},
        ["vintage", "overcoat", "preloved"],
        photos=3,
    ),
    # --- Goods › Home
    item(
        "home",
        "Reclaimed oak chopping board",
        "A thick chopping board made from a York church pew, planed, oiled with food-safe linseed and finished "
        "with a juice groove. 45 × 28 × 3 cm. Heavy enough not to slide around the worktop.",
        "Bishopthorpe Road",
        4200,
        {"condition": "new", "room": "kitchen", "material": "reclaimed oak"},
        ["chopping-board", "oak", "reclaimed", "kitchen"],
        photos=2,
        quantity=3,
        ships=True,
    ),
    item(
        "home",
        "Hand-poured soy candles, three scents",
        "Three soy wax candles in amber glass jars: fig and cedar, sea salt and sage, and smoked orange. About 40 "
        "hours of burning each, cotton wicks, no paraffin. Poured in small batches in Clifton.",
        "Clifton",
        2700,
        {"condition": "new", "room": "living room", "material": "soy wax"},
        ["candles", "soy", "gift"],
        quantity=12,
        ships=True,
    ),
    item(
        "home",
        "Large macramé wall hanging",
        "A large macramé wall hanging knotted from recycled cotton cord on a driftwood branch from the coast of "
        "Cádiz. 90 cm wide and 120 cm long. It softens a bare wall above a sofa or a bed.",
        "Malasaña",
        7500,
        {"condition": "new", "room": "living room", "material": "recycled cotton"},
        ["macrame", "wall-hanging", "boho"],
        photos=2,
    ),
    item(
        "home",
        "Restored mid-century teak side table",
        "A 1960s teak side table with a magazine shelf, sanded back, repaired at one joint and oiled. "
        "50 × 40 × 55 cm. Collection from Ancoats; I can help carry it down to a car.",
        "Ancoats",
        14000,
        {"condition": "like new", "room": "living room", "material": "teak"},
        ["mid-century", "furniture", "teak", "restored"],
        photos=3,
    ),
    item(
        "home",
        "Woven seagrass storage baskets, pair",
        "Two lidded seagrass baskets woven by hand, 35 and 30 cm tall, for blankets, toys or laundry. Strong "
        "rope handles. Bought for a flat that turned out to be too small; never used.",
        "Walthamstow",
        3600,
        {"condition": "like new", "room": "bedroom", "material": "seagrass"},
        ["storage", "basket", "seagrass"],
        ships=True,
    ),
    item(
        "home",
        "Repainted cast iron garden bench",
        "A heavy Victorian-style cast iron garden bench, stripped, primed and repainted in racing green, with new "
        "hardwood slats. Seats two comfortably. Collection only from Kirkstall: it needs two people to lift.",
        "Kirkstall",
        18000,
        {"condition": "used", "room": "garden", "material": "cast iron and iroko"},
        ["garden", "bench", "cast-iron"],
        photos=2,
    ),
    item(
        "home",
        "Linen tea towels printed with Yorkshire birds",
        "Screen-printed linen tea towels with curlews, lapwings and red kites from the Yorkshire Dales, printed "
        "by hand with water-based inks. 50 × 70 cm, hemmed with a hanging loop. Absorbent and quick to dry.",
        "York city centre",
        1800,
        {"condition": "new", "room": "kitchen", "material": "linen"},
        ["tea-towel", "screen-print", "yorkshire", "birds"],
        photos=2,
        quantity=20,
        ships=True,
    ),
    # --- Services › Lessons
    booking(
        "lessons",
        "Beginner wheel-throwing pottery lesson",
        "Two hours on the potter's wheel in my Stokes Croft studio, for up to two complete beginners. We centre, "
        "open and pull up cylinders, then trim the best one. Clay, glazes and firing included: you collect your "
        "glazed pieces three weeks later.",
        "Stokes Croft",
        4500,
        {"skill_level": "beginner", "session_minutes": 120, "online": False},
        ["pottery", "wheel", "lesson", "beginner"],
        photos=3,
        plan="evenings_weekends",
        capacity=2,
        lead_time_hours=48,
    ),
    booking(
        "lessons",
        "Spanish conversation classes with a native speaker",
        "Relaxed one-hour conversation classes in a café in Chamberí or online, for learners who already know "
        "the basics and want to speak with confidence. We pick topics you care about and I send notes of the "
        "new words after each class.",
        "Chamberí",
        2500,
        {"skill_level": "intermediate", "session_minutes": 60, "online": True},
        ["spanish", "language", "conversation", "online"],
        plan="weekdays",
        lead_time_hours=12,
    ),
    booking(
        "lessons",
        "Sourdough bread-making workshop",
        "A three-hour Saturday workshop in my York kitchen: feeding a starter, mixing, stretching and folding, "
        "shaping and baking in a Dutch oven. Up to six people. You go home with a loaf, a jar of starter and "
        "the timetable to bake on your own.",
        "Acomb",
        4000,
        {"skill_level": "beginner", "session_minutes": 180, "online": False},
        ["sourdough", "baking", "bread", "workshop"],
        photos=2,
        plan="weekends",
        capacity=6,
        lead_time_hours=72,
    ),
    booking(
        "lessons",
        "Guitar lessons for adult beginners",
        "Patient one-to-one guitar lessons for adults who always meant to learn. First chords, strumming "
        "patterns and a song you love within a month. Acoustic or electric; a spare guitar is available at my "
        "Headingley flat if you do not have one yet.",
        "Headingley",
        3000,
        {"skill_level": "beginner", "session_minutes": 60, "online": False},
        ["guitar", "music", "lesson"],
        plan="evenings",
    ),
    booking(
        "lessons",
        "Watercolour landscapes in small groups",
        "Paint the Mersey valley in watercolour with a group of five at most. Each two-hour session covers one "
        "technique (washes, wet-in-wet, dry brush, masking) and ends with a small finished painting. Paper and "
        "paints provided.",
        "Didsbury",
        2800,
        {"skill_level": "intermediate", "session_minutes": 120, "online": False},
        ["watercolour", "painting", "art", "group"],
        photos=2,
        plan="mornings",
        capacity=5,
    ),
    booking(
        "lessons",
        "Flamenco guitar technique for intermediate players",
        "One-hour flamenco guitar lessons in Lavapiés for players who know their chords: rasgueado, picado, "
        "alzapúa and the compás of soleá and bulerías. Bring your own guitar; a capo and a metronome help.",
        "Lavapiés",
        3500,
        {"skill_level": "intermediate", "session_minutes": 60, "online": False},
        ["flamenco", "guitar", "music", "madrid"],
        plan="evenings",
    ),
    booking(
        "lessons",
        "Python programming tutoring for GCSE and A level",
        "Online or in Brixton, one-hour tutoring in Python for GCSE and A level computer science: problem "
        "solving, the exam board's pseudocode, and the NEA project. I am a working software developer with "
        "enhanced DBS clearance.",
        "Brixton",
        4000,
        {"skill_level": "intermediate", "session_minutes": 60, "online": True},
        ["python", "programming", "tutoring", "online"],
        plan="evenings_weekends",
        lead_time_hours=12,
    ),
    booking(
        "lessons",
        "Life drawing sessions for confident artists",
        "Untutored life drawing with a professional model in a Clifton studio: short gestures to warm up, then "
        "two long poses. For artists who already draw from life; easels, boards and coffee provided, bring your "
        "own paper and media.",
        "Clifton",
        2000,
        {"skill_level": "advanced", "session_minutes": 150, "online": False},
        ["life-drawing", "art", "drawing"],
        photos=2,
        plan="evenings",
        capacity=12,
    ),
    # --- Services › Repairs
    booking(
        "repairs",
        "Bicycle service and tune-up",
        "A full bike service at my Chapel Allerton workshop: gears and brakes adjusted, wheels trued, chain "
        "cleaned and lubed, bearings checked, small repairs done on the spot. Most bikes are done in an hour; "
        "parts are extra and I always ask before fitting any.",
        "Chapel Allerton",
        3500,
        {"repair_type": "bicycle", "home_visit": False, "online": False},
        ["bicycle", "repair", "service"],
        photos=2,
        plan="weekdays",
    ),
    booking(
        "repairs",
        "Clothing alterations and invisible mending",
        "Hems taken up, waists taken in, zips replaced and moth holes mended invisibly on wool and cashmere. "
        "Book an hour for a fitting in Bedminster and we pin everything together; most alterations are ready "
        "within a week.",
        "Bedminster",
        2200,
        {"repair_type": "clothing", "home_visit": False, "online": False},
        ["alterations", "sewing", "mending"],
        plan="weekdays",
    ),
    booking(
        "repairs",
        "Chair re-caning and furniture repair",
        "Wobbly chairs reglued, broken spindles turned to match, and cane seats rewoven by hand in the "
        "traditional seven-step pattern. I quote the whole job after the first hour's assessment in Acomb.",
        "Acomb",
        3000,
        {"repair_type": "furniture", "home_visit": True, "online": False},
        ["furniture", "caning", "repair", "restoration"],
        photos=2,
        plan="mornings",
    ),
    booking(
        "repairs",
        "Laptop and phone screen repair",
        "Cracked phone and laptop screens replaced while you wait in the Northern Quarter, usually within the "
        "hour. Batteries and charging ports too. Data stays on your device and every repair has a 90-day "
        "warranty.",
        "Northern Quarter",
        4500,
        {"repair_type": "electronics", "home_visit": False, "online": False},
        ["phone", "laptop", "screen", "repair"],
        plan="every_day",
        lead_time_hours=2,
    ),
    booking(
        "repairs",
        "Jewellery repair: chains, clasps and resizing",
        "Snapped chains soldered, clasps replaced, rings resized and loose stones reset at my Hackney bench. "
        "Gold, silver and platinum. Bring the piece to a one-hour appointment and I will tell you what it needs.",
        "Hackney",
        3800,
        {"repair_type": "jewellery", "home_visit": False, "online": False},
        ["jewellery", "repair", "silver", "gold"],
        photos=2,
        plan="weekdays",
    ),
    booking(
        "repairs",
        "Mobile bike repair around central Madrid",
        "I come to you by cargo bike anywhere inside the M-30 with the tools and common parts: punctures, brake "
        "pads, gear cables, chains. Charged by the hour from arrival; most fixes take less than forty minutes.",
        "Malasaña",
        3000,
        {"repair_type": "bicycle", "home_visit": True, "online": False},
        ["bicycle", "mobile", "repair", "madrid"],
        photos=2,
        plan="every_day",
        lead_time_hours=4,
    ),
    booking(
        "repairs",
        "Darning and visible mending for knitwear",
        "Favourite jumpers saved with colourful visible mending: Swiss darning, woven patches and sashiko on "
        "elbows and cuffs. An hour covers one or two holes; I show you the stitch so you can do the next one.",
        "Chorlton",
        1800,
        {"repair_type": "clothing", "home_visit": False, "online": False},
        ["darning", "visible-mending", "knitwear", "sashiko"],
        plan="weekends",
    ),
    # --- Rentals › Tools
    booking(
        "tools",
        "Cordless hammer drill with bits",
        "An 18 V cordless hammer drill with two batteries, a charger and a case of wood, metal and masonry bits. "
        "Enough to put up shelves, curtain poles and a bike hook in a day. Collect and return in Southville.",
        "Southville",
        1200,
        {"tool_type": "power tool", "deposit_required": True},
        ["drill", "diy", "tools"],
        photos=2,
        unit="day",
        plan="every_day",
        max_advance_days=60,
        blocked_days_ahead=[10, 11],
    ),
    booking(
        "tools",
        "Self-propelled petrol lawnmower",
        "A self-propelled petrol lawnmower with a 46 cm cut and a grass box, serviced this spring. Full tank "
        "included. I can drop it off within two miles of Kirkstall for a long garden that needs taming.",
        "Kirkstall",
        2000,
        {"tool_type": "garden", "deposit_required": True},
        ["lawnmower", "garden", "tools"],
        unit="day",
        plan="weekends",
    ),
    booking(
        "tools",
        "Wallpaper steamer and decorating kit",
        "An electric wallpaper steamer with a large plate, scrapers, a pasting table and a smoothing brush: "
        "everything to strip one room and hang paper in the next. Instructions in the box. Collect in Acomb.",
        "Acomb",
        1000,
        {"tool_type": "decorating", "deposit_required": False},
        ["wallpaper", "decorating", "diy"],
        photos=2,
        unit="day",
        plan="every_day",
    ),
    booking(
        "tools",
        "Aluminium extension ladder, 7 metres",
        "A triple extension ladder reaching 7 metres, with stabiliser bar and rubber feet, light enough for one "
        "person to carry. For gutters, window frames and loft hatches. Fits on a roof rack; collection in "
        "Didsbury.",
        "Didsbury",
        1500,
        {"tool_type": "ladder", "deposit_required": True},
        ["ladder", "gutters", "tools"],
        unit="day",
        plan="weekdays",
    ),
    booking(
        "tools",
        "Sliding mitre saw for skirting and trim",
        "A 216 mm sliding compound mitre saw with a fine-tooth blade, clamps and a stand. Clean 45° corners on "
        "skirting boards, architrave and picture frames. Eye and ear protection included. Collect in Walthamstow.",
        "Walthamstow",
        1800,
        {"tool_type": "woodworking", "deposit_required": True},
        ["mitre-saw", "woodworking", "diy"],
        photos=2,
        unit="day",
        plan="weekends",
        blocked_days_ahead=[6],
    ),
    booking(
        "tools",
        "Tile cutter and tiling tool kit",
        "A 60 cm manual tile cutter with notched trowels, spacers, a rubber mallet, a grout float and a level. "
        "Enough to tile a bathroom or a kitchen splashback over a weekend. Collection near Lavapiés.",
        "Lavapiés",
        1400,
        {"tool_type": "decorating", "deposit_required": False},
        ["tiling", "diy", "bathroom"],
        unit="day",
        plan="every_day",
    ),
    booking(
        "tools",
        "Pressure washer for patios and decking",
        "A 2000 W pressure washer with a patio cleaner attachment, 8 metres of hose and a bottle of detergent. "
        "Green, slippery decking comes up like new in an afternoon. Collect and return in Clifton.",
        "Clifton",
        2200,
        {"tool_type": "garden", "deposit_required": True},
        ["pressure-washer", "patio", "garden"],
        photos=3,
        unit="day",
        plan="weekends",
    ),
    # --- Rentals › Spaces
    booking(
        "spaces",
        "Daylight photography studio in Peckham",
        "A 60 m² white-walled studio with north-facing skylights, a paper backdrop system, two strobes and a "
        "changing area. Ideal for product shots, portraits and small shoots. Step-free access and a lift to the "
        "first floor.",
        "Peckham",
        3500,
        {"space_type": "studio", "area_m2": 60, "deposit_required": False},
        ["photography", "studio", "daylight"],
        photos=3,
        plan="every_day",
        capacity=8,
    ),
    booking(
        "spaces",
        "Bench in a shared woodworking workshop",
        "A full day at a sturdy bench in our shared Bedminster workshop, with access to the table saw, bandsaw, "
        "planer-thicknesser and hand tools after a short safety induction. Dust extraction and tea included.",
        "Bedminster",
        4000,
        {"space_type": "workshop", "area_m2": 25, "deposit_required": False},
        ["woodworking", "workshop", "makerspace"],
        photos=2,
        unit="day",
        plan="weekdays",
        capacity=4,
    ),
    booking(
        "spaces",
        "Commercial kitchen for food start-ups",
        "A registered commercial kitchen in Ancoats with a six-burner range, two convection ovens, a blast "
        "chiller and cold storage. Booked by the hour for bakers, caterers and market traders; a food hygiene "
        "certificate is required.",
        "Ancoats",
        2500,
        {"space_type": "kitchen", "area_m2": 45, "deposit_required": True},
        ["kitchen", "catering", "food"],
        photos=2,
        plan="every_day",
        capacity=3,
    ),
    booking(
        "spaces",
        "Quiet meeting room for up to eight",
        "A calm meeting room above a Headingley bookshop with a large table, eight chairs, a screen, fast wifi "
        "and a whiteboard. Tea and coffee included. Good for workshops, interviews and committee meetings.",
        "Headingley",
        2000,
        {"space_type": "meeting room", "area_m2": 20, "deposit_required": False},
        ["meeting-room", "workspace", "wifi"],
        plan="weekdays",
        capacity=8,
        lead_time_hours=6,
    ),
    booking(
        "spaces",
        "Pottery studio with kiln access",
        "A day in a fully equipped pottery studio off Bishopthorpe Road: two wheels, a slab roller, glazes and a "
        "shared electric kiln (firings charged by the shelf). For potters who know their way around a studio.",
        "Bishopthorpe Road",
        6000,
        {"space_type": "studio", "area_m2": 35, "deposit_required": False},
        ["pottery", "studio", "kiln"],
        photos=2,
        unit="day",
        plan="weekdays",
        capacity=2,
    ),
    booking(
        "spaces",
        "Rooftop terrace for small gatherings",
        "A planted rooftop terrace in Malasaña with views over the rooftops to the Gran Vía, tables and seating "
        "for twelve, festoon lights and a small bar counter. Perfect for birthdays and sunset drinks; music "
        "until 23:00.",
        "Malasaña",
        4500,
        {"space_type": "terrace", "area_m2": 70, "deposit_required": True},
        ["terrace", "events", "rooftop", "madrid"],
        photos=3,
        plan="every_day",
        capacity=12,
    ),
    booking(
        "spaces",
        "Garden cabin for a quiet writing retreat",
        "A small insulated cabin at the end of our York garden with a desk, a day bed, a wood burner and no "
        "wifi. Booked by the night for writers and anyone who needs a few days to think. Breakfast basket "
        "included.",
        "Bishopthorpe Road",
        5500,
        {"space_type": "cabin", "area_m2": 12, "deposit_required": False},
        ["cabin", "retreat", "writing"],
        photos=2,
        unit="night",
        plan="every_day",
        lead_time_hours=48,
        max_advance_days=180,
        blocked_days_ahead=[20, 21, 22],
    ),
]

# --- Photos -------------------------------------------------------------------------------------------------

PALETTES: dict[str, list[tuple[tuple[int, int, int], tuple[int, int, int]]]] = {
    "ceramics": [((31, 95, 99), (196, 160, 120)), ((120, 72, 48), (232, 214, 190))],
    "clothing": [((70, 90, 140), (230, 200, 170)), ((110, 130, 90), (240, 225, 200))],
    "home": [((150, 90, 60), (245, 230, 205)), ((60, 100, 80), (225, 215, 180))],
    "lessons": [((90, 60, 130), (250, 200, 120)), ((30, 80, 120), (160, 210, 200))],
    "repairs": [((50, 60, 70), (230, 170, 60)), ((100, 40, 40), (220, 200, 180))],
    "tools": [((200, 110, 30), (60, 60, 60)), ((40, 110, 60), (220, 220, 200))],
    "spaces": [((70, 120, 160), (245, 240, 230)), ((140, 100, 60), (250, 235, 210))],
}
VIEWS = ["front view", "close-up of the detail", "seen in use"]


def initials(title: str) -> str:
    words = [word for word in title.replace("-", " ").split() if word[:1].isalpha()]
    return "".join(word[0].upper() for word in words[:2]) or "G"


def photo_bytes(title: str, category: str, number: int, size: tuple[int, int] = PHOTO_SIZE) -> bytes:
    """A JPEG: a two-colour gradient, a few soft shapes and the title's initials, the same for the same input."""
    rng = random.Random(hashlib.sha256(f"{title}:{number}".encode()).hexdigest())  # noqa: S324 - not security
    palette = PALETTES.get(category, PALETTES["home"])
    start, end = palette[number % len(palette)]
    vertical = Image.linear_gradient("L")
    horizontal = vertical.transpose(Image.Transpose.ROTATE_90)
    mask = rng.choice(
        [
            vertical,
            horizontal,
            Image.blend(vertical, horizontal, 0.5),
            Image.blend(vertical, horizontal.transpose(Image.Transpose.FLIP_LEFT_RIGHT), 0.5),
        ]
    ).resize(size)
    image = Image.composite(Image.new("RGB", size, start), Image.new("RGB", size, end), mask)
    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    width, height = size
    for _ in range(rng.randint(3, 6)):
        radius = rng.randint(height // 10, height // 3)
        x, y = rng.randint(0, width), rng.randint(0, height)
        colour = (*rng.choice([start, end, (255, 255, 255)]), rng.randint(50, 110))
        if rng.random() < 0.6:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
        else:
            draw.rounded_rectangle((x - radius, y - radius // 2, x + radius, y + radius // 2), 24, fill=colour)
    image = Image.alpha_composite(image.convert("RGBA"), overlay)
    lettering = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(lettering)
    font = ImageFont.load_default(size=height // 3)
    text = initials(title)
    box = draw.textbbox((0, 0), text, font=font)
    x = (width - (box[2] - box[0])) / 2 - box[0]
    y = (height - (box[3] - box[1])) / 2 - box[1]
    draw.text((x + 5, y + 5), text, font=font, fill=(0, 0, 0, 130))
    draw.text((x, y), text, font=font, fill=(255, 255, 255, 235))
    image = Image.alpha_composite(image, lettering)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=82, optimize=True)
    return buffer.getvalue()


# --- Seeding ------------------------------------------------------------------------------------------------


def seed_categories() -> dict[str, Category]:
    """The demo category tree, found by slug; a category that already exists is left as staff edited it."""
    slugs = [definition["slug"] for definition in CATEGORIES]
    categories: dict[str, Category] = {c.slug: c for c in Category.objects.filter(slug__in=slugs)}
    for definition in CATEGORIES:
        if definition["slug"] in categories:
            continue
        node = Category(
            name=definition["name"],
            slug=definition["slug"],
            description=definition["description"],
            attribute_schema=definition["schema"],
            tips=definition["tips"],
            description_templates=definition["templates"],
        )
        node.full_clean(exclude=["path", "depth", "numchild"])
        parent = categories.get(definition["parent"]) if definition["parent"] else None
        if parent is not None:
            parent.refresh_from_db()  # an earlier insertion may have moved it or changed its numchild
            categories[definition["slug"]] = parent.add_child(instance=node)
        else:
            categories[definition["slug"]] = Category.add_root(instance=node)
    # Sorted insertion (node_order_by) may have moved earlier nodes to new paths: read them all back.
    return {c.slug: c for c in Category.objects.filter(slug__in=slugs)}


def _listing_data(spec: Spec, category: Category) -> dict[str, Any]:
    city, lat, lng = PLACES[spec.place]
    data: dict[str, Any] = {
        "title": spec.title,
        "description": spec.description,
        "category": category,
        "kind": spec.kind,
        "price_amount": spec.price,
        "currency": "EUR" if city == "Madrid" else "GBP",
        "location_name": f"{spec.place}, {city}" if spec.place != f"{city} city centre" else city,
        "latitude": Decimal(f"{lat:.6f}"),
        "longitude": Decimal(f"{lng:.6f}"),
        "attributes": spec.attributes,
        "tags": spec.tags,
    }
    if spec.kind == ListingKind.ITEM:
        data.update(quantity=spec.quantity, ships=spec.ships, pickup=spec.pickup)
    else:
        data.update(
            price_unit=spec.unit,
            capacity=spec.capacity,
            lead_time_hours=spec.lead_time_hours,
            max_advance_days=spec.max_advance_days,
            quantity=1,
            ships=False,
            pickup=False,
        )
    return data


def _seller_for(spec: Spec, sellers: list[Member]) -> Member:
    city = PLACES[spec.place][0]
    return sellers[SELLER_FOR_CITY.get(city, 0) % len(sellers)]


@transaction.atomic
def seed_listings(sellers: list[Member]) -> int:
    """Creates the demo categories and publishes the demo listings that are not there yet; returns how many
    listings it created. `sellers` are the demo sellers: seller@, seller2@, mentor@, ambassador@ (in that order)."""
    if not sellers:
        return 0
    categories = seed_categories()
    existing = set(
        Listing.objects.filter(seller__in=sellers, title__in=[spec.title for spec in LISTINGS]).values_list(
            "seller_id", "title"
        )
    )
    today = timezone.localdate()
    now = timezone.now()
    created: list[int] = []
    for position, spec in enumerate(LISTINGS):
        seller = _seller_for(spec, sellers)
        if (seller.pk, spec.title) in existing:
            continue
        listing = services.listing_create(seller=seller, data=_listing_data(spec, categories[spec.category]))
        for number in range(spec.photos):
            upload = SimpleUploadedFile(
                f"demo-{number + 1}.jpg", photo_bytes(spec.title, spec.category, number), content_type="image/jpeg"
            )
            services.listing_photo_add(
                listing_id=listing.pk,
                seller=seller,
                image_file=upload,
                alt=f"{spec.title}, {VIEWS[number % len(VIEWS)]}",
            )
        if spec.kind == ListingKind.BOOKING:
            rules = [
                {"weekday": day, "start_time": time(start), "end_time": time(end)}
                for days, start, end in PLANS[spec.plan]
                for day in days
            ]
            services.listing_availability_set(
                listing_id=listing.pk,
                seller=seller,
                rules=rules,
                blocked_dates=[today + timedelta(days=n) for n in spec.blocked_days_ahead],
            )
        services.listing_publish(listing_id=listing.pk, seller=seller)
        # Spread the publication times over the past weeks so "newest first" has an order; the first is oldest.
        Listing.objects.filter(pk=listing.pk).update(
            published_at=now - timedelta(hours=11 * (len(LISTINGS) - position))
        )
        created.append(listing.pk)
    if created:
        services.search_terms_rebuild()  # document counts for typo corrections
    return len(created)


def demo_titles() -> list[str]:
    return [spec.title for spec in LISTINGS]


__all__ = ["CATEGORIES", "LISTINGS", "demo_titles", "photo_bytes", "seed_categories", "seed_listings"]
