"""analytics.hotspots: Gi* on a synthetic lattice, the repeat rule, natural breaks and the hexagon grid."""

import math

import mapclassify
import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
import shapely
from libpysal.weights import lat2W

from analytics.hotspots import (
    GI_CLASSES,
    getis_ord_classes,
    gi_class,
    hex_bin,
    hex_index,
    hexagon_vertices,
    natural_breaks,
    queen_weights,
    repeat_threshold,
)

pytestmark = pytest.mark.filterwarnings("ignore:Numba not installed")

SIDE = 7  # a 7 x 7 lattice, cells numbered row by row


def cell(row: int, col: int) -> int:
    return row * SIDE + col


def lattice_values() -> np.ndarray:
    """Background 5; a 3x3 block of 20 in the top-left corner (hot), a 3x3 block of 0 bottom-right (cold)."""
    v = np.full(SIDE * SIDE, 5.0)
    for r in range(3):
        for c in range(3):
            v[cell(r, c)] = 20.0
            v[cell(SIDE - 1 - r, SIDE - 1 - c)] = 0.0
    return v


@pytest.fixture(scope="module")
def lattice_w():
    return lat2W(SIDE, SIDE, rook=False)  # queen contiguity, binary


@pytest.fixture(scope="module")
def lattice_result(lattice_w):
    return getis_ord_classes(lattice_values(), lattice_w, permutations=999, seed=7)


# --------------------------------------------------------------------------- Gi*
def test_the_centre_of_the_high_block_is_a_99pc_hot_spot(lattice_result):
    row = lattice_result.loc[cell(1, 1)]
    # its neighbourhood (itself and 8 neighbours) is all 20s: no rearrangement can beat it
    assert row["gi_class"] == "Hot spot 99% confidence"
    assert row["p_sim"] == pytest.approx(1 / 1000)
    assert row["gi_z"] > 3


def test_the_centre_of_the_zero_block_is_a_cold_spot(lattice_result):
    row = lattice_result.loc[cell(SIDE - 2, SIDE - 2)]
    assert row["gi_class"].startswith("Cold spot")
    assert row["p_sim"] <= 0.01
    assert row["gi_z"] < -3


@pytest.mark.parametrize("rc", [(0, SIDE - 1), (SIDE - 1, 0), (3, 3)])
def test_cells_away_from_both_blocks_are_not_significant(lattice_result, rc):
    # (0, 6) and (6, 0) are corners of plain 5s; (3, 3) touches one cell of each block
    assert lattice_result.loc[cell(*rc), "gi_class"] == "Not significant"


def test_every_hot_block_cell_is_hot_and_no_background_corner_is(lattice_result):
    hot = [cell(r, c) for r in range(3) for c in range(3)]
    assert all(lattice_result.loc[hot, "gi_class"].str.startswith("Hot spot"))
    assert not lattice_result["gi_class"].str.startswith("Hot spot").loc[[cell(SIDE - 1, SIDE - 1)]].any()


def test_result_has_one_row_per_area_in_weights_order(lattice_result, lattice_w):
    assert list(lattice_result["area_id"]) == [str(i) for i in lattice_w.id_order]
    assert set(lattice_result["gi_class"]) <= set(GI_CLASSES)
    assert lattice_result["p_sim"].between(1 / 1000, 1).all()


def test_a_fixed_seed_gives_identical_results(lattice_w):
    a = getis_ord_classes(lattice_values(), lattice_w, permutations=199, seed=3)
    b = getis_ord_classes(lattice_values(), lattice_w, permutations=199, seed=3)
    pdt.assert_frame_equal(a, b)


def test_values_can_be_a_series_in_any_order(lattice_w, lattice_result):
    series = pd.Series(lattice_values(), index=[str(i) for i in lattice_w.id_order]).iloc[::-1]
    out = getis_ord_classes(series, lattice_w, permutations=999, seed=7)
    pdt.assert_frame_equal(out, lattice_result)


def test_the_weights_passed_in_are_not_modified(lattice_w):
    before = {k: list(v) for k, v in lattice_w.weights.items()}
    getis_ord_classes(lattice_values(), lattice_w, permutations=99, seed=1)
    assert {k: list(v) for k, v in lattice_w.weights.items()} == before
    assert all(i not in lattice_w.neighbors[i] for i in lattice_w.id_order)  # still no self-weight


@pytest.mark.parametrize("values, message", [
    ([-1.0] + [1.0] * 48, "zero or more"),
    ([3.0] * 49, "differ"),
    ([0.0] * 49, "differ"),
    ([1.0] * 48, "48 values for 49 areas"),
    ([np.nan] + [1.0] * 48, "every area needs a value"),
])
def test_unusable_values_are_refused_with_a_message(lattice_w, values, message):
    with pytest.raises(ValueError, match=message):
        getis_ord_classes(values, lattice_w, permutations=99)


def test_a_series_missing_an_area_is_refused(lattice_w):
    series = pd.Series(lattice_values()[:-1], index=[str(i) for i in lattice_w.id_order[:-1]])
    with pytest.raises(ValueError, match="no value for 1 area"):
        getis_ord_classes(series, lattice_w)


