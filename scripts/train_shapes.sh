#!/usr/bin/env bash
# Train the `shapes` model: InfoGAN-CR's dSprites recipe (Lin et al. 2020, its released config.py) on the
# dSprites-style replica (imagedata/dsprites.py); then export and describe it.
#
#   scripts/train_shapes.sh RUN_DIR DATA.npz        # DATA.npz is drawn first where it does not exist (392 MB)
#   STEPS=20000 scripts/train_shapes.sh RUN_DIR DATA.npz
#
# The recipe: InfoGAN-CR's networks (--arch small) with D spectrally normalised; 5 uniform noise values and 5 codes
# (--preset dsprites: the shape a category of 3, then 4 continuous); batch 64; Adam lrs G 1e-3, D 2e-3, the pair
# discriminator 2e-3 (beta1 0.5); G stepped twice per step; the contrastive regulariser at weight 2 from step
# 288,000 of 28 epochs (322,560 steps). One change: the info weight of every code is 1, not their 0.05. Over the
# 20,000 steps a CPU affords, 0.05 left the continuous codes unread (seed 0 at step 6,000: Q's continuous NLL at
# its no-information value, FactorVAE 0.31, MIG 0.01), where 1 read them by step 2,000 (FactorVAE 0.60, MIG 0.08;
# python -m export.curve). INFO=0.05 gives their recipe.
# STEPS shortens the run, CR_START moves the switch (default: 90% of STEPS), INFO sets the info weight, SEED the
# seed. On 1 thread of a 2-core AMD EPYC a step cost 0.4-0.55 s before the switch with the other core idle (0.93 s
# at load ~5) and 2.0 s after it, so the plan run here is STEPS=20000 CR_START=16000, 3-5 hours a seed. The same
# command resumes the run (--auto-resume), which keeps a checkpoint every 500 steps and every 2,000th step's for
# the learning curve; STEPS may change on resume, and CR_START while the run is before it.
set -euo pipefail
run=${1:?RUN_DIR}
data=${2:?DATA.npz}
steps=${STEPS:-322560}
cr_start=${CR_START:-$((steps == 322560 ? 288000 : steps * 9 / 10))}
info=${INFO:-1}  # the info weight of every code
seed=${SEED:-0}
[ -f "$data" ] || python -m imagedata dsprites --out "$data"
python -m train --data "npz:$data" --preset dsprites --arch small --spectral-norm --seed "$seed" --batch-size 64 \
  --generator-lr 0.001 --discriminator-lr 0.002 --cr-lr 0.002 --categorical-weight "$info" --continuous-weight "$info" \
  --generator-steps 2 --cr-weight 2 --cr-start "$cr_start" --epochs 28 --max-steps "$steps" \
  --checkpoint-every 500 --keep-every 2000 --log-every 100 --threads 1 --auto-resume --out "$run"
python -m export "$run" --out "$run-model" --name shapes --overwrite
python -m evaluate "$run-model" --write --json "$run-model.json"
