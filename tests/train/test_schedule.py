"""The one schedule of the three training loops: the steps of a run and the images each reads."""

from __future__ import annotations

import torch

import train.bookkeeping
from train.bookkeeping import Schedule
from train.data import epoch_order


def test_steps_read_each_epochs_permutation_in_order_and_ranks_split_the_batch(monkeypatch) -> None:
    built = []
    monkeypatch.setattr(train.bookkeeping, "epoch_order", lambda *args: built.append(args) or epoch_order(*args))
    schedule = Schedule(seed=3, images=50, batch_size=8, epochs=3, max_steps=0)
    assert (schedule.steps_per_epoch, schedule.total_steps) == (6, 18)
    for step in range(schedule.total_steps):
        epoch, index = schedule.batch(step)
        position = step % 6
        assert epoch == step // 6 and torch.equal(index, epoch_order(3, epoch, 50)[8 * position : 8 * position + 8])
        halves = [schedule.batch(step, start, 4)[1] for start in (0, 4)]  # two ranks of 4
        assert torch.equal(torch.cat(halves), index)
    assert built == [(3, 0, 50), (3, 1, 50), (3, 2, 50)]  # one permutation per epoch, not one per step
    assert [done for done in range(1, 19) if schedule.ends_epoch(done)] == [6, 12, 18]


def test_max_steps_ends_the_run_early_and_counts_as_an_epoch_end() -> None:
    schedule = Schedule(seed=0, images=50, batch_size=8, epochs=3, max_steps=8)
    assert schedule.total_steps == 8 and schedule.ends_epoch(6) and schedule.ends_epoch(8)
    assert not schedule.ends_epoch(7)
    assert Schedule(seed=0, images=50, batch_size=8, epochs=1, max_steps=100).total_steps == 6
