"""Data shaping and figures for the Overview page (pure functions, no Streamlit).

* :func:`trend_frame` and :func:`trend_with_comparison`: the monthly trend of each class for the
  period, with the comparison period drawn on the same months (month *i* of the comparison at
  month *i* of the period), gaps as gaps.
* :func:`kent_table`, :func:`kent_average`, :func:`kent_verdict` and :func:`kent_rate_figure`: the
  Kent and Medway district comparison over the selected period's months (never the comparison's),
  rates for the months shown and annualised, the Kent and Medway rate as the average, and a plain
  verdict whose "close" is defined (:data:`CLOSE_BAND`).
"""

from __future__ import annotations

import pandas as pd

from analytics.periods import months_label
from analytics.rates import change_label, format_count
from dashboard import theme, vega
from dashboard.compare import ALL_CRIME, Comparison, aligned_comparison
from dashboard.theme import CLASS_COLOURS, DECREASE, INCREASE
from dashboard.vega import VegaFigure

__all__ = ["CLOSE_BAND", "MAIDSTONE", "trend_frame", "trend_with_comparison", "type_change_figure", "trend_table",
           "kent_table",
           "kent_average", "kent_verdict", "kent_rate_figure", "kent_volume_figure", "kent_display", "kent_sentence"]

MAIDSTONE = "Maidstone"
CLOSE_BAND = 0.10  # a rate within 10% of the Kent and Medway rate is "close to the Kent average"
MAIDSTONE_COLOUR, OTHER_COLOUR = theme.MAIDSTONE_COLOUR, theme.DISTRICT_COLOUR  # Okabe-Ito vermillion / blue


# ---------------------------------------------------------------- monthly trend
def _with_all_crime(data: pd.DataFrame, classes: tuple[str, ...]) -> pd.DataFrame:
    """Add an 'All crime' (VBC + CAS) series when more than one class is shown and crime is among them."""
    if not (len(classes) > 1 and {"VBC", "CAS"} & set(classes)):
        return data
    crime = data[data["crime_class"].isin(["VBC", "CAS"])]
    keys = [c for c in ("month", "comparison_month") if c in crime.columns]
    agg = {"records": ("records", lambda s: s.sum(min_count=1))}
    if "is_present" in crime.columns:
        agg["is_present"] = ("is_present", "first")
    total = crime.groupby(keys, as_index=False).agg(**agg).assign(crime_class=ALL_CRIME)
    return pd.concat([data, total], ignore_index=True)


