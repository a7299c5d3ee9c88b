<#
.SYNOPSIS
Mutation fuzzing of DICOM files with dcmtk as the oracle: how DeepSim's Import-MedicalImage answers each mutant
(image, specific error, generic error, crash, hang) and whether dcmtk's dcm2pnm accepts it.

.DESCRIPTION
Makes -Count mutants of several real DICOM files from ../shared/data/dicom (bit flips, inserted and deleted bytes,
corrupted length fields, truncation, random bytes; 1 to 4 edits each, seeded), reads each with Import-MedicalImage in a
runspace that is stopped when a read takes longer than -TimeoutSeconds (a hang), and decodes each with
`dcm2pnm +Fa` (all frames; its exit code is the verdict, its first E:/F: lines the message). It writes every verdict to mutants.tsv and a summary to summary.md in -OutputPath, and
prints the summary. A "silent acceptance" is a mutant DeepSim returns an image for while dcm2pnm rejects it; each
class of them is listed with dcmtk's message so that it can be judged (bench/fuzz/RESULTS.md holds the judgement).
The suite's own fuzz tests (DicomHostileInputTests) run a small sample in-process; this script is the large run.

.EXAMPLE
dotnet pwsh -File bench/fuzz/Invoke-DicomFuzz.ps1 -Count 2000 -Seed 9 -OutputPath ./out/fuzz
#>
param(
    [int] $Count = 2000,
    [int] $Seed = 9,
    [string] $OutputPath = (Join-Path $PSScriptRoot '../../out/fuzz'),
    [string] $DataPath = (Join-Path $PSScriptRoot '../../../shared/data'),
    [string] $ModuleManifest = (Join-Path $PSScriptRoot '../../out/DeepSim/DeepSim.psd1'),
    [int] $TimeoutSeconds = 20
)
$ErrorActionPreference = 'Stop'
if (-not (Get-Command dcm2pnm -ErrorAction SilentlyContinue)) { throw 'dcm2pnm (Debian package dcmtk) is needed as the oracle.' }

# Sources that dcmtk decodes unmodified (JPEG 2000 and this JPEG-LL file it does not).
$sources = @(
    'dicom/pydicom/MR_small.dcm', 'dicom/pydicom/MR_small_RLE.dcm', 'dicom/pydicom/MR_small_bigendian.dcm',
    'dicom/pydicom/MR_small_implicit.dcm', 'dicom/pydicom/image_dfl.dcm', 'dicom/pydicom/CT_small.dcm',
    'dicom/pydicom-data/emri_small_RLE.dcm', 'dicom/pydicom-data/OT-PAL-8-face.dcm'
) | ForEach-Object { Join-Path $DataPath $_ }
foreach ($s in $sources) { if (-not (Test-Path -LiteralPath $s)) { throw "Source $s not found (set -DataPath)." } }

$mutantDir = Join-Path $OutputPath 'mutants'
if (Test-Path -LiteralPath $mutantDir) { Remove-Item -LiteralPath $mutantDir -Recurse -Force }
New-Item -ItemType Directory -Force -Path $mutantDir | Out-Null

function New-Mutant([byte[]] $Original, [System.Random] $Rng) {
    $b = [System.Collections.Generic.List[byte]]::new($Original)
    $edits = 1 + $Rng.Next(4)
    for ($e = 0; $e -lt $edits -and $b.Count -gt 8; $e++) {
        $at = $Rng.Next($b.Count)
        switch ($Rng.Next(6)) {
            0 { $b[$at] = $b[$at] -bxor [byte](1 -shl $Rng.Next(8)) }
            1 { $b.Insert($at, [byte]$Rng.Next(256)) }
            2 { $b.RemoveAt($at) }
            3 {
                $value = switch ($Rng.Next(4)) { 0 { [uint32]::MaxValue } 1 { [uint32]4294967280 } 2 { [uint32]$Rng.Next(0, 64) } default { [uint32]$Rng.Next() } }
                for ($i = 0; $i -lt 4 -and $at + $i -lt $b.Count; $i++) { $b[$at + $i] = [byte](($value -shr (8 * $i)) -band 0xFF) }
            }
            4 { $b.RemoveRange($at, $b.Count - $at) }
            default { $b[$at] = [byte]$Rng.Next(256) }
        }
    }
    return , $b.ToArray()
}

$rng = [System.Random]::new($Seed)
$originals = $sources | ForEach-Object { , [System.IO.File]::ReadAllBytes($_) }
$files = for ($m = 0; $m -lt $Count; $m++) {
    $k = $m % $sources.Count
    $name = '{0:D5}-{1}' -f $m, [System.IO.Path]::GetFileName($sources[$k])
    $path = Join-Path $mutantDir $name
    [System.IO.File]::WriteAllBytes($path, (New-Mutant $originals[$k] $rng))
    [pscustomobject]@{ Path = $path; Source = [System.IO.Path]::GetFileName($sources[$k]) }
}

