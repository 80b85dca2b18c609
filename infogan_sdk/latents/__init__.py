"""The generator's inputs: drawing latents from a seed (`draw`) and checking the caller's arguments - digits,
named continuous codes, noise - against the model's spec (`arguments`).

May import `spec` and `errors` only: what a latent is does not depend on how a model is loaded or run.
"""