@pytest.mark.parametrize("z, p, expected", [
    (4.0, 0.001, "Hot spot 99% confidence"),
    (2.0, 0.01, "Hot spot 99% confidence"),
    (2.0, 0.0101, "Hot spot 95% confidence"),
    (1.7, 0.05, "Hot spot 95% confidence"),
    (1.7, 0.1, "Hot spot 90% confidence"),
    (1.5, 0.11, "Not significant"),
    (-1.7, 0.09, "Cold spot 90% confidence"),
    (-2.2, 0.04, "Cold spot 95% confidence"),
    (-3.0, 0.002, "Cold spot 99% confidence"),
    (0.0, 0.001, "Not significant"),
    (float("nan"), 0.001, "Not significant"),
])
def test_gi_class(z, p, expected):
    assert gi_class(z, p) == expected


# --------------------------------------------------------------------------- weights
def test_queen_weights_on_a_2x2_grid_of_squares():
    squares = [shapely.box(x, y, x + 1, y + 1) for y in (0, 1) for x in (0, 1)]
    w = queen_weights(squares, ["a", "b", "c", "d"])
    assert w.id_order == ["a", "b", "c", "d"]
    assert {k: sorted(v) for k, v in w.neighbors.items()} == {
        "a": ["b", "c", "d"], "b": ["a", "c", "d"], "c": ["a", "b", "d"], "d": ["a", "b", "c"]}


def test_queen_weights_refuse_an_island():
    shapes = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(5, 5, 6, 6)]
    with pytest.raises(ValueError, match="no neighbours.*'c'"):
        queen_weights(shapes, ["a", "b", "c"])


# --------------------------------------------------------------------------- repeat rule
@pytest.mark.parametrize("n, expected", [(1, 1), (2, 2), (3, 3), (4, 3), (5, 4), (6, 4), (7, 5), (12, 7)])
def test_repeat_threshold(n, expected):
    assert repeat_threshold(n) == expected
    if n > 2:
        assert expected == math.ceil(n / 2) + 1


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True])
def test_repeat_threshold_refuses_bad_input(bad):
    with pytest.raises(ValueError):
        repeat_threshold(bad)


# --------------------------------------------------------------------------- natural breaks
def _within_class_ss(x, bins):
    cls = np.searchsorted(np.asarray(bins), x, side="left")
    return sum(((x[cls == i] - x[cls == i].mean()) ** 2).sum() for i in np.unique(cls))


@pytest.mark.parametrize("seed", range(8))
def test_natural_breaks_are_as_good_as_mapclassify_fisher_jenks(seed):
    rng = np.random.default_rng(seed)
    x = np.round(rng.gamma(1.2, 12, int(rng.integers(20, 80))))
    k = int(rng.integers(2, 7))
    ours = natural_breaks(x, k)
    theirs = list(mapclassify.FisherJenks(x, k=k).bins)
    assert len(ours) == len(theirs)
    assert ours[-1] == x.max()
    assert _within_class_ss(x, ours) == pytest.approx(_within_class_ss(x, theirs))


def test_natural_breaks_with_fewer_distinct_values_than_classes():
    assert natural_breaks([2, 2, 7], k=5) == [2.0, 7.0]
    assert natural_breaks([4, 4], k=3) == [4.0]
    assert natural_breaks([None, float("nan"), 3], k=2) == [3.0]


# --------------------------------------------------------------------------- hexagons
def test_hex_bin_keeps_every_record_and_groups_nearby_points():
    lon = [0.55, 0.5502, 0.5499, 0.60, np.nan]
    lat = [51.27, 51.2701, 51.2699, 51.30, 51.0]
    out = hex_bin(lon, lat, [3, 4, 5, 6, 100], radius_m=200)
    assert out["records"].sum() == 18  # the point with no longitude is left out
    assert out.iloc[0][["q", "r", "records"]].tolist() == [0, 0, 12]
    assert out["records"].dtype == np.int64


def test_a_point_belongs_to_the_hexagon_whose_centre_is_nearest():
    rng = np.random.default_rng(0)
    lon = 0.4 + rng.random(500) * 0.4
    lat = 51.15 + rng.random(500) * 0.2
    q, r = hex_index(lon, lat, 250)
    centres = hex_bin(lon, lat, radius_m=250).set_index(["q", "r"])[["lon", "lat"]]
    m_lon = 111_320 * math.cos(math.radians(51.27))
    own = centres.loc[list(zip(q, r))].to_numpy()
    d_own = np.hypot((lon - own[:, 0]) * m_lon, (lat - own[:, 1]) * 111_320)
    assert (d_own <= 250 + 1e-6).all()  # inside its hexagon's circumcircle
    for k in range(0, 500, 50):  # no other occupied hexagon centre is nearer
        d_all = np.hypot((lon[k] - centres["lon"]) * m_lon, (lat[k] - centres["lat"]) * 111_320)
        assert d_own[k] <= d_all.min() + 1e-6


def test_hexagon_vertices_are_radius_metres_from_the_centre():
    corners = np.array(hexagon_vertices(0.55, 51.27, 200))
    m_lon = 111_320 * math.cos(math.radians(51.27))
    d = np.hypot((corners[:, 0] - 0.55) * m_lon, (corners[:, 1] - 51.27) * 111_320)
    np.testing.assert_allclose(d, 200, atol=0.5)
