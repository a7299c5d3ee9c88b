BeforeDiscovery { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModuleManifest -Force
    $ctmr = Join-Path $DataRoot 'ct-mr-head'
}

Describe 'Aligning CT/MR pairs and reporting' -Skip:(-not $HasData) {
    BeforeAll {
        $pairs = @(Import-ImagePair -FixedPath (Join-Path $ctmr 'CT/37*.png') -MovingPath (Join-Path $ctmr 'MR') -Align -WarningAction SilentlyContinue | Select-Object -First 3)
    }

    It 'aligns each MR to its CT and records the shift' {
        $pairs.Count | Should -Be 3
        $pairs | ForEach-Object { $_.Shift | Should -Not -BeNullOrEmpty; $_.Group | Should -Be '37' }
        $tsv = Import-Csv (Join-Path $ctmr 'mi-peak-shift.tsv') -Delimiter "`t"
        foreach ($p in $pairs) {
            $row = $tsv | Where-Object file -eq $p.Name
            [Math]::Abs([int]$row.dx - $p.Shift.Dx) | Should -BeLessOrEqual 1 -Because $p.Name
            [Math]::Abs([int]$row.dy - $p.Shift.Dy) | Should -BeLessOrEqual 1 -Because $p.Name
        }
    }

    It 'writes a report with tables, bootstrap intervals and a figure' {
        $dir = Join-Path $TestDrive 'report'
        $r = $pairs | Measure-PredictionError -Metric NMI, LCC -Count 20 -SearchRadius 10 -Pool -SourceName 'group 37' -Seed 2
        $rows = $r | Export-PredictionErrorReport -Path $dir -Resamples 100
        @($rows).Count | Should -Be 2
        $rows[0].Mean.Lower | Should -BeLessOrEqual $rows[0].Mean.Estimate
        $csv = Import-Csv (Join-Path $dir 'prediction-error.csv')
        $csv.metric | Should -Be @('NMI', 'LCC')
        (Get-Content (Join-Path $dir 'prediction-error.md') -Raw) | Should -Match '\| group 37 \| NMI \|'
        (Get-Item (Join-Path $dir 'figures/prediction-error.png')).Length | Should -BeGreaterThan 1000
    }

    It 'plots training curves and SDAE reconstruction' {
        $train = $pairs | Get-PatchPair -Count 60 -Seed 1
        $sdae = $train | Invoke-SdaePretrain -EpochsPerLayer 2 -Seed 1
        $m = $train | Invoke-SimilarityTraining -Pretrained $sdae -Epochs 2 -Seed 1
        ($m | Export-TrainingHistoryPlot -Path (Join-Path $TestDrive 'c.png') -PassThru).Length | Should -BeGreaterThan 1000
        ($sdae | Export-TrainingHistoryPlot -Path (Join-Path $TestDrive 's.png') -PassThru).Length | Should -BeGreaterThan 1000
        $sdae | Export-TrainingHistoryPlot -Path (Join-Path $TestDrive 'w.png') -WhatIf
        Test-Path (Join-Path $TestDrive 'w.png') | Should -BeFalse
    }
}
