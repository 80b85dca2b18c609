#!/usr/bin/env bash
# The default recipe's seed study (the model card's seed table): stage 1 at seeds 0 and 1 beside the shipped seed 2,
# each exported and measured, and stage 2 at seeds 1 and 2 on the shipped stage 1 generator. CPU, 1 thread per run,
# two at a time: about 2 hours on 2 cores.
#
#   scripts/seed_study.sh OUT_DIR    # after scripts/train_shipped.sh OUT_DIR (it needs OUT_DIR/mnist-gan, /mnist, /teacher-v3)
set -euo pipefail
out=${1:?OUT_DIR}
stage1=(--mode semi-supervised --continuous 3 --label-shift 2 --morph-probability 0.1 --average-decay 0.999 --epochs 20
        --arch compact --consistency-weight 1 --threads 1)
reader=(--stage reader --generator-run "$out/mnist-gan" --epochs 8 --reader-printed-weight 1
        --reader-teachers "$out/teacher-v3,mnist-v1" --threads 1)
pids=()
for seed in 0 1; do
  reader_seed=$((seed + 1))  # stage 1 seeds 0 and 1 (2 ships), stage 2 seeds 1 and 2 (0 ships)
  (python -m train "${stage1[@]}" --seed "$seed" --out "$out/mnist-gan-s$seed" >"$out/mnist-gan-s$seed.log" 2>&1
   python -m export "$out/mnist-gan-s$seed" --out "$out/models/mnist-gan-s$seed" --name "mnist-gan-s$seed" --workers 1
   python -m evaluate "$out/models/mnist-gan-s$seed" --json "$out/models/mnist-gan-s$seed.json" --workers 1
   python -m train "${reader[@]}" --seed "$reader_seed" --out "$out/mnist-reader-s$reader_seed" \
     >"$out/mnist-reader-s$reader_seed.log" 2>&1) &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
python -m scripts.seed_study --gan "$out/mnist-gan-s0=$out/models/mnist-gan-s0.json" \
  "$out/mnist-gan-s1=$out/models/mnist-gan-s1.json" "$out/mnist-gan=$out/models/mnist.json" \
  --reader "$out/mnist" "$out/mnist-reader-s1" "$out/mnist-reader-s2"
