"""Template bodies a hostile or careless editor might save, shared by the letter, article and sandbox tests.

``LEAKS`` are valid templates that try to reach data beyond the values a template is given: they must render,
but print nothing secret. ``REFUSED`` are templates the sandbox must refuse, each with a fragment of the
message the editor sees.
"""

from __future__ import annotations

LEAKS = [
    "{{ site.responsible_person.password }}",
    "{{ site.responsible_person.email }}",
    "{{ site.responsible_person.user_permissions.all }}",
    "{{ site.cases.all }}",
    "{% for c in site.cases.all %}[{{ c.patient_name }}|{{ c.patient_address }}]{% endfor %}",
    "{{ site.departments.all.0.site.cases.all }}",
    "{{ case.patient_name }}{{ case.patient_address }}{{ case.restricted_to.all }}",
    "{{ case.site.cases.all }}{{ case.owner.password }}{{ case.links_out.all }}",
    "{% for a in actions %}{{ a.case.patient_name }}{% endfor %}",
    "{% for i in issues %}{{ i.case.patient_name }}{{ i.department.site.cases.all }}{% endfor %}",
    "{{ signer.password }}{{ officer.email }}{{ recipient.case.patient_name }}",
    "{{ settings.SECRET_KEY }}{{ settings.DATABASES }}",
    "{{ request.session }}{{ request.COOKIES }}{{ request.META }}{{ request.user.password }}",
    "{{ user.password }}{{ perms }}{{ csrf_token }}",
    '{{ site|stringformat:"r" }}{{ site.name|stringformat:"s" }}{{ site|stringformat:"(name)s" }}',
    '{{ pack|stringformat:"r" }}{{ case|stringformat:"r" }}',
    '{{ today|date:"r" }}{{ today|date:"DATE_FORMAT" }}',
    '{{ site|dictsort:"password" }}{{ issues|dictsort:"case.patient_name" }}',
]
LEAK_BODY = "<p>" + "</p><p>".join(LEAKS) + "</p>"

# (name, body, a fragment of the message the editor sees)
REFUSED = [
    ("include", '{% include "base.html" %}', "{% include %} tag is not allowed"),
    ("extends", '{% extends "base.html" %}', "{% extends %} tag is not allowed"),
    ("load", "{% load static %}", "{% load %} tag is not allowed"),
    ("debug", "{% debug %}", "{% debug %} tag is not allowed"),
    ("ssi", '{% ssi "/etc/passwd" %}', "{% ssi %} tag is not allowed"),
    ("url", "{% url 'admin:index' %}", "{% url %} tag is not allowed"),
    ("block", "{% block content %}{% endblock %}", "{% block %} tag is not allowed"),
    ("pprint", "{{ site|pprint }}", "Invalid filter: 'pprint'"),
    ("dunder", "{{ site.name.__class__.__mro__ }}", "may not begin with underscores"),
    ("huge-ljust", '{% for x in "x"|ljust:10000000 %}x{% endfor %}', "at most 1,000 characters"),
    ("huge-stringformat", '{{ site.name|stringformat:"99999999s" }}', "at most 1,000 characters"),
    ("huge-floatformat", '{{ 1|floatformat:"99999999" }}', "at most 1,000 characters"),
    (
        "nested-loops",
        '{% for a in "x"|ljust:1000 %}{% for b in "x"|ljust:1000 %}{{ b }}{% endfor %}{% endfor %}',
        "more than 10,000 times",
    ),
    (
        "join-amplification",
        '{% with a="x"|ljust:1000 %}{% with b=a|make_list|join:a %}{% with c=b|make_list|join:b %}{{ c }}'
        "{% endwith %}{% endwith %}{% endwith %}",
        "more than 1,000,000 characters",
    ),
    (
        "output-over-1mb",
        '{% with a="x"|ljust:1000 %}{% for i in a %}{{ a }}{{ a }}{% endfor %}{% endwith %}',
        "more than 1,000,000 characters",
    ),
    ("deep-nesting", "{% if x %}" * 2000 + "{% endif %}" * 2000, "nests its tags too deeply"),
]
REFUSED_IDS = [name for name, _, _ in REFUSED]


def secrets_absent(page: str, *secrets: str) -> list[str]:
    """The secrets (and signs of model objects or settings) that appear in ``page``: an empty list is a pass."""
    signs = ["argon2", "QuerySet", "&lt;Site", "&lt;User", "&lt;Case", "<Site", "<User", "<Case", "sessionid"]
    return [text for text in [*secrets, *signs] if text and text in page]
