"""Small linear algebra for the Gaussian samplers: a Cholesky factor that survives singular covariances."""

from __future__ import annotations

import numpy as np

from vaelab.errors import DataError


def stable_cholesky(cov: np.ndarray, jitter: float = 1e-10, tries: int = 8) -> np.ndarray:
    """Lower Cholesky factors of covariances (..., d, d), adding ``jitter`` x mean variance until they factor.

    Codes of collapsed dimensions vary by almost nothing, so their covariance is
    singular to working precision; a ridge proportional to the average variance
    (10x larger at each failed try) makes it positive definite without changing the
    well-determined directions.
    """
    cov = 0.5 * (cov + np.swapaxes(cov, -1, -2))  # (..., d, d), exactly symmetric
    d = cov.shape[-1]
    scale = np.maximum(np.trace(cov, axis1=-2, axis2=-1) / d, 1e-12)[..., None, None]  # (..., 1, 1)
    eye = np.eye(d)
    for k in range(tries):
        try:
            return np.linalg.cholesky(cov + (0.0 if k == 0 else jitter * 10.0 ** (k - 1)) * scale * eye)
        except np.linalg.LinAlgError:
            continue
    raise DataError("the codes' covariance is not positive definite even with a ridge; are the codes NaN or "
                    "constant? Check the run's training, or use another sampler")


def check_codes(codes: np.ndarray, sampler: str, least: int = 2) -> None:
    """Refuse to fit to fewer than ``least`` codes or to codes with NaN/Inf, with a message naming why."""
    if codes.ndim != 2 or codes.shape[0] < least:
        raise DataError(f"sampler '{sampler}' needs at least {least} codes to fit, got {codes.shape[0]}")
    if not np.isfinite(codes).all():
        raise DataError(f"sampler '{sampler}': the training codes contain NaN or Inf; the run's encoder "
                        "diverged, so no density can be fitted to them")
