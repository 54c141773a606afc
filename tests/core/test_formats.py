"""One table of output formats (core.image_formats) behind every front end's choices."""

from __future__ import annotations

from inpaint_studio.core.image_formats import FORMAT_SUFFIX, OUTPUT_FORMAT_ALIASES, OUTPUT_FORMATS


def test_output_formats_agree_with_the_suffix_table() -> None:
    assert OUTPUT_FORMATS["keep"].suffix is None and OUTPUT_FORMATS["keep"].pil is None
    for key, f in OUTPUT_FORMATS.items():
        if key != "keep":
            assert f.suffix == FORMAT_SUFFIX[f.pil]
    assert all(v in OUTPUT_FORMATS for v in OUTPUT_FORMAT_ALIASES.values())


def test_cli_and_export_dialog_offer_the_table() -> None:
    from inpaint_studio.cli import build_parser
    from inpaint_studio.ui.export_dialog import EXPORT_FORMATS

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    fmt = next(a for a in sub.choices["batch"]._actions if a.dest == "format")
    assert list(fmt.choices) == list(OUTPUT_FORMATS)
    assert EXPORT_FORMATS is OUTPUT_FORMATS
