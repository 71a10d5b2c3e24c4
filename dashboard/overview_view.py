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
import plotly.graph_objects as go

from analytics.periods import months_label
from analytics.rates import format_count
from dashboard import theme
from dashboard.charts import CLASS_COLOURS, CLASS_DASHES, add_gap_bands, base_layout, pad_bar_axis, trend_figure
from dashboard.compare import ALL_CRIME, Comparison, aligned_comparison

__all__ = ["CLOSE_BAND", "MAIDSTONE", "titled", "trend_frame", "trend_with_comparison", "trend_table", "kent_table",
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


def titled(fig: go.Figure, title: str, subtitle: str) -> go.Figure:
    """A short title with the months on a second, smaller line (titles do not wrap on a phone)."""
    fig.update_layout(title=dict(text=f"{title}<br><sup>{subtitle}</sup>"), margin=dict(t=72))
    return fig


def trend_with_comparison(current: pd.DataFrame, comparison: pd.DataFrame, cmp: Comparison) -> go.Figure:
    """Each series for the period (thick) and, when comparing, the same series for the comparison
    period on the same months (thin, faded, open markers; hover names the comparison month). The
    comparison lines share one legend entry, which shows or hides them all."""
    fig = trend_figure(current, "month", "records", series="crime_class", colours=CLASS_COLOURS)
    subtitle = months_label(cmp.period.months)
    if cmp.comparison_period is not None and not comparison.empty:
        faded = f"Faded: {months_label(cmp.comparison_period.months)}, same months"
        subtitle += f"; faded lines: {months_label(cmp.comparison_period.months)} on the same months"
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines+markers", name=faded, legendgroup="comparison",
                                 line=dict(color=theme.COMPARISON_LINE, width=1.5, dash="dot"),
                                 marker=dict(size=6, symbol="circle-open"), hoverinfo="skip"))
        for name, grp in comparison.groupby("crime_class", sort=False):
            grp = grp.sort_values("month")
            fig.add_trace(go.Scatter(
                x=pd.to_datetime(grp["month"]), y=grp["records"], name=f"{name}, {months_label(grp['comparison_month'])}",
                mode="lines+markers", connectgaps=False, opacity=0.55, legendgroup="comparison", showlegend=False,
                line=dict(color=CLASS_COLOURS.get(name, theme.AXIS), width=1.5, dash=CLASS_DASHES.get(name, "solid")),
                marker=dict(size=6, symbol="circle-open"),
                customdata=[m.strftime("%b %Y") for m in grp["comparison_month"]],
                hovertemplate="%{customdata}: %{y:,}<extra>" + f"{name} (comparison)" + "</extra>",
            ))
    present = current.drop_duplicates("month").sort_values("month")
    add_gap_bands(fig, present["month"], present["is_present"])
    return titled(fig, "Records per month", subtitle)


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


def _bars(data: pd.DataFrame, value: str, fmt: str, title: str, height: int, inside: bool = False) -> go.Figure:
    colours = [MAIDSTONE_COLOUR if d == MAIDSTONE else OTHER_COLOUR for d in data["district_name"]]
    text = dict(textposition="outside")
    if inside:  # labels at the start of each bar, clear of the average line (white on blue, black on orange)
        text = dict(textposition="inside", insidetextanchor="start",
                    textfont=dict(color=[theme.BLACK if d == MAIDSTONE else theme.WHITE for d in data["district_name"]]))
    fig = go.Figure(go.Bar(x=data[value], y=data["district_name"], orientation="h", marker_color=colours,
                           texttemplate=f"%{{x:{fmt}}}", showlegend=False, **text,
                           hovertemplate=f"%{{y}}: %{{x:{fmt}}}<extra></extra>"))
    base_layout(fig, title, height=height)
    fig.update_yaxes(rangemode="normal", tickformat=None)
    return fig


def kent_volume_figure(kent: pd.DataFrame, title: str, height: int = 460) -> go.Figure:
    """Records by district, most at the top, Maidstone in orange."""
    data = kent.sort_values("records")
    fig = _bars(data, "records", ",", title, height)
    pad_bar_axis(fig, data["records"], pad=0.2)
    return fig


def kent_rate_figure(kent: pd.DataFrame, title: str, band: float = CLOSE_BAND, height: int = 460) -> go.Figure:
    """Rate per 1,000 residents by district, with the Kent and Medway rate as a dashed line and the
    "close" band (± ``band``) shaded."""
    data = kent.sort_values("rate_per_1000_residents")
    fig = _bars(data, "rate_per_1000_residents", ".1f", title, height, inside=True)
    avg = kent_average(kent)
    fig.add_vrect(x0=avg * (1 - band), x1=avg * (1 + band), fillcolor=theme.BAND_FILL, line_width=0,
                  layer="below")
    fig.add_vline(x=avg, line=dict(color=theme.TEXT, width=2, dash="dash"))
    fig.add_annotation(x=avg, y=1.0, yref="paper", yanchor="bottom", showarrow=False,
                       text=f"Kent and Medway {avg:,.1f}", font=dict(size=12, color=theme.TEXT))
    fig.update_xaxes(range=[0, 1.08 * max(float(data["rate_per_1000_residents"].max()), avg * (1 + band))])
    return fig


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
