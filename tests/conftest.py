"""Test-wide setup: Qt runs offscreen, nothing reads the user's settings or ../shared."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep torch from grabbing every core on CI's 2-core machine while Qt also runs.
os.environ.setdefault("OMP_NUM_THREADS", "2")
