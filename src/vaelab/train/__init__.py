"""Training: the loop, schedules, optimizer, and a session that trains a config into a run directory."""

from vaelab.train.schedules import kl_weight, learning_rate
from vaelab.train.session import train_run
from vaelab.train.trainer import Trainer, TrainState

__all__ = ["TrainState", "Trainer", "kl_weight", "learning_rate", "train_run"]
