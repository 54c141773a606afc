"""``python -m inpaint_studio.models.export RUN_DIR/last.pt weights/deepfill.safetensors``.

Turns a training checkpoint into the shippable fp16 safetensors file (architecture and
working size in its metadata) and optionally a slim resumable training state.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..core.atomic import atomic_path
from ..core.errors import WeightsError
from .deepfill import DeepFillGenerator
from .weights import export_checkpoint, load_checkpoint


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m inpaint_studio.models.export", description=__doc__)
    p.add_argument("checkpoint", help="training checkpoint (RUN_DIR/last.pt)")
    p.add_argument("out", help="output .safetensors")
    p.add_argument("--working-size", type=int, default=512, help="longest side the engine scales crops to")
    p.add_argument("--fp32", action="store_true", help="keep float32 (default: float16, half the size)")
    p.add_argument("--info", default="{}", help="extra JSON stored in the metadata (e.g. eval numbers)")
    p.add_argument(
        "--zero-heads",
        action="store_true",
        help="ablation: zero the correction heads of a residual generator, so the file "
        "fills with its classical prefill alone through the very same engine path",
    )
    p.add_argument("--slim-state", metavar="PATH", help="also write a resumable state without the discriminator")
    args = p.parse_args(argv)
    try:
        info = {"working_size": args.working_size, **json.loads(args.info)}
        state = None
        if args.slim_state:
            # Checked before anything is written: keep/step_N.pt snapshots hold the
            # generator only, and half an export is worse than none.
            state = load_checkpoint(args.checkpoint)
            if "opt_g" not in state or "rng_numpy" not in state:
                raise WeightsError(
                    f"{args.checkpoint} holds no optimiser or RNG state to resume from; "
                    "pass the run's last.pt (or a full checkpoint) for --slim-state"
                )
        if args.zero_heads:
            from .weights import build_model, save_weights

            ckpt = state if state is not None else load_checkpoint(args.checkpoint)
            model = build_model(ckpt["model_config"])
            if not isinstance(model, DeepFillGenerator):
                raise WeightsError(
                    f"{args.checkpoint}: --zero-heads needs a DeepFill generator, not {type(model).__name__}"
                )
            model.load_state_dict(ckpt["g"])
            model.zero_heads()
            out = save_weights(model, args.out, {**info, "ablation": "zero_heads"}, half=not args.fp32)
        else:
            out = export_checkpoint(args.checkpoint, args.out, info, half=not args.fp32)
        if state is not None:
            import torch

            for key in ("d", "opt_d"):
                state.pop(key, None)
            if not isinstance(state.get("rng_numpy", ("",))[1], torch.Tensor):
                from .weights import np_rng_state_to_plain

                state["rng_numpy"] = np_rng_state_to_plain(state["rng_numpy"])
            with atomic_path(args.slim_state) as tmp:
                torch.save(state, tmp)
    except (WeightsError, json.JSONDecodeError, OSError) as exc:
        print(f"export: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
