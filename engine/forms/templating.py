"""``{{ variable }}`` in form text and labels, filled from the instance's data (docs/decisions.md, D27).

Text components may use the markdown subset form-js text supports, rendered by markdown-it-py with raw
HTML and images off. Variables are never evaluated: ``{{ name.part }}`` is a lookup into the data's
mappings, nothing else. The markdown is parsed with a placeholder where each variable stands, and the
values go into the parsed text afterwards, so the renderer escapes them and no answer can add markup,
a link or another template. An unknown name renders as nothing (Check reports it at deploy).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from markdown_it import MarkdownIt

from engine.forms.words import value_words

VARIABLE = re.compile(r"\{\{\s*(.*?)\s*\}\}")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
MAX_TEXT = 20_000  # a form's text component; a longer one is a mistake
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).disable(["image", "html_inline", "html_block"])
_CLASSES = {"paragraph_open": "govuk-body", "bullet_list_open": "govuk-list govuk-list--bullet",
            "ordered_list_open": "govuk-list govuk-list--number", "link_open": "govuk-link"}


def template_names(text: str) -> set[str]:
    """Every variable a text names (``recommended_level``, ``child.first_name``), valid or not."""
    return {m.group(1) for m in VARIABLE.finditer(text or "")}


def lookup_name(data: Mapping[str, Any], name: str) -> Any:
    """The value a variable names, or None: dotted parts look into mappings only."""
    if not NAME.match(name):
        return None
    value: Any = data
    for part in name.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def fill_text(text: str, data: Mapping[str, Any]) -> str:
    """Plain text with its variables filled (labels and hints; the page escapes it as any text)."""
    return VARIABLE.sub(lambda m: value_words(lookup_name(data, m.group(1))), text or "")


def render_markdown(text: str, data: Mapping[str, Any]) -> str:
    """Safe HTML for a text component: its markdown with GOV.UK classes, its variables filled and escaped."""
    marker = f"FDV{secrets.token_hex(6)}N"
    values: dict[str, str] = {}

    def hold(match: re.Match) -> str:
        key = f"{marker}{len(values)}Z"
        values[key] = value_words(lookup_name(data, match.group(1)))
        return key

    tokens = _MARKDOWN.parse(VARIABLE.sub(hold, (text or "")[:MAX_TEXT]))
    for token in tokens:
        _style(token)
        for child in token.children or ():
            _style(child)
            child.content = _put(child.content, values)
            for attr, value in list((child.attrs or {}).items()):
                child.attrSet(attr, _put(str(value), dict.fromkeys(values, "")))
        token.content = _put(token.content, values)
    return _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})


def _style(token) -> None:
    if token.type in _CLASSES:
        token.attrSet("class", _CLASSES[token.type])
    elif token.type in ("heading_open", "heading_close"):
        # the page's own heading is the h1: a form's headings sit below it
        token.tag = "h2" if token.tag in ("h1", "h2") else "h3"
        if token.type == "heading_open":
            token.attrSet("class", "govuk-heading-m" if token.tag == "h2" else "govuk-heading-s")


def _put(text: str, values: Mapping[str, str]) -> str:
    for key, value in values.items():
        if key in text:
            text = text.replace(key, value)
    return text
