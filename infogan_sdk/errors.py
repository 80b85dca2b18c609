"""The SDK's exceptions: one base class, so callers can catch everything the SDK raises at once."""


class InfoGANError(Exception):
    """Base class of every error the SDK raises on purpose."""


class ModelNotFoundError(InfoGANError, FileNotFoundError):
    """A model folder, or a file it names, does not exist."""


class CorruptModelError(InfoGANError):
    """A model folder exists but its files are truncated, tampered with or unreadable."""


class IncompatibleModelError(InfoGANError):
    """A model folder is well formed but describes something this SDK cannot run."""


class InvalidInputError(InfoGANError, ValueError):
    """An argument has the wrong type, shape, dtype or value."""


class DeviceUnavailableError(InfoGANError, RuntimeError):
    """The requested device or execution provider cannot be used on this machine."""


class OutputExistsError(InfoGANError, FileExistsError):
    """An output path already exists and overwriting it was not asked for."""


class MissingDependencyError(InfoGANError, ImportError):
    """An optional integration (Parquet, Ray) was used without its package installed."""
