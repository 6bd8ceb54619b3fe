"""Every sampler, imported and registered: ``SAMPLERS`` maps a name to its class, in catalogue order."""

from vaelab.sampling.base import load_samplers

SAMPLERS = load_samplers()
