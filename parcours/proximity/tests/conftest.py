from .fixtures import smp  # noqa: F401
