#!/usr/bin/env bash
# Train the candidate models for the shipped SDK models, all at once on one GPU (or CPU, slowly).
#
#   scripts/train_models.sh OUT_DIR DEADLINE_SECONDS [SET]
#
# Runs in parallel: semi-supervised (100 labels) compact models in two continuous-code settings,
# three seeds of the unsupervised compact model, and the paper's full-size architecture for
# comparison. Every run checkpoints atomically at each epoch end; at the deadline the runs are
# stopped and the last completed epoch is kept. Since the learning rates are constant and the data
# order depends only on (seed, epoch), a run stopped after epoch E equals `--epochs E`: the
# manifest records that equivalent command. Writes OUT_DIR/<run>.pt (weights and configs, no
# optimiser state) and OUT_DIR/runs.tar.gz (metrics logs and sample grids).
set -uo pipefail
out=${1:?OUT_DIR}; deadline=${2:?DEADLINE_SECONDS}; set=${3:-first}
runs=$(mktemp -d)
common=(--epochs 100 --threads 2 --log-every 100)
# First round (then the defaults were a learned std and continuous weight 0.5; spelled out here).
learned="--learned-std --continuous-weight 0.5"
declare -A args=(
  [semi-compact-s0]="--mode semi-supervised --arch compact --seed 0 $learned"
  [semi-compact-fixedstd-s0]="--mode semi-supervised --arch compact --seed 0 --fixed-std --continuous-weight 1.0"
  [unsup-compact-s0]="--mode unsupervised --arch compact --seed 0 $learned"
  [unsup-compact-s1]="--mode unsupervised --arch compact --seed 1 $learned"
  [unsup-compact-s2]="--mode unsupervised --arch compact --seed 2 $learned"
  [unsup-paper-s0]="--mode unsupervised --arch paper --seed 0 $learned"
  [semi-paper-s0]="--mode semi-supervised --arch paper --seed 0 $learned"
)
if [ "$set" = unsup-fixedstd ]; then
  # second round: the first showed learned-std continuous codes starve the categorical code
  fixed="--fixed-std --continuous-weight 1.0"
  args=(
    [unsup-compact-fixedstd-s0]="--mode unsupervised --arch compact --seed 0 $fixed"
    [unsup-compact-fixedstd-s1]="--mode unsupervised --arch compact --seed 1 $fixed"
    [unsup-compact-fixedstd-s2]="--mode unsupervised --arch compact --seed 2 $fixed"
    [semi-compact-fixedstd-s1]="--mode semi-supervised --arch compact --seed 1 $fixed"
  )
fi
pids=()
for name in "${!args[@]}"; do
  # shellcheck disable=SC2086
  python3 -m train ${args[$name]} "${common[@]}" --out "$runs/$name" >"$runs/$name.log" 2>&1 &
  pids+=($!)
done
sleep "$deadline"
kill -TERM "${pids[@]}" 2>/dev/null
wait
mkdir -p "$out"
for name in "${!args[@]}"; do
  python3 - "$runs/$name/checkpoint.pt" "$out/$name.pt" "$name" <<'PY'
import sys, torch
state = torch.load(sys.argv[1], map_location="cpu", weights_only=True)
for key in ("optimizer_g", "optimizer_d"):
    state.pop(key, None)
size = sum(t.numel() for k in ("generator", "discriminator") for t in state[k].values())
print(sys.argv[3], "step", state["step"], "epoch", state["epoch"], "params", size, "eval", state.get("evaluation"))
if size < 3_000_000:  # the paper-size runs are only measured, not shipped: keep their logs only
    torch.save(state, sys.argv[2])
PY
done
tar -czf "$out/runs.tar.gz" -C "$runs" --exclude=checkpoint.pt .
