<#
.SYNOPSIS
Development runs of 2D rigid MI registration with any RegistrationOptions setting (the engine called directly), on two
development sets that are not the benchmark's cases: (A) ITK's T1 slice against its aligned PD slice moved by -CountA
seeded known rigid transforms (+-12 deg, +-15 px; resampled bilinearly here, so not ITK's three moved files of case 1),
and (B) the case-2 CT/MR cases that Invoke-RegistrationBench.ps1 -Case 2 -Seed 99 made (-CasePathB). Prints the mean
residual over the head (px), the success rate (< 1 px) and the CPU per registration for each set.
.EXAMPLE
dotnet pwsh bench/registration/dev/rigid2d.ps1 -Options @{ FinalLearningRateFraction = 0.001 } -CasePathB /tmp/deepsim-regbench-dev-rigid/rigid
#>
param(
    [hashtable] $Options = @{},
    [int] $CountA = 8,
    [int] $CountB = 20,
    [string] $CasePathB,
    [string] $DataPath = (Join-Path $PSScriptRoot '../../../../shared/data'),
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../../out/DeepSim/DeepSim.psd1')
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
function Get-HeadPoints($Image) {
    $v = $Image.GetVoxels(); $mean = ($v | Measure-Object -Average).Average
    $pts = [System.Collections.Generic.List[double[]]]::new()
    for ($y = 0; $y -lt $Image.SizeY; $y += 4) { for ($x = 0; $x -lt $Image.SizeX; $x += 4) { if ($v[$x + $Image.SizeX * $y] -gt $mean) { $pts.Add($Image.Geometry.IndexToPhysical($x, $y, 0)[0..1]) } } }
    , $pts
}
function Get-Residual($Estimate, $Truth, $Points) {
    $s = 0.0
    foreach ($p in $Points) { $a = $Estimate.TransformPoint($p); $b = $Truth.TransformPoint($p); $s += [math]::Sqrt(($a[0] - $b[0]) * ($a[0] - $b[0]) + ($a[1] - $b[1]) * ($a[1] - $b[1])) }
    $s / $Points.Count
}
function Invoke-Dev($Fixed, $Moving, $Truth, $Points, [int] $Seed) {
    $h = @{ Transform = 'Rigid'; Seed = $Seed } + $Options
    $o = [DeepSim.Registration.RegistrationOptions]$h
    $metric = [DeepSim.Registration.RegistrationMetrics]::Create('MI', $o)
    $cpu0 = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds
    $r = [DeepSim.Registration.ImageRegistration]::Register($Fixed, $Moving, $metric, $o, $null, [Threading.CancellationToken]::None)
    [pscustomobject]@{ Residual = Get-Residual $r.Transform $Truth $Points; Cpu = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds - $cpu0 }
}
$label = if ($Options.Count) { ($Options | ConvertTo-Json -Compress) } else { 'defaults' }
# (A) T1 against the aligned PD slice moved by known transforms: moving(T(x)) = PD(x), i.e. moving = PD resampled through T^-1.
$slices = Join-Path $DataPath 'mr-t1-pd-slice'
$t1 = Import-MedicalImage (Join-Path $slices 'BrainT1SliceBorder20.png')
$pd = Import-MedicalImage (Join-Path $slices 'BrainProtonDensitySliceBorder20.png')
$points = Get-HeadPoints $t1
$centre = [DeepSim.Registration.ImageRegistration]::Center($t1)
$rng = [Random]::new(99)
$a = foreach ($k in 0..($CountA - 1)) {
    $truth = [DeepSim.Registration.Euler2DTransform]::new(($rng.NextDouble() * 24 - 12) * [math]::PI / 180, [double[]]@(($rng.NextDouble() * 30 - 15), ($rng.NextDouble() * 30 - 15)), $centre)
    $moving = [DeepSim.Registration.ImageResampler]::Resample($pd, $truth.GetInverse(), $pd, [DeepSim.Registration.ResampleOptions]::new())
    Invoke-Dev $t1 $moving $truth $points $k
}
'A (T1/PD, {0} known motions) {1}: mean {2:F4} px, max {3:F4}, CPU {4:F2} s' -f $CountA, $label, ($a.Residual | Measure-Object -Average).Average, ($a.Residual | Measure-Object -Maximum).Maximum, ($a.Cpu | Measure-Object -Average).Average
if ($CasePathB) {
    $cases = @(Import-Csv -Delimiter "`t" (Join-Path $CasePathB 'cases.tsv') | Select-Object -First $CountB)
    $b = foreach ($c in $cases) {
        $fixed = Import-MedicalImage $c.fixed; $moving = Import-MedicalImage $c.moving
        $truth = [DeepSim.Registration.Euler2DTransform]::new([double]$c.angle_deg * [math]::PI / 180, [double[]]@([double]$c.tx, [double]$c.ty), [double[]]@([double]$c.cx, [double]$c.cy))
        Invoke-Dev $fixed $moving $truth (Get-HeadPoints $fixed) ([int]$c.case)
    }
    'B (CT/MR dev cases, {0}) {1}: success {2}/{0}, mean {3:F4} px, max {4:F3}, CPU {5:F2} s' -f $cases.Count, $label, @($b | Where-Object Residual -lt 1).Count, ($b.Residual | Measure-Object -Average).Average, ($b.Residual | Measure-Object -Maximum).Maximum, ($b.Cpu | Measure-Object -Average).Average
}
