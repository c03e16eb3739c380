"""`python -m policysite` and the `policysite` command.

The command line is imported here, inside the interrupt handler, so that
Ctrl-C while Python is still loading ends with one line, not a traceback.
"""

import sys


def run() -> None:
    try:
        from . import cli

        cli.EXIT_AT_ONCE = True
        cli.main()
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted: the previous output is unchanged.\n")
        sys.exit(130)


if __name__ == "__main__":
    run()
