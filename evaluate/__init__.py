"""Everything that scores or describes an exported model, through the SDK (`Generator` / `Encoder`).

    python -m evaluate mnist --json out.json      # the model card's figures for a bundled model or a folder
    python -m evaluate runs/model --write         # ...and store them in the folder's manifest

Modules: `describe` (the one entry point; export calls it), `codes` (what each continuous code does,
its name and direction), `morphometrics` (Morpho-MNIST's slant, width, thickness, length),
`matching` (code-to-digit matching, accuracy, NMI), `classifier` (the evaluator network, Frechet
distance, classifier score), `robustness` and `not_digit` (the two suites), `card` (the model
cards' tables, and README's model table). Dependencies: the SDK and `train.data` (the MNIST reader);
`train_classifier` alone needs torch.
"""
