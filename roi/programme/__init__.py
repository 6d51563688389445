"""Did the CX programme pay off: the realised effect on retention and revenue (`effects`: a randomised
comparison or a difference-in-differences with its parallel-trends check), its money value and the realised ROI,
or a refusal with the reason (`realised`)."""

from .effects import Effect
from .realised import ProgrammeEffect, estimate_programme

__all__ = ["Effect", "ProgrammeEffect", "estimate_programme"]
