"""Training: the loop, schedules, optimizer, and a session that trains a config into a run directory."""

from vaelab.training.schedules import kl_weight, learning_rate
from vaelab.training.session import train_run
from vaelab.training.trainer import Trainer, TrainState

__all__ = ["TrainState", "Trainer", "kl_weight", "learning_rate", "train_run"]
