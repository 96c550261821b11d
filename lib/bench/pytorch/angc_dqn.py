"""The DQN update of the angc pipeline in PyTorch eager, for `deno task bench`'s comparison.

What one step does, as lib/bench/angc.ts's DQN step: a greedy action for one observation
(a batch-1 forward pass), a replayed batch sampled with replacement, the target network's
forward pass on the next states, the network's forward and backward pass on the half
squared TD error of the taken actions (batch mean), and an Adam step. The network is the
project's: 2 inputs, two hidden layers of 256 leaky-ReLU (slope 0.01) units with biases,
3 outputs; batches of 512; Adam at 0.002. One thread. Prints one JSON line.

Usage: /usr/bin/python3 lib/bench/pytorch/angc_dqn.py [steps]
"""
import sys

import torch

from timing import report

torch.set_num_threads(1)
torch.manual_seed(0)
N, HIDDEN, STEPS = 512, 256, int(sys.argv[1]) if len(sys.argv) > 1 else 200


def network():
    return torch.nn.Sequential(
        torch.nn.Linear(2, HIDDEN), torch.nn.LeakyReLU(0.01),
        torch.nn.Linear(HIDDEN, HIDDEN), torch.nn.LeakyReLU(0.01),
        torch.nn.Linear(HIDDEN, 3),
    )


net, target = network(), network()
target.load_state_dict(net.state_dict())
opt = torch.optim.Adam(net.parameters(), lr=0.002)
memory = {
    "s": torch.rand(10000, 2) * torch.tensor([1.8, 0.14]) - torch.tensor([1.2, 0.07]),
    "a": torch.randint(0, 3, (10000,)),
    "r": -torch.ones(10000),
    "s2": torch.rand(10000, 2) * torch.tensor([1.8, 0.14]) - torch.tensor([1.2, 0.07]),
    "d": torch.zeros(10000),
}


def step():
    with torch.no_grad():
        net(memory["s"][:1]).argmax(1)
    i = torch.randint(0, 10000, (N,))
    s, a, r, s2, d = (memory[k][i] for k in ("s", "a", "r", "s2", "d"))
    with torch.no_grad():
        y = r + 0.99 * target(s2).max(1).values * (1 - d)
    q = net(s).gather(1, a[:, None])[:, 0]
    loss = ((y - q) ** 2).sum() / (2 * N)
    opt.zero_grad()
    loss.backward()
    opt.step()


report(step, 20, STEPS, "update")
