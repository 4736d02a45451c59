"""Zoom's rules, free of any web framework: auth, live streams, rate limits."""
