"""The demo organisation. Every name here is invented; none is a real hospital or person."""

from __future__ import annotations

DEMO_PASSWORD = "Liaison-demo-2026"

SITES = [
    {
        "code": "RGH",
        "name": "Riverside General Hospital",
        "policy_pack": "england_nhs",
        "time_zone": "Europe/London",
        "address": "Riverside General Hospital\n1 Weir Lane\nMillbridge\nMB4 7QT",
        "complaints_contact_name": "Patient Relations Team",
        "complaints_contact_phone": "01632 960 400",
        "complaints_contact_email": "patient.relations@riverside.example.org",
        "complaints_contact_address": "Patient Relations, Riverside General Hospital, 1 Weir Lane, Millbridge MB4 7QT",
        "departments": [
            ("Emergency Department", "ED"),
            ("Acute Medical Unit", "AMU"),
            ("Cardiology", "CARD"),
            ("General Surgery", "GSURG"),
            ("Trauma and Orthopaedics", "T&O"),
            ("Maternity", "MAT"),
            ("Paediatrics", "PAED"),
            ("Oncology", "ONC"),
            ("Care of Older People", "COOP"),
            ("Outpatients", "OPD"),
            ("Radiology", "RAD"),
            ("Pharmacy", "PHARM"),
            ("Patient Transport", "PTS"),
        ],
    },
    {
        "code": "HPM",
        "name": "Harbor Point Medical Center",
        "policy_pack": "us_cms",
        "time_zone": "America/New_York",
        "address": "Harbor Point Medical Center\n400 Lighthouse Avenue\nPort Carrow, NY 10099",
        "complaints_contact_name": "Patient Advocacy Office",
        "complaints_contact_phone": "(555) 014-2200",
        "complaints_contact_email": "patient.advocacy@harborpoint.example.org",
        "complaints_contact_address": "Patient Advocacy Office, 400 Lighthouse Avenue, Port Carrow, NY 10099",
        "departments": [
            ("Emergency Medicine", "EM"),
            ("Internal Medicine", "IM"),
            ("Cardiology", "CARD"),
            ("Surgical Services", "SURG"),
            ("Orthopedics", "ORTHO"),
            ("Labor and Delivery", "L&D"),
            ("Pediatrics", "PEDS"),
            ("Oncology", "ONC"),
            ("Behavioral Health", "BH"),
            ("Intensive Care Unit", "ICU"),
            ("Imaging", "IMG"),
            ("Billing and Patient Financial Services", "PFS"),
        ],
    },
]

# Invented first and family names, combined deterministically for the staff directory.
FIRST_NAMES = [
    "Amara", "Bilal", "Ciara", "Dominik", "Esi", "Farah", "Gethin", "Hana", "Ifeoma", "Joaquin", "Keira", "Lorcan",
    "Maelle", "Nnamdi", "Orla", "Priya", "Quentin", "Rhiannon", "Sefa", "Tomasz", "Uma", "Vikram", "Wren", "Ximena",
    "Yusuf", "Zofia", "Ansel", "Beatrix", "Cormac", "Delphine", "Emeka", "Fionnuala",
]
FAMILY_NAMES = [
    "Achterberg", "Balogun", "Carrow", "Delacroix-Hume", "Eskildsen", "Fairweather", "Gallacher", "Hartigan",
    "Iwuchukwu", "Jaskolski", "Kettleby", "Lindqvist", "Marchetti", "Nakashima", "Oyelaran", "Pennock",
    "Quarrie", "Rosewarne", "Stavrou", "Thackeray", "Umberly", "Varga", "Whitlock", "Yeardley",
]

# (job title, staff group) patterns given to each department's staff.
STAFF_PATTERNS = [
    ("Consultant", "medical"),
    ("Ward manager", "nursing"),
    ("Staff nurse", "nursing"),
    ("Healthcare assistant", "nursing"),
    ("Physiotherapist", "allied_health"),
    ("Ward clerk", "administrative"),
]

# One login per role. Sites by code; departments by (site code, department code).
USERS = [
    {"email": "officer@demo.liaison.example", "full_name": "Olivia Okonkwo", "roles": ["officer"], "sites": ["RGH"]},
    {"email": "officer.us@demo.liaison.example", "full_name": "Marcus Delgado", "roles": ["officer"], "sites": ["HPM"]},
    {"email": "manager@demo.liaison.example", "full_name": "Harriet Lindqvist", "roles": ["manager", "officer"], "sites": ["RGH", "HPM"]},
    {
        "email": "investigator@demo.liaison.example",
        "full_name": "Dr Ivo Marchetti",
        "roles": ["investigator"],
        "sites": ["RGH"],
        "departments": [("RGH", "ED")],
    },
    {"email": "executive@demo.liaison.example", "full_name": "Evelyn Carrow", "roles": ["executive"], "sites": ["RGH", "HPM"]},
    {"email": "auditor@demo.liaison.example", "full_name": "Aditya Stavrou", "roles": ["auditor"], "sites": ["RGH", "HPM"]},
    {"email": "admin@demo.liaison.example", "full_name": "Ada Whitlock", "roles": ["admin"], "sites": ["RGH", "HPM"]},
]
