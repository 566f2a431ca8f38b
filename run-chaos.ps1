#!/usr/bin/env pwsh
# Nightly entry point: a thin wrapper over the harness CLI. All logic lives in the CLI; the exit code
# is the CLI's own (non-zero when a verdict regressed or changed against the baseline).
#   pwsh ./run-chaos.ps1 -Baseline chaos-baseline/matrix.json
#   pwsh ./run-chaos.ps1 -Faults idle-backends-killed,tcp-reset-mid-transaction -Profiles npgsql-defaults
param(
    [string[]] $Faults,
    [string[]] $Profiles,
    [string] $OutDir = './chaos-out',
    [string] $Baseline
)
# Without this a missing `dotnet` only ends its statement: $LASTEXITCODE stays empty and the script exits 0.
$ErrorActionPreference = 'Stop'

$cliArgs = @('matrix', '--format', 'table,markdown,json,junit,html', '--out', $OutDir)
if ($Faults) { $cliArgs += @('--faults', ($Faults -join ',')) }
if ($Profiles) { $cliArgs += @('--profiles', ($Profiles -join ',')) }
if ($Baseline) { $cliArgs += @('--baseline', $Baseline) }

dotnet run -c Release --project (Join-Path $PSScriptRoot 'src/Harness') -- @cliArgs
exit $LASTEXITCODE
