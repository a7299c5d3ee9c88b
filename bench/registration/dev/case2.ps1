# Case-2 development: DeepSim MI (or -Metric) on the first -N rigid cases of /tmp/deepsim-regbench/rigid (made by the bench), with extra Register-Image settings -A; prints success, mean residual and CPU per case.
param([hashtable] $A = @{}, [int] $N = 20, [string] $Module = (Join-Path $PSScriptRoot '../../../out/DeepSim/DeepSim.psd1'), [string] $Tag = 'x', $Metric = 'MI')
$ErrorActionPreference = 'Stop'
Import-Module $Module -Force
$env:OMP_NUM_THREADS = '1'
$cases = Import-Csv -Delimiter "`t" /tmp/deepsim-regbench/rigid/cases.tsv | Select-Object -First $N
$el = @(Import-Csv -Delimiter "`t" (Join-Path $PSScriptRoot '../results-case2.tsv') | Where-Object Method -eq 'elastix MI')
$ok = 0; $elok = 0; $sum = 0; $rows = @()
$proc = [Diagnostics.Process]::GetCurrentProcess(); $cpu0 = $proc.TotalProcessorTime.TotalSeconds
foreach ($c in $cases) {
  $fixed = Import-MedicalImage $c.fixed; $moving = Import-MedicalImage $c.moving
  $truth = [DeepSim.Registration.Euler2DTransform]::new([double]$c.angle_deg * [math]::PI / 180, [double[]]@([double]$c.tx, [double]$c.ty), [double[]]@([double]$c.cx, [double]$c.cy))
  $v = $fixed.GetVoxels(); $mean = ($v | Measure-Object -Average).Average
  $s = 0.0; $k = 0
  $r = Register-Image -Fixed $fixed -Moving $moving -Metric $Metric -Seed ([int]$c.case) @A
  for ($y = 0; $y -lt 256; $y += 4) { for ($x = 0; $x -lt 256; $x += 4) { if ($v[$x + 256 * $y] -gt $mean) { $p = [double[]]@($x, $y); $pa = $r.Transform.TransformPoint($p); $pb = $truth.TransformPoint($p); $s += [math]::Sqrt(($pa[0]-$pb[0])*($pa[0]-$pb[0]) + ($pa[1]-$pb[1])*($pa[1]-$pb[1])); $k++ } } }
  $res = $s / $k; $e = [double]($el | Where-Object { [int]$_.Case -eq [int]$c.case } | Select-Object -First 1).ResidualPx
  if ($res -lt 1) { $ok++ }; if ($e -lt 1) { $elok++ }; $sum += $res
  "{0,3} ang {1,6:F1} res {2,6:F3} el {3,6:F3} t {4:F1}" -f $c.case, [double]$c.angle_deg, $res, $e, $r.Elapsed.TotalSeconds
  $rows += [pscustomobject]@{ Case = $c.case; TrueAngle = $c.angle_deg; ResidualPx = $res; Seconds = $r.Elapsed.TotalSeconds }
}
$cpu = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds - $cpu0
$rows | Export-Csv -Delimiter "`t" -NoTypeInformation -UseQuotes Never (Join-Path ([IO.Path]::GetTempPath()) "c2-$Tag.tsv")
"[$Tag] success {0}/{1} (elastix {2}) mean {3:F3} cpu/case {4:F2} s  load {5}" -f $ok, $cases.Count, $elok, ($sum / $cases.Count), ($cpu / $cases.Count), (Get-Content /proc/loadavg)
