"""Training across nodes: two torchrun agents (--nnodes 2, one process each, c10d rendezvous on 127.0.0.1)
end with exactly the weights of one agent running both processes, since every draw is a function of
(seed, rank, step) and the gradient average does not care where the ranks live."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from bench.processes import free_port
from train.checkpoint import load_checkpoint

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ["-m", "train", "--dry-run", "--device", "cpu", "--out"]


def torchrun(*options: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", *options]


@pytest.mark.slow
def test_two_agents_on_two_nodes_equal_one_agent_with_two_processes(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    nodes = ["--nnodes", "2", "--nproc-per-node", "1", "--rdzv-backend", "c10d",
             "--rdzv-endpoint", f"127.0.0.1:{free_port()}", "--rdzv-id", "test-two-nodes"]
    agents = [subprocess.Popen(torchrun(*nodes, *TRAIN, str(tmp_path / "two-nodes")), env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    logs = [agent.communicate(timeout=400)[0] for agent in agents]
    assert [agent.returncode for agent in agents] == [0, 0], "\n".join(log[-2000:] for log in logs)
    single = subprocess.run(torchrun("--standalone", "--nproc-per-node", "2", *TRAIN, str(tmp_path / "one-node")),
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=400)
    assert single.returncode == 0, single.stderr[-3000:]
    two, one = load_checkpoint(tmp_path / "two-nodes"), load_checkpoint(tmp_path / "one-node")
    assert two["world_size"] == one["world_size"] == 2 and two["step"] == one["step"] == 6
    for network in ("generator", "discriminator"):
        assert two[network].keys() == one[network].keys()
        assert all(torch.equal(two[network][name], one[network][name]) for name in one[network]), network
