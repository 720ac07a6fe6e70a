"""Where training runs: the device (--device auto|cuda|cpu) and, under ``torchrun``, several ranks.

Started by ``torchrun --nproc_per_node N -m siamgui.train.cli ...`` (or across machines with
``--nnodes``), each process is a rank: it draws its own P x K batches (its sampler is seeded by
the rank), DistributedDataParallel averages the gradients, and rank 0 alone validates, writes
checkpoints and exports. Without torchrun's environment this is a single process, as before.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Place:
    device: torch.device
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        """Rank 0: the one process that logs, validates, checkpoints and exports."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1


def pick_device(choice: str = "auto", local_rank: int = 0) -> torch.device:
    """``cuda`` when asked for or (``auto``) when torch sees a GPU, else the CPU; a clear error
    when CUDA is asked for and absent, rather than a silent CPU run."""
    from siamgui.train.data import TrainError

    if choice not in ("auto", "cuda", "cpu"):
        raise TrainError(f"--device must be auto, cuda or cpu (got {choice!r})")
    has_cuda = torch.cuda.is_available()
    if choice == "cuda" and not has_cuda:
        raise TrainError("--device cuda: torch sees no CUDA GPU here (this torch build or machine has none); "
                         "use --device cpu or auto")
    if choice == "cpu" or not has_cuda:
        return torch.device("cpu")
    return torch.device("cuda", local_rank % max(1, torch.cuda.device_count()))


def setup(choice: str = "auto") -> Place:
    """Join the process group when torchrun started us; pick this rank's device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(choice, local)
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        torch.distributed.init_process_group(backend=backend)
    return Place(device=device, rank=rank, world=world, local_rank=local)


def agree_max(value: float, place: Place) -> float:
    """The largest ``value`` over all ranks (so every rank stops at the same step)."""
    if not place.distributed:
        return value
    t = torch.tensor([float(value)], dtype=torch.float64)
    if torch.distributed.get_backend() == "nccl":
        t = t.to(place.device)
    torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
    return float(t.item())


def barrier(place: Place) -> None:
    if place.distributed:
        torch.distributed.barrier()


def teardown(place: Place) -> None:
    if place.distributed and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
