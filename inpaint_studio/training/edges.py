"""The edge helpers training shares with the fill; they live in ``engine/edges.py``.

The engine needs them at fill time and may not import ``training`` (the layers in
``pyproject.toml``), so training takes them from there and the two cannot drift apart.
"""

from ..engine.edges import NEAR_HOLE_MARGIN, canny_edges, drop_near_hole, known_edges, thin_edges

__all__ = ["NEAR_HOLE_MARGIN", "canny_edges", "drop_near_hole", "known_edges", "thin_edges"]
