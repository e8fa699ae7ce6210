"""The one template engine for text that people edit inside Liaison: letter templates and knowledge articles.

Managers write these templates in the browser, so they are treated as untrusted code:

- the context holds plain values only (``assert_plain``): strings, numbers, dates, booleans and lists or
  dictionaries of those. A model instance would let ``{{ site.responsible_person.password }}`` or
  ``{% for c in site.cases.all %}`` walk the database, so handing one over is a programming error;
- tags that reach other templates, files, tag libraries or debugging output (``include``, ``extends``,
  ``load``, ``debug``, ``url`` …) are refused when the template is read, with a message naming the tag;
- the work is bounded: the source length, the items all ``{% for %}`` loops may visit, the length of each
  filter's result and the length of the output. Widths and precisions that would build a huge string
  (``"x"|ljust:10000000``) are refused before any work is done.

Anything that goes wrong while reading or filling in such a template is a ``TemplateRefused`` with a message
for the person who wrote it; the message never quotes the values the template was given.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from django.template import (
    Context,
    Engine,
    Library,
    Template,
    TemplateSyntaxError,
    VariableDoesNotExist,
    defaultfilters,
    defaulttags,
    loader_tags,
)
from django.template.base import FilterExpression, Node, NodeList, Parser, Token
from django.template.defaulttags import FilterNode
from django.utils.safestring import SafeString

from liaison.lib.errors import ApplicationError

MAX_SOURCE_CHARS = 200_000
MAX_OUTPUT_CHARS = 1_000_000
MAX_LOOP_ITEMS = 10_000
MAX_WIDTH = 1_000  # ljust, rjust, center, stringformat widths and floatformat digits

# Exact types, not isinstance: a subclass of str or int can carry attributes a template could reach.
PLAIN_SCALARS: frozenset[type] = frozenset(
    {str, SafeString, int, bool, float, Decimal, datetime.date, datetime.datetime, datetime.time, type(None)}
)

ALLOWED_TAGS = frozenset(
    {
        "autoescape",
        "comment",
        "cycle",
        "filter",
        "firstof",
        "for",
        "if",
        "ifchanged",
        "now",
        "regroup",
        "resetcycle",
        "spaceless",
        "templatetag",
        "verbatim",
        "widthratio",
        "with",
    }
)
_WHY_REFUSED = {
    "include": "it would read another template",
    "extends": "it would read another template",
    "block": "blocks only make sense with extends, which is not available",
    "ssi": "it would read a file from the server",
    "load": "tag libraries cannot be loaded here",
    "static": "tag libraries cannot be loaded here",
    "debug": "it would print the server's internal details",
    "url": "web addresses of the application are not available here",
    "querystring": "there is no web request here",
    "csrf_token": "there is no web form here",
    "lorem": "placeholder text is not available here",
}
# pprint prints Python's internal view of a value; left out, it is an "Invalid filter" when the template is read.
REFUSED_FILTERS = frozenset({"pprint"})


class TemplateRefused(ApplicationError):
    """A user-edited template that cannot be read or filled in; the message is for the person who wrote it."""


class UnsafeContext(TypeError):
    """A developer handed a template something other than plain values."""


# -- Plain values ---------------------------------------------------------------------------------------------


def assert_plain(context: Mapping[str, Any]) -> None:
    """Refuse anything a template could use to reach beyond the values it was meant to print."""
    _check_plain(context, "context")


def _check_plain(value: Any, path: str) -> None:
    kind = type(value)
    if kind in PLAIN_SCALARS:
        return
    if kind in (list, tuple):
        for index, item in enumerate(value):
            _check_plain(item, f"{path}[{index}]")
        return
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise UnsafeContext(f"{path} has a key that is not a string: {key!r}")
            _check_plain(item, f"{path}.{key}")
        return
    raise UnsafeContext(
        f"{path} is a {kind.__module__}.{kind.__qualname__}; templates edited in Liaison may only see strings, "
        "numbers, dates, booleans and lists or dictionaries of those. Pass the values it should print."
    )


def _copy(value: Any) -> Any:
    """A fresh copy, so that ``{{ issues.pop }}`` in one template cannot change what the next one sees."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(item) for item in value]
    return value


