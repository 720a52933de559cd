#!/usr/bin/env bash
# The checks to run on a machine with a CUDA GPU, in one go (a borrowed GPU's time is short):
#   1. every Switch-layer state (the 5 shared PyTorch fixtures and the 3 generated ones)
#      forward + backward on ilgpu-cuda, tensor by tensor (`crosscheck layer`);
#   2. the same small Switch LM trained 3 steps on cpu and on ilgpu-cuda, every activation,
#      gradient and updated parameter compared (`crosscheck model`);
#   3. GEMM, Switch layer and training-step speed on the GPU (`perf device`);
#   4. a short training run of the default preset on the GPU, with evaluation and sampling.
# Run from the repository root. By default it uses `dotnet run`; on a machine without the
# .NET SDK set CLI and PERF to published builds, e.g. CLI="dotnet /opt/sn/cli/SwitchNative.Cli.dll".
# Logs go to $LOGS (default: runs/gpu-checks). Each step has its own time limit and the
# script goes on after a failure; the exit code is the number of failed steps.
set -u
DEVICE=${DEVICE:-ilgpu-cuda}
CLI=${CLI:-dotnet run -c Release --project src/SwitchNative.Cli --}
PERF=${PERF:-dotnet run -c Release --project perf/SwitchNative.Perf --}
LOGS=${LOGS:-runs/gpu-checks}
TRAIN_MINUTES=${TRAIN_MINUTES:-1.5}
PEAK_GFLOPS=${PEAK_GFLOPS:-67000}
mkdir -p "$LOGS"
failures=0

step() { # step NAME SECONDS COMMAND... (prints the log's last $LINES lines, default 30)
    local name=$1 seconds=$2; shift 2
    echo "=== $name"
    local started=$SECONDS
    timeout "$seconds" "$@" >"$LOGS/$name.log" 2>&1
    local status=$?
    grep -E 'FAIL|rror' "$LOGS/$name.log" | head -n 20
    tail -n "${LINES:-30}" "$LOGS/$name.log"
    echo "=== $name: exit $status after $((SECONDS - started)) s"
    [ "$status" -eq 0 ] || failures=$((failures + 1))
}

command -v nvidia-smi >/dev/null && nvidia-smi -L
for state in tests/SwitchNative.Tests/Fixtures/switch-layer/*.safetensors tests/SwitchNative.Tests/Fixtures/generated/*.safetensors; do
    case $(basename "$state") in switch_lm_*) continue ;; esac  # a whole-model state, not a layer
    LINES=1 step "layer-$(basename "$state" .safetensors)" 90 $CLI crosscheck layer --state "$state" --device "$DEVICE"
done
step model-crosscheck 180 $CLI crosscheck model --devices "cpu,$DEVICE" --steps 3
step perf-device 180 $PERF device --device "$DEVICE" --peak-gflops "$PEAK_GFLOPS"
step train 300 $CLI train --device "$DEVICE" --time-budget "$TRAIN_MINUTES" --run-dir "$LOGS/train" --eval-every 200
echo "failed steps: $failures"
exit "$failures"
