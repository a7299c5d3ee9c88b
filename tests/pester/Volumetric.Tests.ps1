BeforeDiscovery { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModuleManifest -Force
    $mni = Join-Path $DataRoot 'mni-templates-3d'
    $slices = Join-Path $DataRoot 'mr-t1-pd-slice'
}

Describe '3D patches and 3D search as a user calls them' -Skip:(-not $HasData) {
    BeforeAll {
        $ct = Import-MedicalImage (Join-Path $mni 'scct.nii')
        $t2 = Import-MedicalImage (Join-Path $mni 'avg152T2.nii')
    }

    It 'samples cubic 7x7x7 patches from two NIfTI volumes with -Volumetric' {
        $pairs = Get-PatchPair -Fixed $ct -Moving $t2 -Volumetric -Region Foreground -Count 20 -Seed 1
        @($pairs).Count | Should -Be 40
        $pairs[0].Dimension | Should -Be 3
        $pairs[0].PatchSize | Should -Be 7
        $pairs[0].FixedPatch.Count | Should -Be 343
        $c = $pairs[0].FixedCenter
        $pairs[0].FixedPatch[0] | Should -Be $ct[($c.X - 3), ($c.Y - 3), ($c.Z - 3)]
        ($pairs.FixedCenter.Z | Select-Object -Unique).Count | Should -BeGreaterThan 1
        $pairs.FixedCenter.Z | ForEach-Object { $_ | Should -BeGreaterOrEqual 3; $_ | Should -BeLessThan ($ct.SizeZ - 3) }
    }

    It 'measures NMI and LCC over a cube of candidates with Measure-PredictionError -Volumetric' {
        $r = Measure-PredictionError -Metric NMI, LCC -Fixed $ct -Moving $t2 -Volumetric -SearchRadius 3 -Region Foreground -Count 6 -Seed 1
        @($r).Count | Should -Be 2
        $r[0].Count | Should -Be 6
        $r[0].Options.Dimension | Should -Be 3
        $r[0].Options.CandidatesPerQuery | Should -Be 343
        $r | ForEach-Object { $_.MaxError | Should -BeLessOrEqual (343 - 27) }
        # The templates are aligned: both measures find most centres' true 3x3x3 region or come close.
        $r | ForEach-Object { $_.MedianError | Should -BeLessThan 50 }
        $r[0].Errors.Center.Z | ForEach-Object { $_ | Should -BeGreaterOrEqual 6 }
    }

    It 'trains the fully connected metric on cubic pairs and evaluates it in 3D without -Volumetric' {
        $model = Get-PatchPair -Fixed $ct -Moving $t2 -Volumetric -PatchSize 5 -Region Foreground -Count 100 -Seed 2 |
            Invoke-SimilarityTraining -Preset Paper -HiddenLayerSizes 32 -Epochs 2 -Seed 1
        $model.PatchDimension | Should -Be 3
        $model.LayerSizes[0] | Should -Be 250
        # A model of cubic patches implies the 3D search.
        $r = Measure-PredictionError -Metric $model, NCC -Fixed $ct -Moving $t2 -SearchRadius 2 -Region Foreground -Count 3 -Seed 1
        $r[0].Options.Dimension | Should -Be 3
        $r[0].Options.PatchSize | Should -Be 5
    }

    It 'refuses cubic patches of a 2D image with a DimensionMismatch error naming the pair' {
        $t1 = Import-MedicalImage (Join-Path $slices 'BrainT1Slice.png')
        $pd = Import-MedicalImage (Join-Path $slices 'BrainProtonDensitySlice.png')
        $null = Get-PatchPair -Fixed $t1 -Moving $pd -Volumetric -Count 5 -ErrorVariable bad -ErrorAction SilentlyContinue
        $bad[0].FullyQualifiedErrorId | Should -BeLike 'DimensionMismatch,*'
        $bad[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $bad[0].Exception.Message | Should -Match 'is 2D'
        $null = Measure-PredictionError -Metric NMI -Fixed $t1 -Moving $pd -Volumetric -SearchRadius 4 -Count 5 -ErrorVariable bad2 -ErrorAction SilentlyContinue
        $bad2[0].FullyQualifiedErrorId | Should -BeLike 'DimensionMismatch,*'
    }
}
