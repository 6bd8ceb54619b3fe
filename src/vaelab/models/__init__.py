"""Model variants: each a small objective over the shared pipeline in :mod:`vaelab.models.base`."""

from vaelab.models.base import LatentVariableModel
from vaelab.models.build import build_model, resolve_likelihood, vocab_size_of
from vaelab.models.registry import MODELS, describe_options, get_model_class, model_table, register_model

__all__ = ["LatentVariableModel", "MODELS", "build_model", "describe_options", "get_model_class", "model_table",
           "register_model", "resolve_likelihood", "vocab_size_of"]
