"""The run configuration. Unknown keys are errors; every field has a default.

A config has five sections: ``data``, ``model``, ``train``, ``optim`` and
``kl_schedule``. ``vaelab train --set model.latent_dim=2`` addresses a field by its
dotted path.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, field_validator, model_validator

#: the largest layer width or latent size a config may ask for: a larger one cannot be allocated anyway
MAX_WIDTH = 1 << 16
#: a layer width or latent size: 1 .. MAX_WIDTH (the error names the limit)
Width = Annotated[int, Field(gt=0, le=MAX_WIDTH)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DataConfig(Section):
    name: str = Field("mnist5k", description="dataset name; see `vaelab datasets`")
    data_dir: Optional[str] = Field(None, description="where files are looked for (default: $VAELAB_DATA)")
    binarize: Literal["auto", "none", "dynamic", "threshold"] = Field(
        "auto", description="auto = dynamic binarisation when a Bernoulli likelihood meets [0,1] data")
    valid_fraction: float = Field(0.1, ge=0.0, lt=1.0, description="held out for validation when no official split")
    test_fraction: float = Field(0.1, ge=0.0, lt=1.0, description="held out for test when no official split")
    split_seed: int = Field(0, description="seed of the fixed train/valid/test split")
    limit: Optional[PositiveInt] = Field(None, description="use only the first N training examples")
    download: bool = Field(True, description="download into the cache when files are missing")
    verify: bool = Field(True, description="check built-in datasets' files found on disk against their checksums "
                                           "(once per file); false: use files you changed on purpose as they are")
    pseudo_labels: Optional[PositiveInt] = Field(
        None, description="replace labels by k-means cluster ids (k clusters fitted on the training split), "
                          "e.g. to condition a CVAE on unlabelled data")
    options: dict[str, Any] = Field(default_factory=dict, description="dataset-specific options")


class ModelConfig(Section):
    name: str = Field("vae", description="model variant; see `vaelab models`")
    latent_dim: Width = 16
    architecture: Literal["mlp", "conv", "resnet"] = Field(
        "mlp", description="encoder backbone for image and vector data (token data: model.seq_encoder)")
    hidden: list[Width] = Field(default_factory=lambda: [200, 200], description="encoder hidden sizes")
    decoder_hidden: Optional[list[Width]] = Field(
        None, description="default: hidden reversed (mlp), [256, 512, 512] (conv); token data: [256, 512, 1024] "
                          "(seq_decoder=fc), none (seq_decoder=gru: z feeds the GRU directly)")
    conv_channels: list[Width] = Field(default_factory=lambda: [32, 32, 64, 64],
                                             description="conv encoder widths (images; seq_encoder=article-conv)")
    resnet_channels: list[Width] = Field(default_factory=lambda: [32, 64, 64])
    resnet_blocks: PositiveInt = Field(1, description="residual blocks per ResNet stage")
    activation: Literal["softplus", "tanh", "relu", "elu", "leaky_relu", "gelu", "silu"] = "softplus"
    batch_norm: bool = False
    posterior: Literal["gaussian", "bounded-gaussian", "bn-gaussian", "delta-gaussian", "constant-variance",
                       "deterministic"] = "gaussian"
    posterior_std: PositiveFloat = Field(0.1, description="constant-variance posterior (CV-VAE): the fixed sigma")
    bn_gamma: PositiveFloat = Field(0.6, description="bn-gaussian posterior (BN-VAE): the fixed scale gamma of the "
                                                     "batch-normalised means (Zhu et al. 2020)")
    committed_rate: PositiveFloat = Field(0.1, description="delta-gaussian posterior (delta-VAE): delta, the least "
                                                           "KL per latent dimension in nats (Razavi et al. 2019)")
    bound: Literal["both", "mean", "logvar"] = Field("both", description="bounded posterior: which parameter is bounded")
    bound_m: PositiveFloat = Field(3.0, description="bounded posterior: mean = m*tanh(.)")
    bound_s: float = Field(1.0, ge=0.0, description="bounded posterior: log-variance = s*tanh(.) - v")
    bound_v: float = 0.0
    likelihood: Literal["auto", "bernoulli", "gaussian", "gaussian-fixed", "pixelcnn", "categorical"] = Field(
        "auto", description="p(x|z); auto = bernoulli for binary and [0,1] data, gaussian for real data, "
                            "categorical (one categorical per token position) for token data")
    pixelcnn_layers: PositiveInt = Field(4, description="gated PixelCNN decoder: layers (He et al.: 13)")
    pixelcnn_channels: Width = Field(32, description="gated PixelCNN decoder: channels (He et al.: 64)")
    pixelcnn_kernel: PositiveInt = Field(5, description="gated PixelCNN decoder: kernel size (odd)")
    likelihood_std: PositiveFloat = Field(1.0, description="gaussian-fixed: standard deviation")
    logvar_bound: PositiveFloat = Field(1.0, description="gaussian: log-variance = bound*tanh(.)")
    seq_encoder: Literal["chemvae", "article-conv", "gru"] = Field(
        "chemvae", description="token data: the encoder backbone; chemvae = 3 Conv1D layers + dense "
                               "(Gomez-Bombarelli et al. 2018), article-conv = four Conv1D layers "
                               "(model.conv_channels; the molecule article), gru = embedding + GRU")
    seq_decoder: Literal["gru", "fc"] = Field(
        "gru", description="token data: the decoder; gru = autoregressive GRU conditioned on z (teacher forcing "
                           "in training), fc = fully connected layers (model.decoder_hidden, default "
                           "[256, 512, 1024]) emitting every position at once (the molecule article)")
    seq_embedding: Width = Field(32, description="token data: token embedding size (GRU encoder and decoder)")
    seq_hidden: Width = Field(256, description="token data: GRU state size (GRU encoder and decoder)")
    seq_layers: PositiveInt = Field(1, description="token data: stacked GRU layers (GRU encoder and decoder)")
    seq_dense: Width = Field(435, description="token data, chemvae encoder: the dense layer after the "
                                                    "convolutions (435 in Gomez-Bombarelli et al.'s ZINC model)")
    seq_dropout: float = Field(0.0, ge=0.0, lt=1.0, description="token data: dropout on the GRU decoder's input "
                                                               "embeddings and between stacked GRU layers")
    options: dict[str, Any] = Field(default_factory=dict, description="the variant's own options (typed per variant; "
                                                                      "`vaelab models` lists them with their defaults)")

    @property
    def has_kl_term(self) -> bool:
        """False for a point-mass posterior (rae, ae, wae-mmd): no KL term, so no use for a KL weight.

        The built model says the same with :attr:`~vaelab.models.LatentVariableModel.has_elbo`.
        """
        return self.posterior != "deterministic"


class KLScheduleConfig(Section):
    """beta(epoch), the KL weight: constant ``end``; linear from ``start`` to ``end`` over ``epochs`` epochs;
    or cyclical: ``cycles`` rises from ``start`` to ``end`` over train.epochs (Fu et al. 2019)."""

    kind: Literal["constant", "linear", "cyclical"] = "constant"
    start: float = Field(0.0, ge=0.0)
    end: float = Field(1.0, ge=0.0)
    epochs: int = Field(0, ge=0, description="linear: warm-up length N_T in epochs")
    cap: Optional[float] = Field(None, ge=0.0, description="beta never exceeds this (beta-VAE: anneal, then stay at beta)")
    cycles: PositiveInt = Field(4, description="cyclical: M, the cycles over train.epochs (Fu et al. 2019: 4)")
    ratio: float = Field(0.5, gt=0.0, le=1.0, description="cyclical: R, the part of each cycle in which beta rises "
                                                           "from start to end; it stays at end for the rest "
                                                           "(Fu et al. 2019: 0.5)")


class OptimConfig(Section):
    lr: PositiveFloat = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: PositiveFloat = 1e-8
    weight_decay: float = Field(0.0, ge=0.0)
    lr_schedule: Literal["constant", "cosine", "step", "burda"] = Field(
        "constant", description="constant, cosine (to zero at the last epoch), step (lr_gamma every lr_step_epochs), "
                                "burda (Burda et al. 2016: stage i = 3**i epochs at lr*10**(-i/7), i = 0..7)")
    lr_step_epochs: PositiveInt = Field(10, description="step schedule: decay every N epochs")
    lr_gamma: PositiveFloat = Field(0.5, description="step schedule: decay factor")
    grad_clip: Optional[PositiveFloat] = Field(None, description="max global gradient norm")
    fused: Literal["auto", "on", "off"] = Field("auto", description="fused Adam kernel when available")

    @field_validator("betas")
    @classmethod
    def _betas_in_range(cls, betas: tuple[float, float]) -> tuple[float, float]:
        """Adam's decay rates (Kingma & Ba, 2015) are each in [0, 1)."""
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"each of Adam's two decay rates must be in [0, 1), got {list(betas)}")
        return betas


