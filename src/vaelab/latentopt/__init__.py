"""Latent space optimisation: steer a trained model's codes towards a property or a target.

Two tasks, each writing into ``RUN_DIR/lso/``:

* **property** (:func:`optimize_property`; ``vaelab lso RUN_DIR --property NAME``):
  fit a small MLP that predicts a property from the latent codes (``lso/<property>/
  predictor.safetensors``), run gradient ascent on the prediction with a penalty that
  keeps z where the prior has mass, from several starts at once, decode the paths and,
  for molecules, check validity and the real property with RDKit (Gómez-Bombarelli et al.
  2018). Properties: :func:`vaelab.latentopt.targets.available`.
* **match** (:func:`match_targets`; ``vaelab lso RUN_DIR --task match``): the NE-VAE
  paper's toy task (sec. 5.4): freeze the decoder, optimise z to reproduce test images
  from random starts, report the iterations to converge and the spread of the final codes.

The command's Python twin is the function :func:`vaelab.lso` (``vaelab.api.lso``): it
loads the run and calls :func:`optimize_property` or :func:`match_targets`.

>>> result = vaelab.lso("runs/qm9-vae", "logp")                           # doctest: +SKIP
>>> result.summary["molecules"]["best"][0]["smiles"]                      # doctest: +SKIP
"""

from vaelab.latentopt.ascent import AscentPath, ascend, penalised
from vaelab.latentopt.convergence import converged_step, pairwise_sq_dist, still_moving
from vaelab.latentopt.match import MatchResult, match_targets
from vaelab.latentopt.optimize import PropertyResult, optimize_property
from vaelab.latentopt.predictor import PropertyPredictor, fit_predictor, r2_score
from vaelab.latentopt.predictor_store import fitted_predictor
from vaelab.latentopt.targets import PropertyTarget, available, resolve

__all__ = ["AscentPath", "MatchResult", "PropertyPredictor", "PropertyResult", "PropertyTarget", "ascend", "available",
           "converged_step", "fit_predictor", "fitted_predictor", "match_targets", "optimize_property",
           "pairwise_sq_dist", "penalised", "r2_score", "resolve", "still_moving"]
