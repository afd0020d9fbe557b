#!/usr/bin/env bash
# The C kernels (Sources/CFoveaKernels) are multi-versioned: the loader picks the
# AVX-512, AVX2 or baseline x86-64 clone by the CPU, so the test suite only ever
# runs the one this machine takes. This script builds the kernels three ways
# (as shipped, i.e. the clone this CPU picks; forced AVX2 + FMA; forced baseline
# x86-64) and checks that all three give the same outputs on fixed inputs (within
# 1e-5 relative: without FMA the baseline rounds a product-sum differently).
# Needs clang; exits non-zero on a mismatch.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/Sources/CFoveaKernels"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for variant in shipped v3 base; do
    mkdir "$work/$variant"
    cp "$src"/*.c "$src"/*.h "$work/$variant/"
    flags=()
    case $variant in
        v3) flags=(-march=x86-64-v3) ;;
        base) flags=(-march=x86-64) ;;
    esac
    if [ "$variant" != shipped ]; then
        sed -i 's/^#define CLONES .*/#define CLONES/' "$work/$variant"/vector.h
    fi
    clang -O3 -fno-math-errno -mprefer-vector-width=512 ${flags[@]+"${flags[@]}"} -I"$src/include" \
        "$root/Tools/check_kernel_clones.c" "$work/$variant"/*.c -o "$work/check-$variant"
    "$work/check-$variant" "$work/$variant.bin"
done
python3 - "$work" <<'PY'
import struct, sys
work = sys.argv[1]
def floats(name):
    data = open(f"{work}/{name}.bin", "rb").read()
    return struct.unpack(f"{len(data) // 4}f", data)
shipped = floats("shipped")
ok = True
for variant in ("v3", "base"):
    other = floats(variant)
    worst = max(abs(a - b) / max(1.0, abs(a)) for a, b in zip(shipped, other))
    same = len(other) == len(shipped) and worst <= 1e-5
    ok &= same
    print(f"{variant:>4} vs shipped: {len(other)} values, worst relative difference {worst:.3g} {'OK' if same else 'MISMATCH'}")
sys.exit(0 if ok else 1)
PY
