"""``python -m doorflow <command>``: the commands behind ``./dev``."""

from doorflow.cli import main

main()
