"""Folds for multi-label data: iterative stratification (Sechidis, Tsoumakas & Vlahavas, 2011).

Rare themes (a dozen examples) would otherwise land unevenly, leaving some folds with none to score.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def stratified_folds(targets: npt.NDArray[np.int8], folds: int, seed: int = 0) -> npt.NDArray[np.int64]:
    """Give each row a fold number in ``0..folds-1`` so every label is spread as evenly as it can be.

    The rarest label still to place goes first; each of its rows joins the fold that most lacks it.
    """
    rng = np.random.default_rng(seed)
    n, _ = targets.shape
    present = targets.astype(bool)
    wanted_per_label = np.outer(np.full(folds, 1.0 / folds), present.sum(axis=0))
    wanted_rows = np.full(folds, n / folds)
    fold = np.full(n, -1, dtype=np.int64)
    remaining = np.ones(n, dtype=bool)
    while remaining.any():
        counts = present[remaining].sum(axis=0)
        if not counts.any():
            for i in rng.permutation(np.flatnonzero(remaining)):
                best = np.flatnonzero(wanted_rows == wanted_rows.max())
                f = int(rng.choice(best))
                fold[i] = f
                wanted_rows[f] -= 1
            break
        label = int(np.argmin(np.where(counts == 0, np.iinfo(np.int64).max, counts)))
        for i in rng.permutation(np.flatnonzero(remaining & present[:, label])):
            need = wanted_per_label[:, label]
            best = np.flatnonzero(need == need.max())
            if len(best) > 1:
                best = best[wanted_rows[best] == wanted_rows[best].max()]
            f = int(rng.choice(best))
            fold[i] = f
            remaining[i] = False
            wanted_per_label[f] -= present[i]
            wanted_rows[f] -= 1
    return fold
