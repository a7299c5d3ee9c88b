<#
.SYNOPSIS
Runs the Pester suite in this (fresh) pwsh and writes pass/fail/skip counts to a JSON file for build.ps1.
#>
param(
    [Parameter(Mandatory)] [string] $PesterModulePath,
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $CountsFile,
    [string] $ResultsPath,
    [string] $Filter
)
$ErrorActionPreference = 'Stop'
$env:PSModulePath = $PesterModulePath + [System.IO.Path]::PathSeparator + $env:PSModulePath
$env:DEEPSIM_MODULE = $ModuleManifest
Import-Module Pester -RequiredVersion 5.7.1
$config = New-PesterConfiguration
$config.Run.Path = Join-Path $PSScriptRoot 'pester'
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
if ($ResultsPath) {
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputPath = $ResultsPath
    $config.TestResult.OutputFormat = 'NUnitXml'
}
if ($Filter) { $config.Filter.FullName = "*$Filter*" }
$result = Invoke-Pester -Configuration $config
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
[pscustomobject]@{ Passed = $result.PassedCount; Failed = $failed; Skipped = $result.SkippedCount + $result.NotRunCount } |
    ConvertTo-Json | Set-Content -LiteralPath $CountsFile
exit ([Math]::Min($failed, 255))
