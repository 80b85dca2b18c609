"""Images in and out: the one pixel convention between users and networks (`convention`), decoding what callers
pass (`decode`), MNIST-style normalisation of other digit images (`preprocess`) and finding image files on disk
(`files`, with `walk` for folders and globs).

May import `errors` and `spec`, and each other; never the models: an image is read the same whoever reads it.
"""
