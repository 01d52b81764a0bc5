"""Two CPU processes under torchrun (gloo, DistributedDataParallel, DistributedSampler) give the losses of one process
on the same global batch. A plain test file: launching torch twice is too slow for a notebook's default run."""
from musiclab.gpt_training import ddp_loss_check


def test_two_processes_match_one():
    losses = ddp_loss_check(nproc=2, steps=4)
    assert len(losses[1]) == len(losses[2]) == 4, losses
    diffs = [abs(a - b) for a, b in zip(losses[1], losses[2])]
    assert max(diffs) < 1e-4, losses
    assert losses[1][-1] < losses[1][0], losses  # it trains: the check is not comparing two frozen models
