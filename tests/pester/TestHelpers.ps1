# Shared by the Pester files: where the module and the shared data are.
$script:ModuleManifest = if ($env:DEEPSIM_MODULE) { $env:DEEPSIM_MODULE } else { Join-Path $PSScriptRoot '../../out/DeepSim/DeepSim.psd1' }
$script:DataRoot = if ($env:DEEPSIM_DATA) { $env:DEEPSIM_DATA } else { Join-Path $PSScriptRoot '../../../shared/data' }
$script:HasData = Test-Path (Join-Path $script:DataRoot 'README.md')
$script:InCi = $env:CI -eq 'true'
if ($script:InCi -and -not $script:HasData) { throw "CI must have the shared data at $script:DataRoot." }
$script:NoDataReason = "shared data not found at $script:DataRoot (set DEEPSIM_DATA)"
if (-not $script:HasData -and -not $script:DataReasonShown) {
    # Pester's -Skip takes no reason: say it once per file, where the skipped blocks are discovered.
    $file = if ($MyInvocation.PSCommandPath) { Split-Path -Leaf $MyInvocation.PSCommandPath } else { 'this file' }
    Write-Host "Skipping the tests of $file that need real data: $script:NoDataReason." -ForegroundColor Yellow
    $script:DataReasonShown = $true
}
