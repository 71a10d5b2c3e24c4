"""Ingest police.uk street-level crime and ASB into the SMP DuckDB store.

Data flow: police.uk files (archive folder, archive zip or API) -> ``sources`` ->
``ingest`` (validation, rejects) -> ``enrich`` (district, LSOA 2021, wards on both sets)
-> ``build`` (DuckDB store, atomically replaced). ``python -m smp_data build --help``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
