"""Training and evaluation of the inpainting networks (CLI: ``inpaint-studio train/eval``)."""
