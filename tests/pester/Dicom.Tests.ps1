BeforeDiscovery { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModuleManifest -Force
    $dicom = Join-Path $DataRoot 'dicom/pydicom'
}

Describe 'DICOM as a user reads it' -Skip:(-not $HasData) {
    It 'reads every encoding of MR_small to one and the same image' {
        $files = Get-ChildItem $dicom -Filter 'MR_small*.dcm' | Where-Object Name -notmatch 'jp2k|jpeg'
        $images = $files | ForEach-Object { Import-MedicalImage -LiteralPath $_.FullName }
        @($images).Count | Should -Be @($files).Count
        @($images).Count | Should -BeGreaterOrEqual 5
        $first = $images[0].GetVoxels()
        foreach ($img in $images) {
            $img.Format | Should -Be 'DICOM'
            $img.Size | Should -Be @(64, 64, 1)
            [System.Linq.Enumerable]::SequenceEqual([float[]]$img.GetVoxels(), [float[]]$first) | Should -BeTrue -Because $img.SourcePath
        }
    }

    It 'reads the encodings piped together as one instance, with a warning about the repeats' {
        $files = Get-ChildItem $dicom -Filter 'MR_small*.dcm' | Where-Object Name -notmatch 'jp2k|jpeg'
        $images = $files | Import-MedicalImage -WarningVariable warnings -WarningAction SilentlyContinue
        @($images).Count | Should -Be 1
        ($warnings -join ' ') | Should -Match 'SOP Instance|same instance|repeated'
    }

    It 'applies the CT rescale and knows the modality' {
        $ct = Import-MedicalImage (Join-Path $dicom 'CT_small.dcm')
        $ct.Modality | Should -Be 'CT'
        $ct.Metadata['RescaleIntercept'] | Should -Not -BeNullOrEmpty
    }

    It 'reads tags by keyword and by (group,element)' {
        $tags = Get-DicomTag (Join-Path $dicom 'CT_small.dcm') -Name Modality, '(0028,0010)'
        $tags[0].Keyword | Should -Be 'Modality'
        $tags[0].Value | Should -Be 'CT'
        $tags[1].Value | Should -Be '128'
        ($tags | Out-String) | Should -Match '\(0008,0060\)'
    }

    It 'reports a truncated file with a specific error and the file' {
        Import-MedicalImage (Join-Path $dicom 'MR_truncated.dcm') -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'Image*'
        "$($err[0].TargetObject)" | Should -BeLike '*MR_truncated.dcm'
    }

    It 'names the transfer syntax and a conversion for JPEG 2000' {
        Import-MedicalImage (Join-Path $dicom 'JPEG2000.dcm') -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ImageUnsupportedEncoding,*'
        $err[0].Exception.Message | Should -Match 'JPEG 2000'
        $err[0].Exception.Message | Should -Match 'gdcmconv'
    }

    It 'refuses an unknown tag name before reading anything' {
        { Get-DicomTag (Join-Path $dicom 'CT_small.dcm') -Name NoSuchKeyword -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownDicomTag,*'
    }
}
