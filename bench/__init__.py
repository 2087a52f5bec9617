"""Benchmark: synthetic data folders and a side-by-side measurement against a plain-folium baseline."""
