"""Read the forms of a rendered page the way a browser would, to post them back (with the stdlib's html.parser).

Each ``<form>`` becomes a :class:`HtmlForm`: its method, action, enctype, its fields with the values a browser
would send as the page stands, the choices a select or a group of radios or checkboxes offers, and its named
submit buttons (each one sends its own name, which is how several views tell one form's buttons apart).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

# What a person would type into an empty field of each kind, so that the rest of a form is valid while one
# field at a time holds a hostile value (otherwise every post stops at "this field is required").
PLAUSIBLE = {
    "email": "someone@example.com",
    "date": date.today().isoformat(),
    "datetime-local": f"{date.today().isoformat()}T10:30",
    "time": "10:30",
    "number": "1",
    "tel": "01632 960000",
    "url": "https://example.com/",
    "password": "correct horse battery staple 7",
}
PLAUSIBLE_TEXT = "Plain words for a test of the form"
NOT_SENT = {"submit", "button", "reset", "image"}


@dataclass
class HtmlField:
    name: str
    kind: str  # the input type, "select", "select-multiple" or "textarea"
    values: list[str] = field(default_factory=list)  # what the browser sends as the page stands
    choices: list[str] = field(default_factory=list)  # options, radios or checkboxes on offer
    required: bool = False

    @property
    def is_file(self) -> bool:
        return self.kind == "file"

    @property
    def is_hidden(self) -> bool:
        return self.kind == "hidden"


@dataclass
class HtmlForm:
    method: str
    action: str
    enctype: str
    fields: dict[str, HtmlField] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (name, value) of named submit buttons

    def signature(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.method, self.action, tuple(sorted(self.fields)))

    def base_data(self, *, plausible: bool = True) -> dict[str, list[str]]:
        """What the browser would send; empty fields given a plausible value when ``plausible``."""
        data: dict[str, list[str]] = {}
        for name, item in self.fields.items():
            if item.is_file:
                continue
            values = list(item.values)
            if plausible and not any(v.strip() for v in values):
                values = _plausible(item) or values
            if values or item.kind not in ("checkbox", "select-multiple"):
                data[name] = values or [""]
        return data


def _plausible(item: HtmlField) -> list[str]:
    if item.kind in ("radio", "select"):
        offered = [c for c in item.choices if c]
        return offered[:1]
    if item.kind in ("checkbox", "select-multiple"):
        return []
    if item.kind == "textarea":
        return [PLAUSIBLE_TEXT + ", long enough to be read as a few sentences by the checks."]
    if item.kind == "hidden":
        return []
    return [PLAUSIBLE.get(item.kind, PLAUSIBLE_TEXT)]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._form: HtmlForm | None = None
        self._select: HtmlField | None = None
        self._in_option = False
        self._option_value: str | None = None  # None: the option sends its text
        self._option_text = ""
        self._option_selected = False
        self._textarea: HtmlField | None = None
        self._button: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = HtmlForm(
                method=a.get("method", "get").lower(),
                action=a.get("action", ""),
                enctype=a.get("enctype", "application/x-www-form-urlencoded").lower(),
            )
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name", "")
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in NOT_SENT:
                if kind in ("submit", "image") and name:
                    form.buttons.append((name, a.get("value", "")))
                return
            if not name or "disabled" in a:
                return
            item = form.fields.setdefault(name, HtmlField(name=name, kind=kind, required="required" in a))
            if kind in ("checkbox", "radio"):
                value = a.get("value", "on")
                item.choices.append(value)
                if "checked" in a:
                    item.values.append(value)
            elif kind != "file":
                item.values = [a.get("value", "")]
        elif tag == "select" and name and "disabled" not in a:
            kind = "select-multiple" if "multiple" in a else "select"
            self._select = form.fields.setdefault(name, HtmlField(name=name, kind=kind, required="required" in a))
        elif tag == "option" and self._select is not None:
            self._end_option()  # an option's end tag may be left out
            self._in_option, self._option_value, self._option_text = True, a.get("value"), ""
            self._option_selected = "selected" in a
        elif tag == "textarea" and name:
            self._textarea = form.fields.setdefault(
                name, HtmlField(name=name, kind="textarea", values=[""], required="required" in a)
            )
        elif tag == "button":
            self._button = {"name": name, "value": a.get("value", ""), "type": a.get("type", "submit").lower()}

    def handle_data(self, data: str) -> None:
        if self._in_option:
            self._option_text += data
        elif self._textarea is not None:
            self._textarea.values[0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag in ("option", "select"):
            self._end_option()
        if tag == "select" and self._select is not None:
            # A browser sends the first option of a single select when none is marked selected.
            if self._select.kind == "select" and not self._select.values and self._select.choices:
                self._select.values = [self._select.choices[0]]
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "button" and self._button is not None:
            if self._form is not None and self._button["type"] == "submit" and self._button["name"]:
                self._form.buttons.append((self._button["name"] or "", self._button["value"] or ""))
            self._button = None

    def _end_option(self) -> None:
        if not self._in_option or self._select is None:
            return
        value = self._option_text.strip() if self._option_value is None else self._option_value
        self._select.choices.append(value)
        if self._option_selected:
            self._select.values.append(value)
        self._in_option = False


def parse_forms(html: str) -> list[HtmlForm]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms
