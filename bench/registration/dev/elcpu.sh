#!/bin/bash
# elastix CPU (user+sys) on the first N rigid case-2 cases, one thread.
N=${1:-20}; out=/tmp/elcpu; mkdir -p $out; tot=0
tail -n +2 /tmp/deepsim-regbench/rigid/cases.tsv | head -n $N | while IFS=$'\t' read case pair ang tx ty cx cy fixed moving; do
  rm -rf $out/o; mkdir $out/o
  /usr/bin/time -f "%U %S %e" -o $out/t.txt nice -n 10 elastix -f $fixed -m $moving -p $(dirname $0)/../elastix/rigid-mi.txt -out $out/o -threads 1 > /dev/null 2>&1
  echo "$case $(cat $out/t.txt)"
done
