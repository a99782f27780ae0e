# shellcheck shell=sh
# What the bench/*.sh studies share, sourced by them (`. "$here/bench/common.sh"`, with `here`
# the repository root): the machine line every report starts with, where BRCA-M2C lives, and
# the header of a study's run.log.

# "<CPU model>, <N> cores": the machine a number was measured on.
bench_machine() {
    echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
}

# bench_brca_m2c STUDY: prints BRCA-M2C's directory ($MUSE_SHARED_DIR/data/brca-m2c, default
# ../shared beside the repository); without it, says so naming STUDY and exits 2. Call it as
# `data=$(bench_brca_m2c STUDY) || exit 2`.
bench_brca_m2c() {
    bench_data=${MUSE_SHARED_DIR:-$here/../shared}/data/brca-m2c
    if [ ! -d "$bench_data" ]; then
        echo "$1: BRCA-M2C not found at $bench_data (set MUSE_SHARED_DIR)" >&2
        exit 2
    fi
    echo "$bench_data"
}

# bench_log_header LOG LINE...: appends "# <UTC time> <machine>" and "# LINE" for each LINE to
# LOG, so that every resumed run of a study says when, where and with what it ran.
bench_log_header() {
    bench_log=$1
    shift
    {
        echo "# $(date -u +%FT%TZ) $(bench_machine)"
        for bench_line in "$@"; do echo "# $bench_line"; done
    } >> "$bench_log"
}
