"""The logistic function, written once for every logit in roi/ (maximum likelihood and Firth alike)."""

from __future__ import annotations

import numpy as np


def expit(z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + e^−z), without overflow warnings for large |z|."""
    # 1/(1+e^-z) is faster than scipy's expit here; e^-z overflowing to inf still gives the right 0.
    with np.errstate(over="ignore"):
        return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float))))
