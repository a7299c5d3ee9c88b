<#
.SYNOPSIS
Finds or fetches the demo's default data: ../shared/data/ct-mr-head when present, else ITK's aligned T1/PD brain
slices from Debian's insighttoolkit5-examples package (Apache-2.0), unpacked without installing it.

.OUTPUTS
The path of a data folder: either one with CT/ and MR/ sub-folders, or one holding BrainT1Slice.png and
BrainProtonDensitySlice.png.
#>
[CmdletBinding()]
param(
    # Where a downloaded package is unpacked.
    [string] $CachePath = (Join-Path $PSScriptRoot '../out/data')
)
$ErrorActionPreference = 'Stop'

$shared = Join-Path $PSScriptRoot '../../shared/data/ct-mr-head'
if (Test-Path (Join-Path $shared 'CT')) { return (Resolve-Path $shared).Path }

$itk = Join-Path $CachePath 'itk-examples'
$found = Get-ChildItem -Path $itk -Recurse -Filter 'BrainProtonDensitySlice.png' -ErrorAction SilentlyContinue | Select-Object -First 1
if ($found) { return $found.DirectoryName }

$help = "Point the demo at your own data instead: build.ps1 -Task Demo -DataPath <folder with CT/ and MR/ sub-folders of co-registered slices sharing file names, or with BrainT1Slice.png and BrainProtonDensitySlice.png>."
if (-not (Get-Command apt-get -ErrorAction SilentlyContinue) -or -not (Get-Command dpkg-deb -ErrorAction SilentlyContinue)) {
    throw "No default data: ../shared/data is absent and this system has no apt-get/dpkg-deb to fetch Debian's insighttoolkit5-examples. $help"
}
New-Item -ItemType Directory -Force -Path $itk | Out-Null
$download = Join-Path $itk 'download'
New-Item -ItemType Directory -Force -Path $download | Out-Null
Write-Host "Fetching ITK's example brain slices (Debian package insighttoolkit5-examples, Apache-2.0) ..."
Push-Location $download
try {
    & apt-get -o APT::Sandbox::User=root download insighttoolkit5-examples 2>&1 | Out-Host
    if ($LASTEXITCODE -ne 0) {
        Write-Host 'apt-get download failed; refreshing the package lists (apt-get update) and trying again ...'
        & apt-get update -qq 2>&1 | Out-Host
        & apt-get -o APT::Sandbox::User=root download insighttoolkit5-examples 2>&1 | Out-Host
    }
} finally { Pop-Location }
$deb = Get-ChildItem $download -Filter 'insighttoolkit5-examples_*.deb' | Select-Object -First 1
if (-not $deb) { throw "Could not download Debian's insighttoolkit5-examples package. $help" }
& dpkg-deb -x $deb.FullName (Join-Path $itk 'root')
if ($LASTEXITCODE -ne 0) { throw "dpkg-deb could not unpack $($deb.Name). $help" }
$found = Get-ChildItem -Path $itk -Recurse -Filter 'BrainProtonDensitySlice.png*' | Select-Object -First 1
if (-not $found) { throw "insighttoolkit5-examples holds no BrainProtonDensitySlice.png. $help" }
# Debian may ship the data compressed (.png.gz): unpack what the demo needs.
foreach ($name in 'BrainT1Slice.png', 'BrainProtonDensitySlice.png') {
    $plain = Join-Path $found.DirectoryName $name
    if (-not (Test-Path $plain) -and (Test-Path "$plain.gz")) {
        $in = [System.IO.File]::OpenRead("$plain.gz")
        try {
            $gz = [System.IO.Compression.GZipStream]::new($in, [System.IO.Compression.CompressionMode]::Decompress)
            $outFile = [System.IO.File]::Create($plain)
            try { $gz.CopyTo($outFile) } finally { $outFile.Dispose(); $gz.Dispose() }
        } finally { $in.Dispose() }
    }
}
return $found.DirectoryName
