BeforeDiscovery { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModuleManifest -Force
    $example = Join-Path $PSScriptRoot '../../examples/Test-ArchiveAlignment.ps1'
}

Describe 'examples/Test-ArchiveAlignment.ps1 on a folder tree' -Skip:(-not $HasData) {
    BeforeAll {
        $tree = Join-Path $TestDrive 'tree'
        $out = Join-Path $TestDrive 'qa'
        $headData = Join-Path $DataRoot 'ct-mr-head'
        foreach ($p in @{ Patient = 'P16'; File = '16003.png' }, @{ Patient = 'P20'; File = '20005.png' }) {
            foreach ($m in 'CT', 'MR') {
                New-Item -ItemType Directory -Force (Join-Path $tree "$($p.Patient)/$m") | Out-Null
                Copy-Item (Join-Path $headData "$m/$($p.File)") (Join-Path $tree "$($p.Patient)/$m/$($p.File)")
            }
        }
        # An earlier, interrupted run already checked P20: its row must be kept and the pair not checked again.
        New-Item -ItemType Directory -Force $out | Out-Null
        [pscustomobject][ordered]@{ PairId = 'P20 | 20005.png | P20/CT/20005.png | P20/MR/20005.png'; Patient = 'P20'; Study = '20005.png'; CTSeries = 'P20/CT/20005.png'; MRSeries = 'P20/MR/20005.png'
            Status = 'checked'; Aligned = 'True'; MaxDisplacementMm = '0.123'; TranslationMm = '0.1'; RotationDegrees = '0.05'; Confidence = '0.9'; Metric = 'MI'; Message = '' } |
            Export-Csv (Join-Path $out 'alignment.csv') -NoTypeInformation
        $log = & $example -Path $tree -OutputPath $out -Tolerance 1 -Metric MI -WorstCount 2 6>&1 | Out-String
    }

    It 'pairs CT and MR by patient and checks only the pairs not yet in the report' {
        $log | Should -Match '4 CT/MR series, 2 pairs; 1 already in .*, 1 to check'
        $rows = @(Import-Csv (Join-Path $out 'alignment.csv'))
        $rows.Count | Should -Be 2
        ($rows | Where-Object Patient -eq 'P20').MaxDisplacementMm | Should -Be '0.123'
        $checked = $rows | Where-Object Patient -eq 'P16'
        $checked.Status | Should -Be 'checked'
        $checked.Aligned | Should -BeIn 'True', 'False'
        [double]$checked.MaxDisplacementMm | Should -BeGreaterOrEqual 0
        $checked.Metric | Should -Not -BeNullOrEmpty
    }

    It 'writes a Markdown report, worst pair first, and a PNG figure' {
        $md = Get-Content (Join-Path $out 'report.md') -Raw
        $md | Should -Match '2 pairs: '
        $md | Should -Match '\| P16 \| 16003\.png \|'
        $bytes = [IO.File]::ReadAllBytes((Join-Path $out 'worst-pairs.png'))
        $bytes[1..3] | Should -Be @(0x50, 0x4E, 0x47)
    }

    It 'a rerun finds nothing left to check' {
        $again = & $example -Path $tree -OutputPath $out -WorstCount 1 6>&1 | Out-String
        $again | Should -Match '2 already in .*, 0 to check'
        @(Import-Csv (Join-Path $out 'alignment.csv')).Count | Should -Be 2
    }
}
