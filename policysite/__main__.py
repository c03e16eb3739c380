"""`python -m policysite` and the `policysite` command.

The command line is imported here, inside the interrupt handler, so that
Ctrl-C while Python is still loading ends with one line, not a traceback; so does
a fault in policysite itself (exit status 3).
"""

import os
import sys

# Exit status when policysite itself fails (a bug, not a problem in the site): see README.md.
INTERNAL_ERROR = 3


def run() -> None:
    try:
        from . import cli

        cli.EXIT_AT_ONCE = True
        cli.main()
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted: the previous output is unchanged.\n")
        sys.exit(130)
    except Exception as exc:
        # The last resort: an editor reading CI's log gets one line saying it is not their doing,
        # not a page of Python; whoever reports it can ask for the details.
        if os.environ.get("POLICYSITE_TRACEBACK"):
            raise
        where = exc.__traceback__
        while where is not None and where.tb_next is not None:
            where = where.tb_next
        at = f" at {os.path.basename(where.tb_frame.f_code.co_filename)}:{where.tb_lineno}" if where else ""
        sys.stderr.write(f"error: policysite itself failed ({type(exc).__name__}: {exc}{at}): this is a fault in "
                         "policysite, not in your site, and the previous output is unchanged. Please report it "
                         "with the command you ran; run it again with POLICYSITE_TRACEBACK=1 to see the details.\n")
        sys.exit(INTERNAL_ERROR)


if __name__ == "__main__":
    run()
