"""The dashboard's server: `streamlit run dashboard/app.py [-- --data-dir DIR]`.

Streamlit's own app (the page is page.py) with the dashboard's routes beside it: the map's scripts,
basemap, view payloads and event cards, answered from memory and the installed packages, so nothing is
fetched from a CDN and nothing is written into the project folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` puts only dashboard/ on the path

import streamlit as st

from dashboard import serving

app = st.App(str(Path(__file__).with_name("page.py")), routes=serving.routes())
