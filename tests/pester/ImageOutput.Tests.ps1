BeforeDiscovery { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModuleManifest -Force
    $work = Join-Path ([IO.Path]::GetTempPath()) ("deepsim-imageout-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $work | Out-Null
    # A test-only transform (the registration transforms live elsewhere): a translation in mm, the ITK convention.
    if (-not ('DeepSimTests.Shift' -as [type])) {
        Add-Type -ReferencedAssemblies ([DeepSim.Registration.IImageTransform].Assembly.Location) -TypeDefinition @'
namespace DeepSimTests {
    public sealed class Shift : DeepSim.Registration.IImageTransform {
        private readonly double[] _offset;
        public Shift(params double[] offset) { _offset = offset; }
        public int Dimension { get { return _offset.Length; } }
        public double[] TransformPoint(double[] p) {
            var r = new double[p.Length];
            for (var i = 0; i < p.Length; i++) { r[i] = p[i] + _offset[i]; }
            return r;
        }
    }
}
'@
    }
}

AfterAll {
    if ($work -and (Test-Path $work)) { Remove-Item $work -Recurse -Force }
}

Describe 'Export-MedicalImage as a user calls it' {
    It 'writes <Name> that Import-MedicalImage reads back with the same voxels and geometry' -ForEach @(
        @{ Name = 'volume.nii' }, @{ Name = 'volume.nii.gz' }, @{ Name = 'volume.mha' }, @{ Name = 'volume.mhd' }
    ) {
        $a = [Math]::PI / 9
        $geometry = [DeepSim.Imaging.ImageGeometry]::new([double[]](0.9, 1.1, 2.5), [double[]](-20.5, 14.25, 3), [double[]]([Math]::Cos($a), -[Math]::Sin($a), 0, [Math]::Sin($a), [Math]::Cos($a), 0, 0, 0, 1))
        $voxels = [float[]](1..60 | ForEach-Object { $_ * 1.5 - 7 })
        $image = [DeepSim.Imaging.MedicalImage]::new($voxels, 5, 4, 3, $geometry, 'MR', $null, 'memory', $null)
        $path = Join-Path $work $Name
        $file = $image | Export-MedicalImage -Path $path -PassThru
        $file | Should -BeOfType System.IO.FileInfo
        $file.FullName | Should -Be $path
        $back = Import-MedicalImage $path
        $back.Size | Should -Be @(5, 4, 3)
        $back.GetVoxels() | Should -Be $voxels
        $back.Geometry.ApproximatelyEquals($geometry, 1e-6) | Should -BeTrue
        $back.Modality | Should -Be 'MR'
    }

    It 're-exports an MNI template as NIfTI with identical voxels and geometry' -Skip:(-not $HasData) {
        $t1 = Import-MedicalImage (Join-Path $DataRoot 'mni-templates-3d/avg152T1.nii')
        $path = Join-Path $work 'avg152T1.nii.gz'
        Export-MedicalImage -InputObject $t1 -Path $path
        $back = Import-MedicalImage $path
        [System.Linq.Enumerable]::SequenceEqual($t1.GetVoxels(), $back.GetVoxels()) | Should -BeTrue
        $back.Geometry | Should -Be $t1.Geometry
    }

    It 'does not overwrite an existing file without -Force, and does with it' {
        $path = Join-Path $work 'exists.nii'
        Set-Content -LiteralPath $path -Value 'keep me'
        $image = [DeepSim.Imaging.MedicalImage]::new([float[]](1, 2, 3, 4), 2, 2, 1, $null, $null, $null, 'memory', $null)
        $image | Export-MedicalImage -Path $path -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ImageFileExists,*'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        $err[0].TargetObject | Should -Be $path
        Get-Content -LiteralPath $path | Should -Be 'keep me'
        $image | Export-MedicalImage -Path $path -Force
        (Import-MedicalImage $path).GetVoxels() | Should -Be @(1, 2, 3, 4)
    }

    It 'checks the .raw of a .mhd before overwriting' {
        $path = Join-Path $work 'pair.mhd'
        Set-Content -LiteralPath (Join-Path $work 'pair.raw') -Value 'someone else''s data'
        $image = [DeepSim.Imaging.MedicalImage]::new([float[]](1, 2), 2, 1, 1, $null, $null, $null, 'memory', $null)
        $image | Export-MedicalImage -Path $path -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ImageFileExists,*'
        Test-Path $path | Should -BeFalse
    }

    It 'writes nothing under -WhatIf' {
        $path = Join-Path $work 'whatif.mha'
        [DeepSim.Imaging.MedicalImage]::new([float[]](1), 1, 1, 1, $null, $null, $null, 'memory', $null) | Export-MedicalImage -Path $path -WhatIf
        Test-Path $path | Should -BeFalse
    }

    It 'names an unknown extension in a specific error' {
        $image = [DeepSim.Imaging.MedicalImage]::new([float[]](1), 1, 1, 1, $null, $null, $null, 'memory', $null)
        $image | Export-MedicalImage -Path (Join-Path $work 'x.png') -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'UnsupportedImageExtension,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'takes a script block for one path per piped image' {
        $images = 1..3 | ForEach-Object { [DeepSim.Imaging.MedicalImage]::new([float[]]($_, $_), 2, 1, 1, $null, $null, "/in/img$_.png", 'memory', $null) }
        $files = $images | Export-MedicalImage -Path { Join-Path $work "$([IO.Path]::GetFileNameWithoutExtension($_.Name)).nii" } -PassThru
        $files.Name | Should -Be @('img1.nii', 'img2.nii', 'img3.nii')
        (Import-MedicalImage (Join-Path $work 'img3.nii')).GetVoxels() | Should -Be @(3, 3)
    }
}

Describe 'Invoke-ImageResample as a user calls it' -Skip:(-not $HasData) {
    BeforeAll {
        $t1 = Import-MedicalImage (Join-Path $DataRoot 'mr-t1-pd-slice/BrainT1Slice.png')
    }

    It 'reproduces the image exactly through the identity' {
        $same = Invoke-ImageResample -Image $t1 -Transform ([DeepSimTests.Shift]::new(0.0, 0.0)) -Reference $t1
        $same | Should -BeOfType DeepSim.Imaging.MedicalImage
        [System.Linq.Enumerable]::SequenceEqual($t1.GetVoxels(), $same.GetVoxels()) | Should -BeTrue
    }

    It 'moves the slice by whole pixels like a shifted copy, with the default value outside' {
        # Output (x, y) reads input (x + 13, y - 17) at unit spacing.
        $shifted = $t1 | Invoke-ImageResample -Transform ([DeepSimTests.Shift]::new(13.0, -17.0)) -Reference $t1 -Interpolation NearestNeighbor -DefaultValue -1
        $shifted[50, 100, 0] | Should -Be $t1[63, 83, 0]
        $shifted[0, 0, 0] | Should -Be -1
        $shifted[($t1.SizeX - 1), 120, 0] | Should -Be -1
        $shifted[100, ($t1.SizeY - 1), 0] | Should -Be $t1[113, ($t1.SizeY - 18), 0]
    }

    It 'pipes into Export-MedicalImage' {
        $path = Join-Path $work 'resampled.nii.gz'
        Invoke-ImageResample -Image $t1 -Transform ([DeepSimTests.Shift]::new(0.5, 0.25)) -Reference $t1 | Export-MedicalImage -Path $path
        $back = Import-MedicalImage $path
        $back.Size | Should -Be $t1.Size
        $back[40, 40, 0] | Should -Be ([float](0.75 * (0.5 * $t1[40, 40, 0] + 0.5 * $t1[41, 40, 0]) + 0.25 * (0.5 * $t1[40, 41, 0] + 0.5 * $t1[41, 41, 0])))
    }

    It 'refuses a 3D transform for 2D images with a specific error' {
        Invoke-ImageResample -Image $t1 -Transform ([DeepSimTests.Shift]::new(0.0, 0.0, 0.0)) -Reference $t1 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ImageDimensionMismatch,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }
}