# -- Budgets --------------------------------------------------------------------------------------------------


class _Budget:
    def __init__(self) -> None:
        self.loop_items = 0
        self.output_chars = 0

    def spend_loop(self, items: int) -> None:
        self.loop_items += items
        if self.loop_items > MAX_LOOP_ITEMS:
            raise TemplateRefused(
                f"The template repeats too much: its loops would go round more than {MAX_LOOP_ITEMS:,} times in all."
            )

    def spend_output(self, chars: int) -> None:
        self.output_chars += chars
        if self.output_chars > MAX_OUTPUT_CHARS:
            raise _too_long()


def _too_long() -> TemplateRefused:
    return TemplateRefused(f"The template would produce more than {MAX_OUTPUT_CHARS:,} characters of text.")


class _SandboxContext(Context):
    budget: _Budget


def _budget(context: Context) -> _Budget:
    budget = getattr(context, "budget", None)
    if not isinstance(budget, _Budget):
        raise TemplateRefused("This template can only be filled in through liaison.lib.sandbox.render.")
    return budget


# -- Tags -----------------------------------------------------------------------------------------------------

# This module's library is the engine's whole vocabulary (see _SandboxEngine): the allowed tags and filters are
# copied in by name, so a tag or filter added to Django later is unknown here until someone allows it.
register = Library()


def _refuse_tag(name: str, why: str) -> Callable[[Parser, Token], Node]:
    def refuse(parser: Parser, token: Token) -> Node:
        raise TemplateSyntaxError(f"Line {token.lineno}: the {{% {name} %}} tag is not allowed here: {why}.")

    return refuse


for _name in sorted(ALLOWED_TAGS - {"for"}):
    register.tag(_name, defaulttags.register.tags[_name])
for _name in sorted(
    (set(defaulttags.register.tags) | set(loader_tags.register.tags) | set(_WHY_REFUSED)) - ALLOWED_TAGS
):
    register.tag(_name, _refuse_tag(_name, _WHY_REFUSED.get(_name, "it is not available in templates edited here")))


class _CountedSequence:
    """Stands in for a ``{% for %}`` loop's sequence and charges its length to the render's budget."""

    def __init__(self, sequence: FilterExpression | str) -> None:
        self.sequence = sequence

    def resolve(self, context: Context, ignore_failures: bool = False) -> Any:
        values = (
            self.sequence
            if isinstance(self.sequence, str)
            else self.sequence.resolve(context, ignore_failures=ignore_failures)
        )
        if values is None:
            return None
        if not hasattr(values, "__len__"):
            values = list(_take(values, MAX_LOOP_ITEMS + 1))
        _budget(context).spend_loop(len(values))
        return values

    def __str__(self) -> str:
        return str(self.sequence)


def _take(values: Any, limit: int) -> Iterator[Any]:
    for index, value in enumerate(values):
        if index >= limit:
            return
        yield value


@register.tag("for")
def _for(parser: Parser, token: Token) -> Node:
    node = defaulttags.do_for(parser, token)
    node.sequence = _CountedSequence(node.sequence)  # type: ignore[assignment]
    return node


# -- Filters --------------------------------------------------------------------------------------------------


def _digits(arg: Any) -> list[int]:
    return [int(number) for number in re.findall(r"\d+", str(arg))]


def _check_width(name: str, value: Any, arg: Any) -> None:
    if any(number > MAX_WIDTH for number in _digits(arg)):
        raise TemplateRefused(f"The filter “{name}” may ask for at most {MAX_WIDTH:,} characters or digits.")


def _check_join(name: str, value: Any, arg: Any) -> None:
    if not hasattr(value, "__len__"):
        return
    size = len(str(arg)) * len(value) + sum(len(item) for item in value if isinstance(item, str))
    if size > MAX_OUTPUT_CHARS:
        raise _too_long()


_ARGUMENT_CHECKS: dict[str, Callable[[str, Any, Any], None]] = {
    "ljust": _check_width,
    "rjust": _check_width,
    "center": _check_width,
    "stringformat": _check_width,
    "floatformat": _check_width,
    "join": _check_join,
}


