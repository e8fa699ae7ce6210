"""The theme taxonomy: the 41 labels of the NHS England patient experience framework (v6) that the model uses.

Officers' corrections and the shipped weights use these exact names. The order is the order of the columns
in the weights.
"""

from __future__ import annotations

THEME_LABELS: tuple[str, ...] = (
    "Not assigned",
    "Organisation & efficiency",
    "Funding & use of financial resources",
    "Staff manner & personal attributes",
    "Number & deployment of staff",
    "Staff responsiveness",
    "Staff continuity",
    "Competence & training",
    "Unspecified communication",
    "Staff listening, understanding & involving patients",
    "Information directly from staff during care",
    "Information provision & guidance",
    "Being kept informed, clarity & consistency of information",
    "Contacting services",
    "Appointment arrangements",
    "Appointment method",
    "Timeliness of care",
    "Pain management",
    "Diagnosis & triage",
    "Referals & continuity of care",
    "Discharge",
    "Care plans",
    "Patient records",
    "Cleanliness, tidiness & infection control",
    "Provision of medical equipment",
    "Service location",
    "Transport to/ from services",
    "Electronic entertainment",
    "Mental Health Act",
    "Equality, Diversity & Inclusion",
    "Admission",
    "Labelling not possible",
    "Environment & Facilities",
    "Supplying & understanding medication",
    "Activities & access to fresh air",
    "Food & drink provision & facilities",
    "Sensory experience",
    "Impact of treatment/ care",
    "Interaction with family/ carers",
    "Negative experience & dissatisfaction",
    "Positive experience & gratitude",
)

SENTIMENTS: tuple[int, ...] = (1, 2, 3, 4, 5)
