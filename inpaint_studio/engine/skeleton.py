"""Pixel skeletons to chains: thinning an edge map to 1-px lines and tracing them.

The pixel-level half of :mod:`.strokes`: a thinned map becomes ordered point chains,
broken at junctions and joined again where two branches continue each other, so a
stroke follows one edge instead of stopping at every crossing.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def _zhang_suen(img: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    a = img.copy()
    h, w = a.shape
    changed = True
    while changed:
        changed = False
        for step in range(2):
            kill = []
            for y in range(1, h - 1):
                for x in range(1, w - 1):
                    if a[y, x] == 0:
                        continue
                    p2 = a[y - 1, x]
                    p3 = a[y - 1, x + 1]
                    p4 = a[y, x + 1]
                    p5 = a[y + 1, x + 1]
                    p6 = a[y + 1, x]
                    p7 = a[y + 1, x - 1]
                    p8 = a[y, x - 1]
                    p9 = a[y - 1, x - 1]
                    b = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9
                    if b < 2 or b > 6:
                        continue
                    seq = (p2, p3, p4, p5, p6, p7, p8, p9, p2)
                    t = 0
                    for k in range(8):
                        if seq[k] == 0 and seq[k + 1] == 1:
                            t += 1
                    if t != 1:
                        continue
                    if step == 0:
                        if p2 * p4 * p6 != 0 or p4 * p6 * p8 != 0:
                            continue
                    else:
                        if p2 * p4 * p8 != 0 or p2 * p6 * p8 != 0:
                            continue
                    kill.append((y, x))
            if len(kill) > 0:
                changed = True
                for y, x in kill:
                    a[y, x] = 0
    return a


def thin(binary: np.ndarray) -> np.ndarray:
    """One-pixel-wide skeleton (Zhang & Suen 1984) of a boolean map."""
    b = np.pad(np.asarray(binary, bool).astype(np.uint8), 1)
    if not b.any():
        return np.zeros(np.asarray(binary).shape, bool)
    return _zhang_suen(b)[1:-1, 1:-1] > 0


_N8 = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def trace(skeleton: np.ndarray) -> list[np.ndarray]:
    """The skeleton's curves as pixel chains (``(N, 2)`` arrays of ``(x, y)`` centres).

    Chains run between end points and junctions.  A diagonal step is not a link where
    a 4-neighbour joins the same two pixels, so a staircase is one chain rather than a
    string of tiny junctions.  Closed loops come out as one chain each.
    """
    ys, xs = np.nonzero(skeleton)
    on = set(zip(ys.tolist(), xs.tolist()))

    def nbrs(p: tuple[int, int]) -> list[tuple[int, int]]:
        y, x = p
        out = []
        for dy, dx in _N8:
            q = (y + dy, x + dx)
            if q not in on:
                continue
            if dy and dx and ((y + dy, x) in on or (y, x + dx) in on):
                continue
            out.append(q)
        return out

    adj = {p: nbrs(p) for p in on}
    used: set[frozenset] = set()
    chains: list[list[tuple[int, int]]] = []

    def walk(start: tuple[int, int], first: tuple[int, int]) -> list[tuple[int, int]]:
        path = [start, first]
        used.add(frozenset((start, first)))
        prev, cur = start, first
        while len(adj[cur]) == 2:
            nxt = adj[cur][0] if adj[cur][1] == prev else adj[cur][1]
            e = frozenset((cur, nxt))
            if e in used:
                break
            used.add(e)
            path.append(nxt)
            prev, cur = cur, nxt
        return path

    for p in sorted(on):
        if len(adj[p]) != 2:
            if not adj[p]:
                chains.append([p])
            for q in adj[p]:
                if frozenset((p, q)) not in used:
                    chains.append(walk(p, q))
    for p in sorted(on):  # loops: every link still unused
        for q in adj[p]:
            if frozenset((p, q)) not in used:
                chains.append(walk(p, q))
    return [np.array([(x + 0.5, y + 0.5) for y, x in c], np.float64) for c in chains]


def merge_at_junctions(chains: list[np.ndarray], max_angle: float = 40.0) -> list[np.ndarray]:
    """Join chains that meet end to end and run on in nearly the same direction, so a
    junction where a side branch leaves does not cut the main curve in two."""
    chains = [c for c in chains if len(c) >= 2]
    cos_lim = math.cos(math.radians(max_angle))
    while True:
        ends: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for i, c in enumerate(chains):
            for side in (0, 1):
                p = c[0] if side == 0 else c[-1]
                ends.setdefault((int(p[0]), int(p[1])), []).append((i, side))
        cands = []
        for lst in ends.values():
            for a in range(len(lst)):
                for b in range(a + 1, len(lst)):
                    (i, si), (j, sj) = lst[a], lst[b]
                    if i == j:
                        continue
                    # Both tangents point away from the junction: straight on is -1.
                    cos = -float(_tangent_in(chains[i], si) @ _tangent_in(chains[j], sj))
                    if cos >= cos_lim:
                        cands.append((cos, i, si, j, sj))
        if not cands:
            return chains
        cands.sort(key=lambda t: -t[0])
        taken: set[int] = set()
        joined = []
        for _, i, si, j, sj in cands:
            if i in taken or j in taken:
                continue
            taken.update((i, j))
            ci = chains[i] if si == 1 else chains[i][::-1]  # ends at the junction
            cj = chains[j] if sj == 0 else chains[j][::-1]  # starts there
            joined.append(np.vstack([ci, cj[1:]]))
        chains = [c for k, c in enumerate(chains) if k not in taken] + joined


def _tangent_in(chain: np.ndarray, side: int, span: int = 6) -> np.ndarray:
    """Unit direction from the chain's end ``side`` (0 start, 1 end) into its body."""
    c = chain if side == 0 else chain[::-1]
    k = min(span, len(c) - 1)
    v = c[k] - c[0]
    n = float(np.hypot(*v))
    return v / n if n > 0 else np.zeros(2)
