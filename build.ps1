<#
.SYNOPSIS
Builds, tests, demonstrates and benchmarks DeepSim.

.DESCRIPTION
Tasks:
  Build  compiles the solution and lays out an importable module in out/DeepSim (manifest, format file,
         DLLs, flat native libtorch without libtorch_python.so and test backends, MAML help).
  Test   Build, then xunit (the core), then Pester in a fresh pwsh -NoProfile (the cmdlets as a user calls
         them). Prints one total line "tests: N passed, N failed[, N skipped]" and exits non-zero on any failure.
  Demo   Build, then the main job: examples/Reproduce-Paper.ps1 in fast mode on the default data set.
  Bench  Build, then the side-by-side benchmarks in bench/, writing bench/RESULTS.md.
  Clean  Removes out/ and every bin/ and obj/ folder.

.EXAMPLE
dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Clean')]
    [string] $Task = 'Build',
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',
    # Demo: data folder (default: ../shared/data/ct-mr-head when present, else ITK's T1/PD slices from Debian).
    [string] $DataPath,
    # Demo: where the report goes.
    [string] $OutputPath = (Join-Path $PSScriptRoot 'out/demo'),
    # Test: run only these Pester files / xunit filter (for quick local runs).
    [string] $TestFilter
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$root = $PSScriptRoot
$out = Join-Path $root 'out'
$moduleDir = Join-Path $out 'DeepSim'
$toolsDir = Join-Path $root '.tools'
$pesterVersion = '5.7.1'

