#!/usr/bin/env bash
# Create .venv/ with the pinned OpenMMLab stack and rr_mmpose (editable).
#
# Quick the second time: a stamp keyed by the requirement files skips all
# work, and the two wheels that must be compiled here (mmcv with its CPU ops,
# xtcocotools) are cached outside the repository, keyed by torch version.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${RR_MMPOSE_VENV:-$ROOT/.venv}"
CACHE="${RR_MMPOSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rr-mmpose}"
PYTHON="${PYTHON:-python3}"
TORCH_VERSION=2.14.1
TORCHVISION_VERSION=0.29.1
MMCV_VERSION=2.1.0
XTCOCOTOOLS_VERSION=1.14.3

cd "$ROOT"
stamp_key="$(cat tools/setup_env.sh requirements/*.txt setup.py | sha256sum | cut -c1-16)"
STAMP="$VENV/.rr-mmpose-setup-$stamp_key"
if [[ -f "$STAMP" ]]; then
    exit 0
fi

log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
t0=$SECONDS

# A new stack takes about 6 GiB, most of it torch's PyPI wheel with its CUDA
# libraries (PyPI's torch is that one, even on a CPU machine), and pip unpacks
# through the temp folder. Say so up front instead of letting pip stop halfway
# with "No space left on device".
NEED_GIB="${RR_MMPOSE_NEED_GIB:-8}"
free_gib() { # free GiB on the file system holding $1 (or its nearest parent)
    local dir="$1"
    while [[ ! -d "$dir" ]]; do dir="$(dirname "$dir")"; done
    df -Pk "$dir" | awk 'NR == 2 { print int($4 / 1048576) }'
}
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import torch' >/dev/null 2>&1; then
    for where in "$VENV" "${TMPDIR:-/tmp}"; do
        have="$(free_gib "$where")"
        if ((have < NEED_GIB)); then
            echo "setup_env.sh: installing the stack needs about $NEED_GIB GiB free;" \
                "the file system of $where has $have GiB. Free some space (or set" \
                "RR_MMPOSE_VENV / TMPDIR to a larger disk) and run it again." >&2
            exit 1
        fi
    done
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
# This machine kind's pip config lists local index folders that only some
# packages have; drop pip's warning for each missing one.
pip() {
    "$PY" -m pip --disable-pip-version-check "$@" \
        2> >(grep -v 'is neither a file nor a directory' >&2)
}
PIP=(pip)
"${PIP[@]}" install -q --upgrade "pip<26" wheel ninja "cython<3.2"

# MMPose's visualizer imports torchvision; 2.14.1/0.29.1 is the pair that
# loads together on this machine kind (CPU here, CUDA where a GPU exists).
log "installing torch==$TORCH_VERSION torchvision==$TORCHVISION_VERSION"
"${PIP[@]}" install -q "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
# setuptools 80.x: torch needs >= 77, while mmcv's setup.py and mmengine's
# package lookup (used for `mmpose::` config scopes) still import
# pkg_resources, which later releases removed.
"${PIP[@]}" install -q "$(grep '^numpy==' requirements/stack.txt)" "setuptools==80.9.0"

pyver="$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
numpy_version="$("$PY" -c 'import numpy; print(numpy.__version__)')"
# mmcv links torch; xtcocotools links numpy (an extension built against a
# newer numpy does not load on an older one): cache each by what it links.
WHEELS="$CACHE/wheels/torch-$TORCH_VERSION-$pyver"
NUMPY_WHEELS="$CACHE/wheels/numpy-$numpy_version-$pyver"
mkdir -p "$WHEELS" "$NUMPY_WHEELS"

