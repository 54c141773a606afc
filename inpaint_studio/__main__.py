"""``python -m inpaint_studio`` and the PyInstaller bundle's entry script.

PyInstaller runs its entry file as a top-level script, where relative imports fail, so
the CLI is imported absolutely; the CLI's ``gui`` subcommand then opens the editor.
"""

import sys

from inpaint_studio.cli import main

if __name__ == "__main__":
    sys.exit(main())
