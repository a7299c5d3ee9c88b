# Case-3 development: DeepSim B-spline (-Metric, or a saved learned model with -ModelPath) on the first -N cases of -CasesPath (default /tmp/deepsim-regbench/bspline, the bench's cases; use a development set made with another seed to tune); -Mono registers the warped MR to the unwarped MR, -Unwarped the CT to the unwarped MR (truth: identity).
param([hashtable] $A = @{}, [int] $N = 5, [string] $Module = (Join-Path $PSScriptRoot '../../../out/DeepSim/DeepSim.psd1'), [string] $Metric = 'MI', [string] $ModelPath, [switch] $Mono, [switch] $Unwarped, [string] $CasesPath = '/tmp/deepsim-regbench/bspline')
$ErrorActionPreference = 'Stop'
Import-Module $Module -Force
$env:OMP_NUM_THREADS = '1'
$metricArg = if ($ModelPath) { Import-SimilarityModel -Path $ModelPath } else { $Metric }
$cases = Import-Csv -Delimiter "`t" (Join-Path $CasesPath 'cases.tsv') | Select-Object -First $N
$tot = 0; $totb = 0
foreach ($c in $cases) {
  $fixed = Import-MedicalImage $c.fixed; $moving = Import-MedicalImage $c.moving
  if ($Unwarped) { $moving = Import-MedicalImage "$PSScriptRoot/../../../../shared/data/ct-mr-head/MR/$($c.pair)" }
  if ($Mono) { $fixed = Import-MedicalImage "$PSScriptRoot/../../../../shared/data/ct-mr-head/MR/$($c.pair)" }
  $truth = @(Import-Csv -Delimiter "`t" $c.truth)
  $n = $truth.Count; $s = 0.0; $sb = 0.0
  $r = Register-Image -Fixed $fixed -Moving $moving -Metric $metricArg -Transform BSpline -Seed ([int]$c.case) -ErrorAction Continue @A
  foreach ($t in $truth) { $p = [double[]]@([double]$t.x, [double]$t.y); $q = $r.Transform.TransformPoint($p); $ttx = if ($Unwarped) { $p[0] } else { [double]$t.tx }; $tty = if ($Unwarped) { $p[1] } else { [double]$t.ty }; $dx = $q[0] - $ttx; $dy = $q[1] - $tty; $s += [math]::Sqrt($dx*$dx+$dy*$dy); $bx = $p[0]-[double]$t.tx; $by = $p[1]-[double]$t.ty; $sb += [math]::Sqrt($bx*$bx+$by*$by) }
  "case {0}: before {1:F2} after {2:F2} minJ {3:F2} sec {4:F1}" -f $c.case, ($sb/$n), ($s/$n), $r.MinJacobianDeterminant, $r.Elapsed.TotalSeconds
  $tot += $s/$n; $totb += $sb/$n
}
"MEAN before {0:F2} after {1:F2}" -f ($totb/$cases.Count), ($tot/$cases.Count)
