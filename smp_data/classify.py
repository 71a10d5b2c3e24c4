"""Classification of police.uk crime types.

Two classifications, both held here as data and written to the store:

* crime class: the partnership's split into victim-based crime (VBC), crimes against
  society (CAS) and anti-social behaviour (ASB), from para 26 of the SMP Strategic
  Assessment 2024/25, mapped onto the 14 police.uk street-level categories;
* SMP priorities and cross-cutting themes: which police.uk categories measure each one,
  which are only proxies, and which priorities police.uk cannot measure at all. The
  "cannot measure" is data (``measurable = 'no'``), not just prose, so the dashboard
  can say it next to every chart.

>>> crime_class("Shoplifting")
'VBC'
>>> crime_class("Anti-social behaviour")
'ASB'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CRIME_TYPES",
    "API_CATEGORY_SLUGS",
    "PRIORITIES",
    "PRIORITY_CRIME_TYPES",
    "UnknownCrimeType",
    "crime_class",
    "crime_type_from_slug",
]


class UnknownCrimeType(ValueError):
    """A crime type that is not a police.uk street-level category."""


@dataclass(frozen=True)
class CrimeType:
    name: str  # as police.uk writes it in the archive CSVs
    slug: str  # as the police.uk API writes it
    crime_class: str  # 'VBC' | 'CAS' | 'ASB'
    sa_categories: str  # the Strategic Assessment para 26 categories it covers
    is_current: bool = True  # False for categories police.uk retired (kept for old files)


# Para 26 lists VBC as: arson & criminal damage, bicycle theft, burglary (business and
# community; residential), robbery, sexual offences, shoplifting, theft from a vehicle,
# theft of motor vehicle, theft offences, vehicle interference, violence against the
# person; CAS as: drug offences, public order, possession of weapons, misc. crimes against
# society. police.uk's "Other crime" is the Home Office "miscellaneous crimes against
# society" group, so it is CAS.
CRIME_TYPES: tuple[CrimeType, ...] = (
    CrimeType("Anti-social behaviour", "anti-social-behaviour", "ASB",
              "Anti-social behaviour incidents (not crimes)"),
    CrimeType("Bicycle theft", "bicycle-theft", "VBC", "Bicycle theft"),
    CrimeType("Burglary", "burglary", "VBC",
              "Burglary - residential; burglary - business and community"),
    CrimeType("Criminal damage and arson", "criminal-damage-arson", "VBC",
              "Arson & criminal damage"),
    CrimeType("Drugs", "drugs", "CAS", "Drug offences (possession and supply)"),
    CrimeType("Other theft", "other-theft", "VBC", "Theft offences"),
    CrimeType("Possession of weapons", "possession-of-weapons", "CAS",
              "Possession of weapons"),
    CrimeType("Public order", "public-order", "CAS", "Public order"),
    CrimeType("Robbery", "robbery", "VBC", "Robbery"),
    CrimeType("Shoplifting", "shoplifting", "VBC", "Shoplifting"),
    CrimeType("Theft from the person", "theft-from-the-person", "VBC", "Theft offences"),
    CrimeType("Vehicle crime", "vehicle-crime", "VBC",
              "Theft from a vehicle; theft of motor vehicle; vehicle interference"),
    CrimeType("Violence and sexual offences", "violent-crime", "VBC",
              "Violence against the person; sexual offences"),
    CrimeType("Other crime", "other-crime", "CAS", "Misc. crimes against society"),
    # Retired police.uk categories (before May 2013); kept so old archives classify.
    CrimeType("Violent crime", "violent-crime-legacy", "VBC",
              "Violence against the person; sexual offences", is_current=False),
    CrimeType("Public disorder and weapons", "public-disorder-weapons", "CAS",
              "Public order; possession of weapons", is_current=False),
)

_BY_NAME = {c.name: c for c in CRIME_TYPES}
API_CATEGORY_SLUGS = {c.slug: c.name for c in CRIME_TYPES if c.is_current}


def crime_class(crime_type: str) -> str:
    """Return 'VBC', 'CAS' or 'ASB' for a police.uk crime type; raise if unknown."""
    try:
        return _BY_NAME[crime_type].crime_class
    except KeyError:
        raise UnknownCrimeType(f"unknown crime type {crime_type!r}") from None


def crime_type_from_slug(slug: str) -> str:
    """Map a police.uk API category slug (``violent-crime``) to its archive name."""
    try:
        return API_CATEGORY_SLUGS[slug]
    except KeyError:
        raise UnknownCrimeType(f"unknown police.uk API category {slug!r}") from None


@dataclass(frozen=True)
class Priority:
    priority_id: str
    name: str
    kind: str  # 'priority' | 'theme'
    measurable: str  # 'yes' | 'partial' | 'no' -- from police.uk street-level data
    what_police_uk_measures: str
    what_it_cannot: str
    area_rule: str = ""  # e.g. 'ward:High Street' for the town centre priority


PRIORITIES: tuple[Priority, ...] = (
    Priority(
        "serious_violence_organised_crime",
        "Protecting our communities against serious, violent and organised crime "
        "(including modern-day slavery)",
        "priority",
        "partial",
        "Violence and sexual offences, robbery, possession of weapons and drugs offences.",
        "police.uk has no 'serious violence' marker: homicide, GBH and knife crime cannot be "
        "separated from common assault, and organised crime, county lines and modern slavery "
        "are not identifiable. Kent VRU rankings (partner data) cover serious violence.",
    ),
    Priority(
        "domestic_abuse",
        "Reducing the harm caused by domestic abuse (including stalking)",
        "priority",
        "no",
        "Nothing directly. Violence and sexual offences is shown as a context measure only: "
        "it contains most domestic-abuse crimes but far more besides.",
        "police.uk has no domestic-abuse flag, so domestic abuse cannot be counted from "
        "police.uk. Use the partnership's DA crime tables, MARAC and children figures.",
    ),
    Priority(
        "safe_town_centre",
        "Provide a safe town centre",
        "priority",
        "yes",
        "All crime and ASB in High Street ward (the Town Centre Task Force area, since June "
        "2022), on either boundary set.",
        "The night-time economy, licensed premises and visitor numbers are not in police.uk; "
        "rates per resident overstate risk in a ward with a large visiting population.",
        area_rule="ward:High Street",
    ),
    Priority(
        "children_young_people",
        "Keeping children and young people safe",
        "priority",
        "no",
        "Nothing: police.uk records no victim or offender age.",
        "Missing children, exploitation, youth offending and youth ASB cannot be measured "
        "from police.uk. Use the M-CET, youth justice and 326 Youth Hub figures.",
    ),
    Priority(
        "asb",
        "Tackling ASB in our communities",
        "theme",
        "yes",
        "Anti-social behaviour incidents reported to police.",
        "ASB reported to the council (CPT service requests), CPWs and CPNs are not in "
        "police.uk; ASB is recorded as incidents, not crimes.",
    ),
    Priority(
        "substance_misuse",
        "Reducing the impact of substance misuse on our community",
        "theme",
        "partial",
        "Drugs offences (possession and supply together; often found by proactive policing).",
        "Alcohol-related crime, needle finds, treatment and hospital admissions are not in "
        "police.uk.",
    ),
    Priority(
        "public_perception",
        "Improving public perception and confidence",
        "theme",
        "no",
        "Nothing: perception is measured by surveys.",
        "Feelings of safety and confidence come from the partnership's surveys.",
    ),
    Priority(
        "public_health",
        "Taking a public health approach",
        "theme",
        "no",
        "Nothing directly.",
        "Hospital admissions and other health data are not in police.uk.",
    ),
    Priority(
        "mental_health",
        "Safeguarding people whose mental health makes them vulnerable",
        "theme",
        "no",
        "Nothing: police.uk records no mental-health marker.",
        "Section 136 detentions, referrals and CSVG cases come from partners.",
    ),
    Priority(
        "reoffending",
        "Reducing reoffending and tackling the drivers of crime",
        "theme",
        "no",
        "Nothing: police.uk outcomes describe crimes, not offenders.",
        "Reoffending needs offender-level data (IOM, probation), which is not published here.",
    ),
)

# (priority_id, crime_type, role): role 'measure' counts towards the priority;
# 'context' is shown beside it with a warning that it is not the priority itself.
PRIORITY_CRIME_TYPES: tuple[tuple[str, str, str], ...] = (
    ("serious_violence_organised_crime", "Violence and sexual offences", "measure"),
    ("serious_violence_organised_crime", "Robbery", "measure"),
    ("serious_violence_organised_crime", "Possession of weapons", "measure"),
    ("serious_violence_organised_crime", "Drugs", "measure"),
    ("domestic_abuse", "Violence and sexual offences", "context"),
    *(("safe_town_centre", c.name, "measure") for c in CRIME_TYPES if c.is_current),
    ("asb", "Anti-social behaviour", "measure"),
    ("substance_misuse", "Drugs", "measure"),
)
