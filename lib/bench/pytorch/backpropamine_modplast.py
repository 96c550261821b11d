"""One training iteration of Backpropamine's modplast network in PyTorch eager, for `deno task bench`.

What one iteration does, as backpropamine-maze/train-modplast-paper-kernels at the paper's sizes:
30 episodes of 200 steps through the network (17 inputs, 100 tanh units, 4 actions), an action
sampled from the policy at every step, backpropagation through the 200 steps of an advantage
actor-critic loss (returns discounted by 0.9, value loss 0.1, the Simpson-index penalty 0.03), the
global gradient norm clipped at 4, and an Adam step at 1e-4. The network: pre = i2h(x) + (w + alpha .
hebb) h, h = tanh(pre), m = tanh(h2mod(h)), hebb = clip(hebb + m h h_prev^T, -1, 1) per episode,
policy and value heads on h. The maze is left out: inputs are drawn up front (one-hot view cells and
action, reward), and rewards are random, so this measures the network alone, which favours PyTorch
(the project's iteration includes its maze). One thread. Prints one JSON line.

Usage: /usr/bin/python3 lib/bench/pytorch/backpropamine_modplast.py [iterations]
"""
import sys

import torch

from timing import report

torch.set_num_threads(1)
torch.manual_seed(0)
B, T, I, H, A = 30, 200, 17, 100, 4
ITERATIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 5


class Modplast(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.i2h = torch.nn.Linear(I, H)
        self.w = torch.nn.Parameter(0.01 * torch.randn(H, H))
        self.alpha = torch.nn.Parameter(0.01 * torch.randn(H, H))
        self.h2mod = torch.nn.Linear(H, 1)
        self.h2o = torch.nn.Linear(H, A)
        self.h2v = torch.nn.Linear(H, 1)

    def step(self, x, h, hebb):
        weights = self.w + self.alpha * hebb  # [B, H, H]: receiving i, sending j
        h_new = torch.tanh(self.i2h(x) + torch.bmm(weights, h[:, :, None])[:, :, 0])
        m = torch.tanh(self.h2mod(h_new))  # [B, 1]
        hebb = torch.clamp(hebb + m[:, :, None] * torch.bmm(h_new[:, :, None], h[:, None, :]), -1.0, 1.0)
        return self.h2o(h_new), self.h2v(h_new)[:, 0], h_new, hebb


def inputs():
    x = torch.zeros(T, B, I)
    x[:, :, :9] = (torch.rand(T, B, 9) < 0.5).float()  # the 3 x 3 view: wall or not
    x[torch.arange(T)[:, None], torch.arange(B)[None, :], 9 + torch.randint(0, 4, (T, B))] = 1.0
    x[:, :, 13] = 1.0  # bias input
    return x


net = Modplast()
opt = torch.optim.Adam(net.parameters(), lr=1e-4)


def iteration():
    x, rewards = inputs(), 10.0 * (torch.rand(T, B) < 0.05).float()
    h, hebb = torch.zeros(B, H), torch.zeros(B, H, H)
    logps, values, simpson = [], [], []
    for t in range(T):
        logits, v, h, hebb = net.step(x[t], h, hebb)
        probs = torch.softmax(logits, 1)
        a = torch.multinomial(probs.detach(), 1)[:, 0]
        logps.append(torch.log(probs.gather(1, a[:, None])[:, 0]))
        values.append(v)
        simpson.append((probs * probs).sum(1))
    ret, loss = torch.zeros(B), 0.0
    for t in reversed(range(T)):
        ret = 0.9 * ret + rewards[t]
        adv = ret - values[t]
        loss = loss - logps[t] * adv.detach() + 0.1 * adv * adv + 0.03 * simpson[t]
    opt.zero_grad()
    loss.mean().backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), 4.0)
    opt.step()


report(iteration, 1, ITERATIONS, "iteration")
