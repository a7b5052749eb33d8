#!/bin/sh
# Pack a bundle directory into one fuzz input for fuzz_check.
#
#   fuzz/pack.sh BUNDLE_DIR > FILE
#
# The format (also read by fuzz/fuzz_check.c): for each regular file of the
# directory, in name order, a header line "\n@@fosim-file NAME\n" followed
# by the file's bytes.  Anything before the first header is ignored.
set -eu
d=$1
for f in $(cd "$d" && find . -maxdepth 1 -type f | sed 's|^\./||' | LC_ALL=C sort); do
    printf '\n@@fosim-file %s\n' "$f"
    cat "$d/$f"
done
