"""A record's district from its police.uk LSOA name (no heavy imports: the build's reader uses it
before the boundaries, pandas and shapely have loaded; ``smp_data.enrich`` places records by point)."""

from __future__ import annotations

__all__ = ["MAIDSTONE", "DISTRICT_ALIASES", "district_from_lsoa_name"]

MAIDSTONE = "Maidstone"
# LSOA names published before a district was renamed (2011 LSOA names in 2022 files)
DISTRICT_ALIASES = {"Shepway": "Folkestone and Hythe"}


def district_from_lsoa_name(name: str | None) -> str | None:
    """``'Tonbridge and Malling 001A'`` -> ``'Tonbridge and Malling'``; ``'Shepway 003B'`` ->
    ``'Folkestone and Hythe'`` (renamed in 2018).

    >>> district_from_lsoa_name("Shepway 003B"), district_from_lsoa_name(None)
    ('Folkestone and Hythe', None)
    """
    if not name:
        return None
    prefix = name.rsplit(" ", 1)[0]
    return DISTRICT_ALIASES.get(prefix, prefix)