def trend_frame(monthly: pd.DataFrame, cmp: Comparison, classes: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(period series, comparison series aligned on the period's months), each with 'All crime' added.

    >>> import datetime as dt
    >>> from analytics.periods import Period
    >>> m = pd.DataFrame({"month": [dt.date(2024, 1, 1), dt.date(2025, 1, 1)] * 2, "crime_class": ["VBC"] * 2 + ["CAS"] * 2,
    ...                   "records": [5, 7, 1, 2], "is_present": [True] * 4})
    >>> c = Comparison(Period(dt.date(2025, 1, 1), dt.date(2025, 1, 1)), Period(dt.date(2024, 1, 1), dt.date(2024, 1, 1)),
    ...                (dt.date(2025, 1, 1),), (dt.date(2025, 1, 1),), (dt.date(2024, 1, 1),), "")
    >>> now, before = trend_frame(m, c, ("VBC", "CAS"))
    >>> now[now.crime_class == "All crime"].records.tolist(), before[before.crime_class == "All crime"].records.tolist()
    ([9.0], [6.0])
    """
    data = monthly.assign(month=pd.to_datetime(monthly["month"]).dt.date)
    data = data.assign(records=pd.to_numeric(data["records"], errors="coerce").astype("float64"))
    current = data[data["month"].isin(set(cmp.period.months))]
    return _with_all_crime(current, classes), _with_all_crime(aligned_comparison(data, cmp), classes)


def trend_with_comparison(current: pd.DataFrame, comparison: pd.DataFrame, cmp: Comparison) -> VegaFigure:
    """Each series for the period (thick) and, when comparing, the same series for the comparison
    period on the same months (thin, faded, open markers; hovering one names its comparison month).
    Months with no data are shaded "no data", and no line crosses them."""
    subtitle = months_label(cmp.period.months)
    faded = None
    if cmp.comparison_period is not None and not comparison.empty:
        faded = comparison
        subtitle += f"; faded lines: {months_label(cmp.comparison_period.months)} on the same months"
    present = current.drop_duplicates("month").sort_values("month")
    chart = vega.trend_chart(current, series="crime_class", colours=CLASS_COLOURS, comparison=faded,
                             present=(present["month"].tolist(), present["is_present"].astype(bool).tolist()))
    shown = ", ".join(str(c) for c in dict.fromkeys(current["crime_class"]))
    return VegaFigure(chart, "Records per month", subtitle,
                      f"Line chart of records per month ({shown}), {subtitle}. The table below the chart has "
                      "every value.")


def type_change_figure(table: pd.DataFrame, cmp: Comparison) -> VegaFigure:
    """The change in records of each crime type, period against comparison: orange bars = more, purple =
    fewer, each labelled with its type and change above the bar. ``table``: :func:`dashboard.compare.type_change_table`."""
    values = table["change"].astype(float)
    lo, hi = min(0.0, float(values.min())), max(0.0, float(values.max()))
    pad = 0.08 * ((hi - lo) or 1.0)
    text = [f"{t}: {change_label(r, p)}" for t, r, p in
            zip(table["crime_type"], table["records"], table["records_comparison"])]
    chart = vega.hbar_chart(table, label="crime_type", value="change",
                            colours=[INCREASE if c > 0 else DECREASE for c in values], text=text,
                            x_title="Change in records (orange = increase, purple = decrease)", x_format="+,d",
                            tooltip_format="+,", domain=(lo - pad if lo < 0 else 0.0, hi + pad if hi > 0 else 0.0))
    return VegaFigure(chart, "Change by crime type", f"{cmp.label} vs {cmp.comparison_label}",
                      f"Bar chart of the change in records of each crime type, {cmp.label} against "
                      f"{cmp.comparison_label}. The table below the chart has every value.")


def trend_table(current: pd.DataFrame, comparison: pd.DataFrame, cmp: Comparison) -> pd.DataFrame:
    """The trend chart's numbers: one row per month of the period, one column per series, and the
    comparison month with its counts beside it (empty = no data).

    >>> import datetime as dt
    >>> from analytics.periods import Period
    >>> now = pd.DataFrame({"month": [dt.date(2025, 1, 1)], "crime_class": ["ASB"], "records": [12.0]})
    >>> before = pd.DataFrame({"month": [dt.date(2025, 1, 1)], "comparison_month": [dt.date(2024, 1, 1)],
    ...                        "crime_class": ["ASB"], "records": [10.0]})
    >>> c = Comparison(Period(dt.date(2025, 1, 1), dt.date(2025, 1, 1)), Period(dt.date(2024, 1, 1), dt.date(2024, 1, 1)),
    ...                (dt.date(2025, 1, 1),), (dt.date(2025, 1, 1),), (dt.date(2024, 1, 1),), "")
    >>> trend_table(now, before, c).values.tolist()
    [['Jan 2025', 12.0, 'Jan 2024', 10.0]]
    """
    wide = current.pivot_table(index="month", columns="crime_class", values="records", dropna=False, sort=True)
    out = pd.DataFrame({"Month": [m.strftime("%b %Y") for m in wide.index]})
    for col in wide.columns:
        out[str(col)] = wide[col].to_numpy()
    if cmp.comparison_period is not None and not comparison.empty:
        back = comparison.pivot_table(index="month", columns="crime_class", values="records", dropna=False,
                                      sort=True).reindex(wide.index)
        months = comparison.drop_duplicates("month").set_index("month")["comparison_month"].reindex(wide.index)
        out["Comparison month"] = [m.strftime("%b %Y") if pd.notna(m) else "" for m in months]
        for col in back.columns:
            out[f"{col}, comparison"] = back[col].to_numpy()
    return out


# ---------------------------------------------------------------- Kent and Medway
def kent_table(kent: pd.DataFrame, n_months: int) -> pd.DataFrame:
    """``district_summary`` rows with the rate annualised (× 12 / months) and the rank by rate.

    >>> k = pd.DataFrame({"district_name": ["A", "Maidstone"], "population": [1000, 2000], "records": [30, 40],
    ...                   "rate_per_1000_residents": [30.0, 20.0], "rank_by_rate": [1, 2], "rank_by_records": [2, 1]})
    >>> kent_table(k, 6)[["district_name", "rate_per_1000_residents", "rate_per_1000_a_year"]].values.tolist()
    [['A', 30.0, 60.0], ['Maidstone', 20.0, 40.0]]
    """
    out = kent.copy()
    out["rate_per_1000_a_year"] = out["rate_per_1000_residents"] * 12.0 / n_months if n_months else float("nan")
    return out.sort_values(["rank_by_rate", "district_name"]).reset_index(drop=True)


def kent_average(kent: pd.DataFrame) -> float:
    """The Kent and Medway rate: all 13 districts' records per 1,000 of all their residents (the
    rate of Kent and Medway as one place, not an average of district rates).

    >>> kent_average(pd.DataFrame({"records": [30, 40], "population": [1000, 2000]}))
    23.333333333333332
    """
    return 1000.0 * float(kent["records"].sum()) / float(kent["population"].sum())


def kent_verdict(kent: pd.DataFrame, months: str, district: str = MAIDSTONE, band: float = CLOSE_BAND) -> str:
    """The plain verdict: above, close to or below the Kent and Medway rate, with the rank.

    "Close" means within ``band`` (10%) of the Kent and Medway rate, said in the sentence.

    >>> k = pd.DataFrame({"district_name": ["A", "Maidstone", "B"], "population": [1000, 2000, 1000],
    ...                   "records": [30, 38, 10], "rate_per_1000_residents": [30.0, 19.0, 10.0],
    ...                   "rank_by_rate": [1, 2, 3]})
    >>> print(kent_verdict(k, "Jan–Dec 2025"))  # doctest: +NORMALIZE_WHITESPACE
    Maidstone's rate is close to the Kent and Medway average: 2nd of 3 districts (1 = highest rate).
    Maidstone had 19.0 records per 1,000 residents in Jan–Dec 2025; Kent and Medway as a whole 19.5
    (3% below). "Close" means within 10% of the Kent and Medway rate.
    """
    row = kent[kent["district_name"] == district].iloc[0]
    avg = kent_average(kent)
    rate = float(row["rate_per_1000_residents"])
    diff = (rate - avg) / avg if avg else 0.0
    where = "close to" if abs(diff) <= band else ("above" if diff > 0 else "below")
    side = "above" if diff > 0 else "below"
    return (f"{district}'s rate is {where} the Kent and Medway average: {_ordinal(int(row['rank_by_rate']))} of "
            f"{len(kent)} districts (1 = highest rate). {district} had {rate:,.1f} records per 1,000 residents in "
            f"{months}; Kent and Medway as a whole {avg:,.1f} ({abs(diff):.0%} {side}). \"Close\" means within "
            f"{band:.0%} of the Kent and Medway rate.")


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th ...

    >>> [_ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st']
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _bars(data: pd.DataFrame, value: str, decimals: int, x_title: str, **kwargs):
    colours = [MAIDSTONE_COLOUR if d == MAIDSTONE else OTHER_COLOUR for d in data["district_name"]]
    text = [f"{d}: {float(v):,.{decimals}f}" for d, v in zip(data["district_name"], data[value])]
    return vega.hbar_chart(data, label="district_name", value=value, colours=colours, text=text, x_title=x_title,
                           tooltip_format=f",.{decimals}f", x_format=",d" if decimals == 0 else ",~f", **kwargs)


def kent_volume_figure(kent: pd.DataFrame, title: str) -> VegaFigure:
    """Records by district, most at the top, Maidstone in orange."""
    data = kent.sort_values(["records", "district_name"], ascending=[False, True])
    chart = _bars(data, "records", 0, "Records")
    return VegaFigure(chart, title, None, f"Bar chart of records by Kent and Medway district, {title}, most at "
                                          "the top, Maidstone in orange. The table below the chart has every value.")


def kent_rate_figure(kent: pd.DataFrame, title: str, band: float = CLOSE_BAND) -> VegaFigure:
    """Rate per 1,000 residents by district, highest at the top, with the Kent and Medway rate as a dashed
    line and the "close" band (± ``band``) shaded."""
    data = kent.sort_values(["rate_per_1000_residents", "district_name"], ascending=[False, True])
    avg = kent_average(kent)
    top = 1.08 * max(float(data["rate_per_1000_residents"].max()), avg * (1 + band))
    chart = _bars(data, "rate_per_1000_residents", 1, "Records per 1,000 residents", domain=(0.0, top),
                  under=[vega.reference_band(avg * (1 - band), avg * (1 + band))],
                  over=[vega.reference_line(avg, f"Kent and Medway {avg:,.1f}")])
    return VegaFigure(chart, title, None, f"Bar chart of records per 1,000 residents by Kent and Medway district, "
                                          f"{title}, highest at the top, with the Kent and Medway rate "
                                          f"({avg:,.1f}) as a dashed line. The table below the chart has every value.")


def kent_display(kent: pd.DataFrame, months: str, n_months: int) -> pd.DataFrame:
    """The Kent table as shown and downloaded: headings say the months and whether a rate is annualised.

    >>> k = kent_table(pd.DataFrame({"district_name": ["Maidstone"], "population": [2000], "records": [40],
    ...     "rate_per_1000_residents": [20.0], "rank_by_rate": [1], "rank_by_records": [1]}), 6)
    >>> list(kent_display(k, "Jan–Jun 2025", 6).columns)[2:]
    ['Records, Jan–Jun 2025', 'Per 1,000 residents, Jan–Jun 2025', 'Per 1,000 residents a year (× 12/6)', 'Rank by records', 'Residents']
    """
    out = pd.DataFrame({"Rank by rate": kent["rank_by_rate"].astype("int64").to_numpy(),
                        "District": kent["district_name"].to_numpy(),
                        f"Records, {months}": kent["records"].astype("int64").to_numpy(),
                        f"Per 1,000 residents, {months}": kent["rate_per_1000_residents"].round(1).to_numpy()})
    if n_months != 12:
        out[f"Per 1,000 residents a year (× 12/{n_months})"] = kent["rate_per_1000_a_year"].round(1).to_numpy()
    out["Rank by records"] = kent["rank_by_records"].astype("int64").to_numpy()
    out["Residents"] = kent["population"].astype("int64").to_numpy()
    return out


def kent_sentence(kent: pd.DataFrame, months: str, n_months: int, district: str = MAIDSTONE) -> str:
    """Volume and rate in one line, the rate annualised when the months are not a year.

    >>> k = kent_table(pd.DataFrame({"district_name": ["Maidstone"], "population": [2000], "records": [40],
    ...     "rate_per_1000_residents": [20.0], "rank_by_rate": [1], "rank_by_records": [1]}), 6)
    >>> kent_sentence(k, "Jan–Jun 2025", 6)
    'Maidstone: 40 records in Jan–Jun 2025, 1st of 1 by volume; 20.0 per 1,000 residents in those 6 months (40.0 a year if annualised).'
    """
    row = kent[kent["district_name"] == district].iloc[0]
    year = "" if n_months == 12 else f" ({row['rate_per_1000_a_year']:,.1f} a year if annualised)"
    return (f"{district}: {format_count(row['records'])} records in {months}, {_ordinal(int(row['rank_by_records']))} "
            f"of {len(kent)} by volume; {row['rate_per_1000_residents']:,.1f} per 1,000 residents in those "
            f"{n_months} months{year}.")
