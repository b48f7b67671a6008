"""The expressway along the south edge of the demo city: two one-way carriageways and the
links that join them to the arterial streets."""

import numpy as np

from demo.layout import GRID_STEP_M, Layout
from demo.model import Nodes, Way
from demo.streets import Warp, is_arterial, nearest_k


def motorway(lay: Layout, warp: Warp, extra: Nodes) -> tuple[list[Way], dict[int, int]]:
    """Two carriageways along the south edge and their links; returns the terminal node of
    each linked arterial column (keyed by column index), where the arterial must end.

    Both carriageways join the arterials at the west and east ends; in between only the
    westbound (north, city-side) carriageway has exits and entries, so no link crosses a
    carriageway and no flyover is needed.
    """
    s = GRID_STEP_M

    def node_at(x_m: float, y_m: float) -> int:
        wx, wy = warp(np.array(x_m), np.array(y_m))
        return extra.add(float(wx), float(wy))

    k_w, k_e = nearest_k(-0.8 * lay.n, is_arterial), nearest_k(0.8 * lay.n, is_arterial)
    k_mid = [k for k in range(k_w + 12, k_e - 11, 12) if (k - k_w) % 24 == 0]
    y0, x_w, x_e = lay.motorway_y_m, k_w * s, k_e * s
    terminal = {k: node_at(k * s, y0 + 150.0) for k in [k_w, *k_mid, k_e]}
    merge_x = sorted({x_w + 200.0, x_e - 200.0, *(k * s + d for k in k_mid for d in (-350, 350))})
    stops_x = np.union1d(np.arange(x_w + 200.0, x_e - 200.0, 250.0), merge_x).tolist()
    north = {x: node_at(x, y0 + 15.0) for x in stops_x}  # westbound
    south = {x: node_at(x, y0 - 15.0) for x in stops_x}  # eastbound
    road = {"highway": "motorway", "ref": "G9901", "name": "Demo Expressway", "maxspeed": "120"}
    link = {"highway": "motorway_link", "oneway": "yes", "maxspeed": "60"}
    ways = []
    for lo, hi in zip(merge_x[:-1], merge_x[1:], strict=True):
        part = [x for x in stops_x if lo <= x <= hi]
        ways.append(Way([south[x] for x in part], dict(road)))
        ways.append(Way([north[x] for x in reversed(part)], dict(road)))
    ways += [
        Way([north[x_w + 200.0], terminal[k_w]], dict(link)),
        Way([terminal[k_w], node_at(x_w + 20, y0), south[x_w + 200.0]], dict(link)),
        Way([south[x_e - 200.0], node_at(x_e - 20, y0), terminal[k_e]], dict(link)),
        Way([terminal[k_e], north[x_e - 200.0]], dict(link)),
    ]
    for k in k_mid:
        xa = k * s
        ways.append(Way([north[xa + 350], node_at(xa + 120, y0 + 70), terminal[k]], dict(link)))
        ways.append(Way([terminal[k], node_at(xa - 120, y0 + 70), north[xa - 350]], dict(link)))
    return ways, terminal
