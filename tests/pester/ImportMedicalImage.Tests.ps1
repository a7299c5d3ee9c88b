BeforeDiscovery { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModuleManifest -Force
    $slices = Join-Path $DataRoot 'mr-t1-pd-slice'
    $mni = Join-Path $DataRoot 'mni-templates-3d'
}

Describe 'Import-MedicalImage on real files' -Skip:(-not $HasData) {
    It 'reads a gzipped NIfTI volume with its geometry' {
        $img = Import-MedicalImage -Path (Join-Path $mni 'avg152T1.nii.gz')
        $img | Should -BeOfType DeepSim.Imaging.MedicalImage
        $img.Size | Should -Be @(91, 109, 91)
        $img.Spacing | Should -Be @(2, 2, 2)
        $img.Format | Should -Be 'NIfTI'
    }

    It 'takes files from Get-ChildItem on the pipeline' {
        $imgs = Get-ChildItem (Join-Path $mni '*.nii') | Import-MedicalImage
        @($imgs).Count | Should -Be 4
        $imgs.Name | Should -Contain 'scct.nii'
    }

    It 'expands wildcards and reads PNG and MetaImage copies of one slice to identical voxels' {
        $png = Import-MedicalImage (Join-Path $slices 'BrainProtonDensitySliceBorder20.png')
        $mhd = Import-MedicalImage (Join-Path $slices 'BrainProtonDensitySliceBorder20.mh?')
        $png.SizeX | Should -Be $mhd.SizeX
        [System.Linq.Enumerable]::SequenceEqual([float[]]$png.GetVoxels(), [float[]]$mhd.GetVoxels()) | Should -BeTrue
    }

    It 'reads a folder, skipping data files and reporting the one broken header' {
        # BrainT1SliceBorder20DirectionPlus30.mhd in the shared data names a .zraw file that is not there.
        $imgs = Import-MedicalImage $slices -ErrorVariable bad -ErrorAction SilentlyContinue
        @($bad).Count | Should -Be 1
        $bad[0].FullyQualifiedErrorId | Should -BeLike 'ImageFileNotFound,*'
        $bad[0].Exception.Message | Should -Match 'DirectionPlus30\.zraw'
        @($imgs).Count | Should -Be 10
        $imgs.Name | Should -Not -Contain 'BrainProtonDensitySliceBorder20.raw'
    }

    It 'does not mistake the .raw files a wildcard finds for images' {
        $imgs = Import-MedicalImage (Join-Path $slices 'BrainProtonDensitySliceBorder20.*') -ErrorVariable bad -ErrorAction SilentlyContinue
        $bad | Should -BeNullOrEmpty
        @($imgs).Count | Should -Be 2
    }

    It 'shows a table with name, size and spacing by default' {
        $text = Import-MedicalImage (Join-Path $slices 'BrainT1Slice.png') | Out-String
        $text | Should -Match 'Name'
        $text | Should -Match '181x217x1'
    }
}

Describe 'Import-MedicalImage on bad input' {
    BeforeAll {
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ("deepsim-bad-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $dir | Out-Null
        [System.IO.File]::WriteAllBytes((Join-Path $dir 'random.bin'), [byte[]](1..200 | ForEach-Object { $_ % 251 }))
        [System.IO.File]::WriteAllBytes((Join-Path $dir 'empty.nii'), [byte[]]@())
        # A MetaImage header promising 2^31 voxels with a 10-byte data file.
        Set-Content -LiteralPath (Join-Path $dir 'huge.mhd') -Value "ObjectType = Image`nNDims = 3`nDimSize = 2048 2048 512`nElementType = MET_FLOAT`nElementDataFile = huge.raw"
        [System.IO.File]::WriteAllBytes((Join-Path $dir 'huge.raw'), [byte[]]::new(10))
        # A header that declares more data than the file holds.
        Set-Content -LiteralPath (Join-Path $dir 'short.mhd') -Value "ObjectType = Image`nNDims = 2`nDimSize = 64 64`nElementType = MET_UCHAR`nElementDataFile = short.raw"
        [System.IO.File]::WriteAllBytes((Join-Path $dir 'short.raw'), [byte[]]::new(100))
    }
    AfterAll { Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue }

    It 'reports a missing file as a non-terminating ObjectNotFound error naming it' {
        $missing = Join-Path $dir 'nope.nii'
        $out = Import-MedicalImage -LiteralPath $missing -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'Image*NotFound*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        "$($err[0].TargetObject)" | Should -BeLike '*nope.nii'
    }

    It 'reports an unknown format with its own ErrorId' {
        Import-MedicalImage (Join-Path $dir 'random.bin') -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ImageUnknownFormat,*'
        $err[0].Exception.Message | Should -Match 'random.bin'
    }

    It 'reports absurd dimensions without allocating them' {
        $before = [GC]::GetTotalMemory($false)
        Import-MedicalImage (Join-Path $dir 'huge.mhd') -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Match '^Image(AbsurdDimensions|DataSizeMismatch),'
        ([GC]::GetTotalMemory($false) - $before) | Should -BeLessThan 500MB
    }

    It 'reports a header that promises more data than the file holds' {
        Import-MedicalImage (Join-Path $dir 'short.mhd') -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ImageDataSizeMismatch,*'
        $err[0].Exception.Message | Should -Match 'short'
    }

    It 'keeps reading the other files after a bad one' {
        $good = Join-Path $dir 'good.mhd'
        Set-Content -LiteralPath $good -Value "ObjectType = Image`nNDims = 2`nDimSize = 4 2`nElementType = MET_UCHAR`nElementDataFile = good.raw"
        [System.IO.File]::WriteAllBytes((Join-Path $dir 'good.raw'), [byte[]](0..7))
        $imgs = Import-MedicalImage (Join-Path $dir 'random.bin'), $good -ErrorVariable err -ErrorAction SilentlyContinue
        @($imgs).Count | Should -Be 1
        $imgs.GetVoxels() | Should -Be @(0, 1, 2, 3, 4, 5, 6, 7)
        @($err).Count | Should -Be 1
    }
}
