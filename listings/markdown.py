"""Listing descriptions are Markdown written by members: rendered, then sanitized with nh3 before display."""

from functools import cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "h3", "h4", "blockquote", "code", "pre", "a", "hr"}


@cache
def _renderer() -> MarkdownIt:
    # "commonmark" with raw HTML off: a member's <script> stays text; nh3 is the second line of defence.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def markdown_render(text: str) -> str:
    html = _renderer().render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )
