"""Plain words for the statistics the public meets (issue 8, item 5).

At the point of use a reader sees one plain sentence; the technical name and method go in a help
tooltip or a "How this is worked out" expander (:func:`how_worked_out`). Every term the dashboard uses
is here, so the same idea is said the same way on every page.
"""

from __future__ import annotations

__all__ = ["BREAKS", "BREAKS_LABEL", "BREAKS_HELP", "breaks_words", "SIGNIFICANCE_PLAIN", "SIGNIFICANCE_METHOD",
           "chance_words", "UNUSUAL_MONTH_PLAIN", "CONTROL_CHART_TITLE", "CONTROL_CHART_METHOD", "BASELINE_HELP",
           "HOT_SPOTS_PLAIN", "HOT_SPOTS_LEGEND", "JARGON", "how_worked_out", "HOW_WORKED_OUT", "signal_words"]

HOW_WORKED_OUT = "How this is worked out"

# ---------------------------------------------------------------- map colours (class breaks)
BREAKS = {"natural_breaks": "Groups of similar values", "quantiles": "The same number of wards in each colour"}
BREAKS_LABEL = "How the colours are grouped"
BREAKS_HELP = ("Groups of similar values: the steps between colours fall where the gaps between the wards' values "
               "are largest, so wards with one colour have similar values (the 'natural breaks' or Fisher-Jenks "
               "method). The same number in each colour: the wards are ranked and split into five equal groups "
               "('quantiles'), so a colour says where a ward ranks, not how big its value is.")


def breaks_words(scheme: str) -> str:
    """The legend's note on how the colours were chosen, in plain words.

    >>> breaks_words("natural_breaks"), breaks_words("quantiles")
    ('colours group similar values', 'each colour has the same number of areas')
    """
    return "colours group similar values" if scheme == "natural_breaks" else "each colour has the same number of areas"


# ---------------------------------------------------------------- change: significance
SIGNIFICANCE_PLAIN = ("'Significant' means a change this big would happen by chance less than 1 time in 20; "
                      "'no significant change' means it is within the normal ups and downs from month to month.")
SIGNIFICANCE_METHOD = ("Significance: exact conditional (binomial) test for two Poisson counts, two-sided, 5% level, "
                       "on the months that have data in both periods.")


def chance_words(p: float | None) -> str:
    """The p-value of a change in words.

    >>> chance_words(0.0004), chance_words(0.03), chance_words(0.4), chance_words(None)
    ('very unlikely to be chance (p < 0.001)', 'unlikely to be chance (p = 0.030)', 'could well be chance (p = 0.400)', '')
    """
    if p is None or p != p:
        return ""
    if p < 0.001:
        return "very unlikely to be chance (p < 0.001)"
    return f"{'unlikely to be chance' if p < 0.05 else 'could well be chance'} (p = {p:.3f})"


# ---------------------------------------------------------------- unusual months: SPC (XmR) charts
CONTROL_CHART_TITLE = "Is any month unusual? Records per month against their usual range"
UNUSUAL_MONTH_PLAIN = (
    "Months between the dashed lines are within the usual ups and downs. A marker flags a month worth a closer "
    "look: a diamond when it is outside the dashed lines, a square when it is one of 7 or more months in a row on "
    "the same side of the middle line, a triangle when it is one of 6 or more months each higher (▲) or lower (▼) "
    "than the last. Orange means upwards, purple downwards. A month with no data (grey band) breaks a run.")
CONTROL_CHART_METHOD = (
    "This is a statistical process control (SPC) chart of the XmR type. The middle (centre) line is the average "
    "of the baseline months; the dashed control limits are the centre line ± 2.66 × the mean moving range (the "
    "average change from one month to the next, never taken across a gap). The signal rules are one point beyond "
    "a control limit, a run of 7 or more points on one side of the centre line and a trend of 6 or more points "
    "each higher or lower than the last (rule sizes as NHS England's 'Making Data Count'; the SMP Partnership "
    "Plan 2017-18, Appendix 1, uses these charts).")
_SIGNAL_RULES = (  # analytics.spc's words for each rule -> the reader's words (as the chart legend)
    (r"Above upper control limit", "above the usual range"),
    (r"Below lower control limit", "below the usual range"),
    (r"Run of (\d+)\+ above centre line", r"\1+ months in a row above average"),
    (r"Run of (\d+)\+ below centre line", r"\1+ months in a row below average"),
    (r"Rising trend \((\d+)\+ points\)", r"rising \1+ months in a row"),
    (r"Falling trend \((\d+)\+ points\)", r"falling \1+ months in a row"),
)


def signal_words(text: str) -> str:
    """An SPC signal (``analytics.spc``'s rule names, joined by '; ') in plain words; other text unchanged.

    >>> signal_words("Above upper control limit; Run of 7+ above centre line")
    'Yes: above the usual range; 7+ months in a row above average'
    >>> signal_words("Rising trend (6+ points)"), signal_words("No signal"), signal_words("—")
    ('Yes: rising 6+ months in a row', 'No signal', '—')
    """
    import re  # noqa: PLC0415

    parts = text.split("; ")
    plain = []
    for part in parts:
        for pattern, words in _SIGNAL_RULES:
            if re.fullmatch(pattern, part):
                plain.append(re.sub(pattern, words, part))
                break
        else:
            return text
    return "Yes: " + "; ".join(plain)


BASELINE_HELP = ("The usual range is worked out from these months (the SPC 'baseline'): pick months you trust as "
                 "normal to judge the others against them.")

# ---------------------------------------------------------------- hot and cold spots: Getis-Ord Gi*
HOT_SPOTS_PLAIN = (
    "A hot spot is a neighbourhood (LSOA) that, together with the neighbourhoods around it, has more records than "
    "the rest of the borough by more than chance would explain; a cold spot has fewer. It shows where records "
    "cluster, not why.")
HOT_SPOTS_LEGEND = "Hot or cold spot"

# words that must not be the only explanation a reader gets (tests/test_plain_language.py)
JARGON = ("Jenks", "Gi*", "Getis", "queen", "folded", "XmR", "Poisson", "binomial", "SPC", "control limit",
          "z-score", "quantile")


def how_worked_out(text: str, title: str = HOW_WORKED_OUT) -> None:
    """The technical description, one click away."""
    import streamlit as st  # noqa: PLC0415  (the words above need no Streamlit)

    with st.expander(title):
        st.markdown(text)