# mmcv: mmpose imports mmcv.ops at import time, so mmcv-lite is not enough
# and no prebuilt wheel exists for this torch. Build from the sdist with the
# CPU ops. torch 2.14 headers need C++20, but mmcv 2.1.0's setup.py forces
# -std=c++17 for every torch > 1.12.1: patch that one flag.
if ! ls "$WHEELS"/mmcv-"$MMCV_VERSION"-*.whl >/dev/null 2>&1; then
    log "building mmcv==$MMCV_VERSION with CPU ops (about 4 min on 2 cores, once per machine)"
    t_mmcv=$SECONDS
    work="$(mktemp -d)"
    "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation \
        "mmcv==$MMCV_VERSION" -d "$work"
    tar -xzf "$work"/mmcv-"$MMCV_VERSION".tar.gz -C "$work"
    src="$work/mmcv-$MMCV_VERSION"
    sed -i 's/-std=c++17/-std=c++20/g' "$src/setup.py"
    # Python's own compile flags carry -g: debug info doubles the compile
    # time, and nothing here debugs mmcv's C++. setuptools takes CFLAGS from
    # the environment in their place, so pass them whole (-O3 kept) with
    # -g0 last, which wins.
    cflags="$("$PY" -c 'import sysconfig; print(sysconfig.get_config_var("CFLAGS"))') -g0"
    # Parsing torch's headers is most of each file's compile time: 63 of
    # mmcv's 77 files include pytorch_cpp_helper.hpp first, so precompile it
    # once (gcc then reads the .gch beside it) with the flags torch's
    # BuildExtension gives every file. Were a flag to differ, gcc would
    # ignore the .gch and parse the header as before.
    helper="$src/mmcv/ops/csrc/common/pytorch_cpp_helper.hpp"
    read -r -a torch_includes <<<"$("$PY" -c '
import sysconfig
from torch.utils.cpp_extension import include_paths
print(" ".join("-I" + p for p in [*include_paths(), sysconfig.get_paths()["include"]]))')"
    # shellcheck disable=SC2086  # cflags is a list of flags
    g++ $cflags -fPIC -std=c++20 -DTORCH_API_INCLUDE_EXTENSION_H -DTORCH_EXTENSION_NAME=_ext \
        "${torch_includes[@]}" -x c++-header "$helper" -o "$helper.gch" 2>/dev/null || rm -f "$helper.gch"
    (cd "$src" &&
        export MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-$(nproc)}" CFLAGS="$cflags" &&
        "${PIP[@]}" wheel -q --no-deps --no-build-isolation . -w "$work/dist")
    mv "$work"/dist/mmcv-*.whl "$WHEELS/"
    rm -rf "$work"
    log "built mmcv in $((SECONDS - t_mmcv)) s"
fi

# xtcocotools: the binary wheel was built against an older numpy ABI
# ("numpy.dtype size changed"), so compile it against the pinned numpy.
if ! ls "$NUMPY_WHEELS"/xtcocotools-"$XTCOCOTOOLS_VERSION"-*.whl >/dev/null 2>&1; then
    log "building xtcocotools==$XTCOCOTOOLS_VERSION from source against numpy $numpy_version"
    "${PIP[@]}" wheel -q --no-deps --no-binary xtcocotools --no-build-isolation \
        "xtcocotools==$XTCOCOTOOLS_VERSION" -w "$NUMPY_WHEELS"
fi

log "installing the OpenMMLab stack"
"${PIP[@]}" install -q --no-deps --force-reinstall "$WHEELS"/mmcv-"$MMCV_VERSION"-*.whl \
    "$NUMPY_WHEELS"/xtcocotools-"$XTCOCOTOOLS_VERSION"-*.whl
# Installed without their dependencies (see requirements/stack.txt): mmpose
# (chumpy does not build), albumentations and albucore (a second cv2).
NO_DEPS='^(mmpose|albumentations|albucore)=='
grep -Ev "$NO_DEPS" requirements/stack.txt | "${PIP[@]}" install -q -r /dev/stdin
grep -E "$NO_DEPS" requirements/stack.txt | "${PIP[@]}" install -q --no-deps -r /dev/stdin
"${PIP[@]}" install -q -r requirements/dev.txt
"${PIP[@]}" install -q --no-deps --no-build-isolation -e .

"$PY" -W ignore -c 'import mmcv.ops, mmdet, mmpose.apis, rr_mmpose; print("mmpose", mmpose.__version__, "rr_mmpose", rr_mmpose.__version__)'
rm -f "$VENV"/.rr-mmpose-setup-*
touch "$STAMP"
log "environment ready in $((SECONDS - t0)) s"