def _bounded(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    check = _ARGUMENT_CHECKS.get(name)

    # functools.wraps keeps the flags Django reads (is_safe, needs_autoescape, expects_localtime) and lets the
    # parser see the filter's own signature when it counts arguments.
    @functools.wraps(func)
    def bounded(value: Any, *args: Any, **kwargs: Any) -> Any:
        if check is not None and args:
            check(name, value, args[0])
        try:
            result = func(value, *args, **kwargs)
        except TemplateRefused:
            raise
        except Exception as exc:
            # Not the exception's text: it can quote the value, which may be a patient's name.
            raise TemplateRefused(
                f"The filter “{name}” could not be applied to the value it was given ({type(exc).__name__})."
            ) from exc
        if isinstance(result, str | list | tuple) and len(result) > MAX_OUTPUT_CHARS:
            raise _too_long()
        return result

    return bounded


for _name, _func in defaultfilters.register.filters.items():
    if _name not in REFUSED_FILTERS:
        register.filter(_name, _bounded(_name, _func))


# -- Reading and filling in -----------------------------------------------------------------------------------


class _SandboxEngine(Engine):
    # Django's engine always adds its own tag and filter libraries (include, extends, load, pprint …) in front
    # of the ones it is given; here this module's library is the only one.
    default_builtins: list[str] = []


@functools.cache
def _engine() -> Engine:
    # Built on first use: the engine imports this module (for ``register``) while building its tag table.
    return _SandboxEngine(
        loaders=[],
        libraries={},
        builtins=["liaison.lib.sandbox"],
        autoescape=True,
        string_if_invalid="",
        debug=False,
    )


def _meter(nodelist: NodeList) -> None:
    """Charge every piece of output to the budget as it is made, so a runaway loop stops early.

    Leaves (text, variables, and tags without a body) make all the output; ``{% filter %}`` may enlarge its
    body's output, so it is charged too.
    """
    for node in nodelist:
        children = [child for attr in node.child_nodelists if (child := getattr(node, attr, None))]
        for child in children:
            _meter(child)
        if not children or isinstance(node, FilterNode):
            node.render = _metered(node.render)  # type: ignore[method-assign,assignment]


def _metered(render: Callable[[Context], str]) -> Callable[[Context], str]:
    def metered(context: Context) -> str:
        output = render(context)
        _budget(context).spend_output(len(output))
        return output

    return metered


def compile_template(source: str) -> Template:
    """Read a template, refusing forbidden tags and filters; raises TemplateRefused with a message for its author."""
    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateRefused(f"The template is too long: keep it under {MAX_SOURCE_CHARS:,} characters.")
    try:
        template = Template(source, engine=_engine())
    except TemplateRefused:
        raise
    except TemplateSyntaxError as exc:
        raise TemplateRefused(str(exc)) from exc
    except RecursionError as exc:
        raise TemplateRefused("The template nests its tags too deeply.") from exc
    _meter(template.nodelist)
    return template


def render(source: str, context: Mapping[str, Any]) -> str:
    """Fill in a user-edited template with plain values; raises TemplateRefused with a message for its author."""
    assert_plain(context)
    template = compile_template(source)
    sandbox_context = _SandboxContext(_copy(dict(context)), autoescape=True)
    sandbox_context.budget = _Budget()
    try:
        output = template.render(sandbox_context)
    except TemplateRefused:
        raise
    except VariableDoesNotExist as exc:
        # Its text would show the whole context; name only the missing part.
        missing = exc.params[0] if exc.params else "a value"
        raise TemplateRefused(f"The template refers to “{missing}”, which is not available here.") from exc
    except RecursionError as exc:
        raise TemplateRefused("The template nests its tags too deeply.") from exc
    except Exception as exc:
        # The template is someone's code run on our server: whatever it trips over is their error to fix,
        # reported without the exception's text (which can quote the values).
        raise TemplateRefused(f"The template could not be filled in ({type(exc).__name__}).") from exc
    if len(output) > MAX_OUTPUT_CHARS:
        raise _too_long()
    return output


def check(source: str, context: Mapping[str, Any] | None = None) -> None:
    """Read the template and fill it in with sample values, so a broken one is refused when it is saved."""
    render(source, context or {})
