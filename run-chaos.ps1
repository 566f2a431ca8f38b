#!/usr/bin/env pwsh
# Nightly entry point: a thin wrapper over the harness CLI. All logic lives in the CLI; the exit code
# is the CLI's own (0 as expected, 1 a verdict regressed or changed against the baseline, 2 bad input).
#   pwsh ./run-chaos.ps1 -Baseline chaos-baseline/matrix.json
#   pwsh ./run-chaos.ps1 -Faults idle-backends-killed,tcp-reset-mid-transaction -Profiles npgsql-defaults
#   pwsh ./run-chaos.ps1 -Shard 2/3 -OutDir chaos-out/shard-2     # one of three CI jobs; `chaos merge` combines them
param(
    [string[]] $Faults,
    [string[]] $Profiles,
    [string] $OutDir = './chaos-out',
    [string] $Baseline,
    # I/N: run shard I of N of the selected cells (see docs/nightly.md).
    [string] $Shard,
    # Build the harness against this Npgsql (the NpgsqlVersion build property); default: Directory.Packages.props.
    [string] $NpgsqlVersion
)
# Without this a missing `dotnet` only ends its statement: $LASTEXITCODE stays empty and the script exits 0.
$ErrorActionPreference = 'Stop'

$cliArgs = @('matrix', '--format', 'table,json,markdown,junit,html', '--out', $OutDir)
if ($Faults) { $cliArgs += @('--faults', ($Faults -join ',')) }
if ($Profiles) { $cliArgs += @('--profiles', ($Profiles -join ',')) }
if ($Baseline) { $cliArgs += @('--baseline', $Baseline) }
if ($Shard) { $cliArgs += @('--shard', $Shard) }
$buildArgs = @()
if ($NpgsqlVersion) { $buildArgs += "-p:NpgsqlVersion=$NpgsqlVersion" }

dotnet run -c Release --project (Join-Path $PSScriptRoot 'src/Chaos.Cli') @buildArgs -- @cliArgs
exit $LASTEXITCODE
