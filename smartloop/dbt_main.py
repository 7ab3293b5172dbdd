"""``python -m smartloop.dbt_main ARGS``: dbt's own command line, run in a child process."""

import sys

from dbt.cli.main import cli

if __name__ == "__main__":
    sys.exit(cli())
