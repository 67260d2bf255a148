"""Read rendered pages the way a person does: text, tables, forms and links, not raw markup."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

VOID_TAGS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip


BLOCK_TAGS = {"br", "div", "p", "li", "td", "th", "dt", "dd", "tr", "h1", "h2", "ul", "ol"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        """The visible text, whitespace collapsed (no-break spaces kept: money uses them)."""
        parts: list[str] = []

        def walk(node: Element | str) -> None:
            if isinstance(node, str):
                parts.append(node)
                return
            block = node.tag in BLOCK_TAGS
            if block:
                parts.append(" ")
            for child in node.children:
                walk(child)
            if block:
                parts.append(" ")

        walk(self)
        return re.sub(r"[ \t\r\n]+", " ", "".join(parts)).strip()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        """Descendants with this tag whose attributes contain these values (class: one word)."""
        found: list[Element] = []
        for child in self.children:
            if isinstance(child, str):
                continue
            if _matches(child, tag, attrs):
                found.append(child)
            found.extend(child.find_all(tag, **attrs))
        return found

    def find(self, tag: str | None = None, **attrs: str) -> Element:
        found = self.find_all(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]

    def get(self, name: str, default: str = "") -> str:
        return self.attrs.get(name, default)


def _matches(el: Element, tag: str | None, attrs: dict[str, str]) -> bool:
    if tag is not None and el.tag != tag:
        return False
    for key, value in attrs.items():
        key = key.rstrip("_").replace("_", "-")
        if key == "class":
            if value not in el.get("class").split():
                return False
        elif el.attrs.get(key) != value:
            return False
    return True


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(el)
        if tag not in VOID_TAGS:
            self.stack.append(el)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(response_or_html: Any) -> Element:
    html = response_or_html
    if not isinstance(html, str):
        html = response_or_html.content.decode()
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def page_text(response: Any) -> str:
    return parse(response).find("main").text()


def table_rows(response: Any, table_class: str = "data", section: str = "") -> list[list[str]]:
    """The body rows of the one table with this class (in that section), as cell texts."""
    root = parse(response)
    if section:
        root = root.find("section", aria_labelledby=section)
    table = root.find("table", class_=table_class)
    return [[td.text() for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]


def post_forms(response: Any) -> dict[str, list[str]]:
    """The page's POST forms inside <main> (action -> field names), so not logout or language."""
    forms = {}
    for form in parse(response).find("main").find_all("form"):
        if form.get("method").lower() != "post":
            continue
        names = [
            el.get("name")
            for el in form.find_all()
            if el.tag in {"input", "textarea", "select", "button"} and el.get("name")
        ]
        forms[form.get("action")] = [n for n in names if n != "csrfmiddlewaretoken"]
    return forms


def links(response: Any) -> list[tuple[str, str]]:
    """(text, href) of every link in <main>, in page order."""
    return [(a.text(), a.get("href")) for a in parse(response).find("main").find_all("a")]


def messages(response: Any) -> list[str]:
    return [li.text() for li in parse(response).find_all("li", class_="msg")]


def history(response: Any) -> list[dict[str, Any]]:
    """The order history timeline, newest first as shown: one dict per entry.

    An action with several steps (backoffice/_history.html) is its headline (``what``), the
    status before and after it, ``count`` ("5 steps") and its folded ``lines`` (oldest first,
    each like a single entry); a single entry has ``lines`` []. ``steps`` is a folded email's
    or refund's states with their times ("queued 12:00, sent 12:01"), or "".
    """
    timeline = parse(response).find("ol", data_testid="history")
    entries = []
    for li in timeline.find_all("li", data_testid="history-entry"):
        # (A comment's line has a <details> of its own: its Edit form.)
        groups = li.find_all("details", class_="history-group")
        if not groups:
            entries.append({**_history_line(li), "count": "", "lines": []})
            continue
        [summary] = [c for c in groups[0].children if isinstance(c, Element) and c.tag == "summary"]
        entries.append(
            {
                **_history_line(summary),
                "count": summary.find("div", class_="steps-count").text(),
                "lines": [_history_line(step) for step in li.find_all("li", class_="step")],
            }
        )
    return entries


def _history_line(element: Element) -> dict[str, Any]:
    rows = [[td.text() for td in tr.find_all("td")] for tr in element.find_all("tr")]
    status = [d.text() for d in element.find_all("div") if "→" in d.text() and not d.get("class")]
    steps = element.find_all("div", data_testid="history-steps")
    return {
        "when": element.find("div", class_="when").text(),
        "what": element.find("div", class_="what").text(),
        "status": status[0] if status else "",
        "rows": rows,
        "steps": steps[0].text() if steps else "",
    }


def facts(response: Any) -> dict[str, str]:
    """The first definition list in the "Order details" card: term -> value."""
    section = parse(response).find("section", aria_labelledby="details-h")
    dl = section.find_all("dl", class_="facts")[0]
    rows = [c for c in dl.children if isinstance(c, Element) and c.tag == "div"]
    return {div.find("dt").text(): div.find("dd").text() for div in rows}


def without_csrf(response: Any) -> bytes:
    """The body without what differs by request alone: the CSRF token (masked anew on every
    response) and the language switch's return path (the URL the requester typed)."""
    body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", response.content)
    return re.sub(rb'name="next" value="[^"]*"', b"", body)