# DeepSim in its own runspace, so that a hang can be stopped and counted.
$iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
$iss.ImportPSModule((Resolve-Path $ModuleManifest).Path)
$runspace = [runspacefactory]::CreateRunspace($iss)
$runspace.Open()
$generic = 'malformed DICOM data:'
$rows = [System.Collections.Generic.List[object]]::new()
$watch = [System.Diagnostics.Stopwatch]::StartNew()
foreach ($f in $files) {
    $ps = [powershell]::Create()
    $ps.Runspace = $runspace
    $null = $ps.AddCommand('Import-MedicalImage').AddParameter('LiteralPath', $f.Path).AddParameter('WarningAction', 'SilentlyContinue')
    $t0 = $watch.Elapsed.TotalMilliseconds
    $handle = $ps.BeginInvoke()
    $verdict = $null; $detail = ''
    if (-not $handle.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($TimeoutSeconds))) {
        $ps.Stop(); $verdict = 'hang'
    }
    else {
        try {
            $out = $ps.EndInvoke($handle)
            if ($ps.Streams.Error.Count -gt 0) {
                $err = $ps.Streams.Error[0]
                $id = ($err.FullyQualifiedErrorId -split ',')[0]
                $detail = $id + ': ' + ($err.ToString() -replace '\s+', ' ')
                $verdict = if ($err.CategoryInfo.Category -eq 'NotSpecified' -or -not $id.StartsWith('Image') -or $err.ToString().Contains($generic)) { 'generic' } else { 'specific' }
            }
            elseif (@($out).Count -gt 0) { $verdict = 'accepted'; $detail = ($out | ForEach-Object { '{0}x{1}x{2}' -f $_.SizeX, $_.SizeY, $_.SizeZ }) -join ';' }
            else { $verdict = 'nothing'; $detail = 'no image and no error' }
        }
        catch { $verdict = 'crash'; $detail = $_.Exception.GetType().FullName + ': ' + $_.Exception.Message }
    }
    $ms = $watch.Elapsed.TotalMilliseconds - $t0
    $ps.Dispose()
    $dcmtkErr = @(& dcm2pnm +Fa $f.Path 2>&1 >$null) | ForEach-Object { "$_" } | Where-Object { $_ -match '^[EF]:' } | Select-Object -First 2
    $dcmtkOk = $LASTEXITCODE -eq 0
    $rows.Add([pscustomobject]@{
            File = [System.IO.Path]::GetFileName($f.Path); Source = $f.Source; DeepSim = $verdict; Ms = [Math]::Round($ms, 1)
            Dcmtk = if ($dcmtkOk) { 'accepted' } else { 'rejected' }; DcmtkMessage = (@($dcmtkErr) -join ' ' -replace '\s+', ' ').Trim(); Detail = $detail
        })
}
$runspace.Dispose()

$rows | Export-Csv -LiteralPath (Join-Path $OutputPath 'mutants.tsv') -Delimiter "`t" -NoTypeInformation
$tally = { param($v) @($rows | Where-Object DeepSim -eq $v).Count }
$silent = @($rows | Where-Object { $_.DeepSim -eq 'accepted' -and $_.Dcmtk -eq 'rejected' })
$strict = @($rows | Where-Object { $_.DeepSim -ne 'accepted' -and $_.Dcmtk -eq 'accepted' })
$summary = @(
    "# DICOM fuzz run: $Count mutants, seed $Seed"
    ''
    "Sources: $(($sources | ForEach-Object { [System.IO.Path]::GetFileName($_) }) -join ', ')."
    "Command: ``dotnet pwsh -File bench/fuzz/Invoke-DicomFuzz.ps1 -Count $Count -Seed $Seed``; $([Math]::Round($watch.Elapsed.TotalSeconds)) s."
    ''
    '| DeepSim verdict | mutants | of which dcmtk rejects |'
    '|---|---:|---:|'
    foreach ($v in 'accepted', 'specific', 'generic', 'crash', 'hang', 'nothing') {
        "| $v | $(& $tally $v) | $(@($rows | Where-Object { $_.DeepSim -eq $v -and $_.Dcmtk -eq 'rejected' }).Count) |"
    }
    ''
    "Slowest DeepSim read: $(($rows | Measure-Object Ms -Maximum).Maximum) ms."
    "DeepSim accepts, dcmtk rejects (silent acceptances): $($silent.Count). DeepSim refuses, dcmtk accepts: $($strict.Count)."
    ''
    '## Silent acceptances by dcmtk message and source'
    ''
    '| dcmtk says | source | mutants | example |'
    '|---|---|---:|---|'
    $silent | Group-Object { ($_.DcmtkMessage -replace ': reading file: .*$', '' -replace '/[^ ]*\.dcm', 'FILE') }, Source | Sort-Object Count -Descending | ForEach-Object {
        "| $($_.Group[0].DcmtkMessage -replace ': reading file: .*$', '' -replace '/[^ ]*\.dcm', 'FILE' -replace '\|', '/') | $($_.Group[0].Source) | $($_.Count) | $($_.Group[0].File) |"
    }
    ''
    '## Generic errors, crashes and hangs'
    ''
    $rows | Where-Object { $_.DeepSim -in 'generic', 'crash', 'hang', 'nothing' } | ForEach-Object { "- $($_.File): $($_.DeepSim): $($_.Detail)" }
)
$summary | Set-Content -LiteralPath (Join-Path $OutputPath 'summary.md')
$summary
