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

from vaelab.lazy import lazy_exports

#: public name -> the submodule that defines it (imported on first use, so that
#: ``vaelab.latentopt.settings`` stays cheap for the command line's help)
_NAMES = {
    "AscentPath": "ascent", "ascend": "ascent", "penalised": "ascent",
    "converged_step": "convergence", "pairwise_sq_dist": "convergence", "still_moving": "convergence",
    "MatchResult": "match", "match_targets": "match",
    "PropertyResult": "optimize", "optimize_property": "optimize",
    "PropertyPredictor": "predictor", "fit_predictor": "predictor", "r2_score": "predictor",
    "fitted_predictor": "predictor_store",
    "PropertyTarget": "targets", "available": "targets", "resolve": "targets",
}

__all__ = sorted(_NAMES)

__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
