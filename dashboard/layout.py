"""Navigation and the fixed texts every page shares.

Public pages are always listed. The "Partners" section always lists the sign-in page; the partner
pages behind it are registered in every run (so a direct URL reaches the page, which then refuses
without a partner session) but are hidden from the menu unless the session is signed in.
"""

from pathlib import Path

import streamlit as st

__all__ = ["PAGES", "ATTRIBUTION", "PAGE_FILES", "PUBLIC_PAGE_FILES", "public_pages", "PARTNER_SECTION",
           "PARTNER_PAGE_FILES", "SIGNED_IN_ONLY", "navigation", "is_partner_page"]

PAGE_FILES = {
    "pages/overview.py": ("Overview", ":material/dashboard:"),
    "pages/search.py": ("Find my area", ":material/search:"),
    "pages/ward_map.py": ("Ward map", ":material/map:"),
    "pages/clusters.py": ("Ward clusters", ":material/hub:"),
    "pages/hotspots.py": ("Hotspots", ":material/location_on:"),
    "pages/patrol.py": ("Patrol sheet", ":material/directions_walk:"),
    "pages/priorities.py": ("SMP priorities", ":material/flag:"),
    "pages/town_centre.py": ("Town centre", ":material/storefront:"),
    "pages/about.py": ("About the data", ":material/info:"),
    "pages/partner_sign_in.py": ("Partner sign-in", ":material/login:"),
    "pages/partner_upload.py": ("Upload partner data", ":material/upload_file:"),
    "pages/partner_data.py": ("Partner data", ":material/table_view:"),
}

PARTNER_SECTION = "Partners"
PARTNER_PAGE_FILES = ("pages/partner_sign_in.py", "pages/partner_upload.py", "pages/partner_data.py")
SIGNED_IN_ONLY = frozenset({"pages/partner_upload.py", "pages/partner_data.py"})

PUBLIC_PAGE_FILES = tuple(path for path in PAGE_FILES if path not in PARTNER_PAGE_FILES)
DEFAULT_PAGE_HOME = "home"  # the default page's own url_path (it is served at "/"); /overview is an alias


def public_pages() -> list:
    """The public pages as ``st.Page`` objects (the first is the default page).

    Built on each call, inside the script run: an ``st.Page`` made at import time outside a
    Streamlit run (e.g. by a test importing this module) is incomplete and breaks ``st.navigation``.
    """
    pages = [
        st.Page(path, title=PAGE_FILES[path][0], icon=PAGE_FILES[path][1], default=(i == 0),
                url_path=DEFAULT_PAGE_HOME if i == 0 else None)
        for i, path in enumerate(PUBLIC_PAGE_FILES)
    ]
    # the default page lives at "/"; its file name's address (/overview) is registered too, hidden from the
    # menu, so a link or bookmark to it opens the page instead of a "Page not found" dialog
    first = PUBLIC_PAGE_FILES[0]
    pages.append(st.Page(first, title=PAGE_FILES[first][0], icon=PAGE_FILES[first][1], url_path=Path(first).stem,
                         visibility="hidden"))
    return pages


def __getattr__(name: str):
    if name == "PAGES":  # kept for callers of the old module constant
        return public_pages()
    raise AttributeError(name)


def navigation(signed_in: bool) -> dict[str, list]:
    """The ``st.navigation`` argument: public pages, then the Partners section.

    Signed-in-only pages stay registered when signed out (hidden from the menu), so opening one
    by URL shows that page's refusal instead of silently landing on the Overview.
    """
    partner_pages = [
        st.Page(path, title=PAGE_FILES[path][0], icon=PAGE_FILES[path][1],
                visibility="visible" if signed_in or path not in SIGNED_IN_ONLY else "hidden")
        for path in PARTNER_PAGE_FILES
    ]
    return {"": public_pages(), PARTNER_SECTION: partner_pages}


def is_partner_page(page) -> bool:
    """True for the pages of the Partners section (they skip the police.uk filter bar)."""
    return getattr(page, "url_path", "") in {Path(p).stem for p in PARTNER_PAGE_FILES}


ATTRIBUTION = (
    "Crime and ASB: police.uk street-level data (Kent Police), Home Office, Open Government Licence v3.0; "
    "locations are anonymised snap points. Boundaries and populations: Office for National Statistics, "
    "Open Government Licence v3.0; contains OS data © Crown copyright and database right 2013–2025. "
    "Partner figures: Safer Maidstone Partnership / Maidstone Borough Council, Strategic Assessment 2024/25."
)
