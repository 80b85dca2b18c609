"""The temporaries of atomic writes (checkpoints, model folders), named after the process that writes them,
and the cleanup of dead ones: one implementation, in the SDK (`infogan_sdk.atomic`), shared with its outputs.
"""

from infogan_sdk.atomic import prefix, remove_dead

__all__ = ["prefix", "remove_dead"]
