BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'OrthancHelpers.ps1')
    $hasPydicom = $false
    if (Test-Path /usr/bin/python3) { & /usr/bin/python3 -c 'import pydicom, skimage' 2>$null; $hasPydicom = $LASTEXITCODE -eq 0 }
    if ($env:CI -eq 'true' -and -not $hasPydicom) { throw 'CI must have python3-pydicom and python3-skimage (.ci/run installs them).' }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModuleManifest -Force
    . (Join-Path $PSScriptRoot 'OrthancHelpers.ps1')
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

Describe 'examples/Test-ArchiveAlignment.ps1 on a DICOMweb server' -Skip:(-not ($HasData -and $HasOrthanc -and $hasPydicom)) {
    BeforeAll {
        $orthanc = Start-TestOrthanc
        $study = '1.2.826.0.1.3680043.9.7.13.1'
        foreach ($m in 'CT', 'MR') {
            $dcm = Join-Path $TestDrive "$m.dcm"
            & /usr/bin/python3 (Join-Path $PSScriptRoot 'png_to_dicom.py') (Join-Path $DataRoot "ct-mr-head/$m/16003.png") $dcm $m 'QA-16' $study
            if ($LASTEXITCODE -ne 0) { throw 'png_to_dicom.py failed' }
            $null = Publish-TestOrthancFile $orthanc $dcm
        }
        # A second patient with CT only: no pair.
        $lone = Join-Path $TestDrive 'lone.dcm'
        & /usr/bin/python3 (Join-Path $PSScriptRoot 'png_to_dicom.py') (Join-Path $DataRoot 'ct-mr-head/CT/20005.png') $lone 'CT' 'QA-20' '1.2.826.0.1.3680043.9.7.13.2'
        $null = Publish-TestOrthancFile $orthanc $lone
        $out = Join-Path $TestDrive 'qa-web'
        $log = & $example -Uri $orthanc.DicomWeb -PatientID 'QA-*' -OutputPath $out -WorstCount 1 6>&1 | Out-String
    }
    AfterAll { Stop-TestOrthanc $orthanc }

    It 'finds the series with QIDO-RS, pairs CT and MR of one study and checks the pair' {
        $log | Should -Match '3 CT/MR series, 1 pairs; 0 already in .*, 1 to check'
        $row = Import-Csv (Join-Path $out 'alignment.csv')
        @($row).Count | Should -Be 1
        $row.Patient | Should -Be 'QA-16'
        $row.Study | Should -Be $study
        $row.Status | Should -Be 'checked'
        Test-Path (Join-Path $out 'worst-pairs.png') | Should -BeTrue
    }
}
