"""Showing data text safely in Markdown: every ASCII punctuation mark escaped, so it renders literally."""
from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)


def escape_markdown(text: object) -> str:
    """Text that Markdown (and Streamlit's :colour[] and $math$ syntax) shows exactly as written."""
    escaped = _PUNCTUATION.sub(r"\\\1", str(text))
    # Leading spaces or a tab would make an indented code block: keep the indent as no-break spaces.
    escaped = _INDENT.sub(lambda m: "\u00a0" * len(m.group(0).expandtabs(4)), escaped)
    return escaped.replace("\n", "  \n")


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
