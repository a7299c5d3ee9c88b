# Learned-metric scoring gives the same answers whatever the thread count and the oneDNN instruction set: each case runs
# in its own pwsh process (oneDNN reads ONEDNN_MAX_CPU_ISA and libgomp OMP_NUM_THREADS once per process), on images the
# test makes itself, so it runs without ../shared too.
BeforeDiscovery {
    $cases = @(
        @{ Threads = 1; Isa = $null }
        @{ Threads = 2; Isa = $null }
        @{ Threads = 2; Isa = 'AVX2' }
        @{ Threads = 2; Isa = 'AVX512_CORE' }
        @{ Threads = 1; Isa = 'AVX512_CORE' }
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'scripts/New-SyntheticPair.ps1')
    Import-Module $ModuleManifest -Force
    $work = Join-Path ([IO.Path]::GetTempPath()) "deepsim-scoring-$PID"
    New-Item -ItemType Directory -Force $work | Out-Null
    $modelPath = Join-Path $work 'synthetic.dsim'
    $pair = New-SyntheticPair -Width 112 -Height 104 -Seed 3
    Get-PatchPair -Fixed $pair.Fixed -Moving $pair.Moving -Region All -Count 300 -Seed 1 |
        Invoke-SimilarityTraining -HiddenLayerSizes 64, 32 -Activation Relu -Normalization PatchZScore -Epochs 3 -Seed 1 |
        Export-SimilarityModel -Path $modelPath

    $exe = [Environment]::ProcessPath
    [string[]] $prefix = if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { @(Join-Path $PSHOME 'pwsh.dll') } else { @() }
    $script:Runs = @{}
    function Invoke-ScoringChild([int] $Threads, [string] $Isa) {
        $key = "$Threads/$Isa"
        if (-not $script:Runs.ContainsKey($key)) {
            $saved = @{ OMP_NUM_THREADS = $env:OMP_NUM_THREADS; ONEDNN_MAX_CPU_ISA = $env:ONEDNN_MAX_CPU_ISA }
            try {
                $env:OMP_NUM_THREADS = "$Threads"
                $env:ONEDNN_MAX_CPU_ISA = $Isa
                $json = & $exe @prefix -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot 'scripts/Measure-ScoringEquivalence.ps1') -ModuleManifest $ModuleManifest -ModelPath $modelPath
                if ($LASTEXITCODE -ne 0) { throw "child pwsh ($key) exited with $LASTEXITCODE" }
            }
            finally {
                $env:OMP_NUM_THREADS = $saved.OMP_NUM_THREADS
                $env:ONEDNN_MAX_CPU_ISA = $saved.ONEDNN_MAX_CPU_ISA
            }
            $script:Runs[$key] = ($json | Select-Object -Last 1) | ConvertFrom-Json
        }
        $script:Runs[$key]
    }
}

AfterAll {
    if ($work -and (Test-Path $work)) { Remove-Item $work -Recurse -Force }
}

Describe 'Search-window scoring with <Threads> thread(s), ONEDNN_MAX_CPU_ISA=<Isa>' -ForEach $cases {
    BeforeAll {
        $run = Invoke-ScoringChild $Threads $Isa
    }

    It 'runs with the requested settings' {
        $run.Threads | Should -Be $Threads
        if ($Isa) { $run.Isa | Should -Be $Isa }
    }

    It 'computes the reference scores with both fast plans' {
        $run.Convolution | Should -BeLessOrEqual 1e-4 -Because "the Convolution plan's relative deviation was $($run.Convolution)"
        $run.Gemm | Should -BeLessOrEqual 1e-4 -Because "the Gemm plan's relative deviation was $($run.Gemm)"
        $run.Plan | Should -Be 'Convolution' -Because ($run.Findings -join '; ')
    }

    It 'gives the same prediction errors as one thread with the default instruction set' {
        $baseline = Invoke-ScoringChild 1 $null
        @($run.Errors).Count | Should -Be 25
        $run.Errors | Should -Be $baseline.Errors
    }
}

Describe 'Get-DeepSimRuntime reports the scoring self-check' {
    It 'names the plan in use and what the check measured' {
        $check = (Get-DeepSimRuntime).ScoringCheck
        $check.Plan | Should -BeIn @('Convolution', 'Gemm', 'Reference')
        $check.Findings[0] | Should -Match '^Convolution: '
        $check.FastPathVerified | Should -Be ($check.Plan -ne 'Reference')
    }
}
