"""Synthetic labelled data sets: the plan (which latents image i gets, a pure function of seed and index, so
shards add up) and its writers (npz, PNG folders, Parquet through the optional pyarrow).

May import the public `Generator`, `latents`, `results` and the leaves; the SDK's top level exposes only
`write_dataset`.
"""