class TrainConfig(Section):
    epochs: PositiveInt = 10
    batch_size: PositiveInt = 100
    eval_batch_size: PositiveInt = 1000
    seed: int = 0
    device: Union[str, list[str]] = Field(
        "auto", description="auto (CUDA if available, else CPU), cpu, cuda, cuda:N, mps; a list (cuda:0,cuda:1) "
                            "trains data-parallel, one process per device (docs/distributed.md)")
    precision: Literal["32", "bf16"] = Field(
        "32", description="32 = float32; bf16 = bfloat16 autocast around the training forward, with the "
                          "likelihood and KL in float32 (weights and checkpoints stay float32)")
    compile: Union[bool, Literal["auto"]] = Field(
        "auto", description="torch.compile the training step; auto = when the run has >= 20,000 steps "
                            "(compiling takes ~20 s once); falls back to eager on failure")
    early_stopping: Optional[PositiveInt] = Field(None, description="stop after N epochs without valid improvement")
    log_every: PositiveInt = Field(50, description="progress-bar refresh (and NaN check) every N steps")
    loggers: list[Literal["tensorboard", "mlflow"]] = Field(
        [], description="experiment trackers besides metrics.jsonl (docs/tracking.md): tensorboard writes RUN_DIR/tb/ "
                        "(scalars, KL-per-dimension histograms, figures); mlflow logs to MLFLOW_TRACKING_URI or "
                        "./mlruns (params = the config, metrics, artifacts)")
    progress: bool = True
    step: Literal["standard", "aggressive"] = Field("standard", description="the training step: standard, or "
                                                    "aggressive encoder updates (He et al. 2019)")


    @field_validator("precision", mode="before")
    @classmethod
    def _precision_text(cls, value):
        """``32`` may come as an int from YAML or ``--set train.precision=32``."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class RunConfig(Section):
    data: DataConfig = Field(default_factory=DataConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    optim: OptimConfig = Field(default_factory=OptimConfig)
    kl_schedule: KLScheduleConfig = Field(default_factory=KLScheduleConfig)

    @model_validator(mode="after")
    def _check(self) -> "RunConfig":
        if self.model.pixelcnn_kernel % 2 == 0:
            raise ValueError("model.pixelcnn_kernel must be odd")
        if self.data.valid_fraction + self.data.test_fraction >= 1.0:
            raise ValueError("data.valid_fraction + data.test_fraction must be below 1")
        return self
