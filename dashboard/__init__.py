"""Streamlit support for the dashboard pages: cached data access, shared filters and their
URL form, chart and map helpers, and small view helpers for each page."""
