"""Showing data text safely in Markdown: every ASCII punctuation mark escaped, so it renders literally."""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)


def escape_markdown(text: object) -> str:
    """Text that Markdown (and Streamlit's :colour[] and $math$ syntax) shows exactly as written."""
    return _lines(_PUNCTUATION.sub(r"\\\1", str(text)))


def _lines(escaped: str) -> str:
    """Leading spaces or a tab would make an indented code block: keep the indent as no-break spaces; and
    every newline is a line break, as the writer meant."""
    escaped = _INDENT.sub(lambda m: "\u00a0" * len(m.group(0).expandtabs(4)), escaped)
    return escaped.replace("\n", "  \n")


# A bare http(s) URL in running text; no spaces, quotes, angle or square brackets or $ (so it can neither
# end an autolink early nor start Streamlit's :colour[] or $math$ syntax). Trailing punctuation is the
# sentence's, not the URL's.
_URL = re.compile(r"https?://[^\s<>\"'\[\]$`]+")
_TRAILING = ".,;:!?)"


def markdown_with_links(text: object) -> str:
    """Like escape_markdown, but each http(s) URL becomes a clickable autolink `<https://...>`."""
    text = str(text)
    parts, last = [], 0
    for match in _URL.finditer(text):
        full = match.group(0)
        url = full.rstrip(_TRAILING)
        while url.count("(") > url.count(")") and len(url) < len(full) and full[len(url)] == ")":
            url += ")"  # a parenthesis the URL opened is the URL's own, as in Wikipedia links
        parts.append(_PUNCTUATION.sub(r"\\\1", text[last : match.start()]))
        parts.append(f"<{url}>")
        last = match.start() + len(url)
    parts.append(_PUNCTUATION.sub(r"\\\1", text[last:]))
    return _lines("".join(parts))


def format_usd(amount: float | None) -> str:
    """$385 million, $1.16 billion, $30,000: the way newspapers write arms-sale amounts."""
    if amount is None or amount != amount:
        return ""
    # Round first, then pick the unit, so that 999,999,999 reads "$1 billion", not "$1,000 million".
    if round(amount / 1e6, 1) >= 1000:
        return f"${amount / 1e9:,.2f}".rstrip("0").rstrip(".") + " billion"
    if round(amount) >= 1e6:
        return f"${amount / 1e6:,.1f}".rstrip("0").rstrip(".") + " million"
    return f"${amount:,.0f}"
