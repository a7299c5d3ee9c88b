BeforeDiscovery { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModuleManifest -Force
    $slices = Join-Path $DataRoot 'mr-t1-pd-slice'
    $ctmr = Join-Path $DataRoot 'ct-mr-head'
}

Describe 'Get-PatchPair as a user calls it' -Skip:(-not $HasData) {
    BeforeAll {
        $t1 = Import-MedicalImage (Join-Path $slices 'BrainT1Slice.png')
        $pd = Import-MedicalImage (Join-Path $slices 'BrainProtonDensitySlice.png')
    }

    It 'samples Count positives and as many negatives with named parameters' {
        $pairs = Get-PatchPair -Fixed $t1 -Moving $pd -Count 200 -Seed 3 -Region Foreground
        @($pairs).Count | Should -Be 400
        ($pairs | Where-Object IsMatch).Count | Should -Be 200
        $pairs[0] | Should -BeOfType DeepSim.Patches.PatchPair
        $pairs[0].FixedPatch.Count | Should -Be 289
    }

    It 'is reproducible with -Seed' {
        $a = Get-PatchPair $t1 $pd -Count 20 -Seed 11 -Region Foreground | ForEach-Object { "$($_.FixedCenter)$($_.MovingCenter)" }
        $b = Get-PatchPair $t1 $pd -Count 20 -Seed 11 -Region Foreground | ForEach-Object { "$($_.FixedCenter)$($_.MovingCenter)" }
        $a | Should -Be $b
    }

    It 'samples CT/MR pairs piped from Import-ImagePair, around the skull by default' {
        $pairs = Import-ImagePair -FixedPath (Join-Path $ctmr 'CT/20*.png') -MovingPath (Join-Path $ctmr 'MR') |
            Select-Object -First 2 | Get-PatchPair -Count 50 -Seed 1
        @($pairs).Count | Should -Be 200
        ($pairs.FixedSource | Select-Object -Unique).Count | Should -Be 2
    }

    It 'shows label, centres and source in its default table' {
        $text = Get-PatchPair $t1 $pd -Count 2 -Seed 1 -Region Foreground | Out-String -Width 250
        $text | Should -Match 'Label\s+FixedCenter\s+MovingCenter'
        $text | Should -Match 'BrainT1Slice.png / BrainProtonDensitySlice.png'
    }

    It 'refuses an even patch size with a terminating InvalidPatchSize error' {
        { Get-PatchPair $t1 $pd -PatchSize 16 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidPatchSize,*'
    }

    It 'refuses images of different size with a non-terminating error and goes on' {
        $small = Import-MedicalImage (Join-Path $slices 'BrainT1SliceBorder20.png')
        $out = Get-PatchPair -Fixed $small -Moving $pd -Count 5 -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ImageGeometryMismatch,*'
        $err[0].Exception.Message | Should -Match 'BrainT1SliceBorder20'
        $err[0].TargetObject | Should -BeOfType DeepSim.Imaging.ImagePair
    }

    It 'refuses a patch larger than the image' {
        Get-PatchPair $t1 $pd -PatchSize 301 -Count 1 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidPatchSize,*'
    }
}
