<#
.SYNOPSIS
The README's before/after checkerboard: T1 against the PD slice rotated by 10 deg and shifted by (13, 17) px,
registered by MI; the transform goes through an ITK .tfm file to checkerboard.py (Debian's python3).
#>
param(
    [string] $DataPath = (Join-Path $PSScriptRoot '../../../shared/data'),
    [string] $OutputPath = (Join-Path $PSScriptRoot '../../docs/figures/registration-checkerboard.png')
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../../out/DeepSim/DeepSim.psd1') -Force
$slices = Join-Path $DataPath 'mr-t1-pd-slice'
$fixedPath = Join-Path $slices 'BrainT1SliceBorder20.png'
$movingPath = Join-Path $slices 'BrainProtonDensitySliceR10X13Y17.png'
$tfm = Join-Path ([IO.Path]::GetTempPath()) 'deepsim-checkerboard.tfm'
$t1 = Import-MedicalImage $fixedPath
$pd = Import-MedicalImage $movingPath
$result = Register-Image -Fixed $t1 -Moving $pd -Metric MI -Transform Rigid -Seed 1
$result | Export-ImageTransform -Path $tfm -Force
& /usr/bin/python3 (Join-Path $PSScriptRoot 'checkerboard.py') $fixedPath $movingPath $tfm $OutputPath
if ($LASTEXITCODE -ne 0) { throw 'checkerboard.py failed' }
$result
