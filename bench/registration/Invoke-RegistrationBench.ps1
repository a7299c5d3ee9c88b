<#
.SYNOPSIS
Registration side by side: DeepSim's Register-Image against elastix 5 (live), on ITK's T1/PD slices (case 1) and on
CT/MR pairs with synthetic rigid transforms (case 2).

.DESCRIPTION
Case 1: T1 (BrainT1SliceBorder20) against the PD slice shifted by (13, 17) px, rotated by 10 deg, and both. The truth
for each moving image is the mean of two mono-modal registrations of the unmoved PD slice to it (DeepSim MSE on every
pixel and elastix AdvancedMeanSquares), which agree to a few hundredths of a pixel; the nominal "(13, 17), 10 deg" of
the file names is what ITK's examples intend. Runs DeepSim with MI and with a learned model trained on the aligned
T1/PD pair (the same anatomy: an optimistic setting, stated as such), and elastix with MI.
Case 2: -Count seeded cases made by make_cases.py (the 16 CT/MR pairs whose MI peaks at zero shift, MR moved by a rotation up to
+-15 deg and a shift up to +-15 px): DeepSim MI, DeepSim LCC, elastix MI. Residual: mean distance between the
estimated and the true transform over the CT head (pixels above the image mean, every 4th pixel); success: < 1 px.
Times: DeepSim's RegistrationResult.Elapsed (in process, images in memory) and elastix's wall time (process start,
reading two small files, registering). Both single-threaded (OMP_NUM_THREADS=1, elastix -threads 1).
Case 3 (non-rigid): -Count3 seeded cases made by make_cases.py bspline (the same 16 pairs, the MR warped by a smooth
random cubic B-spline field, control points every 32 px, largest displacement 8 px): DeepSim B-spline (Register-Image
-Transform BSpline, defaults) against elastix BSplineTransform (elastix/bspline-mi.txt); residual: mean and 95th
percentile over the head points of |T(x) - T_true(x)| in px (the truth inverts the field exactly), and the time.
elastix's transform is applied to the points by transformix -def. Both tools also register the CT to the unwarped MR
of each case (rows "..., unwarped pair", truth: the identity): how far each moves the head points when there is
nothing to recover, the floor of MI B-spline registration on these pairs. With -ModelPath the saved learned model
(e.g. the two-branch CNN) runs as a B-spline metric beside MI (-Case3ModelOnly: only its rows, into -Case3ResultName).
CPU: DeepSim's process CPU time around Register-Image; elastix's user + system time (/usr/bin/time).
Case 4 (3D): make_cases3d.py moves the CT template (scct.nii) by -Count3D seeded Euler3D transforms (+-10 deg per
axis, +-10 mm; -Transform3D Affine: rotation x scale x shear); the MNI T1 template is fixed; DeepSim MI (with
-RegisterArgs4) and elastix MI, residual in mm over the T1 head, into <-Case4ResultName>.tsv / <-Case4ResultName>-affine.tsv.
Results go to bench/registration/results-case<N>.tsv and are summarised on the console and in RESULTS.md.
#>
[CmdletBinding()]
param(
    # Print the summary of an existing results-case2.tsv (e.g. of an interrupted run) and stop.
    [switch] $SummaryOnly,
    [ValidateSet(1, 2, 3, 4)] [int[]] $Case = @(1, 2),
    [int] $Count = 100,
    [int] $Seed = 12,
    [string] $DataPath = (Join-Path $PSScriptRoot '../../../shared/data'),
    [string] $WorkPath = (Join-Path ([IO.Path]::GetTempPath()) 'deepsim-regbench'),
    [string[]] $Metrics = @('MI', 'LCC'),
    # Case 2: a saved learned model (Export-SimilarityModel: the paper's network or the CNN) to run beside the metrics.
    [string] $ModelPath,
    # The method name of the learned model's rows (cases 1 and 2).
    [string] $ModelLabel = 'DeepSim learned',
    # Case 1: a saved learned model to run instead of training the paper's network on the aligned pair (e.g. the CNN
    # of Train-CnnModels.ps1 -Which 1); its rows go to -Case1ResultName.
    [string] $Case1ModelPath,
    # Case 1: name of the results file (default results-case1.tsv).
    [string] $Case1ResultName = 'results-case1.tsv',
    # Case 1: skip elastix (its rows are in results-case1.tsv; the images and parameter files are unchanged).
    [switch] $Case1SkipElastix,
    # Case 2, with -ModelPath: also run a hybrid: MI with the defaults, the moving image resampled through MI's
    # transform, then the learned model at full resolution only (-ShrinkFactors 1 -Iterations 150), transforms composed.
    [switch] $Hybrid,
    # Case 2, with -Hybrid: run the hybrid only, not the learned model alone.
    [switch] $HybridOnly,
    # Case 2: Register-Image settings for the learned model (e.g. @{ ShrinkFactors = 2, 1 }).
    [hashtable] $ModelArgs = @{},
    # Case 2: extra Register-Image settings for every DeepSim run (an experiment; the defaults when empty).
    [hashtable] $RegisterArgs = @{},
    # Case 2: the largest rotation (deg) and shift per axis (px) of the synthetic transforms (capture-range runs: larger
    # values, with another -WorkPath so the standard cases stay as they are).
    [double] $MaxAngle = 15,
    [double] $MaxShift = 15,
    # Case 2: run only the first N cases (development subsets); 0: all -Count.
    [int] $First = 0,
    # Case 2: take the elastix rows from the existing results file instead of running elastix again (only valid when
    # elastix/rigid-mi.txt and the cases are unchanged).
    [switch] $ReuseElastix,
    # Case 2: name of the results file (default results-case2.tsv).
    [string] $ResultName = 'results-case2.tsv',
    # Case 3: number of non-rigid cases.
    [int] $Count3 = 20,
    # Case 3: extra Register-Image settings for DeepSim's B-spline runs (an experiment; the defaults when empty).
    [hashtable] $RegisterArgs3 = @{},
    # Case 3: name of the results file (default results-case3.tsv).
    [string] $Case3ResultName = 'results-case3.tsv',
    # Case 3, with -ModelPath: run only the learned model's rows (MI and elastix rows are in another results file).
    [switch] $Case3ModelOnly,
    # Case 3: skip the registrations of the CT to the unwarped MR (the drift rows).
    [switch] $Case3SkipUnwarped,
    # Case 3: skip elastix (development runs that compare DeepSim settings against the elastix rows of an earlier run on
    # the same cases: elastix/bspline-mi.txt and the cases unchanged).
    [switch] $Case3SkipElastix,
    # Case 2: run LCC (slow: it resamples the whole image every iteration) only on the first N cases.
    [int] $LccLimit = 10,
    # Case 4: number of 3D cases.
    [int] $Count3D = 6,
    # Case 4: Rigid (Euler3D cases, elastix EulerTransform) or Affine (rotation x scale x shear cases, AffineTransform).
    [ValidateSet('Rigid', 'Affine')] [string[]] $Transform3D = @('Rigid'),
    # Case 4: extra Register-Image settings for DeepSim's 3D runs (an experiment; the defaults when empty).
    [hashtable] $RegisterArgs4 = @{},
    # Case 4: stem of the results files: <stem>.tsv for Rigid, <stem>-affine.tsv for Affine (default results-case4).
    [string] $Case4ResultName = 'results-case4',
    # Case 4: skip elastix (development runs of DeepSim settings on cases whose elastix rows exist elsewhere).
    [switch] $Case4SkipElastix,
    # The DeepSim module to measure (default: this checkout's build output).
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/DeepSim/DeepSim.psd1')
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
$elastixParams = Join-Path $PSScriptRoot 'elastix'
$python = '/usr/bin/python3'
New-Item -ItemType Directory -Force -Path $WorkPath | Out-Null

function Invoke-Elastix([string] $Fixed, [string] $Moving, [string] $ParameterFile, [string] $Out) {
    if (Test-Path $Out) { Remove-Item -Recurse -Force $Out }
    New-Item -ItemType Directory -Path $Out | Out-Null
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $timeFile = Join-Path $Out 'time.txt'
    & /usr/bin/time -f '%U %S' -o $timeFile elastix -f $Fixed -m $Moving -p $ParameterFile -out $Out -threads 1 *> (Join-Path $Out 'stdout.txt')
    $sw.Stop()
    $script:ElastixCpu = [double]::NaN
    if (Test-Path $timeFile) { $u = @((Get-Content $timeFile | Select-Object -Last 1) -split ' '); if ($u.Count -eq 2) { $script:ElastixCpu = [double]$u[0] + [double]$u[1] } }
    if ($LASTEXITCODE -ne 0) { return [pscustomobject]@{ Transform = $null; Seconds = $sw.Elapsed.TotalSeconds } }
    $text = Get-Content (Join-Path $Out 'TransformParameters.0.txt')
    $affine = [bool]($text -like '(Transform "AffineTransform")')
    if (-not $affine -and -not ($text -like '(Transform "EulerTransform")')) { return [pscustomobject]@{ Transform = $null; Seconds = $sw.Elapsed.TotalSeconds } }
    $p = [double[]](($text | Where-Object { $_ -like '(TransformParameters *' }) -replace '^\(TransformParameters |\)$' -split ' ')
    $c = [double[]](($text | Where-Object { $_ -like '(CenterOfRotationPoint *' }) -replace '^\(CenterOfRotationPoint |\)$' -split ' ')
    if ($affine) {
        $n = $c.Count
        $t = [DeepSim.Registration.AffineTransform]::new([double[]]$p[0..($n * $n - 1)], [double[]]$p[($n * $n)..($n * $n + $n - 1)], $c)
        return [pscustomobject]@{ Transform = $t; Seconds = $sw.Elapsed.TotalSeconds }
    }
    $t = if ($p.Count -eq 6) { [DeepSim.Registration.Euler3DTransform]::new([double[]]@($p[0], $p[1], $p[2]), [double[]]@($p[3], $p[4], $p[5]), $c, $false) } else { [DeepSim.Registration.Euler2DTransform]::new($p[0], [double[]]@($p[1], $p[2]), $c) }
    [pscustomobject]@{ Transform = $t; Seconds = $sw.Elapsed.TotalSeconds }
}

# Process CPU time (user + system, s) of this PowerShell process: DeepSim's registrations run in it on one thread.
function Get-CpuSeconds { [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds }

function Get-HeadPoints([DeepSim.Imaging.MedicalImage] $Image, [int] $Stride = 4) {
    $v = $Image.GetVoxels(); $mean = ($v | Measure-Object -Average).Average
    $pts = [System.Collections.Generic.List[double[]]]::new()
    for ($y = 0; $y -lt $Image.SizeY; $y += $Stride) { for ($x = 0; $x -lt $Image.SizeX; $x += $Stride) {
        if ($v[$x + $Image.SizeX * $y] -gt $mean) { $pts.Add([double[]]@(($x * $Image.Spacing[0] + $Image.Origin[0]), ($y * $Image.Spacing[1] + $Image.Origin[1]))) } } }
    , $pts
}

function Get-Residual($Estimate, $Truth, $Points) {
    if ($null -eq $Estimate) { return [double]::NaN }
    $s = 0.0
    foreach ($p in $Points) { $a = $Estimate.TransformPoint($p); $b = $Truth.TransformPoint($p); $q = 0.0; for ($i = 0; $i -lt $a.Count; $i++) { $q += ($a[$i] - $b[$i]) * ($a[$i] - $b[$i]) }; $s += [math]::Sqrt($q) }
    $s / $Points.Count
}

function Get-Summary($Rows) {
    $Rows | Group-Object Method | ForEach-Object {
        $r = @($_.Group); $res = @($r.ResidualPx | Where-Object { -not [double]::IsNaN($_) } | Sort-Object)
        $p95 = if ($res.Count) { $res[[math]::Min($res.Count - 1, [math]::Ceiling(0.95 * $res.Count) - 1)] } else { [double]::NaN }
        [pscustomobject]@{
            Method = $_.Name; Cases = $r.Count
            SuccessRate = ($r | Where-Object { $_.ResidualPx -lt 1 }).Count / $r.Count
            Errors = @($r | Where-Object { [double]::IsNaN([double]$_.ResidualPx) }).Count
            MeanResidualPx = ($res | Measure-Object -Average).Average; P95ResidualPx = $p95
            MedianResidualPx = if ($res.Count) { $res[[math]::Floor(($res.Count - 1) / 2)] / 2 + $res[[math]::Ceiling(($res.Count - 1) / 2)] / 2 } else { [double]::NaN }
            MeanSeconds = ($r.Seconds | Measure-Object -Average).Average
            MeanCpuSeconds = (@($r | ForEach-Object { [double]$_.CpuSeconds } | Where-Object { -not [double]::IsNaN($_) }) | Measure-Object -Average).Average
        }
    }
}

if ($SummaryOnly) {
    Get-Summary (Import-Csv -Delimiter "`t" (Join-Path $PSScriptRoot $ResultName) | ForEach-Object { $_.ResidualPx = [double]$_.ResidualPx; $_.Seconds = [double]$_.Seconds; if (-not $_.PSObject.Properties['CpuSeconds']) { $_ | Add-Member CpuSeconds ([double]::NaN) }; $_ }) | Format-Table | Out-Host
    return
}
$machine = "{0}; {1} logical CPUs; load average at start {2}; elastix {3}; {4}" -f (Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1).Split(':')[1].Trim(), [Environment]::ProcessorCount, ((Get-Content /proc/loadavg) -split ' ')[0], ((& elastix --version) -join ' '), (Get-Date -AsUTC -Format 'yyyy-MM-dd HH:mm UTC')
Write-Host "Machine: $machine"
$env:OMP_NUM_THREADS = '1'

if (1 -in $Case) {
    $slices = Join-Path $DataPath 'mr-t1-pd-slice'
    $t1 = Import-MedicalImage (Join-Path $slices 'BrainT1SliceBorder20.png')
    $pd = Import-MedicalImage (Join-Path $slices 'BrainProtonDensitySliceBorder20.png')
    $points = Get-HeadPoints $t1
    $model = if ($Case1ModelPath) { Import-SimilarityModel -Path $Case1ModelPath } else {
        Write-Host 'Case 1: training the learned metric on the aligned T1/PD pair ...'
        Get-PatchPair -Fixed $t1 -Moving $pd -Region Foreground -Count 2000 -NegativeSampling Neighbourhood -Seed 1 |
            Invoke-SimilarityTraining -Activation Relu -Normalization PatchZScore -Epochs 15 -Seed 1 -Name 'learned-T1PD'
    }
    $rows = foreach ($name in 'BrainProtonDensitySliceShifted13x17y.png', 'BrainProtonDensitySliceRotated10.png', 'BrainProtonDensitySliceR10X13Y17.png') {
        $file = Join-Path $slices $name
        $moving = Import-MedicalImage $file
        $refDs = (Register-Image -Fixed $pd -Moving $moving -Metric MSE -Sampling Full -Seed 1).Transform
        $refEl = (Invoke-Elastix (Join-Path $slices 'BrainProtonDensitySliceBorder20.png') $file (Join-Path $elastixParams 'rigid-msd.txt') (Join-Path $WorkPath 'c1-ref')).Transform
        $truth = [DeepSim.Registration.Euler2DTransform]::new(($refDs.Angle + $refEl.Angle) / 2, [double[]]@((($refDs.Translation[0] + $refEl.Translation[0]) / 2), (($refDs.Translation[1] + $refEl.Translation[1]) / 2)), $refDs.Center)
        Write-Host ("{0}: truth {1:F3} deg ({2:F3}, {3:F3}); references differ by {4:F3} px" -f $name, $truth.AngleDegrees, $truth.Translation[0], $truth.Translation[1], (Get-Residual $refDs $refEl $points))
        foreach ($m in @('MI', $model)) {
            $cpu0 = Get-CpuSeconds
            $r = Register-Image -Fixed $t1 -Moving $moving -Metric $m -Seed 1
            $cpu = (Get-CpuSeconds) - $cpu0
            [pscustomobject]@{ Image = $name; Method = if ($m -eq 'MI') { 'DeepSim MI' } else { $ModelLabel }; AngleDeg = $r.Transform.AngleDegrees; AngleErrorDeg = [math]::Abs($r.Transform.AngleDegrees - $truth.AngleDegrees); ResidualPx = Get-Residual $r.Transform $truth $points; Seconds = $r.Elapsed.TotalSeconds; CpuSeconds = $cpu }
        }
        if ($Case1SkipElastix) { continue }
        $e = Invoke-Elastix (Join-Path $slices 'BrainT1SliceBorder20.png') $file (Join-Path $elastixParams 'rigid-mi.txt') (Join-Path $WorkPath 'c1-el')
        [pscustomobject]@{ Image = $name; Method = 'elastix MI'; AngleDeg = $e.Transform.AngleDegrees; AngleErrorDeg = [math]::Abs($e.Transform.AngleDegrees - $truth.AngleDegrees); ResidualPx = Get-Residual $e.Transform $truth $points; Seconds = $e.Seconds; CpuSeconds = $script:ElastixCpu }
    }
    $rows | Export-Csv -Delimiter "`t" -NoTypeInformation -UseQuotes Never (Join-Path $PSScriptRoot $Case1ResultName)
    $rows | Format-Table Image, Method, AngleDeg, AngleErrorDeg, ResidualPx, Seconds, CpuSeconds | Out-Host
}

if (2 -in $Case) {
    $dir = Join-Path $WorkPath 'rigid'
    & $python (Join-Path $PSScriptRoot 'make_cases.py') (Join-Path $DataPath 'ct-mr-head') $dir rigid $Count $Seed 0 $MaxAngle $MaxShift
    if ($LASTEXITCODE -ne 0) { throw 'make_cases.py failed' }
    $cases = @(Import-Csv -Delimiter "`t" (Join-Path $dir 'cases.tsv'))
    if ($First -gt 0) { $cases = @($cases | Select-Object -First $First) }
    $tsv = Join-Path $PSScriptRoot $ResultName
    $previous = @()
    if ($ReuseElastix) {
        $previous = @(Import-Csv -Delimiter "`t" (Join-Path $PSScriptRoot 'results-case2.tsv') | Where-Object Method -eq 'elastix MI')
        if ($previous.Count -lt $cases.Count) { throw "-ReuseElastix: results-case2.tsv has $($previous.Count) elastix rows for $($cases.Count) cases." }
    }
    Remove-Item $tsv -ErrorAction SilentlyContinue
    $model = if ($ModelPath) { Import-SimilarityModel -Path $ModelPath } else { $null }
    $runs = @($Metrics | ForEach-Object { [pscustomobject]@{ Name = "DeepSim $_"; Metric = $_; Args = $RegisterArgs } })
    if ($model -and -not $HybridOnly) { $runs += [pscustomobject]@{ Name = $ModelLabel; Metric = $model; Args = $ModelArgs } }
    if ($model -and ($Hybrid -or $HybridOnly)) { $runs += [pscustomobject]@{ Name = "DeepSim MI, then $ModelLabel at full resolution"; Metric = $model; Args = @{}; Hybrid = $true } }
    # Rows are appended case by case, so an interrupted run keeps what it measured.
    $rows = foreach ($c in $cases) {
        $fixed = Import-MedicalImage $c.fixed; $moving = Import-MedicalImage $c.moving
        $truth = [DeepSim.Registration.Euler2DTransform]::new([double]$c.angle_deg * [math]::PI / 180, [double[]]@([double]$c.tx, [double]$c.ty), [double[]]@([double]$c.cx, [double]$c.cy))
        $points = Get-HeadPoints $fixed
        foreach ($run in $runs) {
            if ($run.Metric -eq 'LCC' -and [int]$c.case -ge $LccLimit) { continue }
            $a = $run.Args
            $cpu0 = Get-CpuSeconds
            # A registration that throws (not only a RegistrationException) is a failed case (residual NaN), not the end of the run.
            $r = try {
                if ($run.PSObject.Properties['Hybrid']) {
                    # (Not $first: PowerShell names are case-insensitive and -First is this script's [int] parameter.)
                    $byMi = Register-Image -Fixed $fixed -Moving $moving -Metric MI -Seed ([int]$c.case) -ErrorAction Stop
                    $resampled = Invoke-ImageResample -Image $moving -Transform $byMi.Transform -Reference $fixed -DefaultValue ($moving.GetRange().Item1)
                    $byModel = Register-Image -Fixed $fixed -Moving $resampled -Metric $run.Metric -ShrinkFactors 1 -Iterations 150 -Seed ([int]$c.case) -ErrorAction Stop
                    # moving(byMi(byModel(x))): byModel first, then byMi.
                    [pscustomobject]@{ Transform = $byModel.Transform.ComposeWith($byMi.Transform); Elapsed = $byMi.Elapsed + $byModel.Elapsed }
                } else {
                    Register-Image -Fixed $fixed -Moving $moving -Metric $run.Metric -Seed ([int]$c.case) -ErrorAction SilentlyContinue @a
                }
            } catch { Write-Warning "case $($c.case), $($run.Name): $($_.Exception.Message -split "`n" | Select-Object -First 1)"; $null }
            $cpu = (Get-CpuSeconds) - $cpu0
            $row = [pscustomobject]@{ Case = [int]$c.case; Pair = $c.pair; TrueAngle = [double]$c.angle_deg; Method = $run.Name; ResidualPx = if ($r) { Get-Residual $r.Transform $truth $points } else { [double]::NaN }; Seconds = if ($r) { $r.Elapsed.TotalSeconds } else { [double]::NaN }; CpuSeconds = $cpu }
            $row | Export-Csv -Delimiter "`t" -NoTypeInformation -UseQuotes Never -Append $tsv
            $row
        }
        if ($ReuseElastix) {
            $row = $previous | Where-Object { [int]$_.Case -eq [int]$c.case } | Select-Object -First 1
            $row = [pscustomobject]@{ Case = [int]$row.Case; Pair = $row.Pair; TrueAngle = [double]$row.TrueAngle; Method = 'elastix MI'; ResidualPx = [double]$row.ResidualPx; Seconds = [double]$row.Seconds; CpuSeconds = if ($row.PSObject.Properties['CpuSeconds']) { [double]$row.CpuSeconds } else { [double]::NaN } }
        } else {
            $e = Invoke-Elastix $c.fixed $c.moving (Join-Path $elastixParams 'rigid-mi.txt') (Join-Path $WorkPath 'c2-el')
            $row = [pscustomobject]@{ Case = [int]$c.case; Pair = $c.pair; TrueAngle = [double]$c.angle_deg; Method = 'elastix MI'; ResidualPx = Get-Residual $e.Transform $truth $points; Seconds = $e.Seconds; CpuSeconds = $script:ElastixCpu }
        }
        $row | Export-Csv -Delimiter "`t" -NoTypeInformation -UseQuotes Never -Append $tsv
        $row
        Write-Progress -Activity 'Case 2' -Status "case $($c.case)" -PercentComplete (100 * ([int]$c.case + 1) / $cases.Count)
    }
    Get-Summary $rows | Format-Table | Out-Host
}
if (3 -in $Case) {
    $dir = Join-Path $WorkPath 'bspline'
    & $python (Join-Path $PSScriptRoot 'make_cases.py') (Join-Path $DataPath 'ct-mr-head') $dir bspline $Count3 ($Seed + 1) 0
    if ($LASTEXITCODE -ne 0) { throw 'make_cases.py bspline failed' }
    $cases = Import-Csv -Delimiter "`t" (Join-Path $dir 'cases.tsv')
    $tsv3 = Join-Path $PSScriptRoot $Case3ResultName
    # The B-spline metrics of DeepSim: MI, and with -ModelPath the saved learned model (e.g. the two-branch CNN).
    $metrics3 = @()
    if (-not $Case3ModelOnly) { $metrics3 += , @('MI', 'DeepSim MI B-spline') }
    if ($ModelPath) { $metrics3 += , @((Import-SimilarityModel -Path $ModelPath), "$ModelLabel B-spline") }
    Remove-Item $tsv3 -ErrorAction SilentlyContinue
    function Get-FieldError([double[][]] $Estimated, $Truth) {
        $d = [double[]]::new($Truth.Count)
        for ($i = 0; $i -lt $Truth.Count; $i++) { $dx = $Estimated[$i][0] - [double]$Truth[$i].tx; $dy = $Estimated[$i][1] - [double]$Truth[$i].ty; $d[$i] = [math]::Sqrt($dx * $dx + $dy * $dy) }
        $s = $d | Sort-Object
        [pscustomobject]@{ Mean = ($d | Measure-Object -Average).Average; P95 = $s[[math]::Min($s.Count - 1, [math]::Ceiling(0.95 * $s.Count) - 1)] }
    }
    # How far an estimate moves the head points (mean px): near 0 for a registration that stays at the identity.
    function Get-Moved([double[][]] $Estimated, [double[][]] $Points) {
        $s = 0.0
        for ($i = 0; $i -lt $Points.Count; $i++) { $dx = $Estimated[$i][0] - $Points[$i][0]; $dy = $Estimated[$i][1] - $Points[$i][1]; $s += [math]::Sqrt($dx * $dx + $dy * $dy) }
        $s / $Points.Count
    }
    $rows = foreach ($c in $cases) {
        $fixed = Import-MedicalImage $c.fixed; $moving = Import-MedicalImage $c.moving
        $truth = @(Import-Csv -Delimiter "`t" $c.truth)
        $fixedPoints = [double[][]]@($truth | ForEach-Object { , [double[]]@([double]$_.x, [double]$_.y) })
        $before = Get-FieldError $fixedPoints $truth
        # The same registrations of the CT to the unwarped MR (truth: the identity) give each tool's floor on these pairs:
        # how far MI B-spline moves the head points when there is nothing to recover.
        $unwarped = Import-MedicalImage (Join-Path $DataPath "ct-mr-head/MR/$($c.pair)")
        $identity = @($truth | ForEach-Object { [pscustomobject]@{ tx = $_.x; ty = $_.y } })
        foreach ($kind in @('warped') + @(if (-not $Case3SkipUnwarped) { 'unwarped' })) {
            $m = if ($kind -eq 'warped') { $moving } else { $unwarped }
            $t = if ($kind -eq 'warped') { $truth } else { $identity }
            $suffix = if ($kind -eq 'warped') { '' } else { ', unwarped pair' }
            foreach ($entry in $metrics3) {
            $cpu0 = Get-CpuSeconds
            $r = try { Register-Image -Fixed $fixed -Moving $m -Metric $entry[0] -Transform BSpline -Seed ([int]$c.case) -ErrorAction SilentlyContinue @RegisterArgs3 } catch { Write-Warning "case $($c.case): $($_.Exception.Message -split "`n" | Select-Object -First 1)"; $null }
            $cpu = (Get-CpuSeconds) - $cpu0
            $est = if ($r) { [double[][]]@($fixedPoints | ForEach-Object { , $r.Transform.TransformPoint($_) }) } else { $null }
            $err = if ($r) { Get-FieldError $est $t } else { [pscustomobject]@{ Mean = [double]::NaN; P95 = [double]::NaN } }
            $moved = if ($r) { Get-Moved $est $fixedPoints } else { [double]::NaN }
            $row = [pscustomobject]@{ Case = [int]$c.case; Pair = $c.pair; Method = "$($entry[1])$suffix"; BeforeMeanPx = $before.Mean; MeanPx = $err.Mean; P95Px = $err.P95; MovedPx = $moved; MinJacobian = if ($r) { $r.MinJacobianDeterminant } else { [double]::NaN }; Seconds = if ($r) { $r.Elapsed.TotalSeconds } else { [double]::NaN }; CpuSeconds = $cpu }
            $row | Export-Csv -Delimiter "`t" -NoTypeInformation -UseQuotes Never -Append $tsv3
            $row
            }
            if ($Case3ModelOnly -or $Case3SkipElastix) { continue }
            $out = Join-Path $WorkPath 'c3-el'
            $movingFile = $c.moving
            if ($kind -eq 'unwarped') { $movingFile = Join-Path $WorkPath 'c3-unwarped.mha'; Export-MedicalImage -InputObject $unwarped -Path $movingFile -Force }
            $e = Invoke-Elastix $c.fixed $movingFile (Join-Path $elastixParams 'bspline-mi.txt') $out
            $pts = Join-Path $out 'points.txt'
            Set-Content -Path $pts -Value (@('point', $fixedPoints.Count) + @($fixedPoints | ForEach-Object { '{0} {1}' -f $_[0], $_[1] }))
            & transformix -def $pts -tp (Join-Path $out 'TransformParameters.0.txt') -out $out *> (Join-Path $out 'transformix.txt')
            $est = [double[][]]@(Get-Content (Join-Path $out 'outputpoints.txt') | ForEach-Object {
                if ($_ -match 'OutputPoint = \[ ([^\]]+) \]') { , [double[]]($Matches[1].Trim() -split '\s+') } })
            $err = if ($est.Count -eq $t.Count) { Get-FieldError $est $t } else { [pscustomobject]@{ Mean = [double]::NaN; P95 = [double]::NaN } }
            $moved = if ($est.Count -eq $t.Count) { Get-Moved $est $fixedPoints } else { [double]::NaN }
            $row = [pscustomobject]@{ Case = [int]$c.case; Pair = $c.pair; Method = "elastix MI B-spline$suffix"; BeforeMeanPx = $before.Mean; MeanPx = $err.Mean; P95Px = $err.P95; MovedPx = $moved; MinJacobian = [double]::NaN; Seconds = $e.Seconds; CpuSeconds = $script:ElastixCpu }
            $row | Export-Csv -Delimiter "`t" -NoTypeInformation -UseQuotes Never -Append $tsv3
            $row
        }
        Write-Progress -Activity 'Case 3' -Status "case $($c.case)" -PercentComplete (100 * ([int]$c.case + 1) / $cases.Count)
    }
    $rows | Group-Object Method | ForEach-Object { [pscustomobject]@{ Method = $_.Name; Cases = $_.Count; BeforeMeanPx = ($_.Group.BeforeMeanPx | Measure-Object -Average).Average; MeanPx = ($_.Group.MeanPx | Measure-Object -Average).Average; MeanP95Px = ($_.Group.P95Px | Measure-Object -Average).Average; MeanSeconds = ($_.Group.Seconds | Measure-Object -Average).Average; MeanCpuSeconds = ($_.Group.CpuSeconds | Measure-Object -Average).Average; Folding = @($_.Group | Where-Object { $_.MinJacobian -le 0 }).Count } } | Format-Table | Out-Host
}
if (4 -in $Case) {
    foreach ($kind in $Transform3D) {
    $dir = Join-Path $WorkPath "mni-$($kind.ToLowerInvariant())"
    & $python (Join-Path $PSScriptRoot 'make_cases3d.py') (Join-Path $DataPath 'mni-templates-3d') $dir $Count3D $Seed $kind.ToLowerInvariant()
    if ($LASTEXITCODE -ne 0) { throw 'make_cases3d.py failed' }
    $cases = Import-Csv -Delimiter "`t" (Join-Path $dir 'cases.tsv')
    $fixed = Import-MedicalImage (Join-Path $dir 't1.mha')
    $v = $fixed.GetVoxels(); $mean = ($v | Measure-Object -Average).Average
    $points = [System.Collections.Generic.List[double[]]]::new()
    for ($z = 0; $z -lt $fixed.SizeZ; $z += 4) { for ($y = 0; $y -lt $fixed.SizeY; $y += 4) { for ($x = 0; $x -lt $fixed.SizeX; $x += 4) {
        if ($v[$x + $fixed.SizeX * ($y + $fixed.SizeY * $z)] -gt $mean) { $points.Add([double[]]@((2.0 * $x), (2.0 * $y), (2.0 * $z))) } } } }
    $tsv4 = Join-Path $PSScriptRoot ($(if ($kind -eq 'Rigid') { "$Case4ResultName.tsv" } else { "$Case4ResultName-affine.tsv" }))
    Remove-Item $tsv4 -ErrorAction SilentlyContinue
    $rows = foreach ($c in $cases) {
        $moving = Import-MedicalImage $c.moving
        $centre = [double[]]@([double]$c.cx, [double]$c.cy, [double]$c.cz); $shift = [double[]]@([double]$c.tx, [double]$c.ty, [double]$c.tz)
        $truth = if ($kind -eq 'Rigid') { [DeepSim.Registration.Euler3DTransform]::new([double[]]@([double]$c.ax, [double]$c.ay, [double]$c.az), $shift, $centre, $false) }
                 else { [DeepSim.Registration.AffineTransform]::new([double[]]@(0..8 | ForEach-Object { [double]$c."m$_" }), $shift, $centre) }
        $cpu0 = Get-CpuSeconds
        $r = Register-Image -Fixed $fixed -Moving $moving -Metric MI -Transform $kind -Seed ([int]$c.case) @RegisterArgs4
        $cpu = (Get-CpuSeconds) - $cpu0
        $row = [pscustomobject]@{ Case = [int]$c.case; Method = "DeepSim MI $kind"; ResidualMm = Get-Residual $r.Transform $truth $points; Seconds = $r.Elapsed.TotalSeconds; CpuSeconds = $cpu }
        $row | Export-Csv -Delimiter "`t" -NoTypeInformation -UseQuotes Never -Append $tsv4
        $row
        if ($Case4SkipElastix) { continue }
        $e = Invoke-Elastix $c.fixed $c.moving (Join-Path $elastixParams "$($kind.ToLowerInvariant())-mi.txt") (Join-Path $WorkPath 'c4-el')
        $row = [pscustomobject]@{ Case = [int]$c.case; Method = "elastix MI $kind"; ResidualMm = Get-Residual $e.Transform $truth $points; Seconds = $e.Seconds; CpuSeconds = $script:ElastixCpu }
        $row | Export-Csv -Delimiter "`t" -NoTypeInformation -UseQuotes Never -Append $tsv4
        $row
    }
    $rows | Format-Table | Out-Host
    }
}
Write-Host "Machine: $machine"
