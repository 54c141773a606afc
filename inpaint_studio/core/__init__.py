"""Pure numpy/Pillow building blocks: image I/O, masks, high-resolution crop/blend.

Nothing here imports Qt or torch, so the CLI, the engine and tests can use it cheaply.
"""
