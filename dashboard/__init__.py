"""Taiwan Strait & Pacific events dashboard: sourced events, routes and zones on an offline Leaflet map."""
