"""Training: the loop, schedules, optimizer, checkpoints."""

from vaelab.train.schedules import kl_weight, learning_rate
from vaelab.train.trainer import Trainer, TrainState

__all__ = ["TrainState", "Trainer", "kl_weight", "learning_rate"]
