"""Everything that scores or describes an exported model, through the SDK (`Generator` / `Encoder`).

    python -m evaluate mnist --json out.json      # the model card's figures for a bundled model or a folder
    python -m evaluate runs/model --write         # ...and store them in the folder's manifest

Modules: `describe` (the one entry point, `describe_model`; export calls it; MNIST models' card),
`general` (the card of a model of any other data set), `scores` (what both cards share: Q's reading, what Q
reads back, sample quality), `codes` (what each continuous code does, its name and direction),
`morphometrics` (Morpho-MNIST's slant, width, thickness, length: MNIST's measures), `measures` (generic
image measures: brightness, size, position, orientation, hue), `classifier` (each data set's evaluator
network, Frechet distance, classifier score), `robustness` and `not_digit` (MNIST's two suites),
`pictures` (a traversal per code), `card` (the model cards' tables, and README's model table),
`disentanglement` (MIG, FactorVAE, DCI and SAP against a data set's known factors).
Dependencies: the SDK, `imagedata` and `mnist_data`; `train_classifier` alone needs torch.
"""
