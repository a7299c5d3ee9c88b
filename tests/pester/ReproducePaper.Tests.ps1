BeforeDiscovery { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script = Join-Path $PSScriptRoot '../../examples/Reproduce-Paper.ps1'
}

Describe 'examples/Reproduce-Paper.ps1 in its fastest mode on real CT/MR' -Skip:(-not $HasData) {
    BeforeAll {
        $out = Join-Path $TestDrive 'paper'
        & $script -DataPath (Join-Path $DataRoot 'ct-mr-head') -OutputPath $out -Smoke -Seed 3 -ModulePath $ModuleManifest *> (Join-Path $TestDrive 'run.log')
        $expectedRows = @('SDAE (paper)', 'no pre-training', 'shallow 578-578-2', 'DeepSim improved', 'DeepSim CNN', 'NMI', 'MI', 'LCC', 'NCC', 'CorrelationRatio')
    }

    It 'writes the table as CSV with every row' {
        $csv = Import-Csv (Join-Path $out 'prediction-error.csv')
        $csv.metric | Should -Be $expectedRows
        $csv | ForEach-Object {
            [double]$_.mean | Should -BeGreaterOrEqual 0
            [double]$_.mean_lo | Should -BeLessOrEqual ([double]$_.mean)
            [double]$_.hit_rate | Should -BeLessOrEqual 1
        }
    }

    It 'writes the table as Markdown' {
        $md = Get-Content (Join-Path $out 'prediction-error.md')
        foreach ($row in $expectedRows) { ($md | Where-Object { $_ -like "*| $row |*" }).Count | Should -Be 1 -Because $row }
    }

    It 'writes decodable PNG figures and similarity maps' {
        $pngs = @(Get-ChildItem (Join-Path $out 'figures'), (Join-Path $out 'maps') -Filter *.png)
        $pngs.Count | Should -BeGreaterOrEqual 4
        foreach ($p in $pngs) { [System.IO.File]::ReadAllBytes($p.FullName)[1..3] | Should -Be @(0x50, 0x4E, 0x47) -Because $p.Name }
    }

    It 'records the configuration, the seed, the alignment and every patch error' {
        $config = Get-Content (Join-Path $out 'config.json') -Raw | ConvertFrom-Json
        $config.Seed | Should -Be 3
        $config.SearchRadius | Should -Be 40
        $config.Mode | Should -Be 'smoke'
        (Import-Csv (Join-Path $out 'alignment.csv')).Count | Should -Be 147
        $errors = Import-Csv (Join-Path $out 'errors.csv')
        ($errors | Group-Object Metric).Count | Should -Be $expectedRows.Count
    }

    It 'leaves no staging folder behind' {
        Get-ChildItem $TestDrive -Directory -Force -Filter '.paper.partial-*' | Should -BeNullOrEmpty
    }
}
