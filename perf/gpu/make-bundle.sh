#!/usr/bin/env bash
# Packs what gpu-checks.sh needs on a GPU machine that has no .NET SDK: the published
# command line and perf runner plus this machine's .NET runtime, in one tar.xz.
#   perf/gpu/make-bundle.sh [OUTPUT]      (default .gpu/bundle.tar.xz)
# On the GPU machine, from a checkout of the repository:
#   mkdir -p /tmp/sn && tar -xJf .gpu/bundle.tar.xz -C /tmp/sn
#   export DOTNET_ROOT=/tmp/sn/dotnet PATH=/tmp/sn/dotnet:$PATH
#   CLI="dotnet /tmp/sn/apps/cli/SwitchNative.Cli.dll" PERF="dotnet /tmp/sn/apps/perf/SwitchNative.Perf.dll" perf/gpu/gpu-checks.sh
set -euo pipefail
output=$(realpath -m "${1:-.gpu/bundle.tar.xz}")
root=$(dirname "$(realpath "$(command -v dotnet)")")
runtime=$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { version = $2 } END { print version }')
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
dotnet publish src/SwitchNative.Cli -c Release -o "$staging/apps/cli" >/dev/null
dotnet publish perf/SwitchNative.Perf -c Release -o "$staging/apps/perf" >/dev/null
# Only linux-x64 native libraries (SkiaSharp ships one per platform).
find "$staging/apps" -path '*/runtimes/*' -maxdepth 3 -mindepth 3 -type d ! -name linux-x64 -exec rm -rf {} +
mkdir -p "$staging/dotnet/shared/Microsoft.NETCore.App" "$(dirname "$output")"
cp -a "$root/dotnet" "$root/host" "$staging/dotnet/"
cp -a "$root/shared/Microsoft.NETCore.App/$runtime" "$staging/dotnet/shared/Microsoft.NETCore.App/"
tar -C "$staging" -cf - apps dotnet | xz -T0 -6 > "$output"
echo "wrote $output ($(du -h "$output" | cut -f1)); .NET runtime $runtime"
