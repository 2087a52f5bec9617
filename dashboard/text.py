"""Showing data text safely in Markdown: every ASCII punctuation mark escaped, so it renders literally."""
from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


def escape_markdown(text: object) -> str:
    """Text that Markdown (and Streamlit's :colour[] and $math$ syntax) shows exactly as written."""
    return _PUNCTUATION.sub(r"\\\1", str(text)).replace("\n", "  \n")


def format_usd(amount: float | None) -> str:
    """$385 million, $1.16 billion, $30,000: the way newspapers write arms-sale amounts."""
    if amount is None or amount != amount:
        return ""
    if amount >= 1e9:
        return f"${amount / 1e9:,.2f} billion".replace(".00 ", " ")
    if amount >= 1e6:
        return f"${amount / 1e6:,.1f} million".replace(".0 ", " ")
    return f"${amount:,.0f}"
