"""Data-parallel training on CPU: two processes train a tiny UAS-Audio model and must end with identical weights.

Run (two real processes, gloo backend):

    accelerate launch --multi_gpu --num_processes 2 --num_machines 1 --mixed_precision no --dynamo_backend no \
        examples/scripts/ddp_sync_check.py --out_dir outputs/ddp_check

or `torchrun --nproc_per_node 2 examples/scripts/ddp_sync_check.py --out_dir outputs/ddp_check`.

Each rank trains stage 3 (everything but the encoder) with packing on its shard of a small synthetic audio dataset
that also holds text-only examples, then writes `rank<r>.json` with the world size, the loss history and a SHA-256
checksum of every parameter. Replicas are in sync when the checksums of all ranks are equal.
"""

import argparse
import hashlib
import json
import os

import torch


def checksums(model: torch.nn.Module) -> dict[str, str]:
    return {
        name: hashlib.sha256(p.detach().float().cpu().contiguous().numpy().tobytes()).hexdigest()
        for name, p in model.named_parameters()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out_dir", required=True)
    parser.add_argument("--max_steps", type=int, default=3)
    args = parser.parse_args()

    from datasets import Dataset

    from uas_hf.data.collators import UASAudioCollator
    from uas_hf.models.uas_audio.tiny import build_tiny_uas_audio, synthetic_clip
    from uas_hf.trainers import UASSFTConfig, UASSFTTrainer

    rows = []
    for i in range(16):
        answer = ["happy", "sad", "a dog barks twice", "rain on a roof"][i % 4]
        if i % 4 == 3:  # a text-only example: the encoder and projector get no input from it
            rows.append(
                {
                    "messages": [
                        {"role": "user", "content": [{"type": "text", "text": "Say hi."}]},
                        {"role": "assistant", "content": [{"type": "text", "text": answer}]},
                    ],
                    "audio": None,
                }
            )
            continue
        rows.append(
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "audio", "text": None}, {"type": "text", "text": "Describe the audio."}],
                    },
                    {"role": "assistant", "content": [{"type": "text", "text": answer}]},
                ],
                "audio": {"array": synthetic_clip(0.5 + 0.25 * (i % 3), seed=i), "sampling_rate": 16000},
            }
        )
    dataset = Dataset.from_list(rows)

    model, processor = build_tiny_uas_audio(seed=0)  # same seed on every rank; DDP also broadcasts rank 0's weights
    config = UASSFTConfig(
        output_dir=args.out_dir,
        stage=3,
        packing=True,
        max_steps=args.max_steps,
        per_device_train_batch_size=2,
        learning_rate=1e-2,
        warmup_steps=0,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        seed=0,
        disable_tqdm=True,
        plot_training_curves=False,
    )
    collator = UASAudioCollator(processor, packing=True)
    local_batches = []  # fingerprints of this rank's batches: ranks must see different data

    def recording_collator(examples):
        batch = collator(examples)
        local_batches.append(int(batch["input_ids"].sum()))
        return batch

    initial = checksums(model)
    trainer = UASSFTTrainer(
        model, args=config, train_dataset=dataset, processing_class=processor, data_collator=recording_collator
    )
    trainer.train()

    state = trainer.accelerator.state
    record = {
        "rank": state.process_index,
        "world_size": state.num_processes,
        "backend": str(getattr(state, "backend", None)),
        "losses": [h["loss"] for h in trainer.state.log_history if "loss" in h],
        "local_batches": local_batches,
        "initial_checksums": initial,
        "checksums": checksums(trainer.accelerator.unwrap_model(trainer.model)),
    }
    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, f"rank{state.process_index}.json"), "w") as f:
        json.dump(record, f)


if __name__ == "__main__":
    main()
