#!/bin/sh
# Regenerates the model-set study of docs/network.md: the sweep tables
# (docs/figures/network-sweep-{int8,fp16}.csv) and the figures
# (docs/figures/network-*.svg). Run from the repository root:
#   sh docs/figures/network-study.sh
set -eu
cargo build --release --quiet
T=./target/release/tosim
F=docs/figures

# 3 depths x 3 widths x 3 activations, without batch norm and with it unfolded
# on the units and folded into the weights: 81 models per format, random
# weights (seed 1), the first 100 samples of the shipped digits test split.
for fmt in int8 fp16; do
  $T sweep --format $fmt --depth 1,2,3 --width 16,32,64 --activation relu,sigmoid,tanh \
    --batch-norm off,on --batchnorm unfold,fold --samples 100 --csv $F/network-sweep-$fmt.csv > /dev/null
done

plot() { $T plot "$@" --group variant --size 760x460; }
I=$F/network-sweep-int8.csv
plot $I --x macs --y static_tos --log-x --log-y \
  --title "int8, 81 models: static TOs (transistors x operations) vs MACs" \
  --xlabel "MACs (100 samples)" --ylabel "static TOs" -o $F/network-static-vs-macs.svg
plot $I --x macs --y switching_tos --log-x --log-y \
  --title "int8, 81 models: switching TOs vs MACs" \
  --xlabel "MACs (100 samples)" --ylabel "switching TOs" -o $F/network-switching-vs-macs.svg
plot $I --x macs --y switching_per_static --log-x \
  --title "int8: switching TOs / static TOs per model" \
  --xlabel "MACs (100 samples)" --ylabel "switching / static" -o $F/network-switching-per-static.svg
plot $I --x depth --y switching_per_mac --log-y \
  --title "int8: switching TOs per MAC vs depth (widths 16, 32, 64)" \
  --xlabel "hidden layers" --ylabel "switching TOs per MAC" -o $F/network-switching-per-mac-depth.svg
plot $F/network-sweep-fp16.csv --x width --y switching_per_mac --log-x --log-y \
  --title "fp16: switching TOs per MAC vs width (depths 1, 2, 3)" \
  --xlabel "neurons per hidden layer" --ylabel "switching TOs per MAC" -o $F/network-fp16-switching-per-mac-width.svg
