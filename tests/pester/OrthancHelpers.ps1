# Starts and stops a real Orthanc (Debian's orthanc + orthanc-dicomweb) for the Pester tests of the DICOMweb cmdlets:
# a plain process on a free loopback port, with its own temporary storage folder and configuration.
$script:OrthancExe = '/usr/sbin/Orthanc'
$script:OrthancPlugin = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so'
$script:HasOrthanc = (Test-Path $script:OrthancExe) -and (Test-Path $script:OrthancPlugin)
if ($env:CI -eq 'true' -and -not $script:HasOrthanc) { throw "CI must have Orthanc ($script:OrthancExe, $script:OrthancPlugin): .ci/run installs orthanc orthanc-dicomweb." }
if (-not $script:HasOrthanc -and -not $script:OrthancReasonShown) {
    Write-Host "Skipping the DICOMweb tests that need a real archive: Orthanc is not installed (apt-get install orthanc orthanc-dicomweb)." -ForegroundColor Yellow
    $script:OrthancReasonShown = $true
}

function Get-FreeTcpPort {
    $l = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, 0)
    $l.Start()
    try { $l.LocalEndpoint.Port } finally { $l.Stop() }
}

# -Settings adds or overrides configuration entries, e.g. @{ LimitFindResults = 2 } for a server that caps QIDO answers.
function Start-TestOrthanc([string] $User, [string] $Password, [hashtable] $Settings = @{}) {
    $folder = Join-Path ([System.IO.Path]::GetTempPath()) ("deepsim-orthanc-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path (Join-Path $folder 'db') -Force | Out-Null
    $port = Get-FreeTcpPort
    $users = @{}
    if ($User) { $users[$User] = $Password }
    $config = [ordered]@{
        Name = 'DeepSimPester'; HttpPort = $port; StorageDirectory = (Join-Path $folder 'db'); IndexDirectory = (Join-Path $folder 'db')
        DicomServerEnabled = $false; RemoteAccessAllowed = $false; StorageCompression = $false
        Plugins = @($script:OrthancPlugin); DicomWeb = @{ Enable = $true; Root = '/dicom-web/' }
        AuthenticationEnabled = [bool]$User; RegisteredUsers = $users
    }
    foreach ($k in $Settings.Keys) { $config[$k] = $Settings[$k] }
    $configPath = Join-Path $folder 'config.json'
    $config | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath $configPath
    $log = Join-Path $folder 'orthanc.log'
    $process = Start-Process -FilePath $script:OrthancExe -ArgumentList "--logfile=$log", $configPath -PassThru -RedirectStandardOutput (Join-Path $folder 'stdout.txt') -RedirectStandardError (Join-Path $folder 'stderr.txt')
    $server = [pscustomobject]@{ Process = $process; Folder = $folder; Port = $port; Rest = "http://127.0.0.1:$port"; DicomWeb = "http://127.0.0.1:$port/dicom-web"; Headers = @{} }
    if ($User) { $server.Headers['Authorization'] = 'Basic ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${User}:$Password")) }
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while ($true) {
        if ($process.HasExited) { Stop-TestOrthanc $server; throw "Orthanc exited at start: $(Get-Content $log -Raw -ErrorAction Ignore)" }
        try { $null = Invoke-WebRequest "$($server.Rest)/system" -Headers $server.Headers -TimeoutSec 2 -SkipHttpErrorCheck; break }
        catch { if ([DateTime]::UtcNow -gt $deadline) { Stop-TestOrthanc $server; throw "Orthanc did not answer on port $port within 30 s." }; Start-Sleep -Milliseconds 100 }
    }
    $server
}

function Stop-TestOrthanc($Server) {
    if ($null -eq $Server) { return }
    if (-not $Server.Process.HasExited) { $Server.Process.Kill($true); $null = $Server.Process.WaitForExit(10000) }
    Remove-Item -LiteralPath $Server.Folder -Recurse -Force -ErrorAction Ignore
}

function Publish-TestOrthancFile($Server, [string] $Path) {
    $r = Invoke-RestMethod -Method Post -Uri "$($Server.Rest)/instances" -Headers $Server.Headers -InFile $Path -ContentType 'application/dicom'
    $r.ID
}
