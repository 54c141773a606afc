"""Thinning an edge map and tracing it into chains."""

from __future__ import annotations

import numpy as np

from inpaint_studio.engine.skeleton import thin, trace


def test_thinning_and_tracing_give_one_chain_per_line() -> None:
    b = np.zeros((30, 40), bool)
    b[10:13, 5:35] = True  # a 3 px thick bar
    sk = thin(b)
    assert sk.sum() < 35 and sk[10:13].any(axis=0)[8:32].all()
    chains = trace(sk)
    assert len(chains) == 1 and len(chains[0]) >= 25
