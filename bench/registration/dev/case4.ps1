<#
.SYNOPSIS
Development runs of case 4 (3D) with any RegistrationOptions setting, including those Register-Image does not expose
(e.g. FinalLearningRateFraction): the engine is called directly, on cases that Invoke-RegistrationBench.ps1 -Case 4
has already made (-CasePath, e.g. /tmp/deepsim-regbench-dev-case4/mni-affine). Residual and CPU as the bench.
.EXAMPLE
dotnet pwsh bench/registration/dev/case4.ps1 -CasePath /tmp/deepsim-regbench-dev-case4/mni-affine -Kind Affine -Options @{ FinalLearningRateFraction = 0.005 } -OutFile /tmp/x.tsv
#>
param(
    [Parameter(Mandatory)] [string] $CasePath,
    [ValidateSet('Rigid', 'Affine')] [string] $Kind = 'Affine',
    [hashtable] $Options = @{},
    [Parameter(Mandatory)] [string] $OutFile,
    [string] $Label = 'DeepSim MI',
    # Added to the case number to make each registration's seed (another draw of the random samples).
    [int] $SeedOffset = 0,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../../out/DeepSim/DeepSim.psd1')
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
$cases = Import-Csv -Delimiter "`t" (Join-Path $CasePath 'cases.tsv')
$fixed = Import-MedicalImage (Join-Path $CasePath 't1.mha')
$v = $fixed.GetVoxels(); $mean = ($v | Measure-Object -Average).Average
$points = [System.Collections.Generic.List[double[]]]::new()
for ($z = 0; $z -lt $fixed.SizeZ; $z += 4) { for ($y = 0; $y -lt $fixed.SizeY; $y += 4) { for ($x = 0; $x -lt $fixed.SizeX; $x += 4) {
    if ($v[$x + $fixed.SizeX * ($y + $fixed.SizeY * $z)] -gt $mean) { $points.Add([double[]]@((2.0 * $x), (2.0 * $y), (2.0 * $z))) } } } }
function Get-Residual($Estimate, $Truth) {
    $s = 0.0
    foreach ($p in $points) { $a = $Estimate.TransformPoint($p); $b = $Truth.TransformPoint($p); $q = 0.0; for ($i = 0; $i -lt 3; $i++) { $q += ($a[$i] - $b[$i]) * ($a[$i] - $b[$i]) }; $s += [math]::Sqrt($q) }
    $s / $points.Count
}
Remove-Item $OutFile -ErrorAction SilentlyContinue
$rows = foreach ($c in $cases) {
    $moving = Import-MedicalImage $c.moving
    $centre = [double[]]@([double]$c.cx, [double]$c.cy, [double]$c.cz); $shift = [double[]]@([double]$c.tx, [double]$c.ty, [double]$c.tz)
    $truth = if ($Kind -eq 'Rigid') { [DeepSim.Registration.Euler3DTransform]::new([double[]]@([double]$c.ax, [double]$c.ay, [double]$c.az), $shift, $centre, $false) }
             else { [DeepSim.Registration.AffineTransform]::new([double[]]@(0..8 | ForEach-Object { [double]$c."m$_" }), $shift, $centre) }
    $h = @{ Transform = $Kind; Seed = [int]$c.case + $SeedOffset } + $Options
    $o = [DeepSim.Registration.RegistrationOptions]$h
    $metric = [DeepSim.Registration.RegistrationMetrics]::Create('MI', $o)
    $cpu0 = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds
    $r = [DeepSim.Registration.ImageRegistration]::Register($fixed, $moving, $metric, $o, $null, [Threading.CancellationToken]::None)
    $cpu = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds - $cpu0
    $row = [pscustomobject]@{ Case = [int]$c.case; Method = "$Label $Kind"; ResidualMm = Get-Residual $r.Transform $truth; Seconds = $r.Elapsed.TotalSeconds; CpuSeconds = $cpu }
    $row | Export-Csv -Delimiter "`t" -NoTypeInformation -UseQuotes Never -Append $OutFile
    $row
}
$rows | Format-Table | Out-Host
$res = @($rows.ResidualMm); $cp = @($rows | Select-Object -Skip 1 | ForEach-Object CpuSeconds)
'{0}: mean {1:F3} max {2:F3} mm; CPU mean {3:F2} s (cases 1..: {4:F2})' -f ($Options | ConvertTo-Json -Compress), ($res | Measure-Object -Average).Average, ($res | Measure-Object -Maximum).Maximum, ($rows.CpuSeconds | Measure-Object -Average).Average, ($cp | Measure-Object -Average).Average | Out-Host
