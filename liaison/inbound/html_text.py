"""Readable plain text from an HTML-only email: paragraphs, line breaks, lists and quotes kept; markup dropped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Content that is never shown to a reader.
_HIDDEN = {"script", "style", "head", "title", "template", "noscript", "svg", "object", "iframe"}
# Elements that begin a new line, and those that stand apart as paragraphs.
_LINE = {"div", "li", "tr", "dt", "dd", "address", "center", "section", "article", "header", "footer", "form"}
_PARAGRAPH = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "pre", "blockquote", "hr"}
_SPACE = re.compile(r"\s+")


class _TextWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line = ""
        self._breaks = 0  # line breaks owed before the next text
        self._hidden = 0
        self._pre = 0
        self._quote = 0
        self._line_quote = 0  # the quote depth the current line began at
        self._links: list[str] = []

    # -- output ---------------------------------------------------------------------------------------

    def _prefix(self) -> str:
        return "> " * self._quote

    def _end_line(self) -> None:
        self.lines.append(self._line.rstrip())
        self._line = ""

    def _write(self, text: str) -> None:
        if self._breaks:
            if self.lines or self._line:
                self._end_line()
                # At most one blank line between blocks, however many <br>s or empty paragraphs there are.
                if self._breaks > 1:
                    # A blank line between a quote and what surrounds it belongs to neither.
                    self.lines.append(("> " * min(self._quote, self._line_quote)).rstrip())
            self._breaks = 0
        if not self._line:
            self._line = self._prefix()
            self._line_quote = self._quote
            text = text.lstrip() if not self._pre else text
        self._line += text

    def _break(self, count: int) -> None:
        self._breaks = max(self._breaks, count)

    def text(self) -> str:
        if self._line.strip("> "):
            self._end_line()
        return "\n".join(self.lines).strip("\n")

    # -- parser callbacks -----------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
            return
        if self._hidden:
            return
        if tag == "br":
            if self._breaks:
                self._breaks += 1
            elif self._line:
                self._breaks = 1
            else:
                self._write("")
                self._breaks = 1
        elif tag in _PARAGRAPH:
            self._break(2)
        elif tag in _LINE:
            self._break(1)
        if tag == "blockquote":
            self._quote += 1
        elif tag == "pre":
            self._pre += 1
        elif tag == "li":
            self._write("- ")
        elif tag in ("td", "th") and self._line.strip():
            self._write("  ")
        elif tag == "a":
            self._links.append(dict(attrs).get("href") or "")
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self._write(f"[{alt}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "img", "hr"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
            return
        if self._hidden:
            return
        if tag in _PARAGRAPH:
            self._break(2)
        elif tag in _LINE:
            self._break(1)
        if tag == "blockquote":
            self._quote = max(0, self._quote - 1)
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        elif tag == "a" and self._links:
            href = self._links.pop().strip()
            # Where a link goes can matter ("the form at this address"), so it stays beside its text.
            if href.startswith(("http://", "https://")) and href not in self._line:
                self._write(f" ({href})")

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._pre:
            first, *rest = data.split("\n")
            self._write(first)
            for line in rest:
                self._breaks += 1
                self._write(line)
            return
        text = _SPACE.sub(" ", data)
        if text.strip() or (self._line.strip("> ") and not self._breaks):
            self._write(text)


def html_to_text(html: str) -> str:
    """The text a person would read in the rendered HTML, as plain text."""
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    return writer.text()
