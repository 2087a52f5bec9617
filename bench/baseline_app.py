"""The baseline: a folium dashboard written the way most are, one Marker with a popup per event, rebuilt
on every change. Its only concession is serving Leaflet locally (the benchmark runs offline)."""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import folium  # noqa: E402
import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402
from streamlit_folium import st_folium  # noqa: E402

from dashboard.offline import ensure_vendor_assets, localize_assets  # noqa: E402

ensure_vendor_assets(Path(__file__).resolve().parent / "static")
df = pd.read_csv(Path(os.environ["DASHBOARD_DATA_DIR"]) / "events.csv", parse_dates=["start_date"])
first, last = df["start_date"].min().date(), df["start_date"].max().date()
start, end = st.slider("Dates", first, last, (first, last))
view = df[(df["start_date"].dt.date >= start) & (df["start_date"].dt.date <= end)].dropna(subset=["latitude", "longitude"])
st.write(f"{len(view)} of {len(df)} events")
m = folium.Map(location=[20, 140], zoom_start=3)
for row in view.itertuples():
    folium.Marker([row.latitude, row.longitude], popup=row.title).add_to(m)
st_folium(localize_assets(m), width=900, height=600)