function Get-PwshCommand {
    # Under `dotnet pwsh` the process is the dotnet host and pwsh is a DLL in $PSHOME.
    $exe = [Environment]::ProcessPath
    if ([System.IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { return @($exe, (Join-Path $PSHOME 'pwsh.dll')) }
    return @($exe)
}

function Invoke-Pwsh([string[]] $Arguments) {
    $cmd = Get-PwshCommand
    $rest = @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive') + $Arguments
    & $cmd[0] @rest | Out-Host
    return $LASTEXITCODE
}

function Invoke-Native([string] $Command, [string[]] $Arguments) {
    & $Command @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Command $($Arguments -join ' ') failed with exit code $LASTEXITCODE." }
}

function Invoke-Build {
    Write-Host "== Build ($Configuration)" -ForegroundColor Cyan
    Invoke-Native dotnet @('build', (Join-Path $root 'DeepSim.sln'), '-c', $Configuration, '-nologo', '-v', 'q', '-clp:NoSummary')
    $bin = Join-Path $root "src/DeepSim.PowerShell/bin/$Configuration/net10.0"
    $staging = Join-Path $out 'DeepSim.staging'
    if (Test-Path $staging) { Remove-Item $staging -Recurse -Force }
    New-Item -ItemType Directory -Force -Path $staging | Out-Null
    # Natives that are never loaded: the Python binding and libtorch's test backends.
    $exclude = @('libtorch_python.so', 'libjitbackend_test.so', 'libtorchbind_test.so', 'libbackend_with_compiler.so', 'libaoti_custom_ops.so', 'libnnapi_backend.so', '*.deps.json', '*.pdb')
    Get-ChildItem -LiteralPath $bin -File | Where-Object { $n = $_.Name; -not ($exclude | Where-Object { $n -like $_ }) } | ForEach-Object {
        Copy-Item -LiteralPath $_.FullName -Destination $staging
    }
    Copy-Item (Join-Path $root 'DeepSim.psd1') $staging
    Copy-Item (Join-Path $root 'src/DeepSim.PowerShell/DeepSim.Format.ps1xml') $staging
    Copy-Item (Join-Path $root 'src/DeepSim.PowerShell/Scripts/DeepSim.Assertions.psm1') $staging
    $helpScript = Join-Path $root 'build/New-MamlHelp.ps1'
    $rc = Invoke-Pwsh @('-File', $helpScript, '-ModuleManifest', (Join-Path $staging 'DeepSim.psd1'),
        '-XmlDocPath', (Join-Path $staging 'DeepSim.PowerShell.xml'),
        '-OutputPath', (Join-Path $staging 'en-US/DeepSim.PowerShell.dll-Help.xml'))
    if ($rc -ne 0) { throw "Help generation failed ($rc)." }
    # Swap the finished folder in: a failed build never leaves a half-laid module behind.
    if (Test-Path $moduleDir) { Remove-Item $moduleDir -Recurse -Force }
    Move-Item $staging $moduleDir
    Write-Host "Module laid out in $moduleDir" -ForegroundColor Green
}

function Install-Pester {
    $target = Join-Path $toolsDir "Modules/Pester/$pesterVersion"
    if (Test-Path (Join-Path $target 'Pester.psd1')) { return (Join-Path $toolsDir 'Modules') }
    Invoke-Native dotnet @('restore', (Join-Path $root 'tools/Tools.csproj'), '-nologo', '-v', 'q')
    $nugetRoot = ((& dotnet nuget locals global-packages -l) -replace '^global-packages:\s*', '').Trim()
    $source = Join-Path $nugetRoot "pester/$pesterVersion/tools"
    if (-not (Test-Path (Join-Path $source 'Pester.psd1'))) { throw "Pester $pesterVersion was not restored to $source." }
    New-Item -ItemType Directory -Force -Path $target | Out-Null
    Copy-Item -Path (Join-Path $source '*') -Destination $target -Recurse -Force
    return (Join-Path $toolsDir 'Modules')
}

function Read-TrxCounts([string] $Path) {
    [xml] $trx = Get-Content -LiteralPath $Path -Raw
    $c = $trx.TestRun.ResultSummary.Counters
    # VSTest counts skipped tests as total - executed (its notExecuted counter stays 0 for xunit skips).
    $skipped = [Math]::Max([int]$c.notExecuted, [int]$c.total - [int]$c.executed)
    [pscustomobject]@{ Passed = [int]$c.passed; Failed = [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted; Skipped = $skipped }
}

# The names of the failed tests and the first line of each message, printed just above the summary line so that a
# log cut to its tail (as CI shows it) still says what failed.
function Get-FailedTestLines([string] $TrxPath, [string] $PesterPath) {
    $lines = [System.Collections.Generic.List[string]]::new()
    if (Test-Path -LiteralPath $TrxPath) {
        [xml] $trx = Get-Content -LiteralPath $TrxPath -Raw
        # A filter that matched no xunit test leaves a run without a Results element.
        $unitResults = if ($trx.TestRun.PSObject.Properties['Results']) { @($trx.TestRun.Results.UnitTestResult) } else { @() }
        foreach ($r in $unitResults) {
            if ($r -and $r.outcome -notin 'Passed', 'NotExecuted') {
                $msg = "$($r.Output.ErrorInfo.Message)".Trim() -split "`n" | Select-Object -First 1
                $lines.Add("FAILED (xunit) $($r.testName): $msg")
            }
        }
    }
    if (Test-Path -LiteralPath $PesterPath) {
        [xml] $nunit = Get-Content -LiteralPath $PesterPath -Raw
        foreach ($t in @($nunit.SelectNodes('//test-case[@result="Failure" or @result="Error"]'))) {
            $msg = "$($t.SelectSingleNode('failure/message').InnerText)".Trim() -split "`n" | Select-Object -First 1
            $lines.Add("FAILED (Pester) $($t.name): $msg")
        }
    }
    return $lines
}

function Invoke-Test {
    Invoke-Build
    $results = Join-Path $out 'test-results'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    New-Item -ItemType Directory -Force -Path $results | Out-Null

    Write-Host '== xunit (DeepSim.Core.Tests)' -ForegroundColor Cyan
    $xargs = @('test', (Join-Path $root 'tests/DeepSim.Core.Tests'), '-c', $Configuration, '--no-build', '-nologo',
        '--logger', 'trx;LogFileName=core.trx', '--logger', 'console;verbosity=normal', '--results-directory', $results)
    if ($TestFilter) { $xargs += @('--filter', $TestFilter) }
    & dotnet @xargs
    $trxPath = Join-Path $results 'core.trx'
    $xunit = if (Test-Path $trxPath) { Read-TrxCounts $trxPath } else { [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 } }
    if (-not (Test-Path $trxPath)) { Write-Host 'xunit produced no results file: counted as one failure.' -ForegroundColor Red }

    Write-Host '== Pester (tests/pester), fresh pwsh' -ForegroundColor Cyan
    $modules = Install-Pester
    $countsFile = Join-Path $results 'pester.json'
    $runner = Join-Path $root 'tests/Invoke-PesterSuite.ps1'
    $pargs = @('-File', $runner, '-PesterModulePath', $modules, '-ModuleManifest', (Join-Path $moduleDir 'DeepSim.psd1'), '-CountsFile', $countsFile, '-ResultsPath', (Join-Path $results 'pester.xml'))
    if ($TestFilter) { $pargs += @('-Filter', $TestFilter) }
    $null = Invoke-Pwsh $pargs
    $pester = if (Test-Path $countsFile) { Get-Content $countsFile -Raw | ConvertFrom-Json } else { [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 } }
    if (-not (Test-Path $countsFile)) { Write-Host 'Pester produced no counts: counted as one failure.' -ForegroundColor Red }

    foreach ($l in Get-FailedTestLines $trxPath (Join-Path $results 'pester.xml')) { Write-Host $l -ForegroundColor Red }
    $passed = $xunit.Passed + $pester.Passed
    $failed = $xunit.Failed + $pester.Failed
    $skipped = $xunit.Skipped + $pester.Skipped
    Write-Host ("xunit: {0} passed, {1} failed, {2} skipped; Pester: {3} passed, {4} failed, {5} skipped" -f $xunit.Passed, $xunit.Failed, $xunit.Skipped, $pester.Passed, $pester.Failed, $pester.Skipped)
    $line = "tests: $passed passed, $failed failed"
    if ($skipped -gt 0) { $line += ", $skipped skipped" }
    Write-Host $line
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    $script = Join-Path $root 'examples/Reproduce-Paper.ps1'
    $dargs = @('-File', $script, '-ModulePath', (Join-Path $moduleDir 'DeepSim.psd1'), '-OutputPath', $OutputPath, '-Fast')
    if ($DataPath) { $dargs += @('-DataPath', $DataPath) }
    $rc = Invoke-Pwsh $dargs
    if ($rc -ne 0) { exit $rc }
}

function Invoke-Bench {
    Invoke-Build
    $rc = Invoke-Pwsh @('-File', (Join-Path $root 'bench/Invoke-Benchmarks.ps1'), '-ModulePath', (Join-Path $moduleDir 'DeepSim.psd1'))
    if ($rc -ne 0) { exit $rc }
}

function Invoke-Clean {
    if (Test-Path $out) { Remove-Item $out -Recurse -Force }
    Get-ChildItem -Path (Join-Path $root 'src'), (Join-Path $root 'tests'), (Join-Path $root 'tools'), (Join-Path $root 'bench') -Directory -Recurse -Include bin, obj -ErrorAction SilentlyContinue |
        Remove-Item -Recurse -Force
    Write-Host 'Cleaned.'
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Demo' { Invoke-Demo }
    'Bench' { Invoke-Bench }
    'Clean' { Invoke-Clean }
}
