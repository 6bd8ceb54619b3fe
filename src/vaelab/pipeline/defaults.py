"""The defaults of the pipeline's steps, declared once; light, so the command line's help can read them."""

#: K of the IW NLL (Burda, Grosse & Salakhutdinov 2015, sec. 5)
IW_SAMPLES = 5000
#: K on token runs: each sample is a pass of the GRU; 100 keeps QM9's test-set IW NLL to minutes on a CPU
IW_SAMPLES_TOKENS = 100
#: examples per IW NLL batch
IW_BATCH = 100
#: fitted samplers whose FD evaluate reports besides the "N" column (Ghosh et al. 2020, Table 1: GMM)
FD_SAMPLERS = ("gmm",)
#: decoded samples scored on token runs (MOSES uses 30,000; FCD of small sets reads high: compare at equal n)
MOLECULE_SAMPLES = 1000
#: test molecules (a seeded random subset) that SNN, Frag, Scaf and the property distances compare the samples
#: with; MOSES uses its whole test set (176k), which would take minutes on a CPU, not seconds
MOLECULE_REFERENCE = 10000
#: samples drawn by `vaelab sample`
SAMPLES = 64
