"""The sandboxed engine for templates edited inside Liaison: plain values in, bounded and harmless text out."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.template import defaulttags, loader_tags
from django.utils.functional import lazy

from liaison.cases.models import Outcome
from liaison.lib import sandbox
from liaison.lib.sandbox import TemplateRefused, UnsafeContext
from liaison.lib.tests.hostile_templates import LEAK_BODY, REFUSED, REFUSED_IDS
from liaison.org.models import Site


def plain_context() -> dict[str, Any]:
    return {
        "site": {"name": "Riverside <General>", "complaints_contact_phone": "0161 496 0000"},
        "patient_name": "Nora Private",
        "today": date(2026, 3, 2),
        "issues": [{"summary": "Waited too long", "outcome": "Upheld"}, {"summary": "Rude reply", "outcome": ""}],
        "amount": Decimal("12.50"),
        "days": 20,
        "medicare_qio": False,
        "response_due": None,
        "x": 1,
    }


def test_it_fills_in_plain_values_with_the_usual_tags_and_filters() -> None:
    source = (
        "{{ site.name }} on {{ site.complaints_contact_phone }}; due {{ today|date:'j F Y' }}."
        "{% for issue in issues %} {{ forloop.counter }}. {{ issue.summary|upper }}"
        "{% if issue.outcome %} ({{ issue.outcome }}){% endif %}{% endfor %}"
        "{% if not medicare_qio %} No QIO.{% endif %} {{ response_due|default:'soon' }} {{ amount }} {{ days }}"
    )
    assert sandbox.render(source, plain_context()) == (
        "Riverside &lt;General&gt; on 0161 496 0000; due 2 March 2026. 1. WAITED TOO LONG (Upheld) 2. RUDE REPLY"
        " No QIO. soon 12.50 20"
    )


def test_every_shipped_article_and_letter_construct_still_works() -> None:
    source = (
        "{{ site.name|default:'us' }}{{ site.address|linebreaksbr }}{{ site.address|linebreaks }}"
        "{% for issue in issues %}{% if forloop.first %}<ul>{% endif %}<li>{{ issue.summary }}</li>"
        "{% if forloop.last %}</ul>{% endif %}{% empty %}none{% endfor %}{% if a or b %}x{% else %}y{% endif %}"
    )
    assert sandbox.render(source, plain_context()) == (
        "Riverside &lt;General&gt;<p></p><ul><li>Waited too long</li><li>Rude reply</li></ul>y"
    )


@pytest.mark.parametrize(("name", "source", "message"), REFUSED, ids=REFUSED_IDS)
def test_it_refuses_a_hostile_template_with_a_clear_message(name: str, source: str, message: str) -> None:
    with pytest.raises(TemplateRefused, match=re.escape(message)):
        sandbox.render(source, plain_context())


def test_the_leaking_templates_render_and_print_nothing_beyond_the_values() -> None:
    output = sandbox.render(LEAK_BODY, plain_context())
    assert "password" not in output and "SECRET" not in output and "Nora Private" not in output


@pytest.mark.parametrize(
    "tag", sorted((set(defaulttags.register.tags) | set(loader_tags.register.tags)) - sandbox.ALLOWED_TAGS)
)
def test_every_django_tag_is_either_allowed_or_refused_by_name(tag: str) -> None:
    with pytest.raises(TemplateRefused, match=re.escape(f"the {{% {tag} %}} tag is not allowed here")):
        sandbox.render(f"{{% {tag} %}}", {})


def test_an_unknown_tag_is_refused_as_unknown() -> None:
    with pytest.raises(TemplateRefused, match="Invalid block tag on line 2: 'cache'"):
        sandbox.render("<p>\n{% cache 500 x %}{% endcache %}</p>", {})


def test_a_source_over_the_limit_is_refused_before_it_is_read() -> None:
    with pytest.raises(TemplateRefused, match="too long"):
        sandbox.render("x" * (sandbox.MAX_SOURCE_CHARS + 1), {})


def test_output_up_to_the_limit_is_allowed() -> None:
    source = '{% with a="x"|ljust:1000 %}{% for i in a %}{{ a }}{% endfor %}{% endwith %}'
    assert len(sandbox.render(source, {})) == sandbox.MAX_OUTPUT_CHARS


def test_a_long_context_value_printed_in_a_loop_is_stopped_by_the_output_budget() -> None:
    with pytest.raises(TemplateRefused, match="more than 1,000,000 characters"):
        sandbox.render("{% for i in items %}{{ text }}{% endfor %}", {"items": list(range(5000)), "text": "y" * 300})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            '{{ patient_name|date:"r" }}',
            "The filter “date” could not be applied to the value it was given (TypeError).",
        ),
        ("{{ x|divisibleby:0 }}", "The filter “divisibleby” could not be applied"),
        ("{% for a, b, c in issues %}{% endfor %}", "The template could not be filled in (ValueError)."),
    ],
)
def test_a_runtime_error_is_refused_without_quoting_the_value(source: str, message: str) -> None:
    with pytest.raises(TemplateRefused, match=re.escape(message)) as refused:
        sandbox.render(source, plain_context())
    assert "Nora" not in refused.value.message and "Waited" not in refused.value.message


def test_a_missing_filter_argument_is_named_without_printing_the_context() -> None:
    with pytest.raises(TemplateRefused) as refused:
        sandbox.render("{{ site.name|default:nothing.here }}", plain_context())
    assert "“nothing”" in refused.value.message
    assert "Nora" not in refused.value.message and "Riverside" not in refused.value.message


def test_a_template_cannot_change_the_values_the_next_one_sees() -> None:
    context = plain_context()
    assert sandbox.render("{{ issues.pop }}{{ site.clear }}", context)
    assert len(context["issues"]) == 2 and context["site"]["name"] == "Riverside <General>"


def test_it_accepts_only_plain_values() -> None:
    sandbox.assert_plain(
        {"a": "s", "b": 1, "c": 1.5, "d": Decimal("1"), "e": date(2026, 1, 1), "f": True, "g": None}
        | {"h": [{"i": ["j", (2, 3)]}]}
    )


@pytest.mark.parametrize(
    "value",
    [
        Site(name="Riverside"),
        SimpleNamespace(name="x"),
        lazy(lambda: "later", str)(),
        Outcome.UPHELD,
        {"a", "b"},
        {1: "not a string key"},
        type("Sneaky", (str,), {"secret": "x"})("looks like text"),
        print,
    ],
    ids=["model", "namespace", "lazy-text", "choices-member", "set", "int-key", "str-subclass", "function"],
)
def test_a_developer_who_passes_anything_else_gets_an_error(value: object) -> None:
    with pytest.raises(UnsafeContext, match=r"context\.site"):
        sandbox.render("{{ site }}", {"site": [value]} if isinstance(value, dict | set) else {"site": value})
