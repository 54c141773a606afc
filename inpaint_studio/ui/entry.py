"""Entry script of the PyInstaller bundle.

PyInstaller runs its entry file as a top-level script, so ``inpaint_studio/__main__.py``
(relative imports) cannot serve; this one imports the package absolutely.
"""

import sys

from inpaint_studio.cli import main

if __name__ == "__main__":
    sys.exit(main())
