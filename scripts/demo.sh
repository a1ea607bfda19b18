#!/bin/bash
# demo.sh -- install what is missing, build, and run havm's demonstration:
# a 3-host cluster of real corosync + havmd on this machine, one host losing
# power, the others noticing. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/deps.sh
scripts/build.sh
exec tests/cluster/demo.sh
