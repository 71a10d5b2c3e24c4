"""Navigation and the fixed texts every page shares."""

import streamlit as st

__all__ = ["PAGES", "ATTRIBUTION", "PAGE_FILES"]

PAGE_FILES = {
    "pages/overview.py": ("Overview", ":material/dashboard:"),
    "pages/ward_map.py": ("Ward map", ":material/map:"),
    "pages/clusters.py": ("Ward clusters", ":material/hub:"),
    "pages/hotspots.py": ("Hotspots", ":material/location_on:"),
    "pages/priorities.py": ("SMP priorities", ":material/flag:"),
    "pages/town_centre.py": ("Town centre", ":material/storefront:"),
    "pages/about.py": ("About the data", ":material/info:"),
}

PAGES = [
    st.Page(path, title=title, icon=icon, default=(i == 0))
    for i, (path, (title, icon)) in enumerate(PAGE_FILES.items())
]

ATTRIBUTION = (
    "Crime and ASB: police.uk street-level data (Kent Police), Home Office, Open Government Licence v3.0; "
    "locations are anonymised snap points. Boundaries and populations: Office for National Statistics, "
    "Open Government Licence v3.0; contains OS data © Crown copyright and database right 2013–2025. "
    "Partner figures: Safer Maidstone Partnership / Maidstone Borough Council, Strategic Assessment 2024/25."
)
